//! One run, four text-captcha generators, like for like: a 160x60 picture of 5 random
//! characters, PNG-encoded, as base64 — what a captcha route sends.
//!
//! - `tower-captcha`: the default style (warp, overlap, cutting stroke, clutter).
//! - `captcha`: the `captcha` crate with its medium-difficulty ("Amelia") filter chain —
//!   noise 0.3, grid 6x6, wave (2, 10), 15 dots — at the same size and length.
//! - `captcha-rs`: defaults, its picture re-encoded as PNG (it emits JPEG) with the `image`
//!   crate's default PNG settings.
//! - `bare`: ab_glyph + imageproc + image, plain text, no distortion at all: a floor.
//!
//! `cargo bench --manifest-path bench-compare/Cargo.toml`

use std::hint::black_box;
use std::io::Cursor;

use ab_glyph::{FontArc, PxScale};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use image::{ImageFormat, Rgb, RgbImage};
use rand::Rng;

const ALPHABET: &[u8] = b"CEHJKMNRTWY3479";

fn answer() -> String {
    let mut rng = rand::rng();
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn ours(captcha: &tower_captcha::Captcha) -> String {
    STANDARD.encode(captcha.render_text_png(&answer()))
}

fn captcha_crate() -> String {
    use captcha::filters::{Dots, Grid, Noise, Wave};
    let mut c = captcha::Captcha::new();
    c.add_chars(5)
        .apply_filter(Noise::new(0.3))
        .apply_filter(Grid::new(6, 6))
        .apply_filter(Wave::new(2.0, 10.0))
        .view(160, 60)
        .apply_filter(Dots::new(15).max_radius(7).min_radius(4));
    c.as_base64().unwrap_or_default()
}

fn captcha_rs() -> String {
    let c = captcha_rs::CaptchaBuilder::new()
        .length(5)
        .width(160)
        .height(60)
        .build();
    let mut png = Cursor::new(Vec::new());
    c.image.write_to(&mut png, ImageFormat::Png).unwrap();
    STANDARD.encode(png.into_inner())
}

fn bare(font: &FontArc) -> String {
    let mut img = RgbImage::from_pixel(160, 60, Rgb([240, 240, 240]));
    imageproc::drawing::draw_text_mut(
        &mut img,
        Rgb([30, 30, 90]),
        12,
        8,
        PxScale::from(40.0),
        font,
        &answer(),
    );
    let mut png = Cursor::new(Vec::new());
    img.write_to(&mut png, ImageFormat::Png).unwrap();
    STANDARD.encode(png.into_inner())
}

fn compare(c: &mut Criterion) {
    let ours_engine = tower_captcha::Captcha::builder()
        .secret([1u8; 32].to_vec())
        .build()
        .unwrap();
    let font = FontArc::try_from_slice(tower_captcha::kind::text::BUNDLED_FONT).unwrap();
    let sizes = [
        ("tower-captcha", ours(&ours_engine).len()),
        ("captcha", captcha_crate().len()),
        ("captcha-rs", captcha_rs().len()),
        ("bare", bare(&font).len()),
    ];
    for (name, len) in sizes {
        println!(
            "{name:>14}: {len} base64 characters (~{} PNG bytes)",
            len * 3 / 4
        );
    }
    let mut g = c.benchmark_group("text_160x60_5_png_base64");
    g.bench_function("tower-captcha", |b| {
        b.iter(|| black_box(ours(&ours_engine)))
    });
    g.bench_function("captcha", |b| b.iter(|| black_box(captcha_crate())));
    g.bench_function("captcha-rs", |b| b.iter(|| black_box(captcha_rs())));
    g.bench_function("bare", |b| b.iter(|| black_box(bare(&font))));
    g.finish();
}

criterion_group!(benches, compare);
criterion_main!(benches);
