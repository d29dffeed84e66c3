//! Auth v1, the native protocol: `GET /auth/v1/captcha/data` and
//! `POST /auth/v1/captcha/data/verify`.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::json;

use super::driver::{
    Call, Done, ErrorBody, Fault, Input, Lang, Route, common_message, json, png_data_url,
};
use super::{Adapter, Protocol};
use crate::kind::{Kind, Solution};

/// Default path of the issue route.
pub const ISSUE_PATH: &str = "/auth/v1/captcha/data";
/// Default path of the verify route.
pub const VERIFY_PATH: &str = "/auth/v1/captcha/data/verify";

const ISSUE: u8 = 0;
const VERIFY: u8 = 1;

/// Auth v1: `GET` issue → `{"token", "image", "expires_in"}` (optional query
/// `scope=<name>`), `POST` verify `{"token", "key"}` → `{"captcha_token", "expires_in"}`;
/// errors `{"error", "error_code", "error_description"}` with 4xx/5xx statuses.
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
        ]
    }

    fn parse(&self, endpoint: u8, input: &Input) -> Result<Call, Fault> {
        if endpoint == ISSUE {
            return Ok(Call::Issue {
                kind: Kind::TEXT,
                scope: input.query("scope"),
                size: None,
            });
        }
        let id = input.string("token")?.to_owned();
        let key = input.string("key")?;
        Ok(Call::Verify {
            id,
            solution: Solution::from(key),
        })
    }

    fn success(&self, _: u8, done: Done, _: &Input, _: Lang) -> Response<Bytes> {
        let body = match done {
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
