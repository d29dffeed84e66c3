//! A flood of issue and verify requests from thousands of source addresses while a
//! legitimate client keeps logging in: `cargo bench --bench flood` (the load tool; loopback
//! only, Linux).
//!
//! The server (axum, default rate limits, lockout and store) and the load run in this
//! process on 127.0.0.1. `FLOOD_ADDRESSES` clients (default 5 050), each from its own
//! address in a /24 of its own (127.3-23.x.1), over one keep-alive connection, 64
//! addresses at a time: 20 issue
//! requests (the whole per-address burst), a wrong answer to each challenge issued, then
//! 5 issue requests on connections they close right after sending. Meanwhile one
//! legitimate client from 127.4.0.z issues, solves (through the `test-util` answer
//! helper) and logs in, every 100 ms. Reported: the flood's statuses and rate, every
//! legitimate step's status and the flow's latency, `/health` p50/p99 under the flood, the
//! pictures drawn for clients that had hung up, the store's entries, the process's resident
//! memory before and after, and the crate's metrics (through a Prometheus recorder).
#![allow(missing_docs)]

mod support;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use support::conn::{Conn, env_or, percentile, runtime};
use tokio::io::AsyncWriteExt;
use tower_captcha::TextOptions;
use tower_captcha::{Captcha, CaptchaLayer, MemoryStore, VerifiedCaptcha};

fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / 1048576.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let addresses: usize = env_or("FLOOD_ADDRESSES", 5_050);
    runtime().block_on(run(addresses));
}

async fn run(addresses: usize) {
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("no other recorder");
    let rss_start = resident_mib();
    let store = Arc::new(MemoryStore::new());
    let captcha = Captcha::builder()
        .secret([5u8; 32].to_vec())
        .shared_store(store.clone())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/login", post(|_: VerifiedCaptcha| async { "welcome" }))
        .route_layer(captcha.require_scope("login"))
        .route("/health", get(|| async { "ok" }))
        .layer(CaptchaLayer::new(captcha.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let to = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let done = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let counts: Arc<[AtomicUsize; 4]> = Arc::new(Default::default()); // 200, 429, 503, other
    // Verify statuses: 200, 400, 410, 429, other.
    let verifies: Arc<[AtomicUsize; 5]> = Arc::new(Default::default());
    let hangups = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let flood: Vec<_> = (0..64)
        .map(|_| {
            let (next, counts) = (next.clone(), counts.clone());
            let (verifies, hangups) = (verifies.clone(), hangups.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= addresses {
                        break;
                    }
                    // Each address in a network (/24) of its own: the attacker the network
                    // budget cannot slow down.
                    let from = IpAddr::from([127, 3 + (i / 250) as u8, (i % 250) as u8, 1]);
                    let Ok(mut conn) = Conn::open(from, to).await else {
                        counts[3].fetch_add(20, Ordering::Relaxed);
                        continue;
                    };
                    let mut tokens = Vec::new();
                    for _ in 0..20 {
                        let slot = match conn.send("GET", "/auth/v1/captcha/data", &[], "").await {
                            Ok((200, body)) => {
                                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) {
                                    tokens.push(v["token"].as_str().unwrap_or("").to_owned());
                                }
                                0
                            }
                            Ok((429, _)) => 1,
                            Ok((503, _)) => 2,
                            _ => 3,
                        };
                        counts[slot].fetch_add(1, Ordering::Relaxed);
                    }
                    let ct = [("content-type", "application/json")];
                    for token in tokens {
                        let body = serde_json::json!({"token": token, "key": "WRONG"}).to_string();
                        let slot = match conn
                            .send("POST", "/auth/v1/captcha/data/verify", &ct, &body)
                            .await
                        {
                            Ok((200, _)) => 0,
                            Ok((400, _)) => 1,
                            Ok((410, _)) => 2,
                            Ok((429, _)) => 3,
                            _ => 4,
                        };
                        verifies[slot].fetch_add(1, Ordering::Relaxed);
                    }
                    // Requests whose client is gone before the answer, from a network of
                    // their own (whose budget is untouched).
                    let gone_from = IpAddr::from([127, 100 + (i / 250) as u8, (i % 250) as u8, 1]);
                    for _ in 0..5 {
                        if let Ok(mut gone) = Conn::open(gone_from, to).await {
                            let req = "GET /auth/v1/captcha/data HTTP/1.1\r\nHost: bench\r\n\r\n";
                            let stream = gone.reader.get_mut();
                            if stream.write_all(req.as_bytes()).await.is_ok() {
                                hangups.fetch_add(1, Ordering::Relaxed);
                            }
                            let _ = stream.shutdown().await;
                        }
                    }
                }
            })
        })
        .collect();

    // The legitimate client and the /health probe, while the flood runs.
    let probe = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut conn = Conn::open(IpAddr::from([127, 4, 1, 1]), to).await.unwrap();
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let (status, _) = conn.send("GET", "/health", &[], "").await.unwrap();
                assert_eq!(status, 200);
                samples.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            samples
        })
    };
    let legit = {
        let (done, captcha) = (done.clone(), captcha.clone());
        tokio::spawn(async move {
            let mut flows = Vec::new();
            let mut n = 0u8;
            while !done.load(Ordering::Relaxed) {
                n = n.wrapping_add(1).max(1);
                let mut conn = Conn::open(IpAddr::from([127, 4, 0, n]), to).await.unwrap();
                let t = Instant::now();
                let (s1, body) = conn
                    .send("GET", "/auth/v1/captcha/data?scope=login", &[], "")
                    .await
                    .unwrap();
                let mut statuses = vec![s1];
                if s1 == 200 {
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                    let token = v["token"].as_str().unwrap();
                    let Some(key) = captcha.answer_of::<TextOptions>(token) else {
                        panic!("not a text challenge")
                    };
                    let verify = serde_json::json!({"token": token, "key": key}).to_string();
                    let ct = [("content-type", "application/json")];
                    let (s2, body) = conn
                        .send("POST", "/auth/v1/captcha/data/verify", &ct, &verify)
                        .await
                        .unwrap();
                    statuses.push(s2);
                    if s2 == 200 {
                        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                        let pass = v["captcha_token"].as_str().unwrap();
                        let (s3, _) = conn
                            .send("POST", "/login", &[("x-captcha-token", pass)], "")
                            .await
                            .unwrap();
                        statuses.push(s3);
                    }
                }
                flows.push((statuses, t.elapsed()));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            flows
        })
    };

    for f in flood {
        f.await.unwrap();
    }
    let elapsed = start.elapsed();
    let rss_end = resident_mib();
    done.store(true, Ordering::Relaxed);
    let mut health = probe.await.unwrap();
    let flows = legit.await.unwrap();

    let [ok, limited, busy, other] = [0, 1, 2, 3].map(|i| counts[i].load(Ordering::Relaxed));
    println!(
        "flood: {} issue requests from {addresses} addresses in {elapsed:.1?} ({:.0}/s): \
         {ok} × 200, {limited} × 429, {busy} × 503, {other} other",
        ok + limited + busy + other,
        (ok + limited + busy + other) as f64 / elapsed.as_secs_f64()
    );
    let served = flows
        .iter()
        .filter(|(s, _)| s.as_slice() == [200, 200, 200])
        .count();
    let mut latencies: Vec<Duration> = flows.iter().map(|(_, d)| *d).collect();
    let failed: Vec<_> = flows
        .iter()
        .filter(|(s, _)| s.as_slice() != [200, 200, 200])
        .map(|(s, _)| s.clone())
        .collect();
    println!(
        "legitimate client: {served} of {} flows (issue, verify, login) all 200; \
         flow p50 {:.1?}, p99 {:.1?}; failures: {failed:?}",
        flows.len(),
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99)
    );
    println!(
        "/health under the flood: p50 {:.1?}, p99 {:.1?} ({} probes)",
        percentile(&mut health, 0.5),
        percentile(&mut health, 0.99),
        health.len()
    );
    let [v_ok, v_wrong, v_gone, v_limited, v_other] =
        [0, 1, 2, 3, 4].map(|i| verifies[i].load(Ordering::Relaxed));
    println!(
        "flood verifies (a wrong answer to each challenge): {v_wrong} × 400, {v_limited} × 429 \
         (rate limit or lockout), {v_gone} × 410, {v_ok} × 200, {v_other} other"
    );
    // Let the pictures of the hung-up requests finish (or be skipped).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rendered = metrics.render();
    let issued: f64 = rendered
        .lines()
        .filter(|l| l.starts_with("tower_captcha_issued_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    let answered_issues = ok
        + flows
            .iter()
            .filter(|(s, _)| s.first() == Some(&200))
            .count();
    println!(
        "hung-up clients: {} issue requests sent then closed; pictures drawn for them anyway: {:.0}",
        hangups.load(Ordering::Relaxed),
        issued - answered_issues as f64
    );
    println!(
        "store entries: {} (answered challenges and spent passes), {} rate buckets and failure counts",
        store.len(),
        store.client_entries()
    );
    println!("resident memory: {rss_start:.1} MiB before, {rss_end:.1} MiB after the flood");
    println!("metrics the app sees (Prometheus text, tower_captcha_* only):");
    for line in rendered.lines().filter(|l| l.starts_with("tower_captcha_")) {
        if !line.contains("_bucket{") {
            println!("  {line}");
        }
    }
}
