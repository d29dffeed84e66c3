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

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde::Serialize;

use super::driver::{BadBody, Call, Done, Fault, Input, Lang, Route, common_message, json};
use super::{Adapter, Protocol};
use crate::kind::{Kind, Puzzle, Size, Solution, TrailPoint};

const GET: u8 = 0;
const CHECK: u8 = 1;
const VERIFY: u8 = 2;

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

impl From<AjCaptcha> for Protocol {
    fn from(p: AjCaptcha) -> Self {
        Protocol(std::sync::Arc::new(p))
    }
}

/// AJ's `CaptchaVO`, fields in AJ's order; unused ones are `null`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaptchaVo {
    pub(crate) captcha_id: Option<String>,
    pub(crate) project_code: Option<String>,
    /// Left out entirely where a protocol's VO has no such field (IDaaS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) captcha_type: Option<String>,
    pub(crate) captcha_original_path: Option<String>,
    pub(crate) captcha_font_type: Option<String>,
    pub(crate) captcha_font_size: Option<String>,
    pub(crate) secret_key: Option<String>,
    pub(crate) original_image_base64: Option<String>,
    pub(crate) point: Option<String>,
    pub(crate) jigsaw_image_base64: Option<String>,
    pub(crate) word_list: Option<Vec<String>>,
    pub(crate) point_list: Option<String>,
    pub(crate) point_json: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) result: bool,
    pub(crate) captcha_verification: Option<String>,
}

impl CaptchaVo {
    /// The VO of an issued challenge: its images as bare base64, its words, token and key.
    pub(crate) fn issued(c: crate::Challenge) -> Self {
        use base64::Engine as _;
        let b64 = |png: &[u8]| base64::engine::general_purpose::STANDARD.encode(png);
        let mut vo = CaptchaVo {
            secret_key: c.secret_key,
            token: Some(c.id),
            ..CaptchaVo::default()
        };
        match c.puzzle {
            Puzzle::Slider { background, piece } => {
                vo.original_image_base64 = Some(b64(&background));
                vo.jigsaw_image_base64 = Some(b64(&piece));
            }
            Puzzle::ClickWord { image, words } => {
                vo.original_image_base64 = Some(b64(&image));
                vo.word_list = Some(words);
            }
            Puzzle::Image { png } => vo.original_image_base64 = Some(b64(&png)),
            // AJ's routes never issue a proof of work.
            Puzzle::Work { .. } => {}
        }
        vo
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
        "blockPuzzle" => Some(Kind::Slider),
        "clickWord" => Some(Kind::ClickWord),
        _ => None,
    }
}

/// A trail as sent: `[[t, x, y], ...]`, at most 64 samples; anything else is an empty trail
/// (which no hand makes).
fn trail_of(value: &serde_json::Value) -> Vec<TrailPoint> {
    let Some(items) = value.as_array().filter(|a| a.len() <= 64) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|s| {
            let s = s.as_array()?;
            let n = |i: usize| {
                s.get(i)?
                    .as_f64()
                    .filter(|v| v.is_finite())
                    .map(|v| v as f32)
            };
            Some(TrailPoint {
                t: n(0)?,
                x: n(1)?,
                y: n(2)?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default()
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

    fn parse(&self, endpoint: u8, input: &Input) -> Result<Call, Fault> {
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
                    secret_key: true,
                })
            }
            CHECK => {
                kind_of(required(input, "captchaType")?).ok_or(Fault::Unsupported)?;
                let id = required(input, "token")?.to_owned();
                let point_json = Solution::PointJson(required(input, "pointJson")?.to_owned());
                // Ours: the drag's trail, which this crate's widget sends; AJ's do not.
                let solution = match input.field("trail") {
                    None | Some(serde_json::Value::Null) => point_json,
                    Some(trail) => Solution::Drag {
                        end: Box::new(point_json),
                        trail: trail_of(trail),
                    },
                };
                Ok(Call::Check { id, solution })
            }
            _ => Ok(Call::Redeem {
                credential: required(input, "captchaVerification")?.to_owned(),
                scope: None,
            }),
        }
    }

    fn success(&self, _: u8, done: Done, input: &Input, _: Lang) -> Response<Bytes> {
        match done {
            Done::Issued(c) => {
                let captcha_type = input.string("captchaType").ok().map(str::to_owned);
                ok(CaptchaVo {
                    captcha_type,
                    ..CaptchaVo::issued(c)
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

    fn failure(&self, endpoint: u8, fault: &Fault, lang: Lang) -> Response<Bytes> {
        let (code, message): (&'static str, String) = match fault {
            Fault::Field(name) => (
                "0011",
                match lang {
                    Lang::En => format!("{name} must not be empty"),
                    Lang::Zh => format!("{name}不能为空"),
                },
            ),
            Fault::Body(BadBody::TooLarge) => {
                ("0011", msg(lang, "request body too large", "请求体过大"))
            }
            Fault::Body(_) => (
                "0011",
                msg(
                    lang,
                    "the request body must be a JSON object",
                    "请求体须为 JSON 对象",
                ),
            ),
            Fault::Method { .. } => ("0011", msg(lang, "use POST", "请使用 POST 请求")),
            Fault::Unsupported | Fault::InvalidScope | Fault::UnknownClient | Fault::Forbidden => (
                "0011",
                msg(
                    lang,
                    "captchaType must be blockPuzzle or clickWord",
                    "captchaType 须为 blockPuzzle 或 clickWord",
                ),
            ),
            Fault::Wrong { .. } => ("6111", msg(lang, "Verification failed", "验证失败")),
            Fault::Locked | Fault::LockedOut { .. } => (
                "6202",
                msg(
                    lang,
                    "Too many failed verifications, please try again later",
                    "接口验证失败数过多，请稍后再试",
                ),
            ),
            Fault::Unknown | Fault::Expired | Fault::Used | Fault::Credential(_) => (
                "6110",
                msg(
                    lang,
                    "The captcha has expired, please get a new one",
                    "验证码已失效，请重新获取",
                ),
            ),
            Fault::RateLimited { .. } => match endpoint {
                GET => (
                    "6201",
                    msg(
                        lang,
                        "Too many requests for a captcha, please try again later",
                        "get接口请求次数超限，请稍后再试!",
                    ),
                ),
                CHECK => (
                    "6204",
                    msg(
                        lang,
                        "Too many verification attempts, please try again later",
                        "check接口请求次数超限，请稍后再试!",
                    ),
                ),
                _ => (
                    "6205",
                    msg(
                        lang,
                        "Too many verify requests, please try again later",
                        "verify请求次数超限!",
                    ),
                ),
            },
            // AJ's own widgets cannot pay for pictures; ours does not use these routes' codes.
            Fault::Work { .. } => ("9999", common_message(fault, lang).into_owned()),
            Fault::Busy => (
                "9999",
                msg(
                    lang,
                    "Server busy, please try again later",
                    "服务器内部异常",
                ),
            ),
            Fault::NoClient => ("9999", common_message(fault, lang).into_owned()),
        };
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
}

fn msg(lang: Lang, en: &'static str, zh: &'static str) -> String {
    lang.pick(en, zh).to_owned()
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
