//! Engine benchmarks: `cargo bench --bench engine`.
//!
//! - `render/text_png`: draw and PNG-encode one default text picture (160x60, 5 chars);
//!   `render/reference_png`: the same size, the background alone, encoded the same way — a floor
//!   measured in the same run, to quote ratios against on a noisy machine.
//! - `engine/issue`: a whole issue (id, answer, store insert, picture).
//! - `engine/verify`: a right answer against a memory store (atomic step + pass signing).
//! - `engine/redeem` and `guard/redeem`: a pass token spent once, directly and through
//!   the guard layer.
//!
//! The memory store's futures are ready at once, so they are driven by a bare poll loop:
//! no runtime cost is measured.
#![allow(missing_docs)]

mod support;

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::Full;
use support::{block_on, engine};
use tower::{Layer, Service, service_fn};
use tower_captcha::store::ChallengeRecord;
use tower_captcha::{Id, Kind, MemoryStore, Store};

/// A pending challenge with a known answer, put straight into the store.
fn pending(store: &MemoryStore) -> String {
    let id = Id::random(&mut rand::rng());
    let record = ChallengeRecord {
        kind: Kind::Text,
        answer: b"HWM3K".as_slice().into(),
        scope: None,
    };
    let now = tower_captcha::clock::Clock::now_millis(&tower_captcha::clock::SystemClock);
    block_on(store.insert(id, record, now + 300_000, now)).unwrap();
    id.to_string()
}

fn benches(c: &mut Criterion) {
    let store = std::sync::Arc::new(MemoryStore::with_capacity(10_000_000));
    let captcha = engine(store.clone());

    let mut g = c.benchmark_group("render");
    g.bench_function("text_png", |b| {
        b.iter(|| black_box(captcha.render_text_png(black_box("HWM3K"))))
    });
    g.bench_function("reference_png", |b| {
        b.iter(|| black_box(captcha.render_text_png(black_box(""))));
    });
    g.finish();

    let mut g = c.benchmark_group("engine");
    g.bench_function("issue", |b| {
        b.iter(|| black_box(block_on(captcha.issue(Kind::Text, None, None)).unwrap()))
    });
    g.bench_function("verify", |b| {
        b.iter_batched(
            || pending(&store),
            |id| black_box(block_on(captcha.verify(&id, "hwm3k", None)).unwrap()),
            BatchSize::SmallInput,
        );
    });
    let pass = |_: &()| {
        let id = pending(&store);
        block_on(captcha.verify(&id, "HWM3K", None)).unwrap().token
    };
    g.bench_function("redeem", |b| {
        b.iter_batched(
            || pass(&()),
            |t| black_box(block_on(captcha.redeem(&t, None)).unwrap()),
            BatchSize::SmallInput,
        );
    });
    g.finish();

    let mut guard = captcha
        .require()
        .layer(service_fn(|_: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::<Bytes>::default()))
        }));
    c.bench_function("guard/redeem", |b| {
        b.iter_batched(
            || {
                Request::post("/login")
                    .header("x-captcha-token", pass(&()))
                    .body(Full::<Bytes>::default())
                    .unwrap()
            },
            |req| {
                let res = block_on(guard.call(req)).unwrap();
                assert_eq!(res.status(), 200);
            },
            BatchSize::SmallInput,
        );
    });
}

criterion_group!(engine_benches, benches);
criterion_main!(engine_benches);
