//! Bad input of every kind gets a clear error in the protocol's shape: never a panic,
//! never a 500.

mod common;

use axum::body::Body;
use common::*;
use http::{Request, StatusCode};
use rand::{Rng, SeedableRng};
use serde_json::json;

const VERIFY: &str = "/auth/v1/captcha/data/verify";

async fn verify_raw(
    h: &Harness,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::post(VERIFY);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let (status, headers, body) = send(&h.app(), req.body(Body::from(body)).unwrap()).await;
    assert_eq!(headers["content-type"], "application/json");
    (status, body)
}

#[tokio::test]
async fn malformed_bodies_are_invalid_request() {
    let h = Harness::new();
    let cases: Vec<(Option<&str>, &[u8])> = vec![
        (Some("application/json"), b"not json"),
        (Some("application/json"), b""),
        (Some("application/json"), b"[1,2]"),
        (Some("application/json"), b"\"string\""),
        (
            Some("application/json"),
            b"{\"token\": 1, \"key\": \"ABCDE\"}",
        ),
        (
            Some("application/json"),
            b"{\"token\": \"x\", \"key\": null}",
        ),
        (
            Some("application/json"),
            b"{\"token\": \"x\", \"key\": [\"A\"]}",
        ),
        (Some("application/json"), b"{\"token\": \"x\"}"),
        (Some("application/json"), b"{\"key\": \"x\"}"),
        (
            Some("application/json"),
            b"{\"token\": \"x\", \"key\": \"\\ud800\"}",
        ),
        (None, b"{\"token\": \"x\""),
        (Some("application/json"), &[0xff, 0xfe, 0x00]),
    ];
    for (ct, body) in cases {
        let (status, json) = verify_raw(&h, ct, body.to_vec()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{:?}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(json["error"], "invalid_request");
        assert_eq!(error_code(&json), 4000);
    }
}

#[tokio::test]
async fn unsupported_content_type_is_invalid_request() {
    let h = Harness::new();
    // Header values hyper lets through: other types, a tab, and bytes that are not text
    // (obs-text). Control bytes other than tab never reach a service: `http` refuses them.
    let cases: [&[u8]; 5] = [
        b"text/plain",
        b"multipart/form-data; boundary=x",
        b"\tapplication/xml",
        b"application/\xff\xfejson",
        b"\x80",
    ];
    for ct in cases {
        let value = http::HeaderValue::from_bytes(ct).expect("a header value hyper accepts");
        let req = Request::post(VERIFY)
            .header("content-type", value)
            .body(Body::from("{}"))
            .unwrap();
        let (status, _, json) = send(&h.app(), req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{ct:?}");
        assert_eq!(error_code(&json), 4000, "{ct:?}");
        assert_eq!(
            json["error_description"],
            "body must be application/json or application/x-www-form-urlencoded: send a JSON body with the header `content-type: application/json`",
            "{ct:?}"
        );
    }
    assert!(http::HeaderValue::from_bytes(b"\x01").is_err());
}

#[tokio::test]
async fn a_2_mib_body_is_refused_as_invalid_request() {
    let h = Harness::new();
    let huge = format!(r#"{{"token":"x","key":"{}"}}"#, "A".repeat(2 * 1024 * 1024));
    // Declared in content-length: refused before reading...
    let req = Request::post(VERIFY)
        .header("content-type", "application/json")
        .header("content-length", huge.len())
        .body(Body::from(huge.clone()))
        .unwrap();
    let (status, _, json) = send(&h.app(), req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["error"], "invalid_request");
    assert!(
        json["error_description"]
            .as_str()
            .unwrap()
            .contains("16 KiB")
    );
    // ...undeclared but whole...
    let (status, json) = verify_raw(&h, Some("application/json"), huge.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        json["error_description"]
            .as_str()
            .unwrap()
            .contains("16 KiB")
    );
    // ...and streamed in chunks without one.
    let chunks = huge
        .into_bytes()
        .chunks(64 * 1024)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    let req = Request::post(VERIFY)
        .header("content-type", "application/json")
        .body(Body::new(Chunked(chunks)))
        .unwrap();
    let (status, _, json) = send(&h.app(), req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&json), 4000);
}

/// A body of several chunks with no declared length.
struct Chunked(std::collections::VecDeque<bytes::Bytes>);

impl http_body::Body for Chunked {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(http_body::Frame::data(b))))
    }
}

#[tokio::test]
async fn odd_keys_are_wrong_answers_never_a_pass() {
    let h = Harness::with(|b| b.kind(tower_captcha::TextOptions::default().with_max_attempts(10)));
    let c = h.captcha.issue(tower_captcha::Kind::TEXT).await.unwrap();
    let answer = h.answer(&c.id);
    let seven = format!("{answer}AB");
    let non_ascii = format!("{}É", &answer[..4]);
    let nul = format!("{}\u{0}", &answer[..4]);
    for key in [
        "",
        "   ",
        &seven,
        &non_ascii,
        &nul,
        "ＡＢＣＤＥ",
        &answer[..4],
    ] {
        let (status, json) = verify_raw(
            &h,
            Some("application/json"),
            json!({"token": c.id, "key": key}).to_string().into_bytes(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key:?}");
        assert_eq!(json["error"], "invalid_captcha", "{key:?}");
        assert_eq!(error_code(&json), 4001);
    }
    let (status, _) = verify_raw(
        &h,
        Some("application/json"),
        json!({"token": c.id, "key": answer})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "still valid after 7 wrong answers of 10"
    );
}

#[tokio::test]
async fn random_bodies_never_panic_or_500() {
    let h = Harness::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    for i in 0..300 {
        let len = rng.random_range(0..200);
        let mut body: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if i % 3 == 0 {
            // Mostly-valid JSON with random values.
            body = format!(
                r#"{{"token":{},"key":{}}}"#,
                rng.random::<u32>(),
                String::from_utf8_lossy(&body).len()
            )
            .into_bytes();
        }
        let ct = ["application/json", "application/x-www-form-urlencoded"][i % 2];
        let (status, json) = verify_raw(&h, Some(ct), body).await;
        assert!(status.is_client_error(), "{status} for case {i}");
        error_code(&json);
    }
}
