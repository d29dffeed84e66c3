//! `examples/metrics.rs`: after a short run (an issue, a wrong answer, a right one, a login,
//! a replayed pass, a rate-limited client) the app's `/metrics` shows what happened, and
//! nothing of the client's address.

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/metrics.rs"]
mod example;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::*;
use http::{Request, StatusCode};
use tower_captcha::RateLimit;

fn from(mut req: Request<Body>) -> Request<Body> {
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 77], 4000))));
    req
}

#[tokio::test]
async fn the_metrics_an_app_sees_after_a_short_run() {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .unwrap();
    let h = Harness::with(|b| {
        b.issue_rate_limit(Some(RateLimit::new(3, std::time::Duration::from_secs(60))))
    });
    let app = example::app(h.captcha.clone(), handle);
    let (_, _, c) = send(&app, from(get_req("/auth/v1/captcha/data?scope=login"))).await;
    let token = c["token"].as_str().unwrap();
    send(&app, from(verify_req(token, "WRONG"))).await;
    let (_, _, pass) = send(&app, from(verify_req(token, &h.answer(token)))).await;
    let pass = pass["captcha_token"].as_str().unwrap();
    assert_eq!(
        send(&app, from(post_with_token("/login", pass))).await.0,
        StatusCode::OK
    );
    send(&app, from(post_with_token("/login", pass))).await;
    for _ in 0..3 {
        send(&app, from(get_req("/auth/v1/captcha/data"))).await;
    }
    let (status, _, text) = send(&app, get_req("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    println!(
        "{}",
        text.lines()
            .filter(|l| !l.contains("quantile"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    for line in [
        r#"tower_captcha_issued_total{kind="text"} 3"#,
        r#"tower_captcha_verified_total{kind="text",outcome="wrong"} 1"#,
        r#"tower_captcha_verified_total{kind="text",outcome="passed"} 1"#,
        r#"tower_captcha_redeemed_total{outcome="accepted"} 1"#,
        r#"tower_captcha_redeemed_total{outcome="used"} 1"#,
        r#"tower_captcha_rate_limited_total{action="issue"} 1"#,
        r#"tower_captcha_requests_total{protocol="auth_v1",route="/auth/v1/captcha/data",status="429"} 1"#,
        r#"tower_captcha_store_seconds_count{op="settle"} 2"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from:\n{text}"
        );
    }
    assert!(!text.contains("192.0.2.77"), "no address in the metrics");
}
