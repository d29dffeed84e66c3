//! The one protocol driver: everything every wire format shares, written once.
//!
//! A request to a mounted route goes through [`serve`]: read the body (capped JSON or form)
//! for `POST` routes, pick the language, let the protocol [parse](Adapter::parse) it into a
//! [`Call`], run the call on the engine, map engine errors to a [`Fault`] (here, once), and
//! let the protocol shape the success or the fault in its own envelope and code table.

use std::time::Duration;

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use serde::Serialize;
use serde_json::Map;

use super::input::{BadBody, read_fields};
use super::{Adapter, Fault, Input, Lang, Route};
use crate::client::ClientKey;
use crate::error::RedeemError;
use crate::kind::{Kind, Size, Solution};
use crate::pass::{Pass, PassClaims, Ticket};
use crate::{Captcha, Challenge};

/// The header an issue request carries its solved proof of work in, when pictures cost one
/// ([`CaptchaBuilder::require_work_for_pictures`](crate::CaptchaBuilder::require_work_for_pictures)).
pub const WORK_HEADER: &str = "x-captcha-work";

/// What a route asks the engine to do.
#[derive(Debug)]
pub(crate) enum Call {
    /// Issue a challenge.
    Issue {
        kind: Kind,
        scope: Option<String>,
        size: Option<Size>,
        /// The engine picks the kind ([`Captcha::issue_managed`]); `kind` is not used.
        managed: bool,
    },
    /// Speak a challenge (a WAV file, answered as it is).
    Listen { id: String },
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
    let input = Input::new(parts, fields, captcha.clone());
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
        Call::Issue {
            kind,
            scope,
            size,
            managed,
        } => {
            let issue = match managed {
                true => captcha.issue_managed(),
                false => captcha.issue(kind),
            };
            let issue = issue.scope(scope.as_deref()).size(size);
            Done::Issued(issue.client_key(client).work(work).await?)
        }
        Call::Listen { id } => {
            let wav = captcha.listen(&id).client_key(client).await?;
            let mut res = Response::new(Bytes::from(wav));
            let headers = res.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Done::Cached(res)
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

/// `data:image/png;base64,...`
pub(crate) fn png_data_url(png: &[u8]) -> String {
    use base64::Engine as _;
    let mut s = String::with_capacity(22 + png.len() * 4 / 3 + 4);
    s.push_str("data:image/png;base64,");
    base64::engine::general_purpose::STANDARD.encode_string(png, &mut s);
    s
}
