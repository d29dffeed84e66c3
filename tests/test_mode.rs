//! The test mode apps use in their own tests: verify answers as told, the guard accepts the
//! fixed test pass for any scope, as often as shown, and nothing else changes.

mod common;

use common::*;
use http::StatusCode;
use tower_captcha::Captcha;
use tower_captcha::testing::{TEST_PASS, TestMode};

#[tokio::test]
async fn verify_answers_as_told_and_the_guard_takes_the_test_pass() {
    for (mode, status, code) in [
        (TestMode::AlwaysPass, StatusCode::OK, None),
        (TestMode::AlwaysFail, StatusCode::BAD_REQUEST, Some(4001)),
        (TestMode::AlreadyUsed, StatusCode::GONE, Some(4003)),
    ] {
        let app = app(&Captcha::insecure_test_mode(mode));
        let (issued, _, body) = send(&app, get_req("/auth/v1/captcha/data")).await;
        assert_eq!(issued, StatusCode::OK, "issuing works as usual");
        let token = body["token"].as_str().unwrap();
        let (s, _, body) = send(&app, verify_req(token, "anything")).await;
        assert_eq!(s, status, "{mode:?}: {body}");
        match code {
            Some(code) => assert_eq!(error_code(&body), code),
            None => assert_eq!(body["captcha_token"], TEST_PASS),
        }
        // The guard: the test pass, any scope, again and again; anything else refused.
        for _ in 0..3 {
            let (s, _, body) = send(&app, post_with_token("/login", TEST_PASS)).await;
            assert_eq!(s, StatusCode::OK, "{body}");
        }
        let (s, _, body) = send(&app, post_with_token("/login", "not-the-test-pass")).await;
        assert_eq!((s, error_code(&body)), (StatusCode::UNAUTHORIZED, 4011));
    }
}

#[tokio::test]
async fn an_ordinary_engine_refuses_the_test_pass() {
    let h = Harness::new();
    let (s, _, body) = send(&h.app(), post_with_token("/any", TEST_PASS)).await;
    assert_eq!((s, error_code(&body)), (StatusCode::UNAUTHORIZED, 4011));
}
