//! Auth v1, the native protocol: `GET /auth/v1/captcha/data` and
//! `POST /auth/v1/captcha/data/verify` exactly as the seed document fixes them for text, and
//! beside them what every other kind needs: `?kind=<name>` on the issue route (any kind the
//! engine offers, answered with its puzzle's JSON), the solution shapes of every puzzle on
//! the verify route, `GET /auth/v1/captcha/data/kinds` (which kinds this server serves, and
//! which of them can be listened to) and `GET /auth/v1/captcha/data/audio?token=<token>` (a
//! challenge spoken, as a WAV file: the same answer as its picture).
//! This crate's widget speaks only this protocol. Its shapes are the crate's own
//! (`native.rs`).

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::json;

use super::driver::{Call, Done, json, png_data_url};
use super::{Adapter, Endpoint, Fault, Input, Lang, Route, native};
use crate::kind::Kind;

/// Default path of the issue route.
pub const ISSUE_PATH: &str = "/auth/v1/captcha/data";
/// Default path of the verify route.
pub const VERIFY_PATH: &str = "/auth/v1/captcha/data/verify";
/// Default path of the route that lists the kinds served (the issue path + `/kinds`).
pub const KINDS_PATH: &str = "/auth/v1/captcha/data/kinds";

const ISSUE: Endpoint = Endpoint("issue");
const VERIFY: Endpoint = Endpoint("verify");
const KINDS: Endpoint = Endpoint("kinds");
const AUDIO: Endpoint = Endpoint("audio");

/// Auth v1: `GET` issue → `{"token", "image", "expires_in"}` (optional query
/// `scope=<name>`; `kind=<name>` for any kind, answered with its puzzle), `POST` verify
/// `{"token", "key"}` (or `"point"`, `"points"`, `"payload"` for other puzzles) →
/// `{"captcha_token", "expires_in"}`; `GET <issue path>/kinds` → `{"kinds": [...], "audio":
/// [...]}`; `GET <issue path>/audio?token=<token>` → `audio/wav`; errors
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
    /// Auth v1 at [`ISSUE_PATH`] and [`VERIFY_PATH`] (and [`KINDS_PATH`]).
    pub fn new() -> Self {
        Self {
            issue_path: ISSUE_PATH.into(),
            verify_path: VERIFY_PATH.into(),
        }
    }

    /// Auth v1 at other paths (the kinds route follows the issue path).
    pub fn paths(mut self, issue: impl Into<String>, verify: impl Into<String>) -> Self {
        self.issue_path = issue.into();
        self.verify_path = verify.into();
        self
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
            Route::new(Method::GET, &format!("{}/audio", self.issue_path), AUDIO),
        ]
    }

    fn parse(&self, endpoint: Endpoint, input: &Input) -> Result<Call, Fault> {
        match endpoint {
            ISSUE => {
                let kind = input.query("kind");
                let managed = kind.as_deref() == Some("managed");
                Ok(Call::Issue {
                    kind: match kind {
                        Some(_) if managed => Kind::POW,
                        Some(name) => Kind::parse(&name).ok_or(Fault::Unsupported)?,
                        None => Kind::TEXT,
                    },
                    scope: input.query("scope"),
                    size: None,
                    managed,
                })
            }
            KINDS => {
                let captcha = &input.captcha;
                let kinds: Vec<String> = captcha.kinds().map(|k| k.to_string()).collect();
                let audio: Vec<String> = captcha.spoken_kinds().map(|k| k.to_string()).collect();
                Ok(Call::Cached(json(
                    StatusCode::OK,
                    &json!({ "kinds": kinds, "audio": audio }),
                )))
            }
            AUDIO => Ok(Call::Listen {
                id: input.query("token").ok_or(Fault::Field("token"))?,
            }),
            _ => {
                let (id, solution) = native::solution(input)?;
                Ok(Call::Verify { id, solution })
            }
        }
    }

    fn success(&self, _: Endpoint, done: Done, input: &Input, _: Lang) -> Response<Bytes> {
        let body = match done {
            // Asked for by kind: the puzzle's own JSON. The seed's answer otherwise.
            Done::Issued(c) if input.query("kind").is_some() => {
                let mut body = json!({
                    "token": c.id,
                    "kind": c.kind,
                    "presentation": c.puzzle.presentation(),
                    "expires_in": c.expires_in.as_secs(),
                });
                if let (Some(body), serde_json::Value::Object(fields)) =
                    (body.as_object_mut(), native::puzzle_fields(c.puzzle))
                {
                    body.extend(fields);
                }
                body
            }
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

    fn failure(&self, _: Endpoint, fault: &Fault, lang: Lang) -> Response<Bytes> {
        native::failure(fault, lang)
    }
}
