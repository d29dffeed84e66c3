//! The proof-of-work kind over ALTCHA's format, against `examples/protocols.rs`' app: a
//! solve end to end into the guard and siteverify, single use under a race, nothing burnt by
//! garbage, expiry, bad input in Auth v1's error shape, the price on pictures, and
//! difficulty that follows a client's rate.

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/protocols.rs"]
mod example;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower_captcha::kind::pow;
use tower_captcha::{PowOptions, RateLimit};

const SV_SECRET: &str = "siteverify-secret-for-the-tests";

fn app(h: &Harness) -> Router {
    example::app(h.captcha.clone(), SV_SECRET, false)
}

async fn challenge(app: &Router, uri: &str) -> Value {
    let (status, headers, body) = send(app, get_req(uri)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    body
}

/// What ALTCHA's widget submits for `challenge` once it found `number`.
fn payload_with(challenge: &Value, number: u64) -> String {
    let body = json!({
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
        "took": 412.5,
    });
    STANDARD.encode(body.to_string())
}

/// Solves `challenge` as a client does.
fn solve(challenge: &Value) -> String {
    let number = pow::solve(
        challenge["challenge"].as_str().unwrap(),
        challenge["salt"].as_str().unwrap(),
        challenge["maxnumber"].as_u64().unwrap(),
    )
    .expect("a number up to maxnumber solves it");
    payload_with(challenge, number)
}

fn verify_form(payload: &str) -> Request<Body> {
    Request::post("/altcha/verify")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "altcha={}",
            form_urlencoded::byte_serialize(payload.as_bytes()).collect::<String>()
        )))
        .unwrap()
}

fn small() -> Harness {
    Harness::with(|b| b.kind(PowOptions::default().with_max_number(5_000)))
}

#[tokio::test]
async fn a_solved_challenge_becomes_a_pass_the_guard_and_siteverify_take() {
    let h = small();
    let app = app(&h);
    let c = challenge(&app, "/altcha/challenge?scope=login").await;
    assert_eq!(c["algorithm"], "SHA-256");
    assert_eq!(c["maxnumber"], 5_000);
    let salt = c["salt"].as_str().unwrap();
    let expires = START_MS / 1000 + 300;
    assert!(
        salt.ends_with(&format!("?expires={expires}&")),
        "expiry in the salt, closed by the delimiter: {salt}"
    );
    assert_eq!(c["challenge"].as_str().unwrap().len(), 64);
    assert_eq!(c["signature"].as_str().unwrap().len(), 64);

    // The widget's form field.
    let (status, _, body) = send(&app, verify_form(&solve(&c))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true);
    assert_eq!(body["expires_in"], 300);
    let pass = body["captcha_token"].as_str().unwrap();
    assert_eq!(
        body["payload"], pass,
        "what the widget's verifyUrl option reads"
    );

    let (status, _, body) = send(&app, post_with_token("/protected", pass)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["kind"], "pow");
    assert_eq!(body["scope"], "login");

    // A second pass, spent through siteverify instead, by JSON `payload` (verifyUrl's shape).
    let c = challenge(&app, "/altcha/challenge").await;
    let req = post_json(
        "/altcha/verify",
        &json!({"payload": solve(&c), "code": null, "timeZone": "UTC"}),
    );
    let (status, _, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let req = post_json(
        "/siteverify",
        &json!({"secret": SV_SECRET, "response": body["captcha_token"]}),
    );
    let (_, _, body) = send(&app, req).await;
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["action"], "");
}

#[tokio::test]
async fn a_solution_is_spent_once() {
    let h = small();
    let app = app(&h);
    let c = challenge(&app, "/altcha/challenge").await;
    let payload = solve(&c);
    let (status, _, _) = send(&app, verify_form(&payload)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = send(&app, verify_form(&payload)).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(error_code(&body), 4003, "{body}");
}

#[tokio::test]
async fn fifty_racing_submissions_of_one_solution_get_one_pass() {
    let h = small();
    let app = app(&h);
    let c = challenge(&app, "/altcha/challenge").await;
    let payload = solve(&c);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let app = app.clone();
            let payload = payload.clone();
            tokio::spawn(async move { send(&app, verify_form(&payload)).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let passed = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let used = statuses.iter().filter(|s| **s == StatusCode::GONE).count();
    assert_eq!((passed, used), (1, 49), "{statuses:?}");
}

#[tokio::test]
async fn garbage_payloads_do_not_burn_the_real_one() {
    let h = small();
    let app = app(&h);
    let c = challenge(&app, "/altcha/challenge").await;
    let good = solve(&c);
    let decoded: Value = serde_json::from_slice(&STANDARD.decode(&good).unwrap()).unwrap();
    let number = decoded["number"].as_u64().unwrap();
    let mut forged_signature = c.clone();
    forged_signature["signature"] = json!("00".repeat(32));
    let mut other_algorithm = c.clone();
    other_algorithm["algorithm"] = json!("SHA-512");
    for bad in [
        payload_with(&c, number + 1),
        payload_with(&forged_signature, number),
        payload_with(&other_algorithm, number),
    ] {
        let (status, _, body) = send(&app, verify_form(&bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&body), 4001, "{body}");
    }
    assert!(h.store.is_empty(), "wrong payloads never reach the store");
    let (status, _, body) = send(&app, verify_form(&good)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn expired_challenges_are_refused_even_when_solved() {
    let h = small();
    let app = app(&h);
    let c = challenge(&app, "/altcha/challenge").await;
    let payload = solve(&c);
    h.clock.advance(Duration::from_secs(301));
    let (status, _, body) = send(&app, verify_form(&payload)).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(error_code(&body), 4002, "{body}");
}

#[tokio::test]
async fn bad_input_gets_auth_v1_errors() {
    let h = small();
    let app = app(&h);
    let cases: Vec<(Request<Body>, StatusCode, u64)> = vec![
        (verify_form(""), StatusCode::GONE, 4002),
        (verify_form("bm90IGpzb24="), StatusCode::GONE, 4002),
        (verify_form(&"A".repeat(4000)), StatusCode::GONE, 4002),
        (
            post_json("/altcha/verify", &json!({"other": 1})),
            StatusCode::BAD_REQUEST,
            4000,
        ),
        (
            post_json("/altcha/verify", &json!({"payload": 42})),
            StatusCode::BAD_REQUEST,
            4000,
        ),
        (
            get_req("/altcha/verify"),
            StatusCode::METHOD_NOT_ALLOWED,
            4000,
        ),
        (
            get_req("/altcha/challenge?scope=%00"),
            StatusCode::BAD_REQUEST,
            4000,
        ),
    ];
    for (req, status, code) in cases {
        let uri = req.uri().clone();
        let (got, _, body) = send(&app, req).await;
        assert_eq!((got, error_code(&body)), (status, code), "{uri}: {body}");
    }
    // A payload made for another challenge's salt: its own challenge id does not check.
    let a = challenge(&app, "/altcha/challenge").await;
    let b = challenge(&app, "/altcha/challenge").await;
    let mut spliced = b.clone();
    spliced["salt"] = a["salt"].clone();
    let number_b = pow::solve(
        b["challenge"].as_str().unwrap(),
        b["salt"].as_str().unwrap(),
        5_000,
    )
    .unwrap();
    let (status, _, _) = send(&app, verify_form(&payload_with(&spliced, number_b))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pictures_can_cost_a_proof_of_work() {
    let h = Harness::with(|b| {
        b.kind(PowOptions::default().with_max_number(5_000))
            .require_work_for_pictures(true)
    });
    let app = app(&h);
    // No work: refused, in each protocol's own shape.
    let (status, headers, body) = send(&app, get_req("/auth/v1/captcha/data")).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(error_code(&body), 4028, "{body}");
    assert_eq!(headers["x-captcha-work"], "required");
    let (status, _, body) = send(&app, get_req("/api/captcha")).await;
    assert_eq!((status, &body["code"]), (StatusCode::OK, &json!(-1)));
    let aj = post_json("/captcha/get", &json!({"captchaType": "blockPuzzle"}));
    let (_, headers, body) = send(&app, aj).await;
    assert_eq!(body["repCode"], "9999", "{body}");
    assert_eq!(
        headers["x-captcha-work"], "required",
        "how a client knows to pay"
    );

    // The proof of work itself is free to ask for; a solved one buys one picture.
    let c = challenge(&app, "/altcha/challenge").await;
    let payload = solve(&c);
    let priced = || {
        Request::get("/auth/v1/captcha/data")
            .header("x-captcha-work", &payload)
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, body) = send(&app, priced()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png")
    );
    // Spent: the same work buys nothing more, and cannot be turned into a pass either.
    let (status, _, body) = send(&app, priced()).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("refused")
    );
    let (status, _, _) = send(&app, verify_form(&payload)).await;
    assert_eq!(status, StatusCode::GONE);
    // A text challenge's id is not work.
    let garbage = Request::get("/auth/v1/captcha/data")
        .header("x-captcha-work", "bm90IHdvcms=")
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = send(&app, garbage).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
}

#[tokio::test]
async fn difficulty_follows_a_clients_rate() {
    let h = Harness::with(|b| {
        b.kind(
            PowOptions::default()
                .with_max_number(1_000)
                .with_adaptive(8),
        )
        .issue_rate_limit(Some(RateLimit::new(20, Duration::from_secs(2))))
    });
    let client = common::loopback::loopback(0, 0, 1);
    let max = |c: &tower_captcha::Challenge| match &c.puzzle {
        tower_captcha::Puzzle::Work { max_number, .. } => *max_number,
        other => panic!("{other:?}"),
    };
    let mut seen = Vec::new();
    for _ in 0..20 {
        let c = h
            .captcha
            .issue(tower_captcha::Kind::POW)
            .client(client)
            .await
            .unwrap();
        seen.push(max(&c));
    }
    assert_eq!(seen[0], 1_000, "calm: the base difficulty");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), 8_000, "capped at 8x: {seen:?}");
    // Another client is not affected; the first calms down as its budget refills.
    let other = h
        .captcha
        .issue(tower_captcha::Kind::POW)
        .client(common::loopback::loopback(0, 9, 1))
        .await
        .unwrap();
    assert_eq!(max(&other), 1_000);
    h.clock.advance(Duration::from_secs(60));
    let calm = h
        .captcha
        .issue(tower_captcha::Kind::POW)
        .client(client)
        .await
        .unwrap();
    assert_eq!(max(&calm), 1_000);
}

#[tokio::test]
async fn a_refused_issue_does_not_cost_the_work_that_paid_for_it() {
    let h = Harness::with(|b| {
        b.kind(PowOptions::default().with_max_number(2_000))
            .require_work_for_pictures(true)
            .issue_rate_limit(Some(RateLimit::new(3, Duration::from_secs(3600))))
    });
    let app = app(&h);
    let from = |mut req: Request<Body>| {
        let addr = std::net::SocketAddr::from(([192, 0, 2, 20], 40_000));
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        req
    };
    let priced = |payload: &str| {
        from(
            Request::get("/auth/v1/captcha/data")
                .header("x-captcha-work", payload)
                .body(Body::empty())
                .unwrap(),
        )
    };
    // Two proofs of work and one picture use the budget of 3 issues.
    let mut paid = Vec::new();
    for _ in 0..2 {
        let (status, _, c) = send(&app, from(get_req("/altcha/challenge"))).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        paid.push(solve(&c));
    }
    let (status, _, body) = send(&app, priced(&paid[0])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The next picture is refused by the limit: the work that paid for it is not spent,
    // and still turns into a pass.
    let (status, _, body) = send(&app, priced(&paid[1])).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let (status, _, body) = send(&app, from(verify_form(&paid[1]))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], true);
}
