//! Contract tests of every protocol, against `examples/protocols.rs`' app (all four
//! protocols and siteverify mounted together): exact shapes, every error code, bad input in
//! each protocol's own shape, an end-to-end solve of every kind each protocol offers, a
//! ticket spent exactly once under a race, and protocols that do not interfere.

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/protocols.rs"]
mod example;

use std::sync::Arc;
use std::time::Duration;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockEncryptMut, KeyInit};
use axum::Router;
use axum::body::Body;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower_captcha::RateLimit;
use tower_captcha::{ClickWordOptions, Hole, SliderOptions};

const SV_SECRET: &str = "siteverify-secret-for-the-tests";

fn app(h: &Harness) -> Router {
    example::app(h.captcha.clone(), SV_SECRET, false)
}

fn aes(key: &str, plain: &str) -> String {
    let enc = ecb::Encryptor::<aes::Aes128>::new_from_slice(key.as_bytes()).unwrap();
    STANDARD.encode(enc.encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes()))
}

fn png_size(b64: &str) -> (u32, u32) {
    let png = STANDARD.decode(b64).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    )
}

/// The keys of a JSON object body in the order they appear in the raw text.
async fn raw_keys(app: &Router, req: Request<Body>) -> (StatusCode, Vec<String>, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let mut keys: Vec<(usize, String)> = value
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    keys.sort();
    (status, keys.into_iter().map(|(_, k)| k).collect(), value)
}

fn raw_post(uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header("content-type", content_type)
        .body(body.into())
        .unwrap()
}

/// Bad input of every kind for a route that takes a body: each request and its name.
fn bad_bodies(uri: &str) -> Vec<(&'static str, Request<Body>)> {
    vec![
        ("malformed JSON", raw_post(uri, "application/json", "{")),
        ("not an object", raw_post(uri, "application/json", "[1]")),
        ("text/plain", raw_post(uri, "text/plain", "{}")),
        ("empty object", raw_post(uri, "application/json", "{}")),
        (
            "huge body",
            raw_post(
                uri,
                "application/json",
                format!("{{\"x\":\"{}\"}}", "A".repeat(20_000)),
            ),
        ),
        (
            "wrong method",
            Request::put(uri).body(Body::empty()).unwrap(),
        ),
        (
            "fields of the wrong type",
            raw_post(
                uri,
                "application/json",
                r#"{"token":1,"key":[],"captchaType":7,"pointJson":{},"captchaVerification":false,"point_json":null,"captcha_id":2,"captcha":3,"secret":4,"response":5}"#,
            ),
        ),
    ]
}

// --- AJ-Captcha ----------------------------------------------------------------------------

async fn aj_get(app: &Router, kind: &str) -> Value {
    let (status, keys, body) = raw_keys(
        app,
        post_json(
            "/captcha/get",
            &json!({"captchaType": kind, "clientUid": "x", "ts": 1}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys, ["repCode", "repMsg", "repData", "success"]);
    assert_eq!(body["repCode"], "0000", "{body}");
    assert_eq!(body["success"], true);
    assert!(body["repMsg"].is_null());
    body["repData"].clone()
}

fn aj_point_json(h: &Harness, token: &str) -> String {
    if let Some(Hole { at: p, .. }) = h.captcha.answer_of::<SliderOptions>(token) {
        return format!(r#"{{"x":{}.275,"y":5}}"#, p.x);
    }
    let w = h.captcha.answer_of::<ClickWordOptions>(token).unwrap();
    format!(
        "[{}]",
        w.iter()
            .take(3)
            .map(|(_, p)| format!(r#"{{"x":{},"y":{}}}"#, p.x, p.y))
            .collect::<Vec<_>>()
            .join(",")
    )
}

async fn aj_check(app: &Router, kind: &str, token: &str, point_json: &str) -> Value {
    let (status, _, body) = send(
        app,
        post_json(
            "/captcha/check",
            &json!({"captchaType": kind, "token": token, "pointJson": point_json, "clientUid": "u", "ts": 2}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "AJ answers 200 always: {body}");
    body
}

#[tokio::test]
async fn aj_slider_and_click_word_solve_end_to_end_with_a_ticket_spent_once() {
    let h = Harness::new();
    let app = app(&h);
    for kind in ["blockPuzzle", "clickWord"] {
        let data = aj_get(&app, kind).await;
        assert_eq!(data["captchaType"], kind);
        let key = data["secretKey"].as_str().unwrap();
        assert!(key.len() == 16 && key.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(
            png_size(data["originalImageBase64"].as_str().unwrap()),
            (310, 155)
        );
        if kind == "blockPuzzle" {
            assert_eq!(
                png_size(data["jigsawImageBase64"].as_str().unwrap()),
                (47, 155)
            );
            assert!(data["wordList"].is_null());
        } else {
            assert_eq!(data["wordList"].as_array().unwrap().len(), 3);
            assert!(data["jigsawImageBase64"].is_null());
        }
        let token = data["token"].as_str().unwrap();
        let plain = aj_point_json(&h, token);
        let body = aj_check(&app, kind, token, &aes(key, &plain)).await;
        assert_eq!(body["repCode"], "0000", "{body}");
        assert_eq!(body["repData"]["result"], true);
        // The ticket is AES(key, token---plaintext), the plaintext exactly as sent.
        let ticket = aes(key, &format!("{token}---{plain}"));
        assert_eq!(body["repData"]["captchaVerification"], ticket.as_str());
        // Spent once by /captcha/verify; then 6110.
        let verify = post_json("/captcha/verify", &json!({"captchaVerification": ticket}));
        let (status, _, body) = send(&app, verify).await;
        assert_eq!(
            (status, body["repCode"].as_str()),
            (StatusCode::OK, Some("0000"))
        );
        assert_eq!(body["repData"]["result"], true);
        let verify = post_json("/captcha/verify", &json!({"captchaVerification": ticket}));
        let (_, _, body) = send(&app, verify).await;
        assert_eq!(body["repCode"], "6110");
        assert_eq!(body["success"], false);
    }
}

#[tokio::test]
async fn aj_tickets_also_pass_the_guard_once() {
    let h = Harness::new();
    let app = app(&h);
    let data = aj_get(&app, "blockPuzzle").await;
    let (token, key) = (
        data["token"].as_str().unwrap(),
        data["secretKey"].as_str().unwrap(),
    );
    let plain = aj_point_json(&h, token);
    let body = aj_check(&app, "blockPuzzle", token, &aes(key, &plain)).await;
    let ticket = body["repData"]["captchaVerification"].as_str().unwrap();
    let (status, _, body) = send(&app, post_with_token("/protected", ticket)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["kind"], "slider");
    let (status, _, body) = send(&app, post_with_token("/protected", ticket)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4013)
    );
}

#[tokio::test]
async fn aj_plain_point_json_works_when_the_client_does_not_encrypt() {
    let h = Harness::new();
    let app = app(&h);
    let data = aj_get(&app, "blockPuzzle").await;
    let token = data["token"].as_str().unwrap();
    let plain = aj_point_json(&h, token);
    let body = aj_check(&app, "blockPuzzle", token, &plain).await;
    assert_eq!(body["repCode"], "0000", "{body}");
}

#[tokio::test]
async fn aj_codes_wrong_locked_used_unknown_and_missing() {
    let h = Harness::new();
    let app = app(&h);
    let data = aj_get(&app, "blockPuzzle").await;
    let (token, key) = (
        data["token"].as_str().unwrap(),
        data["secretKey"].as_str().unwrap(),
    );
    let wrong = aes(key, r#"{"x":-24,"y":5}"#);
    let body = aj_check(&app, "blockPuzzle", token, &wrong).await;
    assert_eq!(
        (body["repCode"].as_str(), body["success"].as_bool()),
        (Some("6111"), Some(false))
    );
    assert!(body["repData"].is_null());
    assert_eq!(body["repMsg"], "Verification failed");
    // One attempt: the right answer now finds it locked.
    let right = aes(key, &aj_point_json(&h, token));
    let body = aj_check(&app, "blockPuzzle", token, &right).await;
    assert_eq!(body["repCode"], "6202");
    // Unknown token; decryption failure is a wrong answer.
    let body = aj_check(&app, "blockPuzzle", "no-such-token", &right).await;
    assert_eq!(body["repCode"], "6110");
    let data = aj_get(&app, "blockPuzzle").await;
    let body = aj_check(
        &app,
        "blockPuzzle",
        data["token"].as_str().unwrap(),
        "garbage!!",
    )
    .await;
    assert_eq!(body["repCode"], "6111");
    // Missing or empty fields: 0011 naming the field.
    for (payload, field) in [
        (json!({}), "captchaType"),
        (json!({"captchaType": ""}), "captchaType"),
        (
            json!({"captchaType": "blockPuzzle", "pointJson": "x"}),
            "token",
        ),
        (
            json!({"captchaType": "blockPuzzle", "token": "t"}),
            "pointJson",
        ),
    ] {
        let (status, _, body) = send(&app, post_json("/captcha/check", &payload)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["repCode"], "0011", "{payload}");
        assert_eq!(body["repMsg"], format!("{field} must not be empty"));
    }
    let (_, _, body) = send(
        &app,
        post_json("/captcha/get", &json!({"captchaType": "rotate"})),
    )
    .await;
    assert_eq!(body["repCode"], "0011");
    // Chinese for people who read it.
    let mut req = post_json(
        "/captcha/verify",
        &json!({"captchaVerification": "bm9wZQ=="}),
    );
    req.headers_mut()
        .insert("accept-language", "zh-CN".parse().unwrap());
    let (_, _, body) = send(&app, req).await;
    assert_eq!(body["repCode"], "6110");
    assert_eq!(body["repMsg"], "验证码已失效，请重新获取");
}

#[tokio::test]
async fn aj_rate_limits_answer_6201_6204_6205() {
    let h = Harness::with(|b| {
        b.issue_rate_limit(Some(RateLimit::new(1, Duration::from_secs(60))))
            .verify_rate_limit(Some(RateLimit::new(1, Duration::from_secs(60))))
            .redeem_rate_limit(Some(RateLimit::new(1, Duration::from_secs(60))))
    });
    let app = app(&h);
    let from = |mut req: Request<Body>| {
        req.extensions_mut()
            .insert(std::net::SocketAddr::from(([192, 0, 2, 9], 1000)));
        req
    };
    let get = || {
        from(post_json(
            "/captcha/get",
            &json!({"captchaType": "blockPuzzle"}),
        ))
    };
    assert_eq!(send(&app, get()).await.2["repCode"], "0000");
    let (status, _, body) = send(&app, get()).await;
    assert_eq!(
        (status, body["repCode"].as_str()),
        (StatusCode::OK, Some("6201"))
    );
    let check = || {
        from(post_json(
            "/captcha/check",
            &json!({"captchaType": "blockPuzzle", "token": "t", "pointJson": "p"}),
        ))
    };
    send(&app, check()).await;
    assert_eq!(send(&app, check()).await.2["repCode"], "6204");
    let verify = || {
        from(post_json(
            "/captcha/verify",
            &json!({"captchaVerification": "bm9wZQ=="}),
        ))
    };
    send(&app, verify()).await;
    assert_eq!(send(&app, verify()).await.2["repCode"], "6205");
}

#[tokio::test]
async fn aj_bad_input_gets_200_and_its_envelope() {
    let h = Harness::new();
    let app = app(&h);
    for uri in ["/captcha/get", "/captcha/check", "/captcha/verify"] {
        for (name, req) in bad_bodies(uri) {
            let (status, _, body) = send(&app, req).await;
            assert_eq!(status, StatusCode::OK, "{uri} {name}: {body}");
            assert_eq!(body["success"], false, "{uri} {name}");
            assert_eq!(body["repCode"], "0011", "{uri} {name}: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_verify_and_guard_redemptions_of_one_ticket_have_one_winner() {
    let h = Harness::new();
    let app = app(&h);
    let data = aj_get(&app, "clickWord").await;
    let (token, key) = (
        data["token"].as_str().unwrap(),
        data["secretKey"].as_str().unwrap(),
    );
    let body = aj_check(
        &app,
        "clickWord",
        token,
        &aes(key, &aj_point_json(&h, token)),
    )
    .await;
    let ticket = body["repData"]["captchaVerification"]
        .as_str()
        .unwrap()
        .to_owned();
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (app, ticket) = (app.clone(), ticket.clone());
            tokio::spawn(async move {
                if i % 2 == 0 {
                    let req = post_json("/captcha/verify", &json!({"captchaVerification": ticket}));
                    send(&app, req).await.2["repCode"] == "0000"
                } else {
                    send(&app, post_with_token("/protected", &ticket)).await.0 == StatusCode::OK
                }
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1, "exactly one of 50 redemptions wins");
}

// --- IDaaS SDK -----------------------------------------------------------------------------

fn idaas_get(headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::get("/api/v2/sdk/captcha");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(Body::empty()).unwrap()
}

const DEVICE: [(&str, &str); 4] = [
    ("X-operating-sys-version", "Android 10"),
    ("X-device-fingerprint", "156aysdna213sc50"),
    ("X-agent", "Mozilla/5.0"),
    ("X-client-id", "DRrYIqauawN0I8myTMoDTPys6ezGZxnm"),
];

#[tokio::test]
async fn idaas_captcha_vo_has_the_15_fields_in_order_and_verifies_to_a_pass() {
    let h = Harness::new();
    let app = app(&h);
    let mut headers = DEVICE.to_vec();
    headers.push(("X-tenant-id", "08f770f51f80d2f40f38c00cb199fd21"));
    let (status, keys, vo) = raw_keys(&app, idaas_get(&headers)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        keys,
        [
            "captchaId",
            "projectCode",
            "captchaOriginalPath",
            "captchaFontType",
            "captchaFontSize",
            "secretKey",
            "originalImageBase64",
            "point",
            "jigsawImageBase64",
            "wordList",
            "pointList",
            "pointJson",
            "token",
            "result",
            "captchaVerification"
        ]
    );
    for null in [
        "captchaId",
        "projectCode",
        "captchaOriginalPath",
        "captchaFontType",
        "captchaFontSize",
        "point",
        "wordList",
        "pointList",
        "pointJson",
        "captchaVerification",
    ] {
        assert!(vo[null].is_null(), "{null}");
    }
    assert_eq!(vo["result"], false);
    assert_eq!(
        png_size(vo["originalImageBase64"].as_str().unwrap()),
        (310, 155)
    );
    assert_eq!(
        png_size(vo["jigsawImageBase64"].as_str().unwrap()),
        (47, 155)
    );
    // Verify with point_json plain, and (another challenge) encrypted.
    let token = vo["token"].as_str().unwrap();
    let plain = aj_point_json(&h, token);
    let (status, keys, body) = raw_keys(
        &app,
        post_json(
            "/api/v2/sdk/captcha/verify",
            &json!({"point_json": plain, "token": token, "sender": "a@b.c"}),
        ),
    )
    .await;
    assert_eq!(
        (status, keys),
        (StatusCode::OK, vec!["captcha_token".to_owned()])
    );
    let pass = body["captcha_token"].as_str().unwrap();
    assert_eq!(
        send(&app, post_with_token("/protected", pass)).await.0,
        StatusCode::OK
    );
    let (_, _, vo) = send(&app, idaas_get(&DEVICE)).await;
    let (token, key) = (
        vo["token"].as_str().unwrap(),
        vo["secretKey"].as_str().unwrap(),
    );
    let sealed = aes(key, &aj_point_json(&h, token));
    let (status, _, _) = send(
        &app,
        post_json(
            "/api/v2/sdk/captcha/verify",
            &json!({"point_json": sealed, "token": token}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Wrong, then used: 400 IDAAS.SDK.CAPTCHA.0002.
    let (status, keys, body) = raw_keys(
        &app,
        post_json(
            "/api/v2/sdk/captcha/verify",
            &json!({"point_json": sealed, "token": token}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(keys, ["error_code", "error_msg"]);
    assert_eq!(body["error_code"], "IDAAS.SDK.CAPTCHA.0002");
    assert_eq!(
        body["error_msg"],
        "Graphic verification code verification failed"
    );
}

#[tokio::test]
async fn idaas_header_rules_registry_eiam_spelling_and_language() {
    let h = Harness::new();
    let app = app(&h);
    let without = |name: &str| -> Vec<(&str, &str)> {
        DEVICE.iter().copied().filter(|(k, _)| *k != name).collect()
    };
    let (status, _, body) = send(&app, idaas_get(&without("X-client-id"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error_code": "IDAAS.SDK.PARAM.0002", "error_msg": "clientId cannot be empty"})
    );
    for header in ["X-operating-sys-version", "X-device-fingerprint", "X-agent"] {
        let (status, _, body) = send(&app, idaas_get(&without(header))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error_code"], "IDAAS.SDK.PARAM.0001", "{header}");
        assert_eq!(body["error_msg"], "Device information is incomplete");
    }
    let mut blank = DEVICE.to_vec();
    blank[1] = ("X-device-fingerprint", " ");
    blank.push(("X-L", "zh"));
    let (_, _, body) = send(&app, idaas_get(&blank)).await;
    assert_eq!(
        body,
        json!({"error_code": "IDAAS.SDK.PARAM.0001", "error_msg": "设备信息不完整"})
    );
    // A registry, and the EIAM spelling.
    use tower_captcha::CaptchaLayer;
    use tower_captcha::protocol::Idaas;
    let strict = Router::new().layer(
        CaptchaLayer::builder(h.captcha.clone())
            .mount(
                Idaas::new()
                    .registered_clients(["known-app"])
                    .eiam_spelling(),
            )
            .build()
            .unwrap(),
    );
    let (status, _, body) = send(&strict, idaas_get(&DEVICE)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], "IDAAS.SDK.PARAM.0003");
    assert_eq!(
        body["error_msg"],
        "The app is not registered, please register the app first"
    );
    let mut known = DEVICE.to_vec();
    known[3] = ("X-client-id", "known-app");
    assert_eq!(send(&strict, idaas_get(&known)).await.0, StatusCode::OK);
    let (_, _, body) = send(&strict, idaas_get(&without("X-client-id"))).await;
    assert_eq!(
        body,
        json!({"error_code": "SDK.COMMON.1001", "error_msg": "Parameter X-client-id cannot be left blank."})
    );
}

#[tokio::test]
async fn idaas_busy_and_bad_input_answer_400_in_its_shape() {
    // No rate limits: these requests carry no client address (`oneshot`).
    let captcha = tower_captcha::Captcha::builder()
        .secret(SECRET.to_vec())
        .store(DownStore)
        .issue_rate_limit(None)
        .verify_rate_limit(None)
        .redeem_rate_limit(None)
        .build()
        .unwrap();
    let down = example::app(captcha.clone(), SV_SECRET, false);
    let (_, _, vo) = send(&down, idaas_get(&DEVICE)).await;
    let token = vo["token"].as_str().unwrap();
    let (status, _, body) = send(
        &down,
        post_json(
            "/api/v2/sdk/captcha/verify",
            &json!({"point_json": "{\"x\":1,\"y\":5}", "token": token}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], "IDAAS.SDK.COM.0002");
    let h = Harness::new();
    let app = app(&h);
    for (name, req) in bad_bodies("/api/v2/sdk/captcha/verify") {
        let (status, _, body) = send(&app, req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {body}");
        assert!(
            body["error_code"]
                .as_str()
                .unwrap()
                .starts_with("IDAAS.SDK."),
            "{name}"
        );
        assert!(body["error_msg"].is_string(), "{name}");
    }
}

// --- AnQiCMS -------------------------------------------------------------------------------

#[tokio::test]
async fn anqicms_issues_240x76_and_verifies_with_code_0_and_minus_1() {
    let h = Harness::new();
    let app = app(&h);
    let (status, keys, body) = raw_keys(&app, get_req("/api/captcha")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys, ["code", "msg", "data"]);
    assert_eq!(
        (body["code"].as_i64(), body["msg"].as_str()),
        (Some(0), Some(""))
    );
    let image = body["data"]["captcha"].as_str().unwrap();
    let b64 = image.strip_prefix("data:image/png;base64,").unwrap();
    assert_eq!(png_size(b64), (240, 76));
    let id = body["data"]["captcha_id"].as_str().unwrap();
    let (status, _, body) = send(
        &app,
        post_json(
            "/api/captcha/verify",
            &json!({"captcha_id": id, "captcha": "WRONG"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"code": -1, "msg": "Verification code error"}));
    let key = h.answer(id);
    let (_, _, body) = send(
        &app,
        post_json(
            "/api/captcha/verify",
            &json!({"captcha_id": id, "captcha": key}),
        ),
    )
    .await;
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["data"]["expires_in"], 300);
    let pass = body["data"]["captcha_token"].as_str().unwrap();
    assert_eq!(
        send(&app, post_with_token("/protected", pass)).await.0,
        StatusCode::OK
    );
    let (_, _, body) = send(
        &app,
        post_json(
            "/api/captcha/verify",
            &json!({"captcha_id": id, "captcha": key}),
        ),
    )
    .await;
    assert_eq!(body["code"], -1, "used");
    for (name, req) in bad_bodies("/api/captcha/verify") {
        let (status, _, body) = send(&app, req).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(body["code"], -1, "{name}: {body}");
        assert!(
            body["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }
}

// --- siteverify ----------------------------------------------------------------------------

async fn siteverify(app: &Router, body: Value) -> Value {
    let mut req = post_json("/siteverify", &body);
    req.headers_mut()
        .insert("host", "app.example".parse().unwrap());
    let (status, _, body) = send(app, req).await;
    assert_eq!(status, StatusCode::OK, "always 200: {body}");
    body
}

#[tokio::test]
async fn siteverify_spends_passes_and_tickets_like_the_guard_with_vendor_error_names() {
    let h = Harness::new();
    let app = app(&h);
    let pass = h.pass(Some("login")).await;
    let body = siteverify(
        &app,
        json!({"secret": SV_SECRET, "response": pass, "remoteip": "1.2.3.4"}),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["hostname"], "app.example");
    assert_eq!(body["action"], "login");
    assert_eq!(body["error-codes"], json!([]));
    assert!(body["challenge_ts"].as_str().unwrap().ends_with('Z'));
    let body = siteverify(&app, json!({"secret": SV_SECRET, "response": pass})).await;
    assert_eq!(
        body,
        json!({"success": false, "error-codes": ["timeout-or-duplicate"]})
    );
    for (payload, code) in [
        (json!({"response": pass}), "missing-input-secret"),
        (
            json!({"secret": "", "response": pass}),
            "missing-input-secret",
        ),
        (
            json!({"secret": "wrong", "response": pass}),
            "invalid-input-secret",
        ),
        (json!({"secret": SV_SECRET}), "missing-input-response"),
        (
            json!({"secret": SV_SECRET, "response": "forged"}),
            "invalid-input-response",
        ),
        (
            json!({"secret": SV_SECRET, "response": "a.b.c"}),
            "invalid-input-response",
        ),
    ] {
        let body = siteverify(&app, payload.clone()).await;
        assert_eq!(body["success"], false, "{payload}");
        assert_eq!(body["error-codes"], json!([code]), "{payload}");
    }
    // Form bodies, as Turnstile's clients send them; and an AJ ticket.
    let data = aj_get(&app, "blockPuzzle").await;
    let (token, key) = (
        data["token"].as_str().unwrap(),
        data["secretKey"].as_str().unwrap(),
    );
    let body = aj_check(
        &app,
        "blockPuzzle",
        token,
        &aes(key, &aj_point_json(&h, token)),
    )
    .await;
    let ticket = body["repData"]["captchaVerification"].as_str().unwrap();
    let form = format!(
        "secret={SV_SECRET}&response={}",
        form_urlencoded::byte_serialize(ticket.as_bytes()).collect::<String>()
    );
    let (_, _, body) = send(
        &app,
        raw_post("/siteverify", "application/x-www-form-urlencoded", form),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    for (name, req) in bad_bodies("/siteverify") {
        let (status, _, body) = send(&app, req).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(body["success"], false, "{name}: {body}");
    }
}

#[tokio::test]
async fn siteverify_secrets_cannot_be_guessed_at_full_speed() {
    // After 10 wrong secrets in 10 minutes a caller is refused whatever it sends, the right
    // secret included, so a right guess is never told apart; another caller is not affected.
    let h = Harness::new();
    let app = example::app(h.captcha.clone(), SV_SECRET, false);
    let from = |ip: &str, body: Value| {
        let mut req = post_json("/siteverify", &body);
        let addr = std::net::SocketAddr::new(ip.parse().unwrap(), 40_000);
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        req
    };
    let mut codes = Vec::new();
    for guess in 0..12 {
        let body = json!({"secret": format!("guess-{guess}"), "response": "x"});
        let (_, _, reply) = send(&app, from("192.0.2.50", body)).await;
        codes.push(reply["error-codes"][0].as_str().unwrap().to_owned());
    }
    println!("12 wrong secrets from one address: {codes:?}");
    assert_eq!(codes[..10], ["invalid-input-secret"; 10]);
    assert_eq!(codes[10..], ["internal-error"; 2]);
    let pass = h.pass(None).await;
    let right = json!({"secret": SV_SECRET, "response": pass});
    let (_, _, reply) = send(&app, from("192.0.2.50", right.clone())).await;
    assert_eq!(
        reply["error-codes"],
        json!(["internal-error"]),
        "the guesser's right guess: {reply}"
    );
    let (_, _, reply) = send(&app, from("192.0.2.51", right)).await;
    assert_eq!(reply["success"], true, "another caller: {reply}");
}

#[tokio::test]
async fn siteverify_replays_the_first_answer_for_the_same_idempotency_key() {
    let h = Harness::new();
    let app = app(&h);
    let pass = h.pass(None).await;
    let call = |key: &str| json!({"secret": SV_SECRET, "response": pass, "idempotency_key": key});
    let first = siteverify(&app, call("5b1c7f0e-1d2a-4c1b-9a1e-000000000001")).await;
    assert_eq!(first["success"], true);
    let again = siteverify(&app, call("5b1c7f0e-1d2a-4c1b-9a1e-000000000001")).await;
    assert_eq!(again, first, "the same answer for a retry");
    let other = siteverify(&app, call("5b1c7f0e-1d2a-4c1b-9a1e-000000000002")).await;
    assert_eq!(other["error-codes"], json!(["timeout-or-duplicate"]));
}

// --- together ------------------------------------------------------------------------------

#[tokio::test]
async fn protocols_on_one_app_do_not_interfere() {
    let h = Harness::new();
    let app = app(&h);
    // A challenge from one protocol is answered in the kind's terms wherever it goes: an AJ
    // slider token sent to Auth v1 with a typed key is just a wrong answer, not a pass.
    let data = aj_get(&app, "blockPuzzle").await;
    let token = data["token"].as_str().unwrap();
    let (status, _, body) = send(&app, verify_req(token, "ABCDE")).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, 4001));
    // Auth v1 and AnQiCMS text challenges solve side by side.
    let (_, _, a) = send(&app, get_req("/auth/v1/captcha/data")).await;
    let (_, _, b) = send(&app, get_req("/api/captcha")).await;
    let (ta, tb) = (
        a["token"].as_str().unwrap(),
        b["data"]["captcha_id"].as_str().unwrap(),
    );
    let (status, _, _) = send(&app, verify_req(ta, &h.answer(ta))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, body) = send(
        &app,
        post_json(
            "/api/captcha/verify",
            &json!({"captcha_id": tb, "captcha": h.answer(tb)}),
        ),
    )
    .await;
    assert_eq!(body["code"], 0);
    // Other paths still reach the app.
    assert_eq!(
        send(&app, get_req("/nowhere")).await.0,
        StatusCode::NOT_FOUND
    );
}
