//! A primary of a real Redis Cluster killed under steady verify and redeem traffic: what
//! clients saw, how long until full service, and how many challenges or passes were
//! accepted twice. Shared by the test (`tests/redis.rs`) and the benchmark
//! (`benches/failover.rs`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tower_captcha::TextOptions;
use tower_captcha::store::RedisStore;
use tower_captcha::{Captcha, RedeemError, VerifyError};

use super::redis_cluster::RedisCluster;

/// What one failover run measured.
#[derive(Debug, Default)]
pub struct Failover {
    /// Sign-ins (verify + redeem) that succeeded.
    pub ok: usize,
    /// Calls that failed, by what the client saw.
    pub errors: Vec<(String, usize)>,
    /// From the kill to the first error, and to the last one (ms).
    pub first_error_ms: Option<u64>,
    pub last_error_ms: Option<u64>,
    /// From the kill until every call succeeded again for good (ms).
    pub recovery_ms: u64,
    /// Challenges passed, then passed again after the failover.
    pub challenges_accepted_twice: usize,
    /// Passes redeemed, then redeemed again after the failover.
    pub passes_accepted_twice: usize,
    /// Of how many accepted before and during the failover.
    pub accepted: usize,
    /// Latency of a whole sign-in (verify + redeem) before the kill: p50, p99 (µs).
    pub p50_us: u64,
    pub p99_us: u64,
    /// From the kill on, per half second: sign-ins started that succeeded, and that failed.
    pub timeline: Vec<(usize, usize)>,
}

impl Failover {
    pub fn error_count(&self) -> usize {
        self.errors.iter().map(|(_, n)| n).sum()
    }
}

/// One sign-in's outcome, stamped.
struct Event {
    at: Instant,
    error: Option<String>,
    took: Duration,
}

/// Connects an engine to `cluster`, with spends acknowledged by a replica when `durable`.
pub async fn engine(cluster: &RedisCluster, prefix: &str, durable: bool) -> Captcha {
    let mut builder = RedisStore::cluster_builder(cluster.urls())
        .prefix(prefix)
        .op_timeout(Duration::from_millis(500))
        .connect_timeout(Duration::from_millis(500));
    if durable {
        builder = builder.wait_for_replicas(1, Duration::from_millis(200));
    }
    let store = builder.connect().await.expect("cluster reachable");
    Captcha::builder()
        .secret(b"failover test secret, 32 bytes or more".to_vec())
        .store(store)
        .issue_rate_limit(None)
        .verify_rate_limit(None)
        .redeem_rate_limit(None)
        .lockout(None)
        .build()
        .unwrap()
}

/// Runs `tasks` concurrent sign-in loops (a challenge sealed with a known answer, verify,
/// redeem) for `before`, then kills the primary holding the most keys, starts it again
/// `restart_after` later (as a supervisor would; it rejoins as a replica), and keeps going
/// until `after` has passed since the kill; then checks every accepted challenge and pass
/// again.
pub async fn run(
    cluster: &mut RedisCluster,
    durable: bool,
    tasks: usize,
    before: Duration,
    restart_after: Duration,
    after: Duration,
) -> Failover {
    let prefix = if durable { "fo-durable" } else { "fo-async" };
    let captcha = engine(cluster, prefix, durable).await;
    // Checks afterwards without waiting for replicas: a shard whose primary has no replica
    // yet still answers.
    let checker = engine(cluster, prefix, false).await;
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let accepted = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let stop_at = Instant::now() + before + after;
    let workers: Vec<_> = (0..tasks)
        .map(|_| {
            let (captcha, events, accepted) = (captcha.clone(), events.clone(), accepted.clone());
            tokio::spawn(async move {
                while Instant::now() < stop_at {
                    let id = captcha.seal_known::<TextOptions>(&"HAMPK".into(), None);
                    let start = Instant::now();
                    let outcome = match captcha.verify(&id, "HAMPK").await {
                        Ok(pass) => match captcha.redeem(&pass.token).await {
                            Ok(_) => {
                                accepted.lock().unwrap().push((id, pass.token));
                                None
                            }
                            Err(e) => Some(format!("redeem: {}", redeem_error(&e))),
                        },
                        Err(e) => Some(format!("verify: {}", verify_error(&e))),
                    };
                    let failed = outcome.is_some();
                    events.lock().unwrap().push(Event {
                        at: start,
                        error: outcome,
                        took: start.elapsed(),
                    });
                    if failed {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(before).await;
    let victim = busiest_primary(cluster);
    let killed_at = Instant::now();
    cluster.kill(victim);
    tokio::time::sleep(restart_after).await;
    cluster.restart(victim);
    for w in workers {
        w.await.unwrap();
    }

    let events = std::mem::take(&mut *events.lock().unwrap());
    let mut report = Failover::default();
    let mut before_kill: Vec<u64> = Vec::new();
    let mut errors = std::collections::BTreeMap::<String, usize>::new();
    let since = |at: Instant| at.saturating_duration_since(killed_at).as_millis() as u64;
    for e in &events {
        match &e.error {
            None => {
                report.ok += 1;
                if e.at < killed_at {
                    before_kill.push(e.took.as_micros() as u64);
                }
            }
            Some(what) => {
                *errors.entry(what.clone()).or_default() += 1;
                let at = since(e.at);
                report.first_error_ms = Some(report.first_error_ms.map_or(at, |f| f.min(at)));
                report.last_error_ms = Some(report.last_error_ms.map_or(at, |l| l.max(at)));
            }
        }
    }
    report.errors = errors.into_iter().collect();
    for e in events.iter().filter(|e| e.at >= killed_at) {
        let slot = (since(e.at) / 500) as usize;
        if report.timeline.len() <= slot {
            report.timeline.resize(slot + 1, (0, 0));
        }
        match e.error {
            None => report.timeline[slot].0 += 1,
            Some(_) => report.timeline[slot].1 += 1,
        }
    }
    report.recovery_ms = events
        .iter()
        .filter(|e| e.error.is_some())
        .map(|e| since(e.at + e.took))
        .max()
        .unwrap_or(0);
    before_kill.sort_unstable();
    let at = |q: f64| {
        before_kill
            .get(((before_kill.len() as f64 * q) as usize).min(before_kill.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    (report.p50_us, report.p99_us) = (at(0.5), at(0.99));

    // Everything accepted, once more: a spend lost with the dead primary shows up here.
    let accepted = std::mem::take(&mut *accepted.lock().unwrap());
    report.accepted = accepted.len();
    for (id, pass) in &accepted {
        let verified = accepted_again(|| async {
            match checker.verify(id, "HAMPK").await {
                Err(VerifyError::Busy(_)) => None,
                other => Some(other.is_ok()),
            }
        });
        if verified.await {
            report.challenges_accepted_twice += 1;
        }
        let redeemed = accepted_again(|| async {
            match checker.redeem(pass).await {
                Err(RedeemError::Busy(_)) => None,
                other => Some(other.is_ok()),
            }
        });
        if redeemed.await {
            report.passes_accepted_twice += 1;
        }
    }
    report
}

/// Whether `attempt` is accepted, trying again while the store is busy (`None`: a shard
/// still failing over), up to 100 times 50 ms apart (each try bounded by the store's
/// operation timeout).
async fn accepted_again<F, Fut>(mut attempt: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<bool>>,
{
    for _ in 0..100 {
        if let Some(accepted) = attempt().await {
            return accepted;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the cluster does not serve again")
}

/// The live primary holding the most keys (so that the kill hits traffic).
fn busiest_primary(cluster: &RedisCluster) -> u16 {
    let primaries = cluster.primaries();
    *primaries
        .iter()
        .max_by_key(|&&p| {
            cluster
                .cli(p, &["DBSIZE"])
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
        })
        .expect("a primary")
}

fn verify_error(e: &VerifyError) -> String {
    match e {
        VerifyError::Busy(s) => format!("busy ({})", store_error(s)),
        other => format!("{other}"),
    }
}

fn redeem_error(e: &RedeemError) -> String {
    match e {
        RedeemError::Busy(s) => format!("busy ({})", store_error(s)),
        other => format!("{other}"),
    }
}

fn store_error(e: &tower_captcha::StoreError) -> &'static str {
    match e {
        tower_captcha::StoreError::Timeout => "timeout",
        tower_captcha::StoreError::Full => "full",
        tower_captcha::StoreError::Unavailable(_) => "unavailable",
        _ => "other",
    }
}

/// The report as a few lines, for the test's output and the benchmark's.
pub fn describe(name: &str, r: &Failover) -> String {
    let errors: Vec<String> = r.errors.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(
        "{name}: {} sign-ins ok; {} failed ({}); errors from +{} ms to +{} ms after the kill; \
         full service at +{} ms; accepted twice: {} challenges, {} passes of {} accepted; \
         sign-in before the kill p50 {} µs, p99 {} µs",
        r.ok,
        r.error_count(),
        if errors.is_empty() {
            "none".to_owned()
        } else {
            errors.join(", ")
        },
        r.first_error_ms.unwrap_or(0),
        r.last_error_ms.unwrap_or(0),
        r.recovery_ms,
        r.challenges_accepted_twice,
        r.passes_accepted_twice,
        r.accepted,
        r.p50_us,
        r.p99_us
    ) + &format!(
        "\n  per 500 ms from the kill (ok/failed): {}",
        r.timeline
            .iter()
            .map(|(ok, failed)| format!("{ok}/{failed}"))
            .collect::<Vec<_>>()
            .join(" ")
    )
}
