//! Auth v1 and the guard, byte for byte: every status, header that matters, field, type,
//! code and message, compared with `tests/snapshots/auth_v1.json` (random values masked).
//! Run with `UPDATE_SNAPSHOTS=1` to rewrite the file after a deliberate change of the wire
//! shapes.

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use common::*;
use http::Request;
use serde_json::{Value, json};
use tower_captcha::{Captcha, CaptchaLayer, RateLimit};

const ISSUE: &str = "/auth/v1/captcha/data";
const VERIFY: &str = "/auth/v1/captcha/data/verify";

/// Replaces the random parts of a body by their shape.
fn mask(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        for (key, value) in map.iter_mut() {
            let Some(s) = value.as_str() else { continue };
            let masked = match key.as_str() {
                "token" if !s.is_empty() => "<challenge id>".to_owned(),
                "image" => match s.strip_prefix("data:image/png;base64,") {
                    Some(_) => "data:image/png;base64,<png>".to_owned(),
                    None => s.to_owned(),
                },
                "captcha_token" if s.split('.').count() == 3 => "<jwt>".to_owned(),
                _ => continue,
            };
            *value = Value::String(masked);
        }
    }
    body
}

struct Recorder {
    entries: Vec<Value>,
}

impl Recorder {
    async fn record(&mut self, name: &str, app: &Router, req: Request<Body>) -> Value {
        let (status, headers, body) = send(app, req).await;
        let mut kept = serde_json::Map::new();
        for h in ["content-type", "cache-control", "retry-after", "allow"] {
            if let Some(v) = headers.get(h) {
                kept.insert(h.into(), json!(v.to_str().unwrap()));
            }
        }
        self.entries.push(json!({
            "name": name,
            "status": status.as_u16(),
            "headers": kept,
            "body": mask(body.clone()),
        }));
        body
    }
}

fn zh(mut req: Request<Body>) -> Request<Body> {
    req.headers_mut()
        .insert("accept-language", "zh-CN,zh;q=0.9".parse().unwrap());
    req
}

fn from(mut req: Request<Body>, ip: &str) -> Request<Body> {
    req.extensions_mut()
        .insert(std::net::SocketAddr::new(ip.parse().unwrap(), 4000));
    req
}

fn raw_verify(content_type: &str, body: &str) -> Request<Body> {
    Request::post(VERIFY)
        .header("content-type", content_type)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn auth_v1_and_guard_wire_shapes_match_the_snapshot() {
    let mut r = Recorder {
        entries: Vec::new(),
    };
    let h = Harness::with(|b| {
        b.issue_rate_limit(Some(RateLimit::new(2, Duration::from_secs(10))))
            .verify_rate_limit(Some(RateLimit::new(12, Duration::from_secs(3))))
    });
    let app = h.app();

    // Issue.
    let body = r
        .record("issue", &app, from(get_req(ISSUE), "192.0.2.1"))
        .await;
    send(&app, from(get_req(ISSUE), "192.0.2.1")).await;
    let token = body["token"].as_str().unwrap().to_owned();
    let answer = h.answer(&token);
    r.record(
        "issue with a bad scope",
        &app,
        from(get_req(&format!("{ISSUE}?scope=a%20b")), "192.0.2.8"),
    )
    .await;
    r.record(
        "issue with a bad scope (zh)",
        &app,
        zh(from(get_req(&format!("{ISSUE}?scope=")), "192.0.2.9")),
    )
    .await;
    r.record(
        "issue over the rate limit",
        &app,
        from(get_req(ISSUE), "192.0.2.1"),
    )
    .await;
    r.record(
        "issue over the rate limit (zh)",
        &app,
        zh(from(get_req(ISSUE), "192.0.2.1")),
    )
    .await;

    // Verify: wrong, right, used, unknown.
    r.record(
        "verify wrong",
        &app,
        from(verify_req(&token, "WRONG"), "192.0.2.2"),
    )
    .await;
    r.record(
        "verify wrong (zh)",
        &app,
        zh(from(verify_req(&token, "WRONG"), "192.0.2.2")),
    )
    .await;
    r.record(
        "verify right",
        &app,
        from(verify_req(&token, &answer), "192.0.2.2"),
    )
    .await;
    r.record(
        "verify used",
        &app,
        from(verify_req(&token, &answer), "192.0.2.2"),
    )
    .await;
    r.record(
        "verify used (zh)",
        &app,
        zh(from(verify_req(&token, &answer), "192.0.2.2")),
    )
    .await;
    r.record(
        "verify unknown",
        &app,
        from(verify_req("AAAAAAAAAAAAAAAAAAAAAA", "ABCDE"), "192.0.2.2"),
    )
    .await;
    r.record(
        "verify unknown (zh)",
        &app,
        zh(from(verify_req("nope", "ABCDE"), "192.0.2.2")),
    )
    .await;

    // Bad bodies.
    let bad: [(&str, &str, &str); 8] = [
        ("malformed JSON", "application/json", "not json"),
        ("JSON not an object", "application/json", "[1]"),
        ("token missing", "application/json", r#"{"key":"x"}"#),
        ("key missing", "application/json", r#"{"token":"x"}"#),
        (
            "key not a string",
            "application/json",
            r#"{"token":"x","key":5}"#,
        ),
        (
            "token not a string",
            "application/json",
            r#"{"token":1,"key":"x"}"#,
        ),
        ("text/plain body", "text/plain", "{}"),
        (
            "form without key",
            "application/x-www-form-urlencoded",
            "token=x",
        ),
    ];
    for (name, ct, body) in bad {
        r.record(name, &app, from(raw_verify(ct, body), "192.0.2.3"))
            .await;
    }
    r.record(
        "malformed JSON (zh)",
        &app,
        zh(from(raw_verify("application/json", "{"), "192.0.2.3")),
    )
    .await;
    let huge = format!(r#"{{"token":"x","key":"{}"}}"#, "A".repeat(20_000));
    r.record(
        "body over 16 KiB",
        &app,
        from(raw_verify("application/json", &huge), "192.0.2.3"),
    )
    .await;

    // Wrong methods.
    r.record(
        "POST on the issue route",
        &app,
        Request::post(ISSUE).body(Body::empty()).unwrap(),
    )
    .await;
    r.record("GET on the verify route", &app, zh(get_req(VERIFY)))
        .await;

    // The attempt limit, then expiry.
    let body = send(&app, from(get_req(ISSUE), "192.0.2.4")).await.2;
    let token2 = body["token"].as_str().unwrap().to_owned();
    for i in 1..=5 {
        r.record(
            &format!("wrong answer {i} of 5"),
            &app,
            from(verify_req(&token2, "nope"), "192.0.2.4"),
        )
        .await;
    }
    r.record(
        "right answer after the limit",
        &app,
        from(verify_req(&token2, &h.answer(&token2)), "192.0.2.4"),
    )
    .await;
    let body = send(&app, from(get_req(ISSUE), "192.0.2.5")).await.2;
    let token3 = body["token"].as_str().unwrap().to_owned();
    h.clock.advance(Duration::from_secs(300));
    r.record(
        "verify expired",
        &app,
        from(verify_req(&token3, &h.answer(&token3)), "192.0.2.5"),
    )
    .await;
    for _ in 0..12 {
        send(&app, from(verify_req("x", "y"), "192.0.2.6")).await;
    }
    r.record(
        "verify over the rate limit",
        &app,
        from(verify_req("x", "y"), "192.0.2.6"),
    )
    .await;

    // The guard.
    let pass = h.pass(Some("login")).await;
    r.record(
        "guard: no header",
        &app,
        Request::post("/any").body(Body::empty()).unwrap(),
    )
    .await;
    r.record(
        "guard: no header (zh)",
        &app,
        zh(Request::post("/any").body(Body::empty()).unwrap()),
    )
    .await;
    r.record("guard: forged", &app, post_with_token("/any", "a.b.c"))
        .await;
    r.record(
        "guard: wrong scope",
        &app,
        post_with_token("/login", &h.pass(Some("other")).await),
    )
    .await;
    r.record("guard: accepted", &app, post_with_token("/login", &pass))
        .await;
    r.record("guard: used", &app, post_with_token("/login", &pass))
        .await;
    let late = h.pass(None).await;
    h.clock.advance(Duration::from_secs(301));
    r.record("guard: expired", &app, zh(post_with_token("/any", &late)))
        .await;

    // A store that is down.
    let down = Captcha::builder()
        .secret(SECRET.to_vec())
        .store(DownStore)
        .clock(tower_captcha::testing::ManualClock::new(START_MS))
        .build()
        .unwrap();
    let down_app = Router::new()
        .route(
            "/any",
            axum::routing::post(|| async { "any" }).route_layer(down.require()),
        )
        .layer(CaptchaLayer::new(down.clone()));
    // A real challenge id (same secret), so that only the store can fail.
    let other = Harness::new();
    let body = send(&other.app(), get_req(ISSUE)).await.2;
    let down_token = body["token"].as_str().unwrap();
    r.record(
        "verify with the store down",
        &down_app,
        verify_req(down_token, "ABCDE"),
    )
    .await;
    r.record(
        "verify with the store down (zh)",
        &down_app,
        zh(verify_req(down_token, "ABCDE")),
    )
    .await;
    // A valid pass (same secret), refused because the store cannot be asked.
    let down_pass = Harness::new().pass(None).await;
    r.record(
        "guard with the store down",
        &down_app,
        post_with_token("/any", &down_pass),
    )
    .await;

    // The extractor without the layer.
    let bare = Router::new().route(
        "/x",
        axum::routing::post(|_p: tower_captcha::VerifiedCaptcha| async { "x" }),
    );
    r.record(
        "extractor without the layer",
        &bare,
        post_with_token("/x", "t"),
    )
    .await;

    let actual = serde_json::to_string_pretty(&Value::Array(r.entries)).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/auth_v1.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).expect("the snapshot file");
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(0);
        panic!(
            "wire shapes differ from tests/snapshots/auth_v1.json, first at line {}:\n  actual:   {:?}\n  expected: {:?}",
            first + 1,
            actual.lines().nth(first),
            expected.lines().nth(first)
        );
    }
}
