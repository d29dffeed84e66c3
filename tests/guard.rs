//! The guard (the `wire_formats` guard table): every rejection, single use, scopes, failing closed.

mod common;

use std::time::Duration;

use axum::Router;
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use tower_captcha::guard::Rejected;
use tower_captcha::{Captcha, CaptchaLayer, RedeemError};

async fn rejected(h: &Harness, uri: &str, token: Option<&str>) -> (StatusCode, u64, String) {
    let req = match token {
        Some(t) => post_with_token(uri, t),
        None => http::Request::post(uri)
            .body(axum::body::Body::empty())
            .unwrap(),
    };
    let (status, _, body) = send(&h.app(), req).await;
    (
        status,
        error_code(&body),
        body["error"].as_str().unwrap().to_owned(),
    )
}

fn claims(jti: &str, exp_offset: i64) -> serde_json::Value {
    let now = (START_MS / 1000) as i64;
    json!({"jti": jti, "iat": now, "exp": now + exp_offset, "kind": "text"})
}

const JTI: &str = "AAAAAAAAAAAAAAAAAAAAAA";

#[tokio::test]
async fn accepts_a_valid_pass_once() {
    let h = Harness::new();
    let pass = h.pass(None).await;
    let (status, _, body) = send(&h.app(), post_with_token("/any", &pass)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "any");
    assert_eq!(
        rejected(&h, "/any", Some(&pass)).await,
        (StatusCode::UNAUTHORIZED, 4013, "captcha_token_used".into())
    );
}

#[tokio::test]
async fn missing_or_blank_header_is_4010() {
    let h = Harness::new();
    assert_eq!(
        rejected(&h, "/any", None).await,
        (StatusCode::UNAUTHORIZED, 4010, "captcha_required".into())
    );
    assert_eq!(rejected(&h, "/any", Some("   ")).await.1, 4010);
}

#[tokio::test]
async fn malformed_forged_and_foreign_tokens_are_4011() {
    let h = Harness::new();
    let good = h.pass(None).await;
    let parts: Vec<&str> = good.split('.').collect();

    // Tampered payload: signature no longer matches.
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["scope"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    // alg: none, no signature.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{none_header}.{}.", parts[1]);
    // Signed with another key.
    let wrong_key = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(JTI, 60),
        &EncodingKey::from_secret(&[9u8; 32]),
    )
    .unwrap();
    // Right key, other algorithm.
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims(JTI, 60),
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    // Right key, but a jti that is not one of ours.
    let bad_jti = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("short", 60),
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    // Right key, missing claims.
    let missing = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"jti": JTI}),
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();

    for token in [
        "garbage",
        "a.b.c",
        "..",
        &format!("{}.{}", parts[0], parts[1]),
        &format!("{good}x"),
        &tampered,
        &alg_none,
        &wrong_key,
        &hs512,
        &bad_jti,
        &missing,
    ] {
        assert_eq!(
            rejected(&h, "/any", Some(token)).await,
            (
                StatusCode::UNAUTHORIZED,
                4011,
                "invalid_captcha_token".into()
            ),
            "{token}"
        );
    }
    // The good token was not spent by any of that.
    let (status, _, _) = send(&h.app(), post_with_token("/any", &good)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn non_utf8_header_is_4011() {
    let h = Harness::new();
    let req = http::Request::post("/any")
        .header(
            "x-captcha-token",
            http::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, body) = send(&h.app(), req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), 4011);
}

#[tokio::test]
async fn expired_pass_is_4012() {
    let h = Harness::new();
    let pass = h.pass(None).await;
    h.clock.advance(Duration::from_secs(299));
    let fresh = h.pass(None).await;
    h.clock.advance(Duration::from_secs(1));
    assert_eq!(
        rejected(&h, "/any", Some(&pass)).await,
        (
            StatusCode::UNAUTHORIZED,
            4012,
            "captcha_token_expired".into()
        )
    );
    let (status, _, _) = send(&h.app(), post_with_token("/any", &fresh)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_clock_stepped_back_cannot_revive_a_spent_pass() {
    let h = Harness::new();
    let pass = h.pass(None).await;
    let (status, _, _) = send(&h.app(), post_with_token("/any", &pass)).await;
    assert_eq!(status, StatusCode::OK);
    // Past expiry, a sweep runs (triggered by another redemption)...
    h.clock.advance(Duration::from_secs(300 + 30));
    let other = h.pass(None).await;
    assert_eq!(
        send(&h.app(), post_with_token("/any", &other)).await.0,
        StatusCode::OK
    );
    // ...then the clock is stepped back to before the first pass expired.
    h.clock.set(START_MS + 290_000);
    assert_eq!(
        rejected(&h, "/any", Some(&pass)).await.1,
        4013,
        "still remembered as spent"
    );
}

#[tokio::test]
async fn wrong_scope_is_4014_and_does_not_spend() {
    let h = Harness::new();
    let reset_pass = h.pass(Some("password_reset")).await;
    assert_eq!(
        rejected(&h, "/login", Some(&reset_pass)).await,
        (StatusCode::FORBIDDEN, 4014, "captcha_scope_mismatch".into())
    );
    let unscoped = h.pass(None).await;
    assert_eq!(rejected(&h, "/login", Some(&unscoped)).await.1, 4014);
    // `require()` accepts any scope; the refused token was not spent.
    let (status, _, _) = send(&h.app(), post_with_token("/any", &reset_pass)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn store_down_fails_closed_with_503() {
    let h = Harness::new();
    let pass = h.pass(None).await;
    // Another engine with the same key whose store is down: the token checks out, but it
    // cannot be spent, so the request is refused.
    let down = Captcha::builder()
        .secret(SECRET.to_vec())
        .store(DownStore)
        .clock(h.clock.clone())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/any", post(|| async { "reached" }))
        .route_layer(down.require())
        .layer(CaptchaLayer::new(down));
    let (status, _, body) = send(&app, post_with_token("/any", &pass)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "server_busy");
    assert_eq!(error_code(&body), 5030);
}

#[tokio::test]
async fn rejection_is_pluggable_and_tagged() {
    let h = Harness::new();
    let guard = h.captcha.require().on_rejection(|e: &RedeemError| {
        let mut res = http::Response::new(bytes::Bytes::from(format!("nope: {e}")));
        *res.status_mut() = StatusCode::IM_A_TEAPOT;
        res
    });
    let app = Router::new()
        .route("/x", post(|| async { "reached" }))
        .route_layer(guard);
    let res = tower::ServiceExt::oneshot(app, post_with_token("/x", "bad"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(
        res.extensions().get::<Rejected>(),
        Some(&Rejected {
            error: "invalid_captcha_token"
        })
    );
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], b"nope: invalid captcha token");
}

#[tokio::test]
async fn rotated_keys_keep_old_passes_valid() {
    let old = Harness::with(|b| b.signing_key("2026-10", [1u8; 32].to_vec()));
    let pass = old.pass(None).await;
    let new = Harness::with(|b| {
        b.signing_key("2026-11", [2u8; 32].to_vec())
            .accept_key("2026-10", [1u8; 32].to_vec())
    });
    let (status, _, _) = send(&new.app(), post_with_token("/any", &pass)).await;
    assert_eq!(status, StatusCode::OK);
    let newer = Harness::with(|b| b.signing_key("2026-12", [3u8; 32].to_vec()));
    assert_eq!(
        rejected(&newer, "/any", Some(&old.pass(None).await))
            .await
            .1,
        4011
    );
}

#[tokio::test]
async fn a_scope_rejection_says_what_the_route_wants_and_how_to_get_it() {
    let h = Harness::new();
    // A pass issued with no scope, at a route that wants `login`.
    let unscoped = h.pass(None).await;
    let (status, _, body) = send(&h.app(), post_with_token("/login", &unscoped)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, 4014));
    assert_eq!(
        body["error_description"],
        "Captcha token was issued for no purpose: this route accepts only a captcha token issued for `login` (request the captcha with ?scope=login)"
    );
    // One issued for another purpose.
    let other = h.pass(Some("password_reset")).await;
    let (_, _, body) = send(&h.app(), post_with_token("/login", &other)).await;
    assert_eq!(
        body["error_description"],
        "Captcha token was issued for another purpose: this route accepts only a captcha token issued for `login` (request the captcha with ?scope=login)"
    );
    // Neither was spent: both still work where they fit.
    assert_eq!(
        send(&h.app(), post_with_token("/any", &unscoped)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&h.app(), post_with_token("/any", &other)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_header_name_is_configurable() {
    let h = Harness::new();
    let app = Router::new()
        .route("/x", post(|| async { "ok" }))
        .route_layer(
            h.captcha
                .require()
                .header(http::HeaderName::from_static("cf-turnstile-response")),
        )
        .layer(CaptchaLayer::new(h.captcha.clone()));
    let pass = h.pass(None).await;
    let (status, _, body) = send(&app, post_with_token("/x", &pass)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4010),
        "the default header is not read"
    );
    let req = http::Request::post("/x")
        .header("cf-turnstile-response", &pass)
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(send(&app, req).await.0, StatusCode::OK);
}

#[tokio::test]
async fn two_guards_on_one_route_are_reported_not_silently_obeyed() {
    let h = Harness::new();
    // The mistake: `route_layer` wraps every route added before it, so /login carries both
    // guards (password_reset outside, login inside).
    let stacked = Router::new()
        .route("/login", post(|| async { "login" }))
        .route_layer(h.captcha.require_scope("login"))
        .route("/reset", post(|| async { "reset" }))
        .route_layer(h.captcha.require_scope("password_reset"))
        .layer(CaptchaLayer::new(h.captcha.clone()));
    let reset_pass = h.pass(Some("password_reset")).await;
    let (status, _, body) = send(&stacked, post_with_token("/login", &reset_pass)).await;
    println!("stacked guards: {status} {body}");
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"], "captcha_guards_stacked");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("`password_reset`") && description.contains("`login`"),
        "{description}"
    );
    assert!(body["message"].is_string(), "a message for people too");
    // The per-route form: each route its own guard.
    let per_route = Router::new()
        .route(
            "/login",
            post(|| async { "login" }).route_layer(h.captcha.require_scope("login")),
        )
        .route(
            "/reset",
            post(|| async { "reset" }).route_layer(h.captcha.require_scope("password_reset")),
        )
        .layer(CaptchaLayer::new(h.captcha.clone()));
    let login_pass = h.pass(Some("login")).await;
    assert_eq!(
        send(&per_route, post_with_token("/login", &login_pass))
            .await
            .0,
        StatusCode::OK
    );
    let reset_pass = h.pass(Some("password_reset")).await;
    assert_eq!(
        send(&per_route, post_with_token("/reset", &reset_pass))
            .await
            .0,
        StatusCode::OK
    );
    // Two guards of one scope on one route: the pass is redeemed once, and accepted.
    let twice = Router::new()
        .route("/login", post(|| async { "login" }))
        .route_layer(h.captcha.require_scope("login"))
        .route_layer(h.captcha.require())
        .layer(CaptchaLayer::new(h.captcha.clone()));
    let pass = h.pass(Some("login")).await;
    assert_eq!(
        send(&twice, post_with_token("/login", &pass)).await.0,
        StatusCode::OK
    );
    let (status, _, body) = send(&twice, post_with_token("/login", &pass)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4013)
    );
}
