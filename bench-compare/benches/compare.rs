//! One run, four text-captcha generators, like for like: a 160x60 picture of 5 random
//! characters, PNG-encoded, as base64 — what a captcha route sends. The generators are in
//! `src/lib.rs`:
//!
//! - `tower-captcha`: the default style (warp, overlap, cutting stroke, clutter).
//! - `captcha`: the `captcha` crate with its medium-difficulty filters.
//! - `captcha-rs`: defaults, re-encoded as PNG.
//! - `bare`: ab_glyph + imageproc + image, plain text, no distortion at all: a floor.
//!
//! `cargo bench --manifest-path bench-compare/Cargo.toml`

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use tower_captcha_compare::{bare, captcha_crate, captcha_rs, font, ours};

fn base64((_, png): (String, Vec<u8>)) -> String {
    STANDARD.encode(png)
}

fn compare(c: &mut Criterion) {
    let engine = tower_captcha::Captcha::builder()
        .secret([1u8; 32].to_vec())
        .build()
        .unwrap();
    let font = font();
    let sizes = [
        ("tower-captcha", base64(ours(&engine)).len()),
        ("captcha", base64(captcha_crate()).len()),
        ("captcha-rs", base64(captcha_rs()).len()),
        ("bare", base64(bare(&font)).len()),
    ];
    for (name, len) in sizes {
        println!(
            "{name:>14}: {len} base64 characters (~{} PNG bytes)",
            len * 3 / 4
        );
    }
    let mut g = c.benchmark_group("text_160x60_5_png_base64");
    g.bench_function("tower-captcha", |b| {
        b.iter(|| black_box(base64(ours(&engine))))
    });
    g.bench_function("captcha", |b| b.iter(|| black_box(base64(captcha_crate()))));
    g.bench_function("captcha-rs", |b| b.iter(|| black_box(base64(captcha_rs()))));
    g.bench_function("bare", |b| b.iter(|| black_box(base64(bare(&font)))));
    g.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
