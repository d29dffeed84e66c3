//! `RedisStore` against a real `redis-server` and a real Redis Cluster (three primaries,
//! three replicas) started by the tests: two instances sharing one server or one cluster
//! (challenges, passes, rate limits, lockouts, siteverify's idempotent replies), a thousand
//! racing requests, a server that dies mid-run and comes back, the store conformance suite
//! on the cluster, and a primary killed under traffic.
#![cfg(feature = "redis")]

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use common::redis_cluster::RedisCluster;
use common::redis_server::RedisServer;
use common::*;
use http::StatusCode;
use serde_json::json;
use tower_captcha::TextOptions;
use tower_captcha::protocol::{AuthV1, Siteverify};
use tower_captcha::store::RedisStore;
use tower_captcha::{Captcha, CaptchaLayer, Kind, StoreError};

const SV_SECRET: &str = "siteverify secret of the redis tests";

/// Where the instances keep their state.
#[derive(Clone)]
enum Target {
    Server(String),
    Cluster(Vec<String>),
}

impl Target {
    async fn store(&self, prefix: &str, timeout: Duration) -> RedisStore {
        let builder = match self {
            Target::Server(url) => RedisStore::builder(url),
            Target::Cluster(nodes) => RedisStore::cluster_builder(nodes.clone()),
        };
        builder
            .prefix(prefix)
            .op_timeout(timeout)
            .connect_timeout(timeout)
            .connect()
            .await
            .expect("redis reachable")
    }
}

/// One app instance: its own connection, engine, layers and router (Auth v1, siteverify,
/// and `/any` guarded for any scope).
struct Instance {
    captcha: Captcha,
    app: Router,
}

impl Instance {
    fn new(captcha: Captcha) -> Self {
        let layer = CaptchaLayer::builder(captcha.clone())
            .mount(AuthV1::new())
            .mount(Siteverify::new(SV_SECRET))
            .build()
            .unwrap();
        let app = Router::new()
            .route("/any", post(|| async { "any" }))
            .route_layer(captcha.require())
            .layer(layer);
        Self { captcha, app }
    }
}

async fn instance(target: &Target, prefix: &str) -> Instance {
    instance_keyed(target, prefix, SECRET).await
}

async fn instance_keyed(target: &Target, prefix: &str, secret: &[u8]) -> Instance {
    let store = target.store(prefix, Duration::from_millis(500)).await;
    let captcha = Captcha::builder()
        .secret(secret.to_vec())
        .store(store)
        .issue_rate_limit(None)
        .verify_rate_limit(None)
        .redeem_rate_limit(None)
        .build()
        .unwrap();
    Instance::new(captcha)
}

async fn issue(i: &Instance) -> (String, String) {
    let (status, _, body) = send(&i.app, get_req("/auth/v1/captcha/data")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let answer = text_answer(&i.captcha, &token);
    (token, answer)
}

#[tokio::test]
async fn an_unreachable_or_invalid_redis_or_cluster_is_a_clear_error_at_connect() {
    let url = format!("redis://127.0.0.1:{}", programs::free_port());
    for (what, builder) in [
        ("server", RedisStore::builder(&url)),
        ("cluster", RedisStore::cluster_builder([&url])),
    ] {
        let err = builder
            .connect_timeout(Duration::from_millis(300))
            .connect()
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Unavailable(_) | StoreError::Timeout),
            "{err:?}"
        );
        println!("{what} unreachable: {err}");
    }
    let err = RedisStore::connect("not a url").await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    println!("invalid URL: {err}");
    let err = RedisStore::cluster_builder(Vec::<String>::new())
        .connect()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at least one node"), "{err}");
    println!("cluster with no node: {err}");
}

/// Issue on one instance, verify on the other; a pass spent on one is spent on both;
/// wrong answers add up; another app's challenges stay unknown.
async fn shares_challenges_and_passes(target: &Target) {
    let (a, b) = (instance(target, "two").await, instance(target, "two").await);

    // Issue on A, verify on B.
    let (token, answer) = issue(&a).await;
    let (status, _, body) = send(&b.app, verify_req(&token, &answer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pass = body["captcha_token"].as_str().unwrap().to_owned();

    // A pass redeemed on B is refused on A.
    let (status, _, _) = send(&b.app, post_with_token("/any", &pass)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = send(&a.app, post_with_token("/any", &pass)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4013)
    );

    // Wrong attempts on A and B add up to one limit (5).
    let (token, answer) = issue(&b).await;
    for (inst, left) in [(&a, 4), (&b, 3), (&a, 2), (&b, 1), (&a, 0)] {
        let (status, _, body) = send(&inst.app, verify_req(&token, "WRONG")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["attempts_left"], left);
    }
    let (status, _, body) = send(&b.app, verify_req(&token, &answer)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::GONE, 4003));

    // A challenge issued by another app (its own secret and prefix) is unknown here.
    let other = instance_keyed(target, "other-app", &[9u8; 32]).await;
    let (token, answer) = issue(&other).await;
    let (status, _, body) = send(&a.app, verify_req(&token, &answer)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::GONE, 4002));
    println!("challenges, passes and attempt counts shared by two instances");
}

/// siteverify's idempotent answer, given by one instance, is replayed by the other.
async fn shares_idempotent_replies(target: &Target) {
    let (a, b) = (
        instance(target, "replies").await,
        instance(target, "replies").await,
    );
    let (token, answer) = issue(&a).await;
    let (_, _, body) = send(&a.app, verify_req(&token, &answer)).await;
    let pass = body["captcha_token"].as_str().unwrap().to_owned();
    let call = |key: &str| json!({"secret": SV_SECRET, "response": pass, "idempotency_key": key});
    let (_, _, first) = send(&a.app, post_json("/siteverify", &call("retry-1"))).await;
    assert_eq!(first["success"], true, "{first}");
    let (_, _, again) = send(&b.app, post_json("/siteverify", &call("retry-1"))).await;
    assert_eq!(
        again, first,
        "a retry sent to the other instance gets the same answer"
    );
    let (_, _, other) = send(&b.app, post_json("/siteverify", &call("retry-2"))).await;
    assert_eq!(
        other["error-codes"],
        json!(["timeout-or-duplicate"]),
        "{other}"
    );
    println!("siteverify: a retry on the other instance replayed, another key refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_one_redis() {
    let Some(server) = RedisServer::start("redis::two_instances_share_one_redis") else {
        return;
    };
    let target = Target::Server(server.url());
    shares_challenges_and_passes(&target).await;
    shares_idempotent_replies(&target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_mixed_requests_lose_nothing_and_double_spend_nothing() {
    let Some(server) = RedisServer::start("redis::a_thousand_concurrent_mixed_requests") else {
        return;
    };
    races_lose_nothing(&Target::Server(server.url())).await;
}

/// 200 flows at once across two instances: every challenge passed once, every pass
/// accepted once.
async fn races_lose_nothing(target: &Target) {
    let (a, b) = (
        instance(target, "load").await,
        instance(target, "load").await,
    );
    let instances = Arc::new([a, b]);
    // 200 flows, all at once. Each: issue on one instance (1 request), verify the right
    // answer on both instances at once (2), redeem the winning pass on both at once (2).
    const FLOWS: usize = 200;
    let counts: Arc<[AtomicUsize; 6]> = Arc::new(Default::default());
    let (issued, passes, used, accepted, replays, other) = (0, 1, 2, 3, 4, 5);
    let tasks: Vec<_> = (0..FLOWS)
        .map(|n| {
            let (instances, counts) = (instances.clone(), counts.clone());
            tokio::spawn(async move {
                let home = &instances[n % 2];
                let (token, answer) = issue(home).await;
                counts[issued].fetch_add(1, Ordering::Relaxed);
                let (ra, rb) = tokio::join!(
                    send(&instances[0].app, verify_req(&token, &answer)),
                    send(&instances[1].app, verify_req(&token, &answer)),
                );
                let mut pass = None;
                for (status, _, body) in [ra, rb] {
                    match (status, body["error_code"].as_u64()) {
                        (StatusCode::OK, _) => {
                            counts[passes].fetch_add(1, Ordering::Relaxed);
                            pass = body["captcha_token"].as_str().map(str::to_owned);
                        }
                        (StatusCode::GONE, Some(4003)) => {
                            counts[used].fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            counts[other].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                let Some(pass) = pass else { return };
                let (ra, rb) = tokio::join!(
                    send(&instances[0].app, post_with_token("/any", &pass)),
                    send(&instances[1].app, post_with_token("/any", &pass)),
                );
                for (status, _, body) in [ra, rb] {
                    match (status, body["error_code"].as_u64()) {
                        (StatusCode::OK, _) => counts[accepted].fetch_add(1, Ordering::Relaxed),
                        (StatusCode::UNAUTHORIZED, Some(4013)) => {
                            counts[replays].fetch_add(1, Ordering::Relaxed)
                        }
                        _ => counts[other].fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let c: Vec<usize> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    println!(
        "{} requests: {} issued, {} passes, {} captcha_used, {} redeemed, {} replays refused, {} other",
        c[..5].iter().sum::<usize>() + c[5],
        c[issued],
        c[passes],
        c[used],
        c[accepted],
        c[replays],
        c[other]
    );
    assert_eq!(c, vec![FLOWS, FLOWS, FLOWS, FLOWS, FLOWS, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_means_busy_and_recovery_needs_no_restart() {
    let Some(mut server) = RedisServer::start("redis::redis_down_means_busy") else {
        return;
    };
    let i = instance(&Target::Server(server.url()), "fault").await;
    let (token, answer) = issue(&i).await;
    let pass = {
        let c = i.captcha.issue(Kind::TEXT).await.unwrap();
        i.captcha
            .verify(&c.id, text_answer(&i.captcha, &c.id))
            .await
            .unwrap()
            .token
    };

    server.stop();
    // Issuing needs no store: challenges are sealed.
    let (down_token, _) = issue(&i).await;
    let (status, _, body) = send(&i.app, verify_req(&token, &answer)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, 5030),
        "verify while down"
    );
    let (status, _, body) = send(&i.app, post_with_token("/any", &pass)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, 5030),
        "guard fails closed"
    );
    println!("redis down: issue served, verify and guard answered 503 server_busy");

    server.restart();
    let start = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let (status, _, _) = send(&i.app, verify_req(&down_token, "WRONG")).await;
        if status == StatusCode::BAD_REQUEST {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no recovery after {tries} tries"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "redis back: recovered after {tries} tries, {:?}",
        start.elapsed()
    );
    // The whole flow works again, on the same instance, without a restart.
    let (token, answer) = issue(&i).await;
    let (status, _, body) = send(&i.app, verify_req(&token, &answer)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(
        &i.app,
        post_with_token("/any", body["captcha_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// An instance with rate limits and a lockout, its store on `url`.
async fn limited_instance(target: &Target, fail_closed: bool) -> Instance {
    let store = target.store("limits", Duration::from_millis(300)).await;
    let mut builder = Captcha::builder()
        .secret(SECRET.to_vec())
        .store(store)
        .issue_rate_limit(Some(tower_captcha::RateLimit::new(
            3,
            Duration::from_secs(60),
        )))
        .lockout(Some(tower_captcha::Lockout::new(
            3,
            Duration::from_secs(60),
        )));
    if fail_closed {
        builder = builder.rate_limits_fail_closed();
    }
    Instance::new(builder.build().unwrap())
}

fn from_client(
    ip: &str,
    mut req: http::Request<axum::body::Body>,
) -> http::Request<axum::body::Body> {
    let addr = std::net::SocketAddr::new(ip.parse().unwrap(), 40_000);
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_rate_limits_and_lockouts() {
    let Some(mut server) = RedisServer::start("redis::two_instances_share_rate_limits") else {
        return;
    };
    let target = Target::Server(server.url());
    let a = shares_limits_and_lockouts(&target).await;

    // Redis down: rate limits fail open by default (issuing needs no store), closed if asked.
    let closed = limited_instance(&target, true).await;
    server.stop();
    let req = from_client("192.0.2.7", get_req("/auth/v1/captcha/data"));
    assert_eq!(send(&a.app, req).await.0, StatusCode::OK, "fail open");
    let req = from_client("192.0.2.7", get_req("/auth/v1/captcha/data"));
    assert_eq!(
        send(&closed.app, req).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "fail closed"
    );
    println!(
        "redis down: the default instance issues (fail open), the fail-closed one answers 429"
    );
}

/// One client's issue budget and lockout, spent across two instances; returns one of them.
async fn shares_limits_and_lockouts(target: &Target) -> Instance {
    let (a, b) = (
        limited_instance(target, false).await,
        limited_instance(target, false).await,
    );
    // One client's budget of 3 issues, spent across both instances.
    let mut transcript = Vec::new();
    for (name, inst) in [("A", &a), ("B", &b), ("A", &a), ("B", &b), ("A", &a)] {
        let req = from_client("192.0.2.5", get_req("/auth/v1/captcha/data"));
        let (status, _, _) = send(&inst.app, req).await;
        transcript.push(format!("{name}:{}", status.as_u16()));
    }
    println!(
        "issue from one client, alternating instances: {}",
        transcript.join(" ")
    );
    assert_eq!(transcript, ["A:200", "B:200", "A:200", "B:429", "A:429"]);

    // Three wrong answers, on A and B, lock the client out of both.
    // (The challenges come from an address of their own each, not to spend the budgets.)
    let challenge = |inst: &Instance, n: u8| {
        let captcha = inst.captcha.clone();
        async move {
            let ip = std::net::IpAddr::from([198, 51, n, 1]);
            captcha.issue(Kind::TEXT).client(ip).await.unwrap()
        }
    };
    for (n, inst) in [&a, &b, &a].into_iter().enumerate() {
        let c = challenge(inst, n as u8).await;
        let req = from_client("192.0.2.6", verify_req(&c.id, "WRONG"));
        assert_eq!(send(&inst.app, req).await.0, StatusCode::BAD_REQUEST);
    }
    for (n, inst) in [&a, &b].into_iter().enumerate() {
        let c = challenge(inst, 10 + n as u8).await;
        let right = text_answer(&inst.captcha, &c.id);
        let req = from_client("192.0.2.6", verify_req(&c.id, &right));
        let (status, _, body) = send(&inst.app, req).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::TOO_MANY_REQUESTS, 4029)
        );
    }
    println!("three wrong answers across A and B: locked out on both (429, 4029)");

    // Failed sign-ins reported on A and B add up for the client and for the account; a
    // success on either clears them for both.
    let ip: std::net::IpAddr = "192.0.2.8".parse().unwrap();
    let attempt = || tower_captcha::Attempt::client(ip).account("alice");
    for inst in [&a, &b, &a] {
        assert!(!inst.captcha.pass_required(attempt()).await);
        inst.captcha.record_failure(attempt()).await;
    }
    assert!(
        b.captcha.pass_required(attempt()).await,
        "3 failures across A and B"
    );
    let elsewhere = tower_captcha::Attempt::client(std::net::IpAddr::from([192, 0, 2, 9]));
    assert!(
        b.captcha.pass_required(elsewhere.account("Alice ")).await,
        "her account, from elsewhere"
    );
    b.captcha.record_success(attempt()).await;
    let other_ip = tower_captcha::Attempt::client(std::net::IpAddr::from([192, 0, 2, 10]));
    assert!(
        !a.captcha.pass_required(other_ip.account("alice")).await,
        "her account cleared by a success on B"
    );
    assert!(
        a.captcha
            .pass_required(tower_captcha::Attempt::client(ip))
            .await,
        "the client's own count stays"
    );
    println!(
        "failed sign-ins across A and B: a pass required on both; a success on B clears the account on A"
    );
    a
}

// --- Redis Cluster ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_store_conformance_suite_passes_on_a_cluster() {
    let Some(cluster) =
        RedisCluster::start("redis::the_store_conformance_suite_passes_on_a_cluster")
    else {
        return;
    };
    let urls = cluster.urls();
    let make = |case: &'static str| {
        let urls = urls.clone();
        async move {
            let store = RedisStore::cluster_builder(urls)
                .prefix(format!("conformance-{case}"))
                .connect()
                .await
                .expect("cluster reachable");
            Arc::new(store)
        }
    };
    let outcomes = run_conformance!(make);
    for (case, outcome) in &outcomes {
        match outcome {
            Ok(()) => println!("cluster conformance: {case} ... ok"),
            Err(e) => println!("cluster conformance: {case} ... FAILED: {e}"),
        }
    }
    let failed: Vec<_> = outcomes.iter().filter(|(_, o)| o.is_err()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed",
        failed.len(),
        outcomes.len()
    );
    // The keys landed on every primary: the suite exercised all three shards.
    for port in cluster.primaries() {
        let keys: u64 = cluster.cli(port, &["DBSIZE"]).trim().parse().unwrap();
        println!("primary {port}: {keys} keys");
        assert!(keys > 0, "primary {port} got no key");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_everything_on_a_cluster() {
    let Some(cluster) = RedisCluster::start("redis::two_instances_share_everything_on_a_cluster")
    else {
        return;
    };
    let target = Target::Cluster(cluster.urls());
    shares_challenges_and_passes(&target).await;
    shares_idempotent_replies(&target).await;
    shares_limits_and_lockouts(&target).await;
    races_lose_nothing(&target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_primary_killed_under_traffic_accepts_nothing_twice_with_replica_acks() {
    let Some(mut cluster) = RedisCluster::start("redis::a_primary_killed_under_traffic") else {
        return;
    };
    let report = common::failover::run(
        &mut cluster,
        true,
        4,
        Duration::from_millis(1_000),
        Duration::from_millis(3_000),
        Duration::from_millis(8_000),
    )
    .await;
    println!("{}", common::failover::describe("replica acks", &report));
    assert!(report.ok > 100, "traffic flowed");
    assert_eq!(report.challenges_accepted_twice, 0);
    assert_eq!(report.passes_accepted_twice, 0);
    assert!(
        report.recovery_ms < 8_000,
        "full service before the run ended: {report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_replica_acks_a_spend_no_replica_acknowledged_is_refused() {
    let Some(server) = RedisServer::start("redis::with_replica_acks_a_spend_no_replica") else {
        return;
    };
    // A server with no replica: every spend waits 50 ms for an acknowledgement, gets none,
    // and is refused (fail closed); reads and rate limits are not affected.
    let store = RedisStore::builder(server.url())
        .prefix("acks")
        .wait_for_replicas(1, Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    let captcha = Captcha::builder()
        .secret(SECRET.to_vec())
        .store(store)
        .build()
        .unwrap();
    let id = captcha.seal_known::<TextOptions>(&"HAMPK".into(), None);
    let started = Instant::now();
    let err = captcha.verify(&id, "HAMPK").await.unwrap_err();
    println!(
        "verify with no replica to acknowledge: {err} after {:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, tower_captcha::VerifyError::Busy(_)),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("busy") || format!("{err:?}").contains("replicas"),
        "{err:?}"
    );
}
