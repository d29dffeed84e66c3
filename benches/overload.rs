//! Overload: a flood of AJ slider requests from thousands of networks, 2 048 in flight,
//! while a legitimate client asks for a slider every 250 ms: `cargo bench --bench overload`
//! (loopback only, Linux).
//!
//! The same flood runs twice in one process, against an engine whose issues wait as long as
//! it takes for a place in the drawing queue (`draw_queue_limit(None)`, the behaviour before
//! the bounded line) and against the default (64 waiting per drawing thread, then "busy"). Each of 2 048 attacker
//! tasks takes the next network of 3 000 (127.10-21.x.1, one address per /24, so the network
//! budget does not slow them), spends its 20-picture burst on one keep-alive connection at
//! two requests a second (about 4 000 sliders/s offered in all, twice what two cores draw),
//! and moves on, for `OVERLOAD_SECONDS` (default 10). Reported: what the attackers got, and
//! the legitimate client's wait (p50, p99) and success rate.
#![allow(missing_docs)]

#[allow(dead_code, unreachable_pub)]
#[path = "../tests/common/loopback.rs"]
mod loopback;
mod support;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use loopback::Server;
use support::conn::{Conn, env_or, percentile, runtime};
use tower_captcha::protocol::AjCaptcha;
use tower_captcha::{Captcha, CaptchaLayer};

const ATTACKERS: usize = 2_048;
const NETWORKS: usize = 3_000;
const GET: &str = r#"{"captchaType":"blockPuzzle"}"#;

/// AJ's answer code of a `/captcha/get`.
fn rep_code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["repCode"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn run(name: &str, waiting_per_thread: Option<usize>, seconds: u64) {
    let captcha = Captcha::builder()
        .secret([9u8; 32].to_vec())
        .draw_queue_limit(waiting_per_thread)
        .build()
        .unwrap();
    let layer = CaptchaLayer::builder(captcha)
        .mount(AjCaptcha::new())
        .build()
        .unwrap();
    let server = Server::start(Router::new().layer(layer)).await;
    let to = server.addr;
    let until = Instant::now() + Duration::from_secs(seconds);
    // Attackers' answers: drawn, busy, rate limited or other.
    let counts: Arc<[AtomicUsize; 4]> = Arc::new(Default::default());
    let next = Arc::new(AtomicUsize::new(0));
    let json = [("content-type", "application/json")];
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            let (counts, next) = (counts.clone(), next.clone());
            tokio::spawn(async move {
                while Instant::now() < until {
                    let n = next.fetch_add(1, Ordering::Relaxed) % NETWORKS;
                    let from = IpAddr::from([127, 10 + (n / 250) as u8, (n % 250) as u8, 1]);
                    let Ok(mut conn) = Conn::open(from, to).await else {
                        counts[3].fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    for _ in 0..20 {
                        if Instant::now() >= until {
                            break;
                        }
                        // Each attacker asks twice a second, however fast it is answered:
                        // the same offered load (about 4 000 sliders/s, twice what two cores
                        // draw) whatever the server does with it.
                        let paced = tokio::time::sleep(Duration::from_millis(500));
                        let slot = match conn.send("POST", "/captcha/get", &json, GET).await {
                            Ok((_, body)) => match rep_code(&body).as_str() {
                                "0000" => 0,
                                "9999" => 1,
                                code if code.starts_with('6') => 2,
                                _ => 3,
                            },
                            Err(_) => 3,
                        };
                        counts[slot].fetch_add(1, Ordering::Relaxed);
                        paced.await;
                        if slot == 2 {
                            break; // this address is spent: the next network
                        }
                    }
                }
            })
        })
        .collect();
    // The legitimate client: one slider every 250 ms, each from an address of its own.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut waits = Vec::new();
    let mut served = 0;
    let mut asked = 0;
    let mut k = 0u8;
    while Instant::now() + Duration::from_millis(500) < until {
        k = k.wrapping_add(1);
        let from = IpAddr::from([127, 250, 0, k.max(1)]);
        let t = Instant::now();
        if let Ok(mut conn) = Conn::open(from, to).await
            && let Ok((_, body)) = conn.send("POST", "/captcha/get", &json, GET).await
        {
            asked += 1;
            if rep_code(&body) == "0000" {
                served += 1;
            }
            waits.push(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for a in attackers {
        let _ = a.await;
    }
    drop(server);
    let [drawn, busy, limited, other] = [0, 1, 2, 3].map(|i| counts[i].load(Ordering::Relaxed));
    println!(
        "| {name} | {drawn} drawn, {busy} busy, {limited} rate limited, {other} other | {served} of {asked} ({:.0}%) | {:.0?} | {:.0?} |",
        100.0 * served as f64 / asked.max(1) as f64,
        percentile(&mut waits, 0.5),
        percentile(&mut waits, 0.99),
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let seconds: u64 = env_or("OVERLOAD_SECONDS", 10);
    let rt = runtime();
    println!(
        "| issues wait for the drawing queue | attackers' {ATTACKERS} in flight got | legitimate slider requests served | its wait p50 | p99 |"
    );
    println!("|---|---|---|---|---|");
    rt.block_on(async {
        run("as long as it takes (before)", None, seconds).await;
        run(
            "at most 64 waiting per thread, then busy (default)",
            Some(64),
            seconds,
        )
        .await;
    });
}
