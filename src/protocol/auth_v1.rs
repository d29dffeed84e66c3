//! Auth v1, the native protocol: `GET /auth/v1/captcha/data` and
//! `POST /auth/v1/captcha/data/verify` exactly as the seed document fixes them for text, and
//! beside them what every other kind needs: `?kind=<name>` on the issue route (any kind the
//! engine offers, answered with its puzzle's JSON), the solution shapes of every puzzle on
//! the verify route, and `GET /auth/v1/captcha/data/kinds` (which kinds this server serves).
//! This crate's widget speaks only this protocol.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::json;

use super::driver::{
    Call, Done, ErrorBody, Fault, Input, Lang, Route, common_message, json, png_data_url,
};
use super::{Adapter, Protocol};
use crate::Challenge;
use crate::kind::{Kind, Puzzle, Solution, points_from_json, pow, trail_from_json};

/// Default path of the issue route.
pub const ISSUE_PATH: &str = "/auth/v1/captcha/data";
/// Default path of the verify route.
pub const VERIFY_PATH: &str = "/auth/v1/captcha/data/verify";

/// Default path of the route that lists the kinds served.
pub const KINDS_PATH: &str = "/auth/v1/captcha/data/kinds";

const ISSUE: u8 = 0;
const VERIFY: u8 = 1;
const KINDS: u8 = 2;

/// Auth v1: `GET` issue → `{"token", "image", "expires_in"}` (optional query
/// `scope=<name>`; `kind=<name>` for any kind, answered with its puzzle), `POST` verify
/// `{"token", "key"}` (or `"point"`, `"points"`, `"payload"` for other puzzles) →
/// `{"captcha_token", "expires_in"}`; `GET <issue path>/kinds` → `{"kinds": [...]}`; errors
/// `{"error", "error_code", "error_description"}` with 4xx/5xx statuses.
///
/// Mounted by [`CaptchaLayer::new`](crate::CaptchaLayer::new) at its default paths.
#[derive(Debug, Clone)]
#[must_use]
pub struct AuthV1 {
    issue_path: String,
    verify_path: String,
}

impl Default for AuthV1 {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthV1 {
    /// Auth v1 at [`ISSUE_PATH`] and [`VERIFY_PATH`].
    pub fn new() -> Self {
        Self {
            issue_path: ISSUE_PATH.into(),
            verify_path: VERIFY_PATH.into(),
        }
    }

    /// Auth v1 at other paths.
    pub fn paths(mut self, issue: impl Into<String>, verify: impl Into<String>) -> Self {
        self.issue_path = issue.into();
        self.verify_path = verify.into();
        self
    }
}

impl From<AuthV1> for Protocol {
    fn from(p: AuthV1) -> Self {
        Protocol(std::sync::Arc::new(p))
    }
}

impl Adapter for AuthV1 {
    fn name(&self) -> &'static str {
        "auth_v1"
    }

    fn routes(&self) -> Vec<Route> {
        vec![
            Route::new(Method::GET, &self.issue_path, ISSUE),
            Route::new(Method::POST, &self.verify_path, VERIFY),
            Route::new(Method::GET, &format!("{}/kinds", self.issue_path), KINDS),
        ]
    }

    fn parse(&self, endpoint: u8, input: &Input) -> Result<Call, Fault> {
        match endpoint {
            ISSUE => Ok(Call::Issue {
                kind: match input.query("kind") {
                    Some(name) => Kind::parse(&name).ok_or(Fault::Unsupported)?,
                    None => Kind::TEXT,
                },
                scope: input.query("scope"),
                size: None,
            }),
            KINDS => {
                let kinds: Vec<String> = input.captcha.kinds().map(|k| k.to_string()).collect();
                Ok(Call::Cached(json(
                    StatusCode::OK,
                    &json!({ "kinds": kinds }),
                )))
            }
            _ => {
                let (id, solution) = solution(input)?;
                Ok(Call::Verify { id, solution })
            }
        }
    }

    fn success(&self, _: u8, done: Done, input: &Input, _: Lang) -> Response<Bytes> {
        let body = match done {
            // Asked for by kind: the puzzle's own JSON. The seed's answer otherwise.
            Done::Issued(c) if input.query("kind").is_some() => puzzle(c),
            Done::Issued(c) => json!({
                "token": c.id,
                "image": png_data_url(c.puzzle.image()),
                "expires_in": c.expires_in.as_secs(),
            }),
            Done::Passed(pass) => {
                json!({"captcha_token": pass.token, "expires_in": pass.expires_in.as_secs()})
            }
            Done::Cached(reply) => return reply,
            Done::Checked(_) | Done::Redeemed(_) => json!({}),
        };
        json(StatusCode::OK, &body)
    }

    fn failure(&self, _: u8, fault: &Fault, lang: Lang) -> Response<Bytes> {
        let (status, error, error_code, description) = match fault {
            Fault::Wrong { .. } => (
                StatusCode::BAD_REQUEST,
                "invalid_captcha",
                4001,
                lang.pick("Verification code error", "验证码错误").into(),
            ),
            // Unknown and expired share the seed's code; the description tells them apart.
            Fault::Unknown | Fault::Expired => (
                StatusCode::GONE,
                "captcha_expired",
                4002,
                common_message(fault, lang),
            ),
            Fault::Used | Fault::Locked => (
                StatusCode::GONE,
                "captcha_used",
                4003,
                common_message(&Fault::Used, lang),
            ),
            Fault::RateLimited { .. } | Fault::LockedOut { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                4029,
                common_message(fault, lang),
            ),
            Fault::Busy | Fault::NoClient => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server_busy",
                5030,
                common_message(fault, lang),
            ),
            Fault::Work { .. } => (
                StatusCode::PRECONDITION_REQUIRED,
                "work_required",
                4028,
                common_message(fault, lang),
            ),
            Fault::Method { .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request",
                4000,
                common_message(fault, lang),
            ),
            Fault::Body(_)
            | Fault::Field(_)
            | Fault::InvalidScope
            | Fault::Unsupported
            | Fault::UnknownClient
            | Fault::Forbidden
            | Fault::Credential(_) => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                4000,
                common_message(fault, lang),
            ),
        };
        let attempts_left = match fault {
            Fault::Wrong { attempts_left } => Some(*attempts_left),
            _ => None,
        };
        json(
            status,
            &ErrorBody {
                error,
                error_code,
                error_description: description,
                attempts_left,
                message: None,
            },
        )
    }
}

/// The challenge and its solution, from the body's `token` and one of: `key` (typed), `point`
/// (`{"x", "y"}`, with an optional drag `trail` of `[t, x, y]` samples), `points` (clicks in
/// order) or `payload` (a solved proof of work, which names its own challenge).
fn solution(input: &Input) -> Result<(String, Solution), Fault> {
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

/// `{"token", "kind", "presentation", "expires_in", ...}` and the presentation's fields:
/// `image` (a data URL) for a picture to read; `image` and `piece` for a slider; `image` and
/// `words` for a picture to click; ALTCHA's `algorithm`, `challenge`, `maxnumber`, `salt`,
/// `signature` for a proof of work.
fn puzzle(c: Challenge) -> serde_json::Value {
    let mut body = json!({
        "token": c.id,
        "kind": c.kind,
        "presentation": c.puzzle.presentation(),
        "expires_in": c.expires_in.as_secs(),
    });
    let fields = match c.puzzle {
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
    };
    if let (Some(body), serde_json::Value::Object(fields)) = (body.as_object_mut(), fields) {
        body.extend(fields);
    }
    body
}
