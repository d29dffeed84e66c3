//! A primary of a real Redis Cluster killed under steady verify and redeem traffic, with
//! and without durable spends: `cargo bench --bench failover --features redis`.
//!
//! Starts a six-node cluster (three primaries, three replicas; node timeout 1 s) on free
//! loopback ports. Eight tasks sign in (a challenge sealed with a known answer, verify,
//! redeem) without pause; after 2 s the primary holding the most keys is killed, and started
//! again 5 s later (as a supervisor would; it rejoins as a replica of the primary that took
//! over, which until then has none). Reported per setting:
//! the errors clients saw and when, the time to full service, and how many challenges or
//! passes were accepted twice (every accepted one is tried again afterwards), plus the
//! sign-in latency before the kill.
#![allow(missing_docs, unreachable_pub, dead_code)]

#[path = "../tests/common/failover.rs"]
mod failover;
#[path = "../tests/common/programs.rs"]
mod programs;
#[path = "../tests/common/redis_cluster.rs"]
mod redis_cluster;

use std::time::Duration;

use redis_cluster::RedisCluster;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and test harness probes
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for durable in [false, true] {
            let Some(mut cluster) = RedisCluster::start("bench failover") else {
                return;
            };
            let report = failover::run(
                &mut cluster,
                durable,
                8,
                Duration::from_secs(2),
                Duration::from_secs(5),
                Duration::from_secs(10),
            )
            .await;
            let name = if durable {
                "wait_for_replicas(1, 200 ms)"
            } else {
                "default (asynchronous replication)"
            };
            println!("{}", failover::describe(name, &report));
        }
    });
}
