//! The crate's own wire shapes, shared by the native protocol (Auth v1), the routes that
//! extend others (ALTCHA's challenge route, the key set), the widget and the guard: the error
//! envelope `{"error", "error_code", "error_description"}` and its code table, a puzzle's
//! JSON by presentation, and the solution shapes every puzzle is answered with.

use std::borrow::Cow;

use bytes::Bytes;
use http::{Response, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};

use super::driver::{json, png_data_url};
use super::fault::Fault;
use super::input::Input;
use super::messages::{Lang, common_message};
use crate::kind::{Puzzle, Solution, points_from_json, pow, trail_from_json};

/// The error envelope: `{"error", "error_code", "error_description"}` plus optional extras.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: &'static str,
    pub(crate) error_code: u16,
    pub(crate) error_description: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attempts_left: Option<u32>,
    /// For people (the guard's rejections): what to do, in plain words, where
    /// `error_description` is for developers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<&'static str>,
    /// The scope a pass must be issued for (a guard that asks for one only after failures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<String>,
}

/// A fault in the envelope, with the status and code the native protocol gives it.
pub(crate) fn failure(fault: &Fault, lang: Lang) -> Response<Bytes> {
    let (status, error, error_code) = match fault {
        Fault::Wrong { .. } => (StatusCode::BAD_REQUEST, "invalid_captcha", 4001),
        // Unknown and expired share the seed's code; the description tells them apart.
        Fault::Unknown | Fault::Expired => (StatusCode::GONE, "captcha_expired", 4002),
        Fault::Used | Fault::Locked => (StatusCode::GONE, "captcha_used", 4003),
        Fault::RateLimited { .. } | Fault::LockedOut { .. } => {
            (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", 4029)
        }
        Fault::Busy | Fault::NoClient => (StatusCode::SERVICE_UNAVAILABLE, "server_busy", 5030),
        Fault::Work { .. } => (StatusCode::PRECONDITION_REQUIRED, "work_required", 4028),
        Fault::Method { .. } => (StatusCode::METHOD_NOT_ALLOWED, "invalid_request", 4000),
        Fault::Body(_)
        | Fault::Field(_)
        | Fault::InvalidScope
        | Fault::Unsupported
        | Fault::UnknownClient
        | Fault::Forbidden
        | Fault::Credential(_) => (StatusCode::BAD_REQUEST, "invalid_request", 4000),
    };
    let (description, attempts_left) = match fault {
        Fault::Wrong { attempts_left } => (common_message(fault, lang), Some(*attempts_left)),
        Fault::Locked => (common_message(&Fault::Used, lang), None),
        _ => (common_message(fault, lang), None),
    };
    json(
        status,
        &ErrorBody {
            error,
            error_code,
            error_description: description,
            attempts_left,
            message: None,
            scope: None,
        },
    )
}

/// A puzzle's fields by its presentation: `image` (a data URL) for a picture to answer;
/// `image` and `piece` for a slider; `image` and `words` for a picture to click; ALTCHA's
/// `algorithm`, `challenge`, `maxnumber`, `salt`, `signature` for a proof of work, and its
/// PoW v2 `parameters` and `signature` for a key-derivation one.
pub(crate) fn puzzle_fields(puzzle: Puzzle) -> Value {
    match puzzle {
        Puzzle::Image { png } => json!({ "image": png_data_url(&png) }),
        Puzzle::Slider { background, piece } => {
            json!({ "image": png_data_url(&background), "piece": png_data_url(&piece) })
        }
        Puzzle::ClickWord { image, words } => {
            json!({ "image": png_data_url(&image), "words": words })
        }
        Puzzle::Work {
            algorithm,
            challenge,
            max_number,
            salt,
            signature,
        } => json!({
            "algorithm": algorithm,
            "challenge": challenge,
            "maxnumber": max_number,
            "salt": salt,
            "signature": signature,
        }),
        Puzzle::KeyWork {
            parameters,
            signature,
        } => json!({ "parameters": parameters, "signature": signature }),
    }
}

/// The challenge and its solution, from the body's `token` and one of: `key` (typed), `point`
/// (`{"x", "y"}`, with an optional drag `trail` of `[t, x, y]` samples), `points` (clicks in
/// order) or `payload` (a solved proof of work, which names its own challenge).
pub(crate) fn solution(input: &Input) -> Result<(String, Solution), Fault> {
    if input.field("payload").is_some() {
        return pow::read_payload(input.string("payload")?).ok_or(Fault::Unknown);
    }
    let id = input.string("token")?.to_owned();
    let shape = |name: &'static str| {
        let value = input.field(name)?;
        Some(points_from_json(value).ok_or(Fault::Field(name)))
    };
    let solution = match (shape("points"), shape("point")) {
        (Some(points), _) => points?,
        (None, Some(point)) => match input.field("trail") {
            Some(trail) => Solution::Drag {
                end: Box::new(point?),
                trail: trail_from_json(trail),
            },
            None => point?,
        },
        (None, None) => Solution::from(input.string("key")?),
    };
    Ok((id, solution))
}
