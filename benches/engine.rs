//! Engine benchmarks: `cargo bench --bench engine`.
//!
//! - `render/text_png`: draw and PNG-encode one default text picture (160x60, 5 chars);
//!   `render/reference_png`: the same size, the background alone, encoded the same way — a floor
//!   measured in the same run, to quote ratios against on a noisy machine.
//! - `engine/issue`: a whole issue (answer, sealed id, picture drawn on the drawing pool).
//! - `engine/seal`: the sealed id alone (what replaced a store insert on issue).
//! - `engine/verify`: a right answer against a memory store (open the seal, check, atomic
//!   settle, pass signing).
//! - `engine/redeem` and `guard/redeem`: a pass token spent once, directly and through
//!   the guard layer.
//!
//! The memory store's futures are ready at once, so they are driven by a bare poll loop:
//! no runtime cost is measured.
#![allow(missing_docs)]

mod support;

use std::convert::Infallible;
use std::future::IntoFuture;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::Full;
use support::{block_on, engine};
use tower::{Layer, Service, service_fn};
use tower_captcha::{Answer, Captcha, Kind, MemoryStore};

/// A challenge with a known answer, sealed without drawing.
fn pending(captcha: &Captcha) -> String {
    captcha.seal_known(Kind::Text, Answer::Text("HWM3K".into()), None)
}

fn benches(c: &mut Criterion) {
    let store = std::sync::Arc::new(MemoryStore::with_capacity(10_000_000));
    let captcha = engine(store.clone());

    let mut g = c.benchmark_group("render");
    let text = Answer::Text("HWM3K".into());
    let blank = Answer::Text(String::new());
    g.bench_function("text_png", |b| {
        b.iter(|| black_box(captcha.draw(Kind::Text, black_box(&text), None)))
    });
    g.bench_function("reference_png", |b| {
        b.iter(|| black_box(captcha.draw(Kind::Text, black_box(&blank), None)));
    });
    g.finish();

    let mut g = c.benchmark_group("engine");
    g.bench_function("issue", |b| {
        b.iter(|| black_box(block_on(captcha.issue(Kind::Text).into_future()).unwrap()))
    });
    g.bench_function("seal", |b| b.iter(|| black_box(pending(&captcha))));
    g.bench_function("verify", |b| {
        b.iter_batched(
            || pending(&captcha),
            |id| black_box(block_on(captcha.verify(&id, "hwm3k", None)).unwrap()),
            BatchSize::SmallInput,
        );
    });
    let pass = |_: &()| {
        let id = pending(&captcha);
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
