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
//! Everything of AJ's lives here: its `secretKey` (derived per challenge from the app's
//! secret with [`Captcha::challenge_key`], so nothing is sealed or stored for it), the
//! AES-128-ECB/PKCS#7 of `pointJson` and of the ticket (ECB is AJ's choice and part of its
//! wire format: the key is shown to the client, so it protects nothing against that
//! client), and the ticket's format, `token---pointJson`.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde::Serialize;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::driver::{BadBody, Call, Done, Fault, Input, Lang, Route, common_message, json};
use super::{Adapter, Protocol};
use crate::Captcha;
use crate::kind::{Kind, Puzzle, Size, Solution, points_from_json, trail_from_json};

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
    pub(crate) fn issued(c: crate::Challenge, captcha: &Captcha) -> Self {
        let b64 = |png: &[u8]| STANDARD.encode(png);
        let mut vo = CaptchaVo {
            secret_key: Some(secret_key(captcha, &c.id)),
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

    fn success(&self, _: u8, done: Done, input: &Input, _: Lang) -> Response<Bytes> {
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

/// Challenge `id`'s `secretKey`: 16 characters of `[A-Za-z0-9]` from its challenge key (the
/// small bias of `% 62` does not matter: the key is shown to the client).
pub(crate) fn secret_key(captcha: &Captcha, id: &str) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    captcha.challenge_key(id, "aj secretKey")[..16]
        .iter()
        .map(|b| char::from(CHARS[usize::from(b % 62)]))
        .collect()
}

/// Reads `pointJson` of challenge `id`: a point or points as JSON (`{"x":109.275,"y":5}`,
/// `[{"x":85,"y":34}, ...]`), plain or as base64 AES-128-ECB-PKCS7 under the challenge's
/// `secretKey`; numbers are truncated to whole pixels. Also returns AJ's ticket,
/// `AES(secretKey, id + "---" + the JSON exactly as received)`, which AJ's widgets compute
/// themselves. Anything that does not decrypt or parse is a solution no challenge accepts
/// (a wrong answer), and earns no ticket.
pub(crate) fn open_point_json(
    captcha: &Captcha,
    id: &str,
    point_json: &str,
) -> (Solution, Option<String>) {
    let key = secret_key(captcha, id);
    let text = point_json.trim();
    let plain = if text.starts_with(['{', '[']) {
        Some(text.to_owned())
    } else {
        aes_ecb_decrypt(&key, text)
    };
    let read = plain.as_deref().and_then(|plain| {
        let value = serde_json::from_str(plain).ok()?;
        Some((points_from_json(&value)?, plain))
    });
    match read {
        Some((solution, plain)) => (solution, aes_ecb_encrypt(&key, &format!("{id}---{plain}"))),
        None => (Solution::Points(Vec::new()), None),
    }
}

type Aes128EcbEnc = ecb::Encryptor<aes::Aes128>;
type Aes128EcbDec = ecb::Decryptor<aes::Aes128>;

/// base64(AES-128-ECB-PKCS7(`key`, `plaintext`)), as AJ computes it. `key` must be 16 bytes;
/// `None` otherwise.
fn aes_ecb_encrypt(key: &str, plaintext: &str) -> Option<String> {
    let cipher = Aes128EcbEnc::new_from_slice(key.as_bytes()).ok()?;
    Some(STANDARD.encode(cipher.encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes())))
}

/// The UTF-8 plaintext of base64 `ciphertext` under `key`; `None` if anything is off.
fn aes_ecb_decrypt(key: &str, ciphertext: &str) -> Option<String> {
    let cipher = Aes128EcbDec::new_from_slice(key.as_bytes()).ok()?;
    let bytes = STANDARD.decode(ciphertext.trim()).ok()?;
    let plain = cipher.decrypt_padded_vec_mut::<Pkcs7>(&bytes).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Point;

    /// The AES test vectors of the protocol documents (key `XwKsGlMcdPMEhR1B`).
    #[test]
    fn aj_aes_test_vectors() {
        let key = "XwKsGlMcdPMEhR1B";
        let vectors = [
            (r#"{"x":205,"y":5}"#, "a5StZg8JbrTwLtn46Xiang=="),
            (
                r#"{"x":205.48387096774192,"y":5}"#,
                "S6Q9HP2/HTbxo3ePSFeKbxo7HwlpQbd2DiS2EEZPgbs=",
            ),
            (
                r#"71dd26999e314f9abb0c635336976635---{"x":205,"y":5}"#,
                "G9SZygOxPyG0IeLT0t3AYuAvIWVTh9WAN5L7dAQCf8W/WjaQrg+BsRazH2v5gpqatH5tYuGSg0d62stK9A+PUA==",
            ),
            (
                r#"[{"x":85,"y":34},{"x":129,"y":56},{"x":233,"y":27}]"#,
                "lEqMck+1hJxwM1DFfBeMSDmeM2MLmW6FMFv9NvoLBVdrYob0MYAgN6OS3X4+Z1gXHGT4ZrScm2tL/Qp9L2OYvw==",
            ),
        ];
        for (plain, cipher) in vectors {
            assert_eq!(aes_ecb_encrypt(key, plain).as_deref(), Some(cipher));
            assert_eq!(aes_ecb_decrypt(key, cipher).as_deref(), Some(plain));
        }
        assert_eq!(aes_ecb_encrypt("short", "x"), None);
        assert_eq!(aes_ecb_decrypt(key, "not base64!"), None);
        assert_eq!(aes_ecb_decrypt(key, "AAAA"), None, "not a whole block");
    }

    #[test]
    fn point_json_is_read_plain_or_under_the_challenges_key_and_makes_ajs_ticket() {
        let captcha = Captcha::builder()
            .secret([3u8; 32].to_vec())
            .build()
            .unwrap();
        let key = secret_key(&captcha, "tok");
        assert_eq!(key.len(), 16);
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(key, secret_key(&captcha, "tok2"));
        let json = r#"{"x":109.275,"y":5}"#;
        let (plain, ticket) = open_point_json(&captcha, "tok", json);
        assert_eq!(plain, Solution::Point(Point::new(109, 5)));
        let ticket = ticket.unwrap();
        assert_eq!(
            aes_ecb_decrypt(&key, &ticket).as_deref(),
            Some(r#"tok---{"x":109.275,"y":5}"#)
        );
        let sealed = aes_ecb_encrypt(&key, json).unwrap();
        assert_eq!(
            open_point_json(&captcha, "tok", &sealed),
            (Solution::Point(Point::new(109, 5)), Some(ticket))
        );
        // Under another challenge's key, or garbage: a wrong answer, no ticket.
        assert_eq!(
            open_point_json(&captcha, "tok2", &sealed),
            (Solution::Points(Vec::new()), None)
        );
        for bad in ["", "{", "[1,2]", "not base64 and no key"] {
            assert_eq!(open_point_json(&captcha, "tok", bad).1, None, "{bad:?}");
        }
    }
}
