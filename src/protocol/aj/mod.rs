//! AJ-Captcha (anji-plus/captcha): `POST /captcha/get`, `/captcha/check`,
//! `/captcha/verify`, so that AJ's published widgets (web, Vue, React, Android, iOS,
//! Flutter, mini-programs) work with this crate unchanged.
//!
//! Every answer is HTTP 200 with AJ's envelope `{"repCode", "repMsg", "repData",
//! "success"}`: AJ's widgets read only the JSON. Images are bare base64 PNG in AJ's fixed
//! 310x155 frame; every challenge carries a 16-character `secretKey` the widget encrypts
//! `pointJson` with. A passed check mints AJ's second-stage ticket `captchaVerification`
//! (also returned in `repData`, which AJ's own server does not do), which the app's backend
//! spends once through `/captcha/verify` — or sends as `x-captcha-token` to a guarded
//! route.
//!
//! Everything of AJ's lives here: its `secretKey`, the AES of `pointJson` and of the ticket,
//! and the ticket's format (`crypto.rs`, with [`Captcha::challenge_key`](crate::Captcha::challenge_key)),
//! and its `CaptchaVO` (`vo.rs`).

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde::Serialize;

mod crypto;
mod vo;

pub(crate) use crypto::open_point_json;
pub(crate) use vo::CaptchaVo;

use super::driver::{Call, Done, json};
use super::input::BadBody;
use super::messages::{Message, text_with};
use super::{Adapter, Endpoint, Fault, Input, Lang, Route};
use crate::kind::{Kind, Size, Solution, trail_from_json};

const GET: Endpoint = Endpoint("get");
const CHECK: Endpoint = Endpoint("check");
const VERIFY: Endpoint = Endpoint("verify");

/// AJ-Captcha's routes, at `/captcha/get`, `/captcha/check` and `/captcha/verify` unless
/// moved with [`AjCaptcha::paths`].
#[derive(Debug, Clone)]
#[must_use]
pub struct AjCaptcha {
    get: String,
    check: String,
    verify: String,
}

impl Default for AjCaptcha {
    fn default() -> Self {
        Self::new()
    }
}

impl AjCaptcha {
    /// AJ-Captcha at its default paths.
    pub fn new() -> Self {
        Self {
            get: "/captcha/get".into(),
            check: "/captcha/check".into(),
            verify: "/captcha/verify".into(),
        }
    }

    /// AJ-Captcha at other paths (AJ's widgets take a base URL and append `/captcha/get`
    /// etc., so a prefix is the usual change).
    pub fn paths(
        mut self,
        get: impl Into<String>,
        check: impl Into<String>,
        verify: impl Into<String>,
    ) -> Self {
        self.get = get.into();
        self.check = check.into();
        self.verify = verify.into();
        self
    }
}

/// AJ's envelope.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    rep_code: &'static str,
    rep_msg: Option<String>,
    rep_data: Option<T>,
    success: bool,
}

#[derive(Debug, Serialize)]
struct Verified {
    result: bool,
}

fn kind_of(name: &str) -> Option<Kind> {
    match name {
        "blockPuzzle" => Some(Kind::SLIDER),
        "clickWord" => Some(Kind::CLICK_WORD),
        _ => None,
    }
}

fn required<'a>(input: &'a Input, name: &'static str) -> Result<&'a str, Fault> {
    match input.string(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(Fault::Field(name)),
    }
}

impl Adapter for AjCaptcha {
    fn name(&self) -> &'static str {
        "aj_captcha"
    }

    fn routes(&self) -> Vec<Route> {
        vec![
            Route::new(Method::POST, &self.get, GET),
            Route::new(Method::POST, &self.check, CHECK),
            Route::new(Method::POST, &self.verify, VERIFY),
        ]
    }

    fn parse(&self, endpoint: Endpoint, input: &Input) -> Result<Call, Fault> {
        match endpoint {
            GET => {
                let kind = kind_of(required(input, "captchaType")?).ok_or(Fault::Unsupported)?;
                // Ours: an optional `scope`, which this crate's widget sends; AJ's do not.
                let scope = match input.field("scope") {
                    None | Some(serde_json::Value::Null) => None,
                    Some(_) => Some(input.string("scope")?.to_owned()),
                };
                Ok(Call::Issue {
                    kind,
                    scope,
                    size: Some(Size::AJ_FRAME),
                    managed: false,
                })
            }
            CHECK => {
                kind_of(required(input, "captchaType")?).ok_or(Fault::Unsupported)?;
                let id = required(input, "token")?.to_owned();
                let (point_json, ticket) =
                    open_point_json(&input.captcha, &id, required(input, "pointJson")?);
                // Ours: the drag's trail, which this crate's widget sends; AJ's do not.
                let solution = match input.field("trail") {
                    None | Some(serde_json::Value::Null) => point_json,
                    Some(trail) => Solution::Drag {
                        end: Box::new(point_json),
                        trail: trail_from_json(trail),
                    },
                };
                Ok(Call::Check {
                    id,
                    solution,
                    ticket,
                })
            }
            _ => Ok(Call::Redeem {
                credential: required(input, "captchaVerification")?.to_owned(),
                scope: None,
            }),
        }
    }

    fn success(&self, _: Endpoint, done: Done, input: &Input, _: Lang) -> Response<Bytes> {
        match done {
            Done::Issued(c) => {
                let captcha_type = input.string("captchaType").ok().map(str::to_owned);
                ok(CaptchaVo {
                    captcha_type,
                    ..CaptchaVo::issued(c, &input.captcha)
                })
            }
            // The request's VO with `result: true` (and, ours, the ticket).
            Done::Checked(ticket) => ok(CaptchaVo {
                captcha_type: input.string("captchaType").ok().map(str::to_owned),
                token: input.string("token").ok().map(str::to_owned),
                point_json: input.string("pointJson").ok().map(str::to_owned),
                result: true,
                captcha_verification: Some(ticket.value),
                ..CaptchaVo::default()
            }),
            Done::Redeemed(_) => ok(Verified { result: true }),
            Done::Passed(_) => ok(Verified { result: true }),
            Done::Cached(reply) => reply,
        }
    }

    fn failure(&self, endpoint: Endpoint, fault: &Fault, lang: Lang) -> Response<Bytes> {
        let (code, message) = match fault {
            Fault::Body(BadBody::TooLarge) => ("0011", Message::AjBodyTooLarge),
            Fault::Body(_) => ("0011", Message::BodyNotObject),
            Fault::Method { .. } => ("0011", Message::AjUsePost),
            Fault::Unsupported | Fault::InvalidScope | Fault::UnknownClient | Fault::Forbidden => {
                ("0011", Message::AjCaptchaType)
            }
            Fault::Wrong { .. } => ("6111", Message::AjWrong),
            Fault::Locked | Fault::LockedOut { .. } => ("6202", Message::AjLockedOut),
            Fault::Unknown | Fault::Expired | Fault::Used | Fault::Credential(_) => {
                ("6110", Message::AjExpired)
            }
            Fault::RateLimited { .. } if endpoint == GET => ("6201", Message::AjGetLimited),
            Fault::RateLimited { .. } if endpoint == CHECK => ("6204", Message::AjCheckLimited),
            Fault::RateLimited { .. } => ("6205", Message::AjVerifyLimited),
            // AJ's own widgets cannot pay for pictures; ours does not use these routes.
            Fault::Work { .. } | Fault::NoClient => ("9999", Message::of(fault)),
            Fault::Busy => ("9999", Message::AjBusy),
            Fault::Field(name) => {
                return envelope(
                    "0011",
                    text_with("msg.aj_field_empty", lang, &[("name", name)]),
                );
            }
        };
        envelope(code, message.text(lang).to_owned())
    }
}

/// AJ's failure envelope (always HTTP 200: AJ's widgets read only the JSON).
fn envelope(code: &'static str, message: String) -> Response<Bytes> {
    json(
        StatusCode::OK,
        &Envelope::<()> {
            rep_code: code,
            rep_msg: Some(message),
            rep_data: None,
            success: false,
        },
    )
}

fn ok<T: Serialize>(data: T) -> Response<Bytes> {
    json(
        StatusCode::OK,
        &Envelope {
            rep_code: "0000",
            rep_msg: None,
            rep_data: Some(data),
            success: true,
        },
    )
}
