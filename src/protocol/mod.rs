//! Protocol adapters: each maps one wire format onto the engine — parse, call, shape the
//! JSON, map errors to that protocol's codes. No business logic lives here.
//!
//! This module holds what every adapter shares: reading a capped JSON or form body, the
//! response language, and JSON responses.

pub(crate) mod auth_v1;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use serde::Serialize;
use serde_json::{Map, Value};

/// Largest request body read by the captcha routes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The language error messages are given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    Zh,
}

impl Lang {
    /// `X-L` if present, else the first `Accept-Language` entry; English by default.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let pick = |name: &str| {
            headers.get(name).and_then(|v| v.to_str().ok()).map(|v| {
                v.trim_start()
                    .get(..2)
                    .is_some_and(|p| p.eq_ignore_ascii_case("zh"))
            })
        };
        match pick("x-l").or_else(|| pick("accept-language")) {
            Some(true) => Lang::Zh,
            _ => Lang::En,
        }
    }

    pub(crate) fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

/// Why a request body could not be read into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadBody {
    TooLarge,
    UnsupportedType,
    Malformed,
    /// A required field is missing or not a string.
    Field(&'static str),
}

/// The fields of a JSON object or form body.
#[derive(Debug)]
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    /// A required string field.
    pub(crate) fn string(&self, name: &'static str) -> Result<&str, BadBody> {
        self.0
            .get(name)
            .and_then(Value::as_str)
            .ok_or(BadBody::Field(name))
    }
}

/// Reads a body of at most [`MAX_BODY_BYTES`] as JSON (content type JSON or none) or as
/// `application/x-www-form-urlencoded`.
pub(crate) async fn read_fields<B>(req: Request<B>) -> Result<Fields, BadBody>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(BadBody::TooLarge);
    }
    let mime = parts.headers.get(CONTENT_TYPE).map(|v| {
        v.to_str()
            .unwrap_or("?")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let form = match mime.as_deref() {
        None => false,
        Some(m) if m == "application/json" || m.ends_with("+json") => false,
        Some("application/x-www-form-urlencoded") => true,
        Some(_) => return Err(BadBody::UnsupportedType),
    };
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(BadBody::TooLarge),
        Err(_) => return Err(BadBody::Malformed),
    };
    if form {
        let map = form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(Fields(map));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(Fields(map)),
        _ => Err(BadBody::Malformed),
    }
}

/// The value of query parameter `name`, percent-decoded.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A JSON response that no cache keeps.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut res = Response::new(Bytes::from(bytes));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The error shape shared by Auth v1 and the guard:
/// `{"error", "error_code", "error_description"}` plus optional extras.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: &'static str,
    pub(crate) error_code: u16,
    pub(crate) error_description: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attempts_left: Option<u32>,
}

/// An error in the shared shape, with `retry-after` when given.
pub(crate) fn error_response(
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<std::time::Duration>,
) -> Response<Bytes> {
    let mut res = json(status, &body);
    if let Some(wait) = retry_after {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        res.headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    res
}

/// `data:image/png;base64,...`
pub(crate) fn png_data_url(png: &[u8]) -> String {
    use base64::Engine as _;
    let mut s = String::with_capacity(22 + png.len() * 4 / 3 + 4);
    s.push_str("data:image/png;base64,");
    base64::engine::general_purpose::STANDARD.encode_string(png, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_x_l_then_accept_language() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_headers(&h), Lang::En);
        h.insert(
            "accept-language",
            HeaderValue::from_static("zh-CN,zh;q=0.9"),
        );
        assert_eq!(Lang::from_headers(&h), Lang::Zh);
        h.insert("x-l", HeaderValue::from_static("en"));
        assert_eq!(Lang::from_headers(&h), Lang::En);
        h.insert("x-l", HeaderValue::from_static("z"));
        assert_eq!(Lang::from_headers(&h), Lang::En);
    }

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(
            query_param(Some("a=1&scope=log%69n"), "scope").as_deref(),
            Some("login")
        );
        assert_eq!(query_param(Some("a=1"), "scope"), None);
        assert_eq!(query_param(None, "scope"), None);
    }
}
