//! A request as a protocol sees it: the head, and the body's fields (capped JSON or form),
//! read once for every protocol.

use http::HeaderMap;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use serde_json::{Map, Value};

use super::fault::Fault;
use crate::Captcha;

/// Largest request body read by the captcha routes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Why a request body could not be read into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadBody {
    TooLarge,
    /// Not all of it arrived within the body timeout.
    TooSlow,
    UnsupportedType,
    Malformed,
}

/// A request as a protocol sees it: the head, and the body's fields for `POST` routes.
#[derive(Debug)]
pub(crate) struct Input {
    pub(crate) parts: Parts,
    fields: Map<String, Value>,
    /// The engine, for protocols that derive values from it (AJ's per-challenge key).
    pub(crate) captcha: Captcha,
}

impl Input {
    pub(crate) fn new(parts: Parts, fields: Map<String, Value>, captcha: Captcha) -> Self {
        Self {
            parts,
            fields,
            captcha,
        }
    }

    /// A field of the body that must be a string.
    pub(crate) fn string(&self, name: &'static str) -> Result<&str, Fault> {
        self.fields
            .get(name)
            .and_then(Value::as_str)
            .ok_or(Fault::Field(name))
    }

    /// Header `name` as text (`None` when absent or not visible ASCII).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A field of the body, whatever its type (`None` when absent).
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// Query parameter `name`, percent-decoded.
    pub(crate) fn query(&self, name: &str) -> Option<String> {
        query_param(self.parts.uri.query(), name)
    }
}

/// Reads a body of at most [`MAX_BODY_BYTES`] as JSON (content type JSON or none) or as
/// `application/x-www-form-urlencoded`.
pub(crate) async fn read_fields<B>(
    headers: &HeaderMap,
    body: B,
) -> Result<Map<String, Value>, BadBody>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(BadBody::TooLarge);
    }
    let mime = headers.get(CONTENT_TYPE).map(|v| {
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
        return Ok(form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(BadBody::Malformed),
    }
}

/// The value of query parameter `name`, percent-decoded.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

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
