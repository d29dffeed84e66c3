//! Property tests: arbitrary bytes, headers and JSON shapes thrown at every route of every
//! protocol (`examples/protocols.rs`' app), at the sealed-challenge opener and at the guard
//! never panic, and never get a 5xx while the store is healthy. Each property prints how
//! many cases it ran.

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/protocols.rs"]
mod example;

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use common::*;
use http::{Method, Request};
use proptest::prelude::*;
use serde_json::Value;
use tower_captcha::Kind;

const ROUTES: &[(&str, &str)] = &[
    ("GET", "/auth/v1/captcha/data"),
    ("POST", "/auth/v1/captcha/data/verify"),
    ("GET", "/api/captcha"),
    ("POST", "/api/captcha/verify"),
    ("POST", "/captcha/get"),
    ("POST", "/captcha/check"),
    ("POST", "/captcha/verify"),
    ("GET", "/api/v2/sdk/captcha"),
    ("POST", "/api/v2/sdk/captcha/verify"),
    ("GET", "/altcha/challenge"),
    ("POST", "/altcha/verify"),
    ("POST", "/siteverify"),
    ("POST", "/protected"),
];

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
];

/// Cases per property.
const CASES: u32 = 2_000;

/// One engine for every case (rate limits and lockouts off: every case must reach the
/// parsers), and its app.
fn harness() -> &'static (Harness, Router) {
    static SHARED: OnceLock<(Harness, Router)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let h = Harness::with(|b| b.lockout(None));
        let app = example::app(h.captcha.clone(), "siteverify-secret", false);
        (h, app)
    })
}

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    RUNTIME.with(|rt| rt.block_on(f))
}

#[test]
fn case_counts() {
    eprintln!("each of the 5 properties in this file runs {CASES} cases");
}

/// Runs one request; fails the property on a 5xx or a non-JSON answer.
fn check(req: Request<Body>) -> Result<(), TestCaseError> {
    let what = format!("{} {}", req.method(), req.uri());
    let (status, headers, body) = block_on(send(&harness().1, req));
    prop_assert!(!status.is_server_error(), "{what}: {status} {body}");
    if what.contains("/protected") && status.is_success() {
        return Ok(());
    }
    prop_assert_eq!(
        headers
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("")),
        Some("application/json"),
        "{}: not JSON: {}",
        what,
        body
    );
    Ok(())
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field names the protocols read, and others.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "token",
            "key",
            "captcha_id",
            "captcha",
            "captchaType",
            "pointJson",
            "trail",
            "captchaVerification",
            "point_json",
            "secret",
            "response",
            "altcha",
            "payload",
            "scope",
            "remoteip",
            "idempotency_key",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z_]{1,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bodies_on_every_route(
        route in prop::sample::select(ROUTES),
        content_type in prop::sample::select(CONTENT_TYPES),
        body in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut req = Request::builder().method(Method::from_bytes(route.0.as_bytes()).unwrap()).uri(route.1);
        if !content_type.is_empty() {
            req = req.header("content-type", content_type);
        }
        check(req.body(Body::from(body)).unwrap())?;
    }

    #[test]
    fn arbitrary_json_shapes_on_every_route(
        route in prop::sample::select(ROUTES),
        value in json_value(),
        form in any::<bool>(),
    ) {
        let (content_type, body) = if form {
            let pairs: Vec<(String, String)> = match &value {
                Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
                other => vec![("token".into(), other.to_string())],
            };
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                s.append_pair(k, v);
            }
            ("application/x-www-form-urlencoded", s.finish())
        } else {
            ("application/json", value.to_string())
        };
        let req = Request::builder()
            .method(Method::from_bytes(route.0.as_bytes()).unwrap())
            .uri(route.1)
            .header("content-type", content_type)
            .header("x-client-id", "c")
            .header("x-operating-sys-version", "1")
            .header("x-device-fingerprint", "f")
            .header("x-agent", "a")
            .body(Body::from(body))
            .unwrap();
        check(req)?;
    }

    #[test]
    fn arbitrary_headers_and_queries(
        route in prop::sample::select(ROUTES),
        names in prop::collection::vec("[a-z-]{1,20}", 0..6),
        values in prop::collection::vec(prop::collection::vec(32u8..127, 0..200), 0..6),
        query in "[ -~]{0,80}",
    ) {
        let uri = format!("{}?{}", route.1, form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>().replace("%3D", "=").replace("%26", "&"));
        let mut req = Request::builder().method(Method::from_bytes(route.0.as_bytes()).unwrap()).uri(uri);
        for (name, value) in names.iter().zip(values.iter()) {
            req = req.header(name.as_str(), value.as_slice());
        }
        for name in ["x-captcha-token", "x-captcha-work", "x-l", "accept-language", "x-forwarded-for"] {
            if let Some(v) = values.first() {
                req = req.header(name, v.as_slice());
            }
        }
        check(req.body(Body::from("{}")).unwrap())?;
    }

    #[test]
    fn arbitrary_and_mangled_challenge_ids_are_unknown(
        garbage in ".{0,600}",
        position in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_-]",
    ) {
        let h = &harness().0;
        let err = block_on(h.captcha.verify(&garbage, "ABCDE").into_future()).unwrap_err();
        prop_assert!(matches!(err, tower_captcha::VerifyError::Unknown), "{err:?}");
        // One character of a real id changed: it no longer opens.
        let real = block_on(h.captcha.issue(Kind::TEXT).into_future()).unwrap().id;
        let i = position.index(real.len());
        let mut mangled = real.clone();
        mangled.replace_range(i..=i, &replacement);
        if mangled != real {
            let answer = h.answer(&real);
            let err = block_on(h.captcha.verify(&mangled, answer).into_future()).unwrap_err();
            prop_assert!(matches!(err, tower_captcha::VerifyError::Unknown), "{err:?}");
        }
    }

    #[test]
    fn the_guard_refuses_arbitrary_credentials_cleanly(
        token in prop::collection::vec(32u8..127, 0..3000),
        dotted in "eyJ[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,60}",
    ) {
        let app = harness().0.app();
        for credential in [token.clone(), dotted.into_bytes()] {
            let req = Request::post("/any")
                .header("x-captcha-token", credential.as_slice())
                .body(Body::empty())
                .unwrap();
            let (status, _, body) = block_on(send(&app, req));
            prop_assert!(status == 401 || status == 403, "{status} {body}");
        }
    }
}
