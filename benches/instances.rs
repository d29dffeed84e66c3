//! Sign-ins across 1, 2 and 4 app instances sharing one Redis, and sharing a Redis Cluster
//! (three primaries, three replicas): `cargo bench --bench instances --features redis`
//! (the load tool; loopback only, Linux).
//!
//! Every instance is a whole app in this process (its own store connection, engine, layer
//! and axum server on 127.0.0.1) with the default rate limits, lockout and guard. 32
//! clients sign in without pause for `INSTANCES_SECONDS` (default 5) per run, each sign-in
//! from an address of its own in a /24 of its own (127.16-245.x.1): `GET` a text challenge
//! from one instance, `POST` the answer (read with the `test-util` helper) to the next, and
//! the guarded `POST /login` with the pass to the one after, so every sign-in crosses
//! instances. Reported per run: sign-ins per second and its ratio to the one-instance run on
//! the same store, sign-in latency p50/p99, the store's round trips per sign-in (every
//! store call, counted by the crate's `tower_captcha_store_seconds` metric through a
//! Prometheus recorder), and what Redis did per sign-in (commands from `INFO commandstats`,
//! those run inside scripts included; its CPU time from `INFO cpu`; the memory it still
//! holds from `INFO memory`), summed over the primaries. Then the store alone: the same verify and
//! redeem calls without HTTP or pictures, 64 at a time, to show what one Redis carries.
//!
//! On two shared cores the client, the instances and Redis compete for the same cores:
//! compare the ratios within a run, not the absolute figures across machines.
#![allow(missing_docs, unreachable_pub, dead_code)]

#[path = "../tests/common/loopback.rs"]
mod loopback;
#[path = "../tests/common/programs.rs"]
mod programs;
#[path = "../tests/common/redis_cluster.rs"]
mod redis_cluster;
#[path = "../tests/common/redis_server.rs"]
mod redis_server;

use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use loopback::{Server, request};
use redis_cluster::RedisCluster;
use redis_server::RedisServer;
use tower_captcha::TextOptions;
use tower_captcha::store::RedisStore;
use tower_captcha::{Captcha, CaptchaLayer, ClientKey};

const SECRET: &[u8] = b"the instances benchmark's shared secret";
const CLIENTS: usize = 32;

/// Where the instances keep their state, and the Redis ports to read statistics from.
enum Target {
    Server(String, u16),
    Cluster(Vec<String>, Vec<u16>),
}

impl Target {
    async fn store(&self, prefix: &str) -> RedisStore {
        let builder = match self {
            Target::Server(url, _) => RedisStore::builder(url),
            Target::Cluster(nodes, _) => RedisStore::cluster_builder(nodes.clone()),
        };
        builder
            .prefix(prefix)
            .connect()
            .await
            .expect("redis reachable")
    }

    fn name(&self) -> &'static str {
        match self {
            Target::Server(..) => "one Redis",
            Target::Cluster(..) => "cluster (3 primaries)",
        }
    }

    fn primaries(&self) -> &[u16] {
        match self {
            Target::Server(_, port) => std::slice::from_ref(port),
            Target::Cluster(_, ports) => ports,
        }
    }
}

/// What Redis did, summed over the primaries.
#[derive(Default, Clone, Copy)]
struct RedisUse {
    commands: u64,
    cpu_us: u64,
    memory: i64,
}

fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn field(info: &str, name: &str) -> f64 {
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Commands served (the statistics' own `INFO`/`CONFIG` calls and the cluster client's
/// topology look-ups left out), CPU time and memory, over `ports`.
fn redis_use(ports: &[u16]) -> RedisUse {
    let mut total = RedisUse::default();
    for &port in ports {
        let stats = cli(port, &["INFO", "commandstats"]);
        for line in stats.lines().filter(|l| l.starts_with("cmdstat_")) {
            let name = line.split(':').next().unwrap_or("");
            if [
                "cmdstat_info",
                "cmdstat_config",
                "cmdstat_cluster",
                "cmdstat_ping",
            ]
            .iter()
            .any(|skip| name.starts_with(skip))
            {
                continue;
            }
            if let Some(calls) = line
                .split(['=', ','])
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
            {
                total.commands += calls;
            }
        }
        let cpu = cli(port, &["INFO", "cpu"]);
        total.cpu_us += ((field(&cpu, "used_cpu_user") + field(&cpu, "used_cpu_sys")) * 1e6) as u64;
        total.memory += field(&cli(port, &["INFO", "memory"]), "used_memory") as i64;
    }
    total
}

fn reset_stats(ports: &[u16]) {
    for &port in ports {
        cli(port, &["CONFIG", "RESETSTAT"]);
    }
}

struct Instance {
    captcha: Captcha,
    server: Server,
}

async fn start(target: &Target, n: usize, prefix: &str) -> Vec<Instance> {
    let mut instances = Vec::new();
    for _ in 0..n {
        let captcha = Captcha::builder()
            .secret(SECRET.to_vec())
            .store(target.store(prefix).await)
            .build()
            .unwrap();
        let app = Router::new()
            .route("/login", post(|| async { "welcome" }))
            .route_layer(captcha.require())
            .layer(CaptchaLayer::new(captcha.clone()));
        instances.push(Instance {
            captcha,
            server: Server::start(app).await,
        });
    }
    instances
}

/// Sign-in `k`'s own address, in a /24 of its own.
fn address(k: usize) -> IpAddr {
    IpAddr::from([127, 16 + (k / 256 % 230) as u8, (k % 256) as u8, 1])
}

/// One sign-in from `from` across `instances`, starting at instance `k`.
async fn sign_in(instances: &[Instance], k: usize, from: IpAddr) -> Result<(), String> {
    let at = |i: usize| -> SocketAddr { instances[(k + i) % instances.len()].server.addr };
    let (status, body) = request(from, at(0), "GET", "/auth/v1/captcha/data", &[], "")
        .await
        .map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("issue {status}"));
    }
    let token = body["token"].as_str().unwrap_or_default().to_owned();
    let Some(answer) = instances[0].captcha.answer_of::<TextOptions>(&token) else {
        return Err("no answer".into());
    };
    let verify = serde_json::json!({"token": token, "key": answer}).to_string();
    let json = [("content-type", "application/json")];
    let (status, body) = request(
        from,
        at(1),
        "POST",
        "/auth/v1/captcha/data/verify",
        &json,
        &verify,
    )
    .await
    .map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("verify {status}"));
    }
    let pass = body["captcha_token"].as_str().unwrap_or_default();
    let (status, _) = request(
        from,
        at(2),
        "POST",
        "/login",
        &[("x-captcha-token", pass)],
        "",
    )
    .await
    .map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("login {status}"));
    }
    Ok(())
}

/// Store calls made so far by this process (each one round trip).
fn store_calls(metrics: &metrics_exporter_prometheus::PrometheusHandle) -> u64 {
    metrics
        .render()
        .lines()
        .filter(|l| l.starts_with("tower_captcha_store_seconds_count"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

struct Run {
    /// Store round trips.
    round_trips: u64,
    signed_in: usize,
    failed: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
    redis: RedisUse,
    /// CPU time of this process (the instances and the client together), µs.
    process_cpu_us: u64,
}

/// CPU time this process has used (user + system), µs, from `/proc/self/stat` (Linux;
/// clock ticks of 10 ms).
fn process_cpu_us() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of the file (utime, stime) are the 12th and 13th after the name.
    (ticks(11) + ticks(12)) * 10_000
}

/// What is read before a run, to measure what the run cost.
struct Meter {
    started: Instant,
    redis: RedisUse,
    cpu_us: u64,
    calls: u64,
}

impl Meter {
    fn start(target: &Target, metrics: &metrics_exporter_prometheus::PrometheusHandle) -> Self {
        reset_stats(target.primaries());
        Self {
            redis: redis_use(target.primaries()),
            cpu_us: process_cpu_us(),
            calls: store_calls(metrics),
            started: Instant::now(),
        }
    }

    /// The run's figures, from the sign-ins' latencies `took`.
    fn finish(
        self,
        target: &Target,
        metrics: &metrics_exporter_prometheus::PrometheusHandle,
        mut took: Vec<Duration>,
        failed: usize,
    ) -> Run {
        let seconds = self.started.elapsed().as_secs_f64();
        let process_cpu_us = process_cpu_us().saturating_sub(self.cpu_us);
        let round_trips = store_calls(metrics).saturating_sub(self.calls);
        let after = redis_use(target.primaries());
        took.sort_unstable();
        let at = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
        Run {
            round_trips,
            signed_in: took.len(),
            failed,
            seconds,
            p50: at(0.5),
            p99: at(0.99),
            redis: RedisUse {
                commands: after.commands.saturating_sub(self.redis.commands),
                cpu_us: after.cpu_us.saturating_sub(self.redis.cpu_us),
                memory: after.memory - self.redis.memory,
            },
            process_cpu_us,
        }
    }
}

async fn run(
    target: &Target,
    n: usize,
    prefix: &str,
    seconds: u64,
    metrics: &metrics_exporter_prometheus::PrometheusHandle,
) -> Run {
    let instances = Arc::new(start(target, n, prefix).await);
    let meter = Meter::start(target, metrics);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (instances, next, failed) = (instances.clone(), next.clone(), failed.clone());
            tokio::spawn(async move {
                let mut took = Vec::new();
                while Instant::now() < until {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    match sign_in(&instances, k, address(k)).await {
                        Ok(()) => took.push(t.elapsed()),
                        Err(e) => {
                            if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                                eprintln!("sign-in failed: {e}");
                            }
                        }
                    }
                }
                took
            })
        })
        .collect();
    let mut took = Vec::new();
    for c in clients {
        took.extend(c.await.unwrap());
    }
    meter.finish(target, metrics, took, failed.load(Ordering::Relaxed))
}

/// The store alone: verify and redeem of challenges sealed with a known answer, each from
/// a client of its own, `64` at a time, for `seconds`.
async fn store_only(
    target: &Target,
    seconds: u64,
    metrics: &metrics_exporter_prometheus::PrometheusHandle,
) -> Run {
    let captcha = Captcha::builder()
        .secret(SECRET.to_vec())
        .store(target.store("store-only").await)
        .build()
        .unwrap();
    let meter = Meter::start(target, metrics);
    let next = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (captcha, next) = (captcha.clone(), next.clone());
            tokio::spawn(async move {
                let mut took = Vec::new();
                while Instant::now() < until {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let client = Some(ClientKey::from(address(k)));
                    let id = captcha.seal_known::<TextOptions>(&"HAMPK".into(), None);
                    let t = Instant::now();
                    let pass = captcha
                        .verify(&id, "HAMPK")
                        .client_key(client)
                        .await
                        .unwrap();
                    captcha
                        .redeem(&pass.token)
                        .client_key(client)
                        .await
                        .unwrap();
                    took.push(t.elapsed());
                }
                took
            })
        })
        .collect();
    let mut took = Vec::new();
    for t in tasks {
        took.extend(t.await.unwrap());
    }
    meter.finish(target, metrics, took, 0)
}

/// Average `MEMORY USAGE` of up to 50 keys of each kind the store-only run left, and how
/// many there are: what a sign-in keeps in Redis, key by key.
fn key_sizes(port: u16) {
    for (space, what) in [
        ("c", "answered challenge (kept until the challenge expires)"),
        ("p", "spent pass (kept until the pass expires + 60 s)"),
        ("r", "rate-limit bucket (kept while it carries information)"),
    ] {
        let pattern = format!("store-only:{space}:*");
        let listed = cli(port, &["--scan", "--pattern", &pattern]);
        let keys: Vec<&str> = listed.lines().filter(|l| !l.is_empty()).collect();
        let sample: Vec<f64> = keys
            .iter()
            .take(50)
            .filter_map(|k| cli(port, &["MEMORY", "USAGE", k]).trim().parse().ok())
            .collect();
        let average = sample.iter().sum::<f64>() / sample.len().max(1) as f64;
        println!(
            "{what}: {average:.0} bytes per key (MEMORY USAGE, {} sampled; {} keys left)",
            sample.len(),
            keys.len()
        );
    }
}

fn row(target: &str, what: &str, r: &Run, reference: Option<f64>) {
    let rate = r.signed_in as f64 / r.seconds;
    let n = r.signed_in.max(1) as f64;
    println!(
        "| {target} | {what} | {} | {} | {rate:.0} | {} | {:.1?} | {:.1?} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} |",
        r.signed_in,
        r.failed,
        reference.map_or("1.00".to_owned(), |base| format!("{:.2}", rate / base)),
        r.p50,
        r.p99,
        r.round_trips as f64 / n,
        r.redis.commands as f64 / n,
        r.redis.cpu_us as f64 / n,
        r.redis.memory as f64 / n,
        r.process_cpu_us as f64 / n,
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and test harness probes
    }
    let seconds: u64 = std::env::var("INSTANCES_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let Some(server) = RedisServer::start("bench instances") else {
        return;
    };
    let Some(cluster) = RedisCluster::start("bench instances") else {
        return;
    };
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("no other recorder");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let targets = [
        Target::Server(server.url(), server.port),
        Target::Cluster(cluster.urls(), cluster.primaries()),
    ];
    println!(
        "| store | instances | sign-ins | failed | per s | vs 1 instance | p50 | p99 | store round trips per sign-in | Redis commands per sign-in (with those in scripts) | Redis CPU µs per sign-in | Redis bytes kept per sign-in | app + client CPU µs per sign-in |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    rt.block_on(async {
        for target in &targets {
            let mut reference = None;
            for n in [1, 2, 4] {
                let r = run(target, n, &format!("i{n}"), seconds, &metrics).await;
                let rate = r.signed_in as f64 / r.seconds;
                row(target.name(), &n.to_string(), &r, reference);
                reference.get_or_insert(rate);
            }
            let r = store_only(target, seconds, &metrics).await;
            row(target.name(), "store only (no HTTP, no picture)", &r, None);
        }
    });
    key_sizes(server.port);
}
