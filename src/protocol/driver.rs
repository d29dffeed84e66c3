//! The one protocol driver: everything every wire format shares, written once.
//!
//! A request to a mounted route goes through [`serve`]: read the body (capped JSON or form)
//! for `POST` routes, pick the language, let the protocol [parse](Adapter::parse) it into a
//! [`Call`], run the call on the engine, map engine errors to a [`Fault`] (here, once), and
//! let the protocol shape the success or the fault in its own envelope and code table.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Adapter;
use crate::client::ClientKey;
use crate::error::{IssueError, RedeemError, VerifyError};
use crate::kind::{Kind, Size, Solution};
use crate::pass::{Pass, PassClaims, Ticket};
use crate::{Captcha, Challenge};

/// Largest request body read by the captcha routes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The header an issue request carries its solved proof of work in, when pictures cost one
/// ([`CaptchaBuilder::require_work_for_pictures`](crate::CaptchaBuilder::require_work_for_pictures)).
pub const WORK_HEADER: &str = "x-captcha-work";

/// One route of a protocol: its method, path and which of the protocol's endpoints it is.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) endpoint: u8,
}

impl Route {
    pub(crate) fn new(method: Method, path: &str, endpoint: u8) -> Self {
        Self {
            method,
            path: path.to_owned(),
            endpoint,
        }
    }
}

/// What a route asks the engine to do.
#[derive(Debug)]
pub(crate) enum Call {
    /// Issue a challenge.
    Issue {
        kind: Kind,
        scope: Option<String>,
        size: Option<Size>,
    },
    /// Verify a solution and mint a pass.
    Verify { id: String, solution: Solution },
    /// Verify a solution and mint a second-stage ticket, of the protocol's making or random.
    Check {
        id: String,
        solution: Solution,
        ticket: Option<String>,
    },
    /// Redeem a credential (a pass or a ticket) once, for the requesting client (counted
    /// against its redeem budget).
    Redeem {
        credential: String,
        scope: Option<String>,
    },
    /// Redeem a credential once for a backend that names the client itself (siteverify's
    /// `remoteip`): not rate limited, the backend authenticated itself with a secret — but
    /// refused while that backend is over its count of wrong secrets ([`Call::WrongSecret`]),
    /// so that a right guess is never told apart.
    RedeemFor {
        credential: String,
        client: Option<ClientKey>,
        /// A key under which a successful answer is remembered in the store (shared by every
        /// instance) and replayed to a repeat of the call (siteverify's idempotency).
        replay: Option<[u8; 16]>,
    },
    /// No engine call: a protocol's fixed answer (a static file, a key set).
    Cached(Response<Bytes>),
    /// A wrong secret (siteverify): counted against the caller, refused as
    /// [`Fault::Forbidden`] until it has sent too many, then as rate limited.
    WrongSecret,
}

/// What the engine answered to a [`Call`].
#[derive(Debug)]
pub(crate) enum Done {
    Issued(Challenge),
    Passed(Pass),
    Checked(Ticket),
    Redeemed(PassClaims),
    Cached(Response<Bytes>),
}

/// Every way a captcha request can fail, in protocol-neutral terms. Protocols map these to
/// their own codes and messages.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The body could not be read as fields.
    Body(BadBody),
    /// A required field is missing, empty where it must not be, or of the wrong type.
    Field(&'static str),
    /// The path exists with other methods, listed in `allow`.
    Method { allow: String },
    /// The scope is not 1–32 characters of `A-Z a-z 0-9 _ - .`.
    InvalidScope,
    /// The protocol asked for something this engine does not offer (a kind, a size).
    Unsupported,
    /// A client id that is not registered (IDaaS).
    UnknownClient,
    /// The caller's own credentials are wrong (siteverify's secret).
    Forbidden,
    /// A wrong solution; the challenge stays valid while `attempts_left > 0`.
    Wrong { attempts_left: u32 },
    /// Not a challenge we issued.
    Unknown,
    /// The challenge's time ran out.
    Expired,
    /// The challenge was already solved.
    Used,
    /// The challenge was locked by too many wrong answers.
    Locked,
    /// The client is locked out after too many wrong answers.
    LockedOut { retry_after: Duration },
    /// The client is over its rate limit.
    RateLimited { retry_after: Duration },
    /// The server cannot serve it now: store down or full, drawing or signing failed.
    Busy,
    /// The server cannot tell its clients apart (no client address), so per-client limits
    /// cannot work: a configuration mistake, refused loudly (see the layer's log line).
    NoClient,
    /// Pictures cost a solved proof of work: none was given (`required`), or it was refused.
    Work { required: bool },
    /// A credential was refused (never `Busy`, which is [`Fault::Busy`]).
    Credential(RedeemError),
}

impl From<IssueError> for Fault {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::RateLimited { retry_after } => Fault::RateLimited { retry_after },
            IssueError::InvalidScope => Fault::InvalidScope,
            IssueError::InvalidSize(..) | IssueError::UnsupportedKind => Fault::Unsupported,
            IssueError::Draw | IssueError::Busy(_) | IssueError::Overloaded => Fault::Busy,
            IssueError::WorkRequired => Fault::Work { required: true },
            IssueError::WorkRefused => Fault::Work { required: false },
        }
    }
}

impl From<VerifyError> for Fault {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Wrong { attempts_left } => Fault::Wrong { attempts_left },
            // A challenge of a kind not offered here (a newer instance's): the client should
            // get a new one, as for any challenge not recognised.
            VerifyError::Unknown | VerifyError::UnknownKind(_) => Fault::Unknown,
            VerifyError::Expired => Fault::Expired,
            VerifyError::Used => Fault::Used,
            VerifyError::Locked => Fault::Locked,
            VerifyError::LockedOut { retry_after } => Fault::LockedOut { retry_after },
            VerifyError::RateLimited { retry_after } => Fault::RateLimited { retry_after },
            VerifyError::Busy(_) | VerifyError::Sign => Fault::Busy,
        }
    }
}

impl From<RedeemError> for Fault {
    fn from(e: RedeemError) -> Self {
        match e {
            RedeemError::Busy(_) => Fault::Busy,
            RedeemError::RateLimited { retry_after } => Fault::RateLimited { retry_after },
            other => Fault::Credential(other),
        }
    }
}

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

/// Serves one request to `endpoint` of `adapter`.
pub(crate) async fn serve<B>(
    adapter: &dyn Adapter,
    route: &Route,
    captcha: &Captcha,
    req: Request<B>,
    client: Option<ClientKey>,
    body_timeout: Duration,
) -> Response<Bytes>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let res = serve_inner(adapter, route, captcha, req, client, body_timeout).await;
    crate::metrics::request(adapter.name(), &route.path, res.status().as_u16());
    res
}

async fn serve_inner<B>(
    adapter: &dyn Adapter,
    route: &Route,
    captcha: &Captcha,
    req: Request<B>,
    client: Option<ClientKey>,
    body_timeout: Duration,
) -> Response<Bytes>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let lang = Lang::from_headers(req.headers());
    let (parts, body) = req.into_parts();
    let fields = if route.method == Method::POST {
        let read = tokio::time::timeout(body_timeout, read_fields(&parts.headers, body)).await;
        match read.unwrap_or(Err(BadBody::TooSlow)) {
            Ok(fields) => fields,
            Err(e) => return finish(adapter.failure(route.endpoint, &Fault::Body(e), lang), None),
        }
    } else {
        Map::new()
    };
    let input = Input {
        parts,
        fields,
        captcha: captcha.clone(),
    };
    let (result, replay) = match adapter.parse(route.endpoint, &input) {
        Ok(call) => {
            let replay = match &call {
                Call::RedeemFor { replay, .. } => *replay,
                _ => None,
            };
            (
                run(captcha, call, client, input.header(WORK_HEADER)).await,
                replay,
            )
        }
        Err(fault) => (Err(fault), None),
    };
    match result {
        Ok(done) => {
            // A fresh redemption's answer is kept until the pass it answered for expires.
            let expires = match &done {
                Done::Redeemed(claims) => Some(claims.exp),
                _ => None,
            };
            let res = adapter.success(route.endpoint, done, &input, lang);
            if let (Some(key), Some(exp)) = (replay, expires)
                && res.status() == StatusCode::OK
            {
                captcha.remember_reply(key, res.body(), exp).await;
            }
            res
        }
        Err(fault) => finish(adapter.failure(route.endpoint, &fault, lang), Some(&fault)),
    }
}

/// The answer to a captcha request whose client the server cannot tell (no peer address,
/// and no identity that does without one).
pub(crate) fn refused_without_client(
    adapter: &dyn Adapter,
    route: &Route,
    headers: &HeaderMap,
) -> Response<Bytes> {
    let res = adapter.failure(
        route.endpoint,
        &Fault::NoClient,
        Lang::from_headers(headers),
    );
    crate::metrics::request(adapter.name(), &route.path, res.status().as_u16());
    res
}

/// The answer to a request for a mounted path with a method it does not serve.
pub(crate) fn method_not_allowed(
    adapter: &dyn Adapter,
    route: &Route,
    headers: &HeaderMap,
    allow: String,
) -> Response<Bytes> {
    let fault = Fault::Method { allow };
    let res = adapter.failure(route.endpoint, &fault, Lang::from_headers(headers));
    finish(res, Some(&fault))
}

/// Headers every protocol's fault response carries: `retry-after`, `allow`, and
/// `x-captcha-work: required` when a picture costs a proof of work (whatever the protocol's
/// own code for it, a client can tell from this header that it should pay and retry).
fn finish(mut res: Response<Bytes>, fault: Option<&Fault>) -> Response<Bytes> {
    match fault {
        Some(Fault::Work { .. }) => {
            res.headers_mut()
                .insert(WORK_HEADER, HeaderValue::from_static("required"));
        }
        Some(Fault::RateLimited { retry_after } | Fault::LockedOut { retry_after }) => {
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            res.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        Some(Fault::Method { allow }) => {
            if let Ok(v) = HeaderValue::from_str(allow) {
                res.headers_mut().insert(ALLOW, v);
            }
        }
        _ => {}
    }
    res
}

async fn run(
    captcha: &Captcha,
    call: Call,
    client: Option<ClientKey>,
    work: Option<&str>,
) -> Result<Done, Fault> {
    Ok(match call {
        Call::Issue { kind, scope, size } => {
            let issue = captcha.issue(kind).scope(scope.as_deref()).size(size);
            Done::Issued(issue.client_key(client).work(work).await?)
        }
        Call::Verify { id, solution } => {
            Done::Passed(captcha.verify(&id, solution).client_key(client).await?)
        }
        Call::Check {
            id,
            solution,
            ticket,
        } => {
            let check = captcha.check(&id, solution).client_key(client);
            let check = match ticket {
                Some(value) => check.ticket(value),
                None => check,
            };
            Done::Checked(check.await?)
        }
        Call::Cached(reply) => Done::Cached(reply),
        Call::WrongSecret => {
            return Err(match captcha.secret_guess(client, true).await {
                Ok(()) => Fault::Forbidden,
                Err(retry_after) => Fault::RateLimited { retry_after },
            });
        }
        Call::Redeem { credential, scope } => Done::Redeemed(
            captcha
                .redeem(&credential)
                .scope(scope.as_deref())
                .client_key(client)
                .rate_limited()
                .await?,
        ),
        Call::RedeemFor {
            credential,
            client: named,
            replay,
        } => {
            // The caller's secret was right; one that guessed too often is refused all the
            // same, so that the answer never tells a right guess apart.
            if let Err(retry_after) = captcha.secret_guess(client, false).await {
                return Err(Fault::RateLimited { retry_after });
            }
            let client = named;
            let recall = || async move {
                match replay {
                    Some(key) => captcha.recall_reply(key).await,
                    None => None,
                }
            };
            if let Some(reply) = recall().await {
                return Ok(Done::Cached(json_bytes(StatusCode::OK, reply)));
            }
            match captcha.redeem(&credential).client_key(client).await {
                Ok(claims) => Done::Redeemed(claims),
                // A repeat that raced the first call (a backend retrying after a timeout): the
                // first call's answer is on its way to the store; wait for it a little.
                Err(RedeemError::Used) if replay.is_some() => {
                    let mut reply = recall().await;
                    for _ in 0..10 {
                        if reply.is_some() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        reply = recall().await;
                    }
                    match reply {
                        Some(reply) => Done::Cached(json_bytes(StatusCode::OK, reply)),
                        None => return Err(RedeemError::Used.into()),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    })
}

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

/// Messages for faults every protocol words the same way.
pub(crate) fn common_message(fault: &Fault, lang: Lang) -> Cow<'static, str> {
    let text = match fault {
        Fault::Body(BadBody::TooLarge) => {
            lang.pick("request body larger than 16 KiB", "请求体超过 16 KiB")
        }
        Fault::Body(BadBody::TooSlow) => lang.pick(
            "the request body did not arrive in time",
            "请求体未能及时送达",
        ),
        Fault::Body(BadBody::UnsupportedType) => lang.pick(
            "body must be application/json or application/x-www-form-urlencoded: send a JSON body with the header `content-type: application/json`",
            "请求体须为 application/json 或 application/x-www-form-urlencoded：发送 JSON 时请带上请求头 content-type: application/json",
        ),
        Fault::Body(BadBody::Malformed) => {
            lang.pick("body must be a JSON object", "请求体须为 JSON 对象")
        }
        Fault::Field(name) => {
            return match lang {
                Lang::En => format!("field `{name}` is required and must be a string").into(),
                Lang::Zh => format!("字段 {name} 必填且须为字符串").into(),
            };
        }
        Fault::Method { .. } => {
            lang.pick("method not allowed on this route", "此路由不支持该请求方法")
        }
        Fault::InvalidScope => lang.pick(
            "scope must be 1-32 characters of A-Z a-z 0-9 _ - .",
            "scope 须为 1-32 个字符（A-Z a-z 0-9 _ - .）",
        ),
        Fault::Unsupported => lang.pick(
            "this kind of captcha is not offered here",
            "此处不提供该类验证码",
        ),
        Fault::UnknownClient => lang.pick("unknown client", "未知客户端"),
        Fault::Forbidden => lang.pick("forbidden", "禁止访问"),
        Fault::RateLimited { .. } => lang.pick(
            "Too many requests, please try again later",
            "请求过于频繁，请稍后再试",
        ),
        Fault::Busy => lang.pick(
            "Server busy, please try again later",
            "系统繁忙，请稍后再试",
        ),
        Fault::NoClient => lang.pick(
            "The captcha cannot tell clients apart on this server (no client address); the server log says how to fix it",
            "验证码服务无法区分客户端（缺少客户端地址），请查看服务器日志",
        ),
        Fault::Wrong { .. } => lang.pick("Verification failed", "验证失败"),
        Fault::Expired => lang.pick(
            "Verification code expired, please get new one",
            "验证码已过期，请重新获取",
        ),
        // Not a challenge of ours (garbage, or another app's): not "expired".
        Fault::Unknown => lang.pick(
            "Verification code not recognised, please get new one",
            "验证码无效，请重新获取",
        ),
        Fault::Used => lang.pick(
            "Verification code already used, please get new one",
            "验证码已使用，请重新获取",
        ),
        Fault::Locked => lang.pick(
            "Too many failed attempts, please get a new one",
            "失败次数过多，请重新获取",
        ),
        Fault::LockedOut { .. } => lang.pick(
            "Too many failed attempts, please try again later",
            "失败次数过多，请稍后再试",
        ),
        Fault::Credential(_) => lang.pick("Invalid captcha token", "人机验证凭证无效"),
        Fault::Work { required: true } => lang.pick(
            "a solved proof of work is required first (header x-captcha-work)",
            "请先完成工作量证明（请求头 x-captcha-work）",
        ),
        Fault::Work { required: false } => lang.pick(
            "the proof of work was refused, please solve a new one",
            "工作量证明无效，请重新计算",
        ),
    };
    Cow::Borrowed(text)
}

/// Reads a body of at most [`MAX_BODY_BYTES`] as JSON (content type JSON or none) or as
/// `application/x-www-form-urlencoded`.
async fn read_fields<B>(headers: &HeaderMap, body: B) -> Result<Map<String, Value>, BadBody>
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

/// A JSON response that no cache keeps.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    json_bytes(status, Bytes::from(bytes))
}

/// A JSON response of `body`, already encoded.
fn json_bytes(status: StatusCode, body: Bytes) -> Response<Bytes> {
    let mut res = Response::new(body);
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
    pub(crate) error_description: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attempts_left: Option<u32>,
    /// For people (the guard's rejections): what to do, in plain words, where
    /// `error_description` is for developers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<&'static str>,
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

    #[test]
    fn engine_errors_map_to_faults_once() {
        assert!(matches!(Fault::from(VerifyError::Sign), Fault::Busy));
        assert!(matches!(Fault::from(IssueError::Draw), Fault::Busy));
        assert!(matches!(
            Fault::from(RedeemError::Busy(crate::error::StoreError::Timeout)),
            Fault::Busy
        ));
        assert!(matches!(
            Fault::from(RedeemError::Used),
            Fault::Credential(RedeemError::Used)
        ));
    }
}
