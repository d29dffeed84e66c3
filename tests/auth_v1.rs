//! The Auth v1 routes through a Router, one request at a time (`oneshot`): every route,
//! every error code.

mod common;

use std::time::Duration;

use axum::body::Body;
use base64::Engine as _;
use common::*;
use http::{Request, StatusCode};
use serde_json::json;
use tower_captcha::protocol::AuthV1;
use tower_captcha::{RateLimit, TextOptions};

async fn issue(h: &Harness, uri: &str) -> (String, String) {
    let (status, headers, body) = send(&h.app(), get_req(uri)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    let token = body["token"].as_str().unwrap().to_owned();
    let answer = h.answer(&token);
    (token, answer)
}

#[tokio::test]
async fn issue_returns_token_png_data_url_and_ttl() {
    let h = Harness::new();
    let (status, _, body) = send(&h.app(), get_req("/auth/v1/captcha/data")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expires_in"], 300);
    let token = body["token"].as_str().unwrap();
    assert!(
        (80..=100).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "a URL-safe sealed challenge: {token}"
    );
    let image = body["image"].as_str().unwrap();
    let b64 = image
        .strip_prefix("data:image/png;base64,")
        .expect("data URL");
    let png = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height.
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 160);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 60);
}

#[tokio::test]
async fn right_key_returns_pass_and_spends_challenge() {
    let h = Harness::new();
    let (token, answer) = issue(&h, "/auth/v1/captcha/data").await;
    // Case-insensitive and trimmed.
    let key = format!("  {}  ", answer.to_lowercase());
    let (status, _, body) = send(&h.app(), verify_req(&token, &key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(
        body["captcha_token"].as_str().unwrap().split('.').count(),
        3,
        "a JWT"
    );

    let (status, _, body) = send(&h.app(), verify_req(&token, &answer)).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(body["error"], "captcha_used");
    assert_eq!(error_code(&body), 4003);
}

#[tokio::test]
async fn wrong_key_counts_attempts_until_the_limit() {
    let h = Harness::with(|b| b.kind(TextOptions::default().with_max_attempts(3)));
    let (token, answer) = issue(&h, "/auth/v1/captcha/data").await;
    for left in [2, 1] {
        let (status, _, body) = send(&h.app(), verify_req(&token, "WRONG")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_captcha");
        assert_eq!(error_code(&body), 4001);
        assert_eq!(body["attempts_left"], left);
    }
    // Still valid after wrong answers (seed 003): the right one passes...
    let (status, _, _) = send(&h.app(), verify_req(&token, &answer)).await;
    assert_eq!(status, StatusCode::OK);

    // ...but the limit spends it.
    let (token, answer) = issue(&h, "/auth/v1/captcha/data").await;
    for left in [2, 1, 0] {
        let (_, _, body) = send(&h.app(), verify_req(&token, "nope")).await;
        assert_eq!(body["attempts_left"], left);
    }
    let (status, _, body) = send(&h.app(), verify_req(&token, &answer)).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(error_code(&body), 4003);
}

#[tokio::test]
async fn unknown_and_expired_tokens_are_4002() {
    let h = Harness::new();
    for token in ["", "nope", "AAAAAAAAAAAAAAAAAAAAAA", "ÿÿÿÿÿÿÿÿÿÿÿ"] {
        let (status, _, body) = send(&h.app(), verify_req(token, "ABCDE")).await;
        assert_eq!(status, StatusCode::GONE, "{token}");
        assert_eq!(body["error"], "captcha_expired");
        assert_eq!(error_code(&body), 4002);
    }
    let (token, answer) = issue(&h, "/auth/v1/captcha/data").await;
    h.clock.advance(Duration::from_secs(299));
    let (token2, _) = issue(&h, "/auth/v1/captcha/data").await;
    h.clock.advance(Duration::from_secs(1));
    let (status, _, body) = send(&h.app(), verify_req(&token, &answer)).await;
    assert_eq!(status, StatusCode::GONE, "expired at 300 s");
    assert_eq!(error_code(&body), 4002);
    let (status, _, body) = send(&h.app(), verify_req(&token2, "x")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the later one is still alive: {body}"
    );
}

#[tokio::test]
async fn scope_binds_the_pass_and_is_validated() {
    let h = Harness::new();
    let (token, answer) = issue(&h, "/auth/v1/captcha/data?scope=login").await;
    let (_, _, body) = send(&h.app(), verify_req(&token, &answer)).await;
    let pass = body["captcha_token"].as_str().unwrap();
    let (status, _, body) = send(&h.app(), post_with_token("/login", pass)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "welcome Some(\"login\")");

    for bad in ["", "a%20b", "%F0%9F%98%80", &"x".repeat(33)] {
        let (status, _, body) = send(
            &h.app(),
            get_req(&format!("/auth/v1/captcha/data?scope={bad}")),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "scope {bad:?}");
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(error_code(&body), 4000);
    }
}

#[tokio::test]
async fn rate_limits_answer_4029_with_retry_after() {
    let h = Harness::with(|b| {
        b.issue_rate_limit(Some(RateLimit::new(2, Duration::from_secs(10))))
            .verify_rate_limit(Some(RateLimit::new(1, Duration::from_secs(3))))
    });
    let app = h.app();
    let from = |mut req: Request<Body>, ip: &str| {
        req.extensions_mut()
            .insert(std::net::SocketAddr::new(ip.parse().unwrap(), 4000));
        req
    };
    for _ in 0..2 {
        let (status, _, _) = send(&app, from(get_req("/auth/v1/captcha/data"), "192.0.2.7")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, headers, body) =
        send(&app, from(get_req("/auth/v1/captcha/data"), "192.0.2.7")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"], "too_many_requests");
    assert_eq!(error_code(&body), 4029);
    assert_eq!(headers["retry-after"], "10");
    // Another client is not affected; time refills the bucket.
    let (status, _, _) = send(&app, from(get_req("/auth/v1/captcha/data"), "192.0.2.8")).await;
    assert_eq!(status, StatusCode::OK);
    h.clock.advance(Duration::from_secs(10));
    let (status, _, _) = send(&app, from(get_req("/auth/v1/captcha/data"), "192.0.2.7")).await;
    assert_eq!(status, StatusCode::OK);

    let verify = || from(verify_req("x", "y"), "192.0.2.7");
    let (status, _, _) = send(&app, verify()).await;
    assert_eq!(status, StatusCode::GONE);
    let (status, headers, body) = send(&app, verify()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), 4029);
    assert_eq!(headers["retry-after"], "3");
}

#[tokio::test]
async fn rate_limits_read_axum_connect_info_by_default() {
    let h = Harness::with(|b| b.issue_rate_limit(Some(RateLimit::new(1, Duration::from_secs(60)))));
    let req = || {
        let mut req = get_req("/auth/v1/captcha/data");
        let addr = std::net::SocketAddr::new("198.51.100.4".parse().unwrap(), 5000);
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        req
    };
    assert_eq!(send(&h.app(), req()).await.0, StatusCode::OK);
    let (status, _, body) = send(&h.app(), req()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, 4029)
    );
}

#[tokio::test]
async fn a_full_store_answers_busy_never_evicts_and_never_blocks_issuing() {
    let h = Harness::with_store(tower_captcha::MemoryStore::with_capacity(2), |b| b);
    let (first, answer) = issue(&h, "/auth/v1/captcha/data").await;
    let (second, _) = issue(&h, "/auth/v1/captcha/data").await;
    let (third, third_answer) = issue(&h, "/auth/v1/captcha/data").await;
    // Only answered challenges take room: two wrong answers fill the store.
    for token in [&first, &second] {
        let (status, _, _) = send(&h.app(), verify_req(token, "WRONG")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, _, body) = send(&h.app(), verify_req(&third, &third_answer)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"], "server_busy");
    assert_eq!(error_code(&body), 5030);
    // Issuing goes on, and the live challenges were kept.
    issue(&h, "/auth/v1/captcha/data").await;
    let (status, _, _) = send(&h.app(), verify_req(&first, &answer)).await;
    assert_eq!(status, StatusCode::OK);
    // Once entries expire there is room again (and an expired challenge is told so).
    h.clock.advance(Duration::from_secs(301));
    let (status, _, body) = send(&h.app(), verify_req(&third, &third_answer)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::GONE, 4002));
    let (token, answer) = issue(&h, "/auth/v1/captcha/data").await;
    let (status, _, _) = send(&h.app(), verify_req(&token, &answer)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_failing_store_answers_busy() {
    let captcha = tower_captcha::Captcha::builder()
        .secret(SECRET.to_vec())
        .store(DownStore)
        .build()
        .unwrap();
    // Default limits, and requests without a client address (`oneshot`): this test chooses
    // one site-wide budget on purpose.
    let layer = tower_captcha::CaptchaLayer::new(captcha)
        .client_identity(tower_captcha::ClientIdentity::site_wide());
    let app = axum::Router::new().layer(layer);
    // Issuing needs no store; answering does.
    let (status, _, body) = send(&app, get_req("/auth/v1/captcha/data")).await;
    assert_eq!(status, StatusCode::OK);
    let token = body["token"].as_str().unwrap();
    let (status, _, body) = send(&app, verify_req(token, "ABCDE")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error_code(&body), 5030);
}

#[tokio::test]
async fn wrong_method_is_405_in_the_protocol_shape() {
    let h = Harness::new();
    let (status, headers, body) = send(
        &h.app(),
        Request::post("/auth/v1/captcha/data")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "GET");
    assert_eq!(error_code(&body), 4000);
    let (status, headers, _) = send(&h.app(), get_req("/auth/v1/captcha/data/verify")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "POST");
}

#[tokio::test]
async fn other_paths_reach_the_app_untouched() {
    let h = Harness::new();
    let (status, _, body) = send(&h.app(), get_req("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "home");
    let (status, _, _) = send(&h.app(), get_req("/auth/v1/captcha")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(&h.app(), get_req("/auth/v1/captcha/data/")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn paths_are_configurable() {
    let h = Harness::new();
    let app = axum::Router::new().layer(
        tower_captcha::CaptchaLayer::builder(h.captcha.clone())
            .mount(AuthV1::new().paths("/c/new", "/c/check"))
            .build()
            .unwrap(),
    );
    let (status, _, body) = send(&app, get_req("/c/new")).await;
    assert_eq!(status, StatusCode::OK);
    let token = body["token"].as_str().unwrap();
    let answer = h.answer(token);
    let (status, _, _) = send(
        &app,
        post_json("/c/check", &json!({"token": token, "key": answer})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(&app, get_req("/auth/v1/captcha/data")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn form_bodies_are_accepted() {
    let h = Harness::new();
    let (token, answer) = issue(&h, "/auth/v1/captcha/data").await;
    let req = Request::post("/auth/v1/captcha/data/verify")
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(Body::from(format!("token={token}&key={answer}")))
        .unwrap();
    let (status, _, body) = send(&h.app(), req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn chinese_messages_follow_accept_language() {
    let h = Harness::new();
    let req = Request::post("/auth/v1/captcha/data/verify")
        .header("accept-language", "zh-CN,zh;q=0.9")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"token":"x","key":"y"}"#))
        .unwrap();
    let (_, _, body) = send(&h.app(), req).await;
    // "x" is no challenge of ours: not recognised (the seed's code, a truthful description).
    assert_eq!(body["error_description"], "验证码无效，请重新获取");
    assert_eq!(body["error"], "captcha_expired", "codes stay the same");
}

#[tokio::test]
async fn every_language_of_the_catalogue_is_answered_in() {
    let catalogue: serde_json::Value =
        serde_json::from_str(include_str!("../assets/i18n/messages.json")).unwrap();
    let h = Harness::new();
    for lang in [
        "en", "zh", "es", "fr", "de", "pt", "it", "ru", "ja", "ko", "ar",
    ] {
        let (token, _) = issue(&h, "/auth/v1/captcha/data").await;
        // A regional tag of the language, weighted above another one we speak.
        let accept = format!("xx-YY, {lang}-ZZ;q=0.9, de;q=0.1");
        let req = Request::post("/auth/v1/captcha/data/verify")
            .header(
                "accept-language",
                if lang == "de" {
                    "de".to_owned()
                } else {
                    accept
                },
            )
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"token": token, "key": "nope"}).to_string(),
            ))
            .unwrap();
        let (status, _, body) = send(&h.app(), req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["error_description"], catalogue["msg.wrong_code"][lang],
            "{lang}"
        );
        assert_eq!(body["error"], "invalid_captcha", "codes stay the same");
        // A missing field: the message names it, in the language asked for by `X-L`.
        let req = Request::post("/auth/v1/captcha/data/verify")
            .header("x-l", lang)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (_, _, body) = send(&h.app(), req).await;
        let expected = catalogue["msg.field_required"][lang]
            .as_str()
            .unwrap()
            .replace("{name}", "token");
        assert_eq!(body["error_description"], expected, "{lang}");
    }
}

#[tokio::test]
async fn the_route_table_refuses_clashes_and_serves_one_path_by_method() {
    use tower_captcha::protocol::auth_v1::ISSUE_PATH;
    use tower_captcha::{CaptchaLayer, ConfigError};
    let h = Harness::new();
    let clash = CaptchaLayer::builder(h.captcha.clone())
        .mount(AuthV1::new())
        .mount(AuthV1::new().paths(ISSUE_PATH, "/other"))
        .build()
        .unwrap_err();
    assert_eq!(
        clash,
        ConfigError::DuplicateRoute {
            method: "GET".into(),
            path: ISSUE_PATH.into()
        }
    );
    let relative = CaptchaLayer::builder(h.captcha.clone())
        .mount(AuthV1::new().paths("captcha", "/v"))
        .build()
        .unwrap_err();
    assert_eq!(relative, ConfigError::Path("captcha".into()));
    // A protocol that cannot work as configured: siteverify with an empty secret.
    let empty = CaptchaLayer::builder(h.captcha.clone())
        .mount(tower_captcha::protocol::Siteverify::new(Vec::<u8>::new()))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            empty,
            ConfigError::Protocol {
                protocol: "siteverify",
                ..
            }
        ),
        "{empty}"
    );
    // One path, two methods: GET issues, POST verifies, anything else is 405 listing both.
    let app = axum::Router::new().layer(
        CaptchaLayer::builder(h.captcha.clone())
            .mount(AuthV1::new().paths("/c", "/c"))
            .build()
            .unwrap(),
    );
    let (status, _, body) = send(&app, get_req("/c")).await;
    assert_eq!(status, StatusCode::OK);
    let token = body["token"].as_str().unwrap();
    let (status, _, _) = send(
        &app,
        post_json("/c", &json!({"token": token, "key": h.answer(token)})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = send(&app, Request::put("/c").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "GET, POST");
    assert_eq!(error_code(&body), 4000);
}

/// The raw answer of `uri`: status, content type, body bytes.
async fn get_bytes(h: &Harness, uri: &str) -> (StatusCode, String, Vec<u8>) {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let res = h.app().oneshot(get_req(uri)).await.unwrap();
    let status = res.status();
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, kind, bytes)
}

#[tokio::test]
async fn a_text_challenge_can_be_listened_to_and_the_same_verify_passes_it() {
    let h = Harness::new();
    let (_, _, kinds) = send(&h.app(), get_req("/auth/v1/captcha/data/kinds")).await;
    assert_eq!(kinds["audio"], json!(["text"]), "{kinds}");
    let (token, answer) = issue(&h, "/auth/v1/captcha/data").await;
    let uri = format!("/auth/v1/captcha/data/audio?token={token}");
    let (status, kind, wav) = get_bytes(&h, &uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "audio/wav");
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    // 8 kHz, one byte a sample: five characters take several seconds.
    let seconds = (wav.len() - 44) as f64 / 8000.0;
    assert!((4.0..16.0).contains(&seconds), "{seconds} s");
    // The same challenge always sounds the same: asking again gives nothing new.
    let (_, _, again) = get_bytes(&h, &uri).await;
    assert_eq!(wav, again);
    let (other, _) = issue(&h, "/auth/v1/captcha/data").await;
    let (_, _, other_wav) =
        get_bytes(&h, &format!("/auth/v1/captcha/data/audio?token={other}")).await;
    assert_ne!(wav, other_wav);
    // Listening spends nothing: the picture's answer still passes, once.
    let (status, _, body) = send(&h.app(), verify_req(&token, &answer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn audio_of_what_cannot_be_spoken_is_refused_in_the_native_envelope() {
    let h = Harness::new();
    for (uri, status, code) in [
        ("/auth/v1/captcha/data/audio", StatusCode::BAD_REQUEST, 4000),
        ("/auth/v1/captcha/data/audio?token=", StatusCode::GONE, 4002),
        (
            "/auth/v1/captcha/data/audio?token=nope%00%ff",
            StatusCode::GONE,
            4002,
        ),
    ] {
        let (got, _, body) = send(&h.app(), get_req(uri)).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_eq!(error_code(&body), code, "{uri}: {body}");
    }
    // A slider has no spoken form.
    let (_, _, slider) = send(&h.app(), get_req("/auth/v1/captcha/data?kind=slider")).await;
    let uri = format!(
        "/auth/v1/captcha/data/audio?token={}",
        slider["token"].as_str().unwrap()
    );
    let (status, _, body) = send(&h.app(), get_req(&uri)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_request");
    // Expired: told so, like verify.
    let (token, _) = issue(&h, "/auth/v1/captcha/data").await;
    h.clock.advance(Duration::from_secs(300));
    let (status, _, body) = send(
        &h.app(),
        get_req(&format!("/auth/v1/captcha/data/audio?token={token}")),
    )
    .await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}

#[tokio::test]
async fn a_clip_costs_an_issue() {
    let h = Harness::with(|b| b.issue_rate_limit(Some(RateLimit::new(2, Duration::from_secs(60)))));
    let from = |uri: &str| {
        let mut req = get_req(uri);
        req.extensions_mut()
            .insert(std::net::SocketAddr::new([192, 0, 2, 7].into(), 4000));
        req
    };
    let (_, _, body) = send(&h.app(), from("/auth/v1/captcha/data")).await;
    let uri = format!(
        "/auth/v1/captcha/data/audio?token={}",
        body["token"].as_str().unwrap()
    );
    let (status, headers, _) = send(&h.app(), from(&uri)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "audio/wav");
    let (status, _, body) = send(&h.app(), from(&uri)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(&body), 4029);
}
