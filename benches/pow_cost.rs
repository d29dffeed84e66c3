//! What a proof of work costs an attacker who solves it natively: `cargo bench --bench
//! pow_cost`. Solves fresh challenges on one thread with this crate's own solver (the one
//! clients use in tests: SHA-256 of salt and number, counting up from 0, as ALTCHA's widget
//! does), measures SHA-256 evaluations per second, and prints how many passes one CPU core
//! earns per hour at each difficulty. A GPU does the same hashes hundreds of times faster:
//! the figures bound a CPU attacker, not a determined one.
#![allow(missing_docs)]

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use tower_captcha::kind::pow;
use tower_captcha::{Captcha, Kind, PowOptions, Puzzle};

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benchmarks; there is nothing to list.
    }
    let mut rt = tokio::runtime::Builder::new_current_thread();
    let rt = rt.build().unwrap();
    println!("difficulty (maxnumber) | mean hashes per pass | median solve | passes per core-hour");
    println!("---|---|---|---");
    let mut rate = 0.0;
    for max_number in [10_000u64, 50_000, 100_000, 500_000, 1_000_000, 5_000_000] {
        let captcha = Captcha::builder()
            .secret([7u8; 32].to_vec())
            .issue_rate_limit(None)
            .kind(PowOptions::default().with_max_number(max_number))
            .build()
            .unwrap();
        let runs = if max_number >= 1_000_000 { 11 } else { 31 };
        let (mut hashes, mut busy, mut times) = (0u64, Duration::ZERO, Vec::new());
        for _ in 0..runs {
            let c = rt.block_on(captcha.issue(Kind::POW).into_future()).unwrap();
            let Puzzle::Work {
                challenge, salt, ..
            } = c.puzzle
            else {
                unreachable!()
            };
            let start = Instant::now();
            let number = pow::solve(&challenge, &salt, max_number).unwrap();
            let took = start.elapsed();
            hashes += number + 1;
            busy += took;
            times.push(took);
        }
        times.sort();
        rate = hashes as f64 / busy.as_secs_f64();
        let mean_hashes = max_number as f64 / 2.0;
        println!(
            "{max_number} | {mean_hashes:.0} | {:.1} ms | {:.0}",
            times[runs / 2].as_secs_f64() * 1000.0,
            3600.0 * rate / mean_hashes
        );
    }
    println!(
        "(last measured rate: {:.2} M SHA-256/s on one core)",
        rate / 1e6
    );
}
