//! Resident memory per entry in `MemoryStore`: `cargo bench --bench memory`.
//!
//! Challenges are sealed into their ids, so pending challenges take no memory at all; the
//! store holds only answered challenges (attempts, spent, locked) and spent pass ids. This
//! fills a store with 1 000 000 answered challenges (one wrong answer each), then 1 000 000
//! spent pass ids, reading the process's resident set size (`/proc/self/statm`) before and
//! after each. Linux only.
#![allow(missing_docs)]

mod support;

use support::block_on;
use tower_captcha::{Id, MemoryStore, Store};

const COUNT: usize = 1_000_000;

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn report(what: &str, before: u64, after: u64) {
    println!(
        "MemoryStore: {COUNT} {what}, resident {:.1} MiB -> {:.1} MiB: {:.0} bytes each",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        after.saturating_sub(before) as f64 / COUNT as f64
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Some(before) = resident_bytes() else {
        println!("memory bench: /proc/self/statm not available on this system");
        return;
    };
    let store = MemoryStore::with_capacity(COUNT);
    let mut rng = rand::rng();
    let now = 1_800_000_000_000;
    for _ in 0..COUNT {
        block_on(store.settle(Id::random(&mut rng), false, 5, now + 300_000, now)).unwrap();
    }
    let answered = resident_bytes().unwrap_or(before);
    report("answered challenges", before, answered);
    for _ in 0..COUNT {
        assert!(block_on(store.spend_pass(Id::random(&mut rng), now + 360_000, now)).unwrap());
    }
    let spent = resident_bytes().unwrap_or(answered);
    report("spent pass ids", answered, spent);
    assert_eq!(store.len(), 2 * COUNT);
}
