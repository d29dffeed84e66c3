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

// ---- A pass only after failures ----

/// A request from `ip` (the peer address the captcha layer names the client by).
fn from_ip(ip: &str, mut req: http::Request<axum::body::Body>) -> http::Request<axum::body::Body> {
    let addr = std::net::SocketAddr::new(ip.parse().unwrap(), 40_000);
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    req
}

/// A sign-in route behind a guard that asks for a pass only after failures: the password is
/// "right"; the handler reports each outcome for the client.
fn sign_in_app(captcha: &Captcha) -> Router {
    use axum::extract::{ConnectInfo, State};
    use tower_captcha::{Attempt, VerifiedCaptcha};
    async fn sign_in(
        State(captcha): State<Captcha>,
        ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
        pass: Option<VerifiedCaptcha>,
        password: String,
    ) -> (StatusCode, String) {
        let attempt = Attempt::client(peer.ip());
        let with = if pass.is_some() {
            "with a pass"
        } else {
            "no pass"
        };
        if password == "right" {
            captcha.record_success(attempt).await;
            (StatusCode::OK, format!("welcome ({with})"))
        } else {
            captcha.record_failure(attempt).await;
            (StatusCode::UNAUTHORIZED, format!("wrong password ({with})"))
        }
    }
    Router::new()
        .route(
            "/login",
            post(sign_in).route_layer(captcha.require_scope("login").only_after_failures()),
        )
        .with_state(captcha.clone())
        .layer(CaptchaLayer::new(captcha.clone()))
}

/// A pass earned with a proof of work, for scope `login`.
async fn pow_pass(h: &Harness) -> String {
    use tower_captcha::{Kind, PowOptions, Puzzle, Solution};
    let c = h.captcha.issue(Kind::POW).scope("login").await.unwrap();
    let number = h.captcha.answer_of::<PowOptions>(&c.id).unwrap().number;
    let Puzzle::Work {
        algorithm,
        challenge,
        salt,
        signature,
        ..
    } = c.puzzle
    else {
        panic!("a proof of work")
    };
    let solution = Solution::Work {
        algorithm: algorithm.into(),
        challenge,
        number,
        salt,
        signature,
    };
    h.captcha.verify(&c.id, solution).await.unwrap().token
}

fn login(ip: &str, password: &str, pass: Option<&str>) -> http::Request<axum::body::Body> {
    let mut req = http::Request::post("/login");
    if let Some(pass) = pass {
        req = req.header("x-captcha-token", pass);
    }
    from_ip(
        ip,
        req.body(axum::body::Body::from(password.to_owned()))
            .unwrap(),
    )
}

#[tokio::test]
async fn a_calm_client_signs_in_with_no_puzzle_until_its_failures_reach_the_threshold() {
    let h = Harness::with(|b| {
        b.pass_after_failures(tower_captcha::AfterFailures::new(
            3,
            Duration::from_secs(900),
        ))
    });
    let app = sign_in_app(&h.captcha);
    let mut transcript = Vec::new();
    let mut step = async |what: &str, req| {
        let (status, _, body) = send(&app, req).await;
        transcript.push(format!("{what}: {} {body}", status.as_u16()));
        (status, body)
    };
    // A calm client: no puzzle at all.
    let (status, _) = step("192.0.2.1 signs in", login("192.0.2.1", "right", None)).await;
    assert_eq!(status, StatusCode::OK);
    // Three wrong passwords are answered as such, without a puzzle.
    for n in 1..=3 {
        let (status, body) = step(
            &format!("192.0.2.1 wrong password #{n}"),
            login("192.0.2.1", "wrong", None),
        )
        .await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::UNAUTHORIZED, Some("wrong password (no pass)"))
        );
    }
    // Now the next sign-in needs a pass, and the answer says so, with the scope.
    let (status, body) = step("192.0.2.1 signs in", login("192.0.2.1", "right", None)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4010)
    );
    assert_eq!(body["error"], "captcha_required");
    assert_eq!(body["scope"], "login");
    // A proof of work (which anyone may ask for by name) is not enough now: a picture is.
    let pow_pass = pow_pass(&h).await;
    let (status, body) = step(
        "192.0.2.1 signs in with a proof-of-work pass",
        login("192.0.2.1", "right", Some(&pow_pass)),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4010)
    );
    // Another client is not affected.
    let (status, _) = step("192.0.2.2 signs in", login("192.0.2.2", "right", None)).await;
    assert_eq!(status, StatusCode::OK);
    // With a pass the sign-in goes through, and the success clears the count.
    let pass = h.pass(Some("login")).await;
    let (status, body) = step(
        "192.0.2.1 signs in with a pass",
        login("192.0.2.1", "right", Some(&pass)),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, Some("welcome (with a pass)"))
    );
    let (status, _) = step("192.0.2.1 signs in", login("192.0.2.1", "right", None)).await;
    assert_eq!(status, StatusCode::OK, "the success cleared the failures");
    // A spent pass is still refused as ever.
    let (status, body) = step(
        "192.0.2.1 with a spent pass",
        login("192.0.2.1", "right", Some(&pass)),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4013)
    );
    // Failures expire with their window on their own.
    for _ in 0..3 {
        step(
            "192.0.2.3 wrong password",
            login("192.0.2.3", "wrong", None),
        )
        .await;
    }
    let (status, _) = step("192.0.2.3 signs in", login("192.0.2.3", "right", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    h.clock.advance(Duration::from_secs(900));
    let (status, _) = step(
        "192.0.2.3 signs in 15 min later",
        login("192.0.2.3", "right", None),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    println!("{}", transcript.join("\n"));
}

/// A sign-in that names the account in its body, checked by the `CaptchaGate` extractor.
fn gate_app(captcha: &Captcha) -> Router {
    use axum::Json;
    use axum::response::{IntoResponse, Response};
    use tower_captcha::CaptchaGate;
    async fn sign_in(gate: CaptchaGate, Json(form): Json<serde_json::Value>) -> Response {
        let user = form["user"].as_str().unwrap_or_default();
        let password = form["password"].as_str().unwrap_or_default();
        if let Err(rejection) = gate.check(user, "login").await {
            return rejection.into_response();
        }
        // Only "alice" / "right" exists; unknown accounts fail like wrong passwords.
        if user == "alice" && password == "right" {
            gate.succeeded(user).await;
            "welcome".into_response()
        } else {
            gate.failed(user).await;
            (StatusCode::UNAUTHORIZED, "wrong user name or password").into_response()
        }
    }
    Router::new()
        .route("/login", post(sign_in))
        .layer(CaptchaLayer::new(captcha.clone()))
}

fn gate_login(ip: &str, user: &str, password: &str) -> http::Request<axum::body::Body> {
    from_ip(
        ip,
        post_json("/login", &json!({"user": user, "password": password})),
    )
}

#[tokio::test]
async fn failures_count_per_account_and_per_client_and_never_cross_over() {
    let h = Harness::with(|b| {
        b.pass_after_failures(tower_captcha::AfterFailures::new(
            3,
            Duration::from_secs(900),
        ))
    });
    let app = gate_app(&h.captcha);
    // Alice's account is tried from three addresses, once each: her account needs a pass...
    for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        let (status, _, _) = send(&app, gate_login(ip, "alice", "guess")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, body) = send(&app, gate_login("198.51.100.9", "alice", "right")).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4010),
        "{body}"
    );
    assert_eq!(body["scope"], "login");
    // ... while an unrelated client signing in to another account needs none.
    let (status, _, body) = send(&app, gate_login("198.51.100.8", "bob", "wrong")).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some("wrong user name or password")
        )
    );
    // One client failing on three accounts (one of them unknown) needs a pass on any account...
    for user in ["carol", "dave", "nobody-at-all"] {
        send(&app, gate_login("203.0.113.7", user, "guess")).await;
    }
    let (status, _, body) = send(&app, gate_login("203.0.113.7", "erin", "guess")).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4010)
    );
    // ... while another client on one of those accounts needs none.
    let (status, _, body) = send(&app, gate_login("203.0.113.8", "carol", "guess")).await;
    assert_eq!(
        body.as_str(),
        Some("wrong user name or password"),
        "{status} {body}"
    );
    // An unknown account is answered exactly as a known one.
    let h2 = Harness::with(|b| b);
    let app2 = gate_app(&h2.captcha);
    let mut answers = Vec::new();
    for user in ["alice", "nobody-at-all"] {
        for n in 0..4 {
            let ip = format!("192.0.2.{}", 10 + n);
            let (status, _, body) = send(&app2, gate_login(&ip, user, "guess")).await;
            answers.push((user, status, body));
        }
    }
    for n in 0..4 {
        assert_eq!(
            (answers[n].1, &answers[n].2),
            (answers[n + 4].1, &answers[n + 4].2)
        );
    }
    assert_eq!(
        error_code(&answers[3].2),
        4010,
        "the fourth try needs a pass"
    );
    // With a pass, Alice gets in, and that clears her account's count.
    let pass = h.pass(Some("login")).await;
    let req = gate_login("198.51.100.9", "alice", "right");
    let (parts, body) = req.into_parts();
    let mut req = http::Request::from_parts(parts, body);
    req.headers_mut()
        .insert("x-captcha-token", pass.parse().unwrap());
    let (status, _, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, _) = send(&app, gate_login("198.51.100.10", "alice", "right")).await;
    assert_eq!(status, StatusCode::OK, "her account's count was cleared");
}

#[tokio::test]
async fn failures_count_an_ipv6_client_by_its_64_and_unknown_clients_together() {
    use tower_captcha::Attempt;
    let h = Harness::with(|b| {
        b.pass_after_failures(tower_captcha::AfterFailures::new(
            3,
            Duration::from_secs(900),
        ))
    });
    // Three addresses of one /64: one client.
    for n in 1..=3u16 {
        let ip = std::net::IpAddr::from([0x2001, 0xdb8, 0, 7, 0, 0, 0, n]);
        h.captcha.record_failure(Attempt::client(ip)).await;
    }
    let same_64 = std::net::IpAddr::from([0x2001, 0xdb8, 0, 7, 9, 9, 9, 9]);
    let other_64 = std::net::IpAddr::from([0x2001, 0xdb8, 0, 8, 0, 0, 0, 1]);
    assert!(h.captcha.pass_required(Attempt::client(same_64)).await);
    assert!(!h.captcha.pass_required(Attempt::client(other_64)).await);
    // Requests whose client is unknown share one count: they are never exempt for good.
    for _ in 0..3 {
        h.captcha.record_failure(Attempt::client_key(None)).await;
    }
    assert!(h.captcha.pass_required(Attempt::client_key(None)).await);
    // A success on an account clears that account, not the client's failures on others.
    let ip = std::net::IpAddr::from([192, 0, 2, 50]);
    for user in ["a", "b", "c"] {
        h.captcha
            .record_failure(Attempt::client(ip).account(user))
            .await;
    }
    h.captcha
        .record_success(Attempt::client(ip).account("mine"))
        .await;
    assert!(
        h.captcha.pass_required(Attempt::client(ip)).await,
        "the client's count stays"
    );
}
