//! Resident memory per pending challenge in `MemoryStore`: `cargo bench --bench memory`.
//!
//! Fills a store with 1 000 000 pending challenges (5-character answers; half of them with
//! the scope `login`, as a login page would) and reads the process's resident set size
//! (`/proc/self/statm`) before and after. Linux only.
#![allow(missing_docs)]

mod support;

use support::block_on;
use tower_captcha::store::ChallengeRecord;
use tower_captcha::{Id, Kind, MemoryStore, Store};

const COUNT: usize = 1_000_000;

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
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
    for i in 0..COUNT {
        let record = ChallengeRecord {
            kind: Kind::Text,
            answer: b"HWM3K".as_slice().into(),
            scope: (i % 2 == 0).then(|| "login".into()),
        };
        block_on(store.insert(Id::random(&mut rng), record, now + 300_000, now)).unwrap();
    }
    let after = resident_bytes().unwrap_or(before);
    assert_eq!(store.len(), COUNT);
    println!(
        "MemoryStore: {COUNT} pending challenges, resident {:.1} MiB -> {:.1} MiB: {:.0} bytes per challenge",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        (after - before) as f64 / COUNT as f64
    );
}
