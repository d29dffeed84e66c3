//! Latency of verify and redeem against a local Redis, p50 and p99:
//! `cargo bench --bench redis --features redis`.
//!
//! Starts its own `redis-server` on a free port (or uses `REDIS_URL` when set) and runs the
//! same operations against `MemoryStore` in the same run as a reference. Each operation is
//! timed alone, one after another, on a single-threaded runtime: what one request waits.
#![allow(missing_docs, unreachable_pub, dead_code)]

#[path = "../tests/common/programs.rs"]
mod programs;
#[path = "../tests/common/redis_server.rs"]
mod redis_server;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::engine;
use tower_captcha::TextOptions;
use tower_captcha::store::RedisStore;
use tower_captcha::{Captcha, MemoryStore, Store};

const OPS: usize = 5_000;

/// `n` challenges whose answer is `HAMPK`, sealed without drawing.
fn pending(captcha: &Captcha, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| captcha.seal_known::<TextOptions>(&"HAMPK".into(), None))
        .collect()
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    (at(0.50), at(0.99))
}

async fn measure(name: &str, store: Arc<dyn Store>) {
    let captcha = engine(store.clone());
    let ids = pending(&captcha, OPS);
    let mut verify = Vec::with_capacity(OPS);
    let mut tokens = Vec::with_capacity(OPS);
    for id in &ids {
        let t = Instant::now();
        let pass = captcha.verify(id, "hampk").await.unwrap();
        verify.push(t.elapsed());
        tokens.push(pass.token);
    }
    let mut redeem = Vec::with_capacity(OPS);
    for token in &tokens {
        let t = Instant::now();
        captcha.redeem(token).await.unwrap();
        redeem.push(t.elapsed());
    }
    let (v50, v99) = percentiles(verify);
    let (r50, r99) = percentiles(redeem);
    println!(
        "{name:<8} verify p50 {v50:>10.1?} p99 {v99:>10.1?} | redeem p50 {r50:>10.1?} p99 {r99:>10.1?}  ({OPS} each)"
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and test harness probes
    }
    let server = match std::env::var("REDIS_URL") {
        Ok(_) => None,
        Err(_) => match redis_server::RedisServer::start("bench redis") {
            Some(s) => Some(s),
            None => return,
        },
    };
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| server.as_ref().unwrap().url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        measure("memory", Arc::new(MemoryStore::with_capacity(1_000_000))).await;
        let redis = RedisStore::builder(&url)
            .prefix("bench")
            .connect()
            .await
            .unwrap();
        measure("redis", Arc::new(redis)).await;
    });
}
