//! What a proof of work costs an attacker who solves it natively: `cargo bench --bench
//! pow_cost`. Solves fresh challenges on one thread with this crate's own solver (the one
//! clients use in tests: SHA-256 of salt and number, counting up from 0, as ALTCHA's widget
//! does), measures SHA-256 evaluations per second, and prints how many passes one CPU core
//! earns per hour at each difficulty. A GPU does the same hashes hundreds of times faster:
//! the figures bound a CPU attacker, not a determined one.
#![allow(missing_docs)]

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use tower_captcha::kind::{pow, pow_kdf};
use tower_captcha::{Captcha, ChallengeKind, Kind, PowKdfOptions, PowOptions, Puzzle};

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
    // ALTCHA's PoW v2: keys derived, not hashes.
    println!();
    println!(
        "PoW v2 function, cost, max_counter | mean keys per pass | median solve | passes per core-hour"
    );
    println!("---|---|---|---");
    let pbkdf2 = |cost, max| {
        PowKdfOptions::default()
            .with_cost(cost)
            .with_max_counter(max)
    };
    for (name, options, max_counter) in [
        ("PBKDF2/SHA-256, 1000", pbkdf2(1_000, 400), 400u32),
        (
            "PBKDF2/SHA-256, 2000 (default)",
            pbkdf2(2_000, 1_000),
            1_000,
        ),
        ("PBKDF2/SHA-256, 5000", pbkdf2(5_000, 1_000), 1_000),
        (
            "ARGON2ID, 1 pass over 4 MiB (argon2id())",
            PowKdfOptions::argon2id(),
            100,
        ),
    ] {
        let captcha = Captcha::builder()
            .secret([7u8; 32].to_vec())
            .issue_rate_limit(None)
            .kind(options)
            .build()
            .unwrap();
        let runs = 11;
        let (mut keys, mut busy, mut times) = (0u64, Duration::ZERO, Vec::new());
        for _ in 0..runs {
            let c = rt
                .block_on(captcha.issue(PowKdfOptions::KIND).into_future())
                .unwrap();
            let Puzzle::KeyWork {
                parameters,
                signature,
            } = c.puzzle
            else {
                unreachable!()
            };
            let start = Instant::now();
            let payload = pow_kdf::solve(&parameters, &signature, max_counter).unwrap();
            let took = start.elapsed();
            let counter = u64::from(captcha.answer_of::<PowKdfOptions>(&c.id).unwrap());
            assert!(!payload.is_empty());
            keys += counter + 1;
            busy += took;
            times.push(took);
        }
        times.sort();
        let per_key = busy.as_secs_f64() / keys as f64;
        let mean_keys = f64::from(max_counter) / 2.0;
        println!(
            "{name}, {max_counter} | {mean_keys:.0} | {:.1} ms | {:.0}",
            times[runs / 2].as_secs_f64() * 1000.0,
            3600.0 / (per_key * mean_keys)
        );
    }
}
