//! Abuse that many addresses make possible, tried over HTTP: the limiter cannot be turned
//! against new clients, one network cannot multiply its budget, fast clients still refill,
//! spoofed forwarding headers change nothing, repeated failures lock a client out, passes
//! are checked beyond their signature, and slow bodies are cut off.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use http::{Request, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_captcha::protocol::{AjCaptcha, AuthV1};
use tower_captcha::{
    CaptchaLayer, ClientIdentity, ClientKey, Kind, Lockout, RateLimit, VerifiedCaptcha,
};

/// `req` as if it came from `ip`.
fn from(ip: &str, mut req: Request<Body>) -> Request<Body> {
    let addr = SocketAddr::new(ip.parse().unwrap(), 40_000);
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

fn issue_limited(burst: u32) -> Harness {
    Harness::with(|b| b.issue_rate_limit(Some(RateLimit::new(burst, Duration::from_secs(2)))))
}

#[tokio::test]
async fn invalid_requests_from_100_100_addresses_cost_no_one_anything() {
    let h = issue_limited(20);
    let app = h.app();
    // The attack that used to fill the limiter's table: one bad request per address.
    for i in 0..100_100u32 {
        let [_, a, b, c] = (0x0a00_0000 + i).to_be_bytes();
        let ip = format!("10.{a}.{b}.{c}");
        let (status, _, body) =
            send(&app, from(&ip, get_req("/auth/v1/captcha/data?scope=%00"))).await;
        assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, 4000));
    }
    assert_eq!(h.store.client_entries(), 0, "nothing was counted");
    // Thirty fresh clients are served, each with its full budget.
    let mut statuses = Vec::new();
    for i in 0..30 {
        let ip = format!("192.0.2.{}", i + 1);
        let (status, _, _) = send(&app, from(&ip, get_req("/auth/v1/captcha/data"))).await;
        assert_eq!(status, StatusCode::OK, "fresh client {ip}");
        statuses.push(status.as_u16());
    }
    println!(
        "after 100 100 addresses sent ?scope=%00: limiter entries {}, 30 fresh clients got {:?}",
        h.store.client_entries(),
        statuses
            .iter()
            .fold(std::collections::BTreeMap::new(), |mut m, s| {
                *m.entry(s).or_insert(0) += 1;
                m
            })
    );
}

#[tokio::test]
async fn a_flood_of_valid_requests_is_forgotten_as_fast_as_it_came() {
    let h = issue_limited(20);
    let app = h.app();
    // Each from a network of its own, so that no network budget runs out.
    for i in 0..2_000u32 {
        let [_, _, b, c] = i.to_be_bytes();
        let ip = format!("10.{b}.{c}.1");
        let (status, _, _) = send(&app, from(&ip, get_req("/auth/v1/captcha/data"))).await;
        assert_eq!(status, StatusCode::OK);
    }
    let during = h.store.client_entries();
    assert!(during >= 2_000, "address and network buckets: {during}");
    // Once every one of them is back to a full burst, their buckets carry nothing: the next
    // request's sweep drops them.
    h.clock.advance(Duration::from_secs(10));
    let (status, _, _) = send(&app, from("192.0.2.1", get_req("/auth/v1/captcha/data"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        h.store.client_entries(),
        2,
        "only the newest client's buckets"
    );
}

#[tokio::test]
async fn a_client_sending_every_millisecond_still_refills() {
    let h =
        Harness::with(|b| b.verify_rate_limit(Some(RateLimit::new(20, Duration::from_secs(1)))));
    let app = h.app();
    let mut passed = 0;
    for _ in 0..5_000 {
        h.clock.advance(Duration::from_millis(1));
        let req = from("192.0.2.7", verify_req("not-a-challenge", "ABCDE"));
        let (status, _, _) = send(&app, req).await;
        if status != StatusCode::TOO_MANY_REQUESTS {
            passed += 1;
        }
    }
    // The burst of 20, then one per second after it (at 1, 2, 3 and 4 s): a refill that
    // rounds to nothing at this cadence must not be thrown away.
    println!("one verify per ms for 5 s (burst 20, 1/s): {passed} admitted");
    assert_eq!(passed, 24);
}

#[tokio::test]
async fn many_addresses_of_one_network_share_its_budget() {
    // 5 per address; the /24 gets 8x that.
    let h = issue_limited(5);
    let app = h.app();
    let mut served = 0;
    for host in 1..=200u8 {
        let ip = format!("198.51.100.{host}");
        for _ in 0..5 {
            let (status, _, _) = send(&app, from(&ip, get_req("/auth/v1/captcha/data"))).await;
            if status == StatusCode::OK {
                served += 1;
            }
        }
    }
    assert_eq!(
        served, 40,
        "one /24, 200 addresses: the network's budget, no more"
    );
    let (status, _, _) = send(&app, from("198.51.101.1", get_req("/auth/v1/captcha/data"))).await;
    assert_eq!(status, StatusCode::OK, "the next network is not affected");
    // IPv6: 200 addresses of one /48 (each its own /64).
    let mut served = 0;
    for net in 1..=200u16 {
        let ip = format!("2001:db8:7:{net:x}::1");
        let (status, _, _) = send(&app, from(&ip, get_req("/auth/v1/captcha/data"))).await;
        if status == StatusCode::OK {
            served += 1;
        }
    }
    assert_eq!(served, 40);
}

#[tokio::test]
async fn garbage_verifies_from_neighbours_do_not_spend_a_good_clients_network_budget() {
    // The default limits. 16 addresses of one /24 send garbage verifies (ids that do not
    // open) as fast as they can; then a good client of the same /24 signs in 13 times.
    let h = Harness::with(|b| {
        b.issue_rate_limit(Some(RateLimit::new(20, Duration::from_secs(2))))
            .verify_rate_limit(Some(RateLimit::new(20, Duration::from_secs(1))))
    });
    let app = h.app();
    let mut neighbours = (0, 0);
    for host in 10..26u8 {
        let ip = format!("203.0.113.{host}");
        for _ in 0..100 {
            let req = from(&ip, verify_req("garbage-not-a-challenge", "ABCDE"));
            match send(&app, req).await.0 {
                StatusCode::TOO_MANY_REQUESTS => neighbours.1 += 1,
                _ => neighbours.0 += 1,
            }
        }
    }
    let mut good = Vec::new();
    for _ in 0..13 {
        let (_, _, body) = send(
            &app,
            from("203.0.113.200", get_req("/auth/v1/captcha/data")),
        )
        .await;
        let token = body["token"].as_str().unwrap().to_owned();
        let answer = h.answer(&token);
        let (status, _, _) = send(&app, from("203.0.113.200", verify_req(&token, &answer))).await;
        good.push(status.as_u16());
    }
    println!(
        "16 neighbours: {} garbage verifies answered, {} refused (429); the good client's 13 right answers: {good:?}",
        neighbours.0, neighbours.1
    );
    assert!(
        neighbours.1 > 0,
        "each neighbour is limited by its own budget"
    );
    assert!(
        good.iter().all(|&s| s == 200),
        "garbage from neighbours cost the good client nothing: {good:?}"
    );
}

#[tokio::test]
async fn without_a_client_address_the_routes_refuse_loudly_unless_one_budget_is_chosen() {
    // Served without connect info (plain `axum::serve(listener, app)`, or `oneshot` in an
    // app's tests): no request has a client address.
    let h = issue_limited(20);
    let (status, _, body) = send(&h.app(), get_req("/auth/v1/captcha/data")).await;
    println!("no client address: {status} {body}");
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, 5030)
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("cannot tell clients apart"),
        "{body}"
    );
    // With the address, served.
    let (status, _, _) = send(
        &h.app(),
        from("192.0.2.1", get_req("/auth/v1/captcha/data")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // One site-wide budget, chosen on purpose: served, 20 for the whole site.
    let site_wide = Router::new()
        .layer(CaptchaLayer::new(h.captcha.clone()).client_identity(ClientIdentity::site_wide()));
    let mut statuses = Vec::new();
    for _ in 0..21 {
        statuses.push(
            send(&site_wide, get_req("/auth/v1/captcha/data"))
                .await
                .0
                .as_u16(),
        );
    }
    assert_eq!(statuses[..20], [200; 20]);
    assert_eq!(statuses[20], 429);
    // The widget's files count against no budget: served without an address.
    let with_widget = Router::new().layer(
        CaptchaLayer::builder(h.captcha.clone())
            .mount(tower_captcha::widget::Widget::new())
            .build()
            .unwrap(),
    );
    let (status, _, _) = send(&with_widget, get_req("/captcha-widget/captcha.js")).await;
    assert_eq!(status, StatusCode::OK);
    // An engine without per-client budgets needs no address.
    let unlimited = Harness::new();
    let (status, _, _) = send(&unlimited.app(), get_req("/auth/v1/captcha/data")).await;
    assert_eq!(status, StatusCode::OK);
}

fn behind_proxy(h: &Harness) -> Router {
    let layer = CaptchaLayer::builder(h.captcha.clone())
        .mount(AuthV1::new())
        .build()
        .unwrap()
        .client_identity(ClientIdentity::behind_proxies(["10.0.0.0/8"]).unwrap());
    Router::new().layer(layer)
}

#[tokio::test]
async fn spoofed_forwarding_headers_never_change_the_key() {
    let h = issue_limited(2);
    let app = behind_proxy(&h);
    let spoof = |n: u32| {
        let req = Request::get("/auth/v1/captcha/data")
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .header("forwarded", format!("for=203.0.114.{n}"))
            .body(Body::empty())
            .unwrap();
        from("192.0.2.50", req)
    };
    let statuses: Vec<u16> = futures_statuses(&app, (0..4).map(spoof).collect()).await;
    assert_eq!(
        statuses,
        [200, 200, 429, 429],
        "counted as the peer, not as the header says"
    );
    // Through the trusted proxy, each forwarded client is its own.
    let via_proxy = |client: &str| {
        let req = Request::get("/auth/v1/captcha/data")
            .header("x-forwarded-for", format!("6.6.6.6, {client}"))
            .body(Body::empty())
            .unwrap();
        from("10.1.1.1", req)
    };
    let statuses = futures_statuses(
        &app,
        vec![
            via_proxy("198.51.100.1"),
            via_proxy("198.51.100.1"),
            via_proxy("198.51.100.1"),
            via_proxy("198.51.200.2"),
        ],
    )
    .await;
    assert_eq!(statuses, [200, 200, 429, 200]);
    // A `Forwarded` header the client wrote itself, passed on by a proxy that writes
    // `X-Forwarded-For`, is not read: a new value each time buys no new budget.
    let sneaky = |n: u32| {
        let req = Request::get("/auth/v1/captcha/data")
            .header("forwarded", format!("for=203.0.115.{n}"))
            .header("x-forwarded-for", "198.51.100.77")
            .body(Body::empty())
            .unwrap();
        from("10.1.1.1", req)
    };
    let statuses = futures_statuses(&app, (0..3).map(sneaky).collect()).await;
    assert_eq!(statuses, [200, 200, 429], "counted by the proxy's header");
}

async fn futures_statuses(app: &Router, reqs: Vec<Request<Body>>) -> Vec<u16> {
    let mut out = Vec::new();
    for req in reqs {
        out.push(send(app, req).await.0.as_u16());
    }
    out
}

#[tokio::test]
async fn repeated_failures_lock_a_client_out_until_the_window_ends() {
    let h = Harness::with(|b| b.lockout(Some(Lockout::new(3, Duration::from_secs(60)))));
    let layer = CaptchaLayer::builder(h.captcha.clone())
        .mount(AuthV1::new())
        .mount(AjCaptcha::new())
        .build()
        .unwrap();
    let app = Router::new().layer(layer);
    let attacker = "192.0.2.66";
    for _ in 0..3 {
        let c = h.captcha.issue(Kind::TEXT).await.unwrap();
        let (status, _, _) = send(&app, from(attacker, verify_req(&c.id, "WRONG"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    // Even the right answer is refused now, with a retry-after.
    let c = h.captcha.issue(Kind::TEXT).await.unwrap();
    let right = h.answer(&c.id);
    let (status, headers, body) = send(&app, from(attacker, verify_req(&c.id, &right))).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, 4029),
        "{body}"
    );
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((55..=60).contains(&retry), "{retry}");
    // AJ's protocol says 6202.
    let aj = h.captcha.issue(Kind::SLIDER).await.unwrap();
    let check = post_json(
        "/captcha/check",
        &json!({"captchaType": "blockPuzzle", "token": aj.id, "pointJson": "{\"x\":100,\"y\":5}"}),
    );
    let (_, _, body) = send(&app, from(attacker, check)).await;
    assert_eq!(body["repCode"], "6202", "{body}");
    // Other clients are not affected; the attacker is let back after the window.
    let (status, _, _) = send(&app, from("192.0.2.67", verify_req(&c.id, &right))).await;
    assert_eq!(status, StatusCode::OK);
    h.clock.advance(Duration::from_secs(61));
    let c = h.captcha.issue(Kind::TEXT).await.unwrap();
    let right = h.answer(&c.id);
    let (status, _, _) = send(&app, from(attacker, verify_req(&c.id, &right))).await;
    assert_eq!(status, StatusCode::OK);
}

/// A pass signed with the real key (as only a key holder could), with chosen claims.
fn forged_pass(claims: serde_json::Value) -> String {
    use hmac::Mac as _;
    let head = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"HS256"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let message = format!("{head}.{body}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(message.as_bytes());
    format!(
        "{message}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[tokio::test]
async fn correctly_signed_passes_with_impossible_claims_are_refused() {
    let h = Harness::new();
    let app = h.app();
    // The header the engine mints, taken from a real pass, so only the claims differ.
    let real = h.pass(None).await;
    assert!(real.starts_with(&URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"HS256"}"#)));
    let now = START_MS / 1000;
    let jti = |n: u8| URL_SAFE_NO_PAD.encode([n; 16]);
    for (name, claims) in [
        (
            "ten years",
            json!({"jti": jti(1), "iat": now, "exp": now + 315_360_000, "kind": "text"}),
        ),
        (
            "from the future",
            json!({"jti": jti(2), "iat": now + 3_600, "exp": now + 3_900, "kind": "text"}),
        ),
    ] {
        let (status, _, body) = send(&app, post_with_token("/any", &forged_pass(claims))).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::UNAUTHORIZED, 4011),
            "{name}"
        );
    }
    let fine = json!({"jti": jti(3), "iat": now, "exp": now + 300, "kind": "text"});
    let (status, _, _) = send(&app, post_with_token("/any", &forged_pass(fine))).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the same shape within the limits is accepted"
    );
}

#[tokio::test]
async fn issuer_and_audience_must_match() {
    let a = Harness::with(|b| b.issuer("https://auth.example").audience("shop"));
    let b = Harness::with(|b| b.issuer("https://auth.example").audience("blog"));
    let pass = a.pass(None).await;
    let (status, _, _) = send(&b.app(), post_with_token("/any", &pass)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another audience");
    let (status, _, _) = send(&a.app(), post_with_token("/any", &pass)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_bound_pass_is_taken_only_from_its_client() {
    let h = Harness::with(|b| b.bind_passes_to_clients(true));
    let app = Router::new()
        .route(
            "/any",
            axum::routing::post(|_: VerifiedCaptcha| async { "any" }),
        )
        .route_layer(h.captcha.require())
        .layer(CaptchaLayer::new(h.captcha.clone()));
    let earn = |ip: &'static str| {
        let h = &h;
        async move {
            let key = ClientKey::from(ip.parse::<std::net::IpAddr>().unwrap());
            let c = h.captcha.issue(Kind::TEXT).client(key).await.unwrap();
            let answer = h.answer(&c.id);
            h.captcha
                .verify(&c.id, answer)
                .client(key)
                .await
                .unwrap()
                .token
        }
    };
    let pass = earn("192.0.2.10").await;
    let (status, _, body) = send(&app, from("192.0.2.11", post_with_token("/any", &pass))).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, 4015),
        "{body}"
    );
    let pass = earn("192.0.2.10").await;
    let (status, _, _) = send(&app, from("192.0.2.10", post_with_token("/any", &pass))).await;
    assert_eq!(status, StatusCode::OK);
    // Without a client to compare with, a bound pass is refused.
    let pass = earn("192.0.2.10").await;
    assert!(h.captcha.redeem(&pass).await.is_err());

    // The extractor alone (no guard) compares the same client as the guard.
    let bare = Router::new()
        .route(
            "/bare",
            axum::routing::post(|_: VerifiedCaptcha| async { "bare" }),
        )
        .layer(CaptchaLayer::new(h.captcha.clone()));
    let pass = earn("192.0.2.10").await;
    let (status, _, _) = send(&bare, from("192.0.2.10", post_with_token("/bare", &pass))).await;
    assert_eq!(status, StatusCode::OK, "its own client");
    let pass = earn("192.0.2.10").await;
    let (status, _, body) = send(&bare, from("192.0.2.11", post_with_token("/bare", &pass))).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, 4015),
        "{body}"
    );
}

#[tokio::test]
async fn a_trickling_body_is_cut_off() {
    let h = Harness::new();
    let layer = CaptchaLayer::builder(h.captcha.clone())
        .mount(AuthV1::new())
        .build()
        .unwrap()
        .body_timeout(Duration::from_millis(300));
    let server = common::loopback::Server::start(Router::new().layer(layer)).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /auth/v1/captcha/data/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"tok",
        )
        .await
        .unwrap();
    let start = std::time::Instant::now();
    // One byte every 100 ms: the whole body would take seconds.
    let trickle = async {
        for b in b"en\": \"x\", \"key\": \"ABCDE\"}" {
            if stream.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(600), trickle).await;
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer without the rest of the body")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("did not arrive in time"), "{text}");
    assert!(start.elapsed() < Duration::from_secs(3));
}

/// A solved proof of work for the native route's work puzzle `c`: the payload the widget
/// sends.
fn paid(c: &serde_json::Value) -> String {
    let (challenge, salt) = (
        c["challenge"].as_str().unwrap(),
        c["salt"].as_str().unwrap(),
    );
    let max = c["maxnumber"].as_u64().unwrap();
    let number = tower_captcha::kind::pow::solve(challenge, salt, max).unwrap();
    let json = json!({"algorithm": c["algorithm"], "challenge": challenge, "number": number,
        "salt": salt, "signature": c["signature"]});
    base64::engine::general_purpose::STANDARD.encode(json.to_string())
}

#[tokio::test]
async fn the_managed_challenge_escalates_with_what_the_server_knows_of_the_client() {
    let h = Harness::with(|b| {
        b.issue_rate_limit(Some(RateLimit::new(8, Duration::from_secs(2))))
            .lockout(Some(tower_captcha::Lockout::new(
                2,
                Duration::from_secs(600),
            )))
            .kind(
                tower_captcha::PowOptions::default()
                    .with_max_number(1_000)
                    .with_adaptive(8),
            )
    });
    let app = h.app();
    let managed = |ip: &str| from(ip, get_req("/auth/v1/captcha/data?kind=managed"));
    let mut table = vec![
        "| client state | answer |".to_owned(),
        "|---|---|".to_owned(),
    ];
    let mut row = |state: &str, status: StatusCode, body: &serde_json::Value| {
        let answer = match (status.as_u16(), body["kind"].as_str()) {
            (200, Some("pow")) => format!("proof of work, maxnumber {}", body["maxnumber"]),
            (200, Some(kind)) => format!("{kind} picture"),
            (code, _) => format!("{code} {}", body["error"].as_str().unwrap_or("")),
        };
        table.push(format!("| {state} | {answer} |"));
        answer
    };
    // A calm client: the proof of work at its base difficulty; then harder as it asks more.
    let calm = "192.0.2.20";
    let mut answers = Vec::new();
    for n in 1..=5 {
        let (status, _, body) = send(&app, managed(calm)).await;
        answers.push(row(
            &format!("calm, request {n} within a few seconds"),
            status,
            &body,
        ));
    }
    assert_eq!(answers[0], "proof of work, maxnumber 1000");
    assert_eq!(answers[1], "proof of work, maxnumber 2000");
    assert_eq!(answers[3], "proof of work, maxnumber 4000");
    // Over three quarters of its budget: a picture, which costs a proof of work first.
    let (status, headers, body) = send(&app, managed(calm)).await;
    let answer = row("three quarters of the issue budget used", status, &body);
    assert_eq!(answer, "428 work_required");
    assert_eq!(headers["x-captcha-work"], "required");
    let (_, _, work) = send(&app, from(calm, get_req("/auth/v1/captcha/data?kind=pow"))).await;
    let mut req = managed(calm);
    req.headers_mut()
        .insert("x-captcha-work", paid(&work).parse().unwrap());
    let (status, _, body) = send(&app, req).await;
    assert_eq!(
        row("the same, with the proof of work paid", status, &body),
        "text picture"
    );
    assert!(
        body["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    // A calm client after one wrong answer: a priced picture.
    let wrong = "192.0.2.21";
    let c = h.captcha.issue(Kind::TEXT).await.unwrap();
    let (status, _, _) = send(&app, from(wrong, verify_req(&c.id, "nope"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, body) = send(&app, managed(wrong)).await;
    assert_eq!(
        row("calm, after one wrong answer", status, &body),
        "428 work_required"
    );
    // A calm client after failed attempts reported by the app: a priced picture.
    let failed = "192.0.2.22";
    for _ in 0..3 {
        let ip: std::net::IpAddr = failed.parse().unwrap();
        h.captcha
            .record_failure(tower_captcha::Attempt::client(ip))
            .await;
    }
    let (status, _, body) = send(&app, managed(failed)).await;
    assert_eq!(
        row("calm, after 3 failed sign-ins", status, &body),
        "428 work_required"
    );
    // Locked out: refused until the lockout ends.
    let (status, _, _) = send(&app, from(wrong, verify_req(&c.id, "nope again"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, headers, body) = send(&app, managed(wrong)).await;
    assert_eq!(
        row("locked out (2 wrong answers)", status, &body),
        "429 too_many_requests"
    );
    assert!(headers.contains_key("retry-after"));
    // Another calm client is not affected by any of it.
    let (status, _, body) = send(&app, managed("192.0.2.30")).await;
    assert_eq!(
        row("another calm client", status, &body),
        "proof of work, maxnumber 1000"
    );
    println!("{}", table.join("\n"));
}
