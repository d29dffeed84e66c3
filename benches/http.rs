//! The HTTP path, measured in one run on this machine's cores: `cargo bench --bench http`.
//!
//! A plain hyper server (one tokio worker per core) serves the Auth v1 routes and a trivial
//! `/health` route on 127.0.0.1; a small keep-alive HTTP/1.1 client of ours, on a runtime of
//! its own (as a separate load generator would be), drives it. Both share the same cores.
//! Every phase is bounded in time. Reported:
//!
//! 1. render-only rate: pictures drawn and PNG-encoded per second, one thread per core;
//! 2. issue-route rate: `GET /auth/v1/captcha/data` answers per second from 8 connections,
//!    and its ratio to (1);
//! 3. `/health` p50/p99 on one connection, idle, then while 8 connections flood the issue
//!    route, and the ratio of the two p99s (drawing runs on a pool of low-priority threads,
//!    one per core, so it must not stall the async workers).
#![allow(missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tower::{Layer, service_fn};
use tower_captcha::TextOptions;
use tower_captcha::{Captcha, CaptchaLayer};

const PHASE: Duration = Duration::from_secs(4);
const FLOOD_CONNECTIONS: usize = 8;

/// One keep-alive connection: sends GETs, reads whole responses.
struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            reader: BufReader::new(stream),
        }
    }

    /// GET `path`; returns the status code.
    async fn get(&mut self, path: &str) -> u16 {
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        self.reader
            .get_mut()
            .write_all(req.as_bytes())
            .await
            .unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).await.unwrap();
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).await.unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body).await.unwrap();
        status
    }
}

fn percentile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort_unstable();
    samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)]
}

/// `/health` latencies on one connection for `PHASE`.
async fn probe(addr: SocketAddr) -> Vec<Duration> {
    let mut client = Client::connect(addr).await;
    let mut samples = Vec::new();
    let start = Instant::now();
    while start.elapsed() < PHASE {
        let t = Instant::now();
        assert_eq!(client.get("/health").await, 200);
        samples.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    samples
}

/// Answers per second for `path` from `FLOOD_CONNECTIONS` connections during `phase`.
async fn flood_rate(addr: SocketAddr, path: &'static str, phase: Duration) -> f64 {
    let start = Instant::now();
    let counts: Vec<_> = (0..FLOOD_CONNECTIONS)
        .map(|_| {
            tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                let mut n = 0u64;
                while start.elapsed() < phase {
                    assert_eq!(client.get(path).await, 200);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for c in counts {
        total += c.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let builder = Captcha::builder()
        .secret([9u8; 32].to_vec())
        .issue_rate_limit(None)
        .verify_rate_limit(None);
    // With `REDIS_URL` set (and the `redis` feature), the engine runs on a Redis store.
    #[cfg(feature = "redis")]
    let builder = match std::env::var("REDIS_URL") {
        Ok(url) => {
            let rt = tokio::runtime::Runtime::new().unwrap();
            let store = rt
                .block_on(tower_captcha::store::RedisStore::connect(&url))
                .expect("REDIS_URL reachable");
            std::mem::forget(rt); // the connection's driver task lives on this runtime
            println!("store: Redis at {url}");
            builder.store(store)
        }
        Err(_) => builder,
    };
    let captcha = builder.build().unwrap();

    // 1. Render-only rate, one thread per core.
    let drawn = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..cores {
            let (captcha, drawn) = (captcha.clone(), drawn.clone());
            s.spawn(move || {
                while start.elapsed() < PHASE {
                    let answer = String::from("HAMPK");
                    let _ = std::hint::black_box(captcha.draw::<TextOptions>(&answer, None));
                    drawn.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let render_rate = drawn.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();

    let runtime = |name: &str| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores)
            .thread_name(name)
            .enable_all()
            .build()
            .unwrap()
    };
    let server_rt = runtime("server");
    let client_rt = runtime("load");
    let addr = server_rt.block_on(async move {
        let health = service_fn(|_: Request<Incoming>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
        });
        let app = CaptchaLayer::new(captcha).layer(health);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let svc = TowerToHyperService::new(app.clone());
                tokio::spawn(async move {
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        addr
    });
    client_rt.block_on(async move {
        // 0. The HTTP floor: `/health` answers per second from the same 8 connections.
        let health_rate = flood_rate(addr, "/health", PHASE).await;

        // 3a. Idle /health latency.
        let mut idle = probe(addr).await;

        // 2 + 3b. Flood the issue route while probing /health.
        let stop = Arc::new(AtomicBool::new(false));
        let issued = Arc::new(AtomicU64::new(0));
        let flood: Vec<_> = (0..FLOOD_CONNECTIONS)
            .map(|_| {
                let (stop, issued) = (stop.clone(), issued.clone());
                tokio::spawn(async move {
                    let mut client = Client::connect(addr).await;
                    while !stop.load(Ordering::Relaxed) {
                        assert_eq!(client.get("/auth/v1/captcha/data").await, 200);
                        issued.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let start = Instant::now();
        let mut busy = probe(addr).await;
        let issue_rate = issued.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for f in flood {
            f.await.unwrap();
        }

        let (idle50, idle99) = (percentile(&mut idle, 0.5), percentile(&mut idle, 0.99));
        let (busy50, busy99) = (percentile(&mut busy, 0.5), percentile(&mut busy, 0.99));
        println!("cores: {cores}; each phase {PHASE:?}");
        println!("render only        : {render_rate:>8.0} pictures/s");
        println!("/health (floor)    : {health_rate:>8.0} answers/s ({FLOOD_CONNECTIONS} connections)");
        println!(
            "issue route        : {issue_rate:>8.0} answers/s ({FLOOD_CONNECTIONS} connections) = {:.2} x render-only",
            issue_rate / render_rate
        );
        println!("/health idle       : p50 {idle50:>9.1?}  p99 {idle99:>9.1?}  ({} requests)", idle.len());
        println!("/health under flood: p50 {busy50:>9.1?}  p99 {busy99:>9.1?}  ({} requests)", busy.len());
        println!(
            "/health p99 under flood / idle: {:.2}",
            busy99.as_secs_f64() / idle99.as_secs_f64()
        );
    });
}
