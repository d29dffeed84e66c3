//! `VerifiedCaptcha` as an axum extractor: with and without the guard, the `Option` form,
//! and without the layer.

mod common;

use axum::Router;
use axum::routing::post;
use common::*;
use http::StatusCode;
use tower_captcha::VerifiedCaptcha;

#[tokio::test]
async fn behind_the_guard_it_reuses_the_result_without_spending_twice() {
    let h = Harness::new();
    let pass = h.pass(Some("login")).await;
    // /login is guarded and also extracts: one spend only, or it would be 4013.
    let (status, _, body) = send(&h.app(), post_with_token("/login", &pass)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = send(&h.app(), post_with_token("/login", &pass)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4013)
    );
}

#[tokio::test]
async fn without_the_guard_it_redeems_the_header_itself_once() {
    let h = Harness::new();
    let pass = h.pass(None).await;
    let (status, _, body) = send(&h.app(), post_with_token("/extract", &pass)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_str().unwrap().len(), 22, "the jti");
    let (status, _, body) = send(&h.app(), post_with_token("/extract", &pass)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4013)
    );
    let req = http::Request::post("/extract")
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, body) = send(&h.app(), req).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4010)
    );
    let (status, _, body) = send(&h.app(), post_with_token("/extract", "forged")).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4011)
    );
}

#[tokio::test]
async fn two_extractors_in_one_handler_spend_once() {
    let h = Harness::new();
    let app = Router::new()
        .route(
            "/two",
            post(|a: VerifiedCaptcha, b: VerifiedCaptcha| async move { (a == b).to_string() }),
        )
        .layer(tower_captcha::CaptchaLayer::new(h.captcha.clone()));
    let (status, _, body) = send(&app, post_with_token("/two", &h.pass(None).await)).await;
    assert_eq!((status, body), (StatusCode::OK, serde_json::json!(true)));
}

#[tokio::test]
async fn option_form_none_without_header_rejection_with_a_bad_one() {
    let h = Harness::new();
    let req = http::Request::post("/maybe")
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, body) = send(&h.app(), req).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("anonymous")));
    let (status, _, body) = send(&h.app(), post_with_token("/maybe", &h.pass(None).await)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, Some("verified")));
    let (status, _, body) = send(&h.app(), post_with_token("/maybe", "bad")).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4011)
    );
}

#[tokio::test]
async fn without_the_layer_it_is_a_500_with_a_hint() {
    let app = Router::new().route("/x", post(|_: VerifiedCaptcha| async { "unreachable" }));
    let (status, _, body) = send(&app, post_with_token("/x", "whatever")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"], "captcha_layer_missing");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("CaptchaLayer")
    );
}

#[tokio::test]
async fn the_rejection_is_a_typed_error_with_status_and_code() {
    use tower_captcha::CaptchaRejection;
    async fn describe(r: Result<VerifiedCaptcha, CaptchaRejection>) -> String {
        match r {
            Ok(_) => "ok".into(),
            Err(e) => format!(
                "{} {} {} {} | {:?}",
                e.status().as_u16(),
                e.code(),
                e.error(),
                std::error::Error::source(&e)
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                e.to_string(),
            ),
        }
    }
    let h = Harness::new();
    let app = Router::new()
        .route("/r", post(describe))
        .layer(tower_captcha::CaptchaLayer::new(h.captcha.clone()));
    let req = |token: Option<&str>| match token {
        Some(t) => post_with_token("/r", t),
        None => http::Request::post("/r")
            .body(axum::body::Body::empty())
            .unwrap(),
    };
    let (_, _, body) = send(&app, req(None)).await;
    assert_eq!(
        body,
        "401 4010 captcha_required captcha token missing | \"Captcha verification required: send the pass token in x-captcha-token\""
    );
    let pass = h.pass(None).await;
    assert_eq!(send(&app, req(Some(&pass))).await.2, "ok");
    let (_, _, body) = send(&app, req(Some(&pass))).await;
    assert!(
        body.as_str()
            .unwrap()
            .starts_with("401 4013 captcha_token_used"),
        "{body}"
    );
    // Without the layer: a server misconfiguration, 500, and no source.
    let bare = Router::new().route("/r", post(describe));
    let (_, _, body) = send(&bare, req(Some(&pass))).await;
    assert!(
        body.as_str()
            .unwrap()
            .starts_with("500 5000 captcha_layer_missing  |"),
        "{body}"
    );
}
