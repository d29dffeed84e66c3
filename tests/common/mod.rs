//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

#[macro_use]
pub mod conformance;
#[cfg(feature = "redis")]
pub mod failover;
pub mod loopback;
pub mod programs;
pub mod redis_cluster;
pub mod redis_server;
pub mod webdriver;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use tower_captcha::TextOptions;
use tower_captcha::store::{BoxFuture, Bucket, RateDecision, Settled, TicketRecord, TicketTake};
use tower_captcha::testing::ManualClock;
use tower_captcha::{
    Captcha, CaptchaBuilder, CaptchaLayer, Id, Kind, MemoryStore, Store, StoreError,
    VerifiedCaptcha,
};

pub const SECRET: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
pub const START_MS: u64 = 1_800_000_000_000;

/// A store that is down: every call fails.
pub struct DownStore;

impl Store for DownStore {
    fn settle(
        &self,
        _: Id,
        _: bool,
        _: u32,
        _: u64,
        _: u64,
    ) -> BoxFuture<'_, Result<Settled, StoreError>> {
        Box::pin(async { Err(StoreError::Timeout) })
    }

    fn spend_pass(&self, _: Id, _: u64, _: u64) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(async { Err(StoreError::Timeout) })
    }

    fn put_ticket(
        &self,
        _: Id,
        _: TicketRecord,
        _: u64,
        _: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::Timeout) })
    }

    fn take_ticket<'a>(
        &'a self,
        _: Id,
        _: Option<&'a str>,
        _: u64,
    ) -> BoxFuture<'a, Result<TicketTake, StoreError>> {
        Box::pin(async { Err(StoreError::Timeout) })
    }

    fn rate<'a>(
        &'a self,
        _: &'a [Bucket],
        _: u64,
    ) -> BoxFuture<'a, Result<RateDecision, StoreError>> {
        Box::pin(async { Err(StoreError::Timeout) })
    }

    fn failures(
        &self,
        _: [u8; 16],
        _: bool,
        _: u64,
        _: u64,
    ) -> BoxFuture<'_, Result<(u32, u64), StoreError>> {
        Box::pin(async { Err(StoreError::Timeout) })
    }

    fn remember<'a>(
        &'a self,
        _: [u8; 16],
        _: &'a [u8],
        _: u64,
        _: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::Timeout) })
    }

    fn recall(&self, _: [u8; 16], _: u64) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(async { Err(StoreError::Timeout) })
    }
}

/// The text answer sealed into challenge `token`.
pub fn text_answer(captcha: &Captcha, token: &str) -> String {
    captcha
        .answer_of::<TextOptions>(token)
        .expect("a text challenge of this engine")
}

/// An engine on a memory store, a manual clock and no rate limits.
pub struct Harness {
    pub captcha: Captcha,
    pub store: Arc<MemoryStore>,
    pub clock: ManualClock,
}

impl Harness {
    pub fn new() -> Self {
        Self::with(|b| b)
    }

    pub fn with(f: impl FnOnce(CaptchaBuilder) -> CaptchaBuilder) -> Self {
        Self::with_store(MemoryStore::new(), f)
    }

    pub fn with_store(
        store: MemoryStore,
        f: impl FnOnce(CaptchaBuilder) -> CaptchaBuilder,
    ) -> Self {
        let store = Arc::new(store);
        let clock = ManualClock::new(START_MS);
        let builder = Captcha::builder()
            .secret(SECRET.to_vec())
            .shared_store(store.clone())
            .clock(clock.clone())
            .issue_rate_limit(None)
            .verify_rate_limit(None)
            .redeem_rate_limit(None);
        Self {
            captcha: f(builder).build().expect("valid config"),
            store,
            clock,
        }
    }

    /// The app used by most HTTP tests; see [`app`].
    pub fn app(&self) -> Router {
        app(&self.captcha)
    }

    /// The answer of challenge `token`.
    pub fn answer(&self, token: &str) -> String {
        text_answer(&self.captcha, token)
    }

    /// Issues through the engine and solves it: a fresh pass token. Each call comes from a
    /// client address of its own, so rate limits under test are not spent by it.
    pub async fn pass(&self, scope: Option<&str>) -> String {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let client = std::net::IpAddr::from((0x0a00_0000 | n).to_be_bytes());
        let c = self
            .captcha
            .issue(Kind::TEXT)
            .scope(scope)
            .client(client)
            .await
            .unwrap();
        let answer = self.answer(&c.id);
        self.captcha.verify(&c.id, answer).await.unwrap().token
    }
}

/// The test app: captcha routes, a login route guarded for scope `login`, a route guarded
/// for any scope, an extractor-only route, an optional-extractor route and a plain one.
pub fn app(c: &Captcha) -> Router {
    Router::new()
        .route(
            "/login",
            post(|pass: VerifiedCaptcha| async move { format!("welcome {:?}", pass.scope()) }),
        )
        .route_layer(c.require_scope("login"))
        .merge(
            Router::new()
                .route("/any", post(|| async { "any" }))
                .route_layer(c.require()),
        )
        .route(
            "/extract",
            post(|pass: VerifiedCaptcha| async move { pass.claims().jti.clone() }),
        )
        .route(
            "/maybe",
            post(|pass: Option<VerifiedCaptcha>| async move {
                if pass.is_some() {
                    "verified"
                } else {
                    "anonymous"
                }
            }),
        )
        .route("/", get(|| async { "home" }))
        .layer(CaptchaLayer::new(c.clone()))
}

/// Sends `req` through `app`; returns status, headers and body parsed as JSON (or as a
/// JSON string when not JSON).
pub async fn send(app: &Router, req: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (parts.status, parts.headers, json)
}

pub fn get_req(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

pub fn post_json(uri: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// A verify request for the Auth v1 route.
pub fn verify_req(token: &str, key: &str) -> Request<Body> {
    post_json(
        "/auth/v1/captcha/data/verify",
        &serde_json::json!({"token": token, "key": key}),
    )
}

pub fn post_with_token(uri: &str, token: &str) -> Request<Body> {
    Request::post(uri)
        .header("x-captcha-token", token)
        .body(Body::empty())
        .unwrap()
}

/// Asserts the shared error shape and returns `error_code`.
pub fn error_code(body: &Value) -> u64 {
    assert!(body["error"].is_string(), "error shape: {body}");
    assert!(body["error_description"].is_string(), "error shape: {body}");
    body["error_code"]
        .as_u64()
        .unwrap_or_else(|| panic!("error shape: {body}"))
}
