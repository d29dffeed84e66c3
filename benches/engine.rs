//! Engine benchmarks: `cargo bench --bench engine`.
//!
//! - `render/text_png`: draw and PNG-encode one default text picture (160x60, 5 chars);
//!   `render/reference_png`: the same size, the background alone, encoded the same way — a floor
//!   measured in the same run, to quote ratios against on a noisy machine.
//! - `render/audio_wav`: the same five characters spoken, as the audio route serves them (clips
//!   resampled and mixed over babble and hiss, 8 kHz WAV); its size is printed beside the
//!   picture's.
//! - `render/slider`: one slider (landscape, jigsaw outline, real and decoy holes, both PNGs);
//!   `render/slider_reference`: the same frame flat, a plain rectangular hole and piece, the
//!   same encoder — the floor of the same output.
//! - `render/click_word`: one click-word picture (landscape, six rotated glyphs, PNG);
//!   `render/click_word_reference`: the same frame flat, no glyphs, the same encoder.
//! - `engine/issue`: a whole issue (answer, sealed id, picture drawn on the drawing pool).
//! - `engine/seal`: the sealed id alone (what replaced a store insert on issue).
//! - `engine/verify`: a right answer against a memory store (open the seal, check, atomic
//!   settle, pass signing).
//! - `engine/redeem` and `guard/redeem`: a pass token spent once, directly and through
//!   the guard layer.
//! - `pow/issue`: a whole proof-of-work issue (number, sealed id, challenge hash, HMAC);
//!   `pow/verify`: a solved one checked (payload read, seal opened, hash, HMAC, atomic
//!   settle) and a pass signed. Both next to `render/text_png` in the same run: a proof of
//!   work should cost the server far less than one picture.
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
use tower_captcha::kind::{pow, pow_kdf};
use tower_captcha::{
    Captcha, ChallengeKind, Kind, MemoryStore, PowKdfOptions, PowOptions, Puzzle, Solution,
};
use tower_captcha::{ClickWordOptions, Hole, SliderOptions, TextOptions};

/// A challenge with a known answer, sealed without drawing.
fn pending(captcha: &Captcha) -> String {
    captcha.seal_known::<TextOptions>(&"HAMPK".into(), None)
}

/// PNG of an RGB(A) buffer with the encoder settings the slider uses.
fn png(bytes: &[u8], w: u32, h: u32, alpha: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(if alpha {
        png::ColorType::Rgba
    } else {
        png::ColorType::Rgb
    });
    e.set_compression(png::Compression::Balanced);
    e.set_filter(png::Filter::Adaptive);
    e.write_header().unwrap().write_image_data(bytes).unwrap();
    out
}

/// The floor of a slider: a flat frame with a darkened rectangle, and the rectangle as the
/// piece strip.
fn flat_slider(x: u32) -> (Vec<u8>, Vec<u8>) {
    let mut bg = image::RgbImage::from_pixel(310, 155, image::Rgb([120, 160, 200]));
    let mut piece = image::RgbaImage::new(47, 155);
    for y in 60..100 {
        for dx in 4..44 {
            let p = *bg.get_pixel(x + dx, y);
            piece.put_pixel(dx, y, image::Rgba([p[0], p[1], p[2], 255]));
            bg.put_pixel(x + dx, y, image::Rgb([p[0] / 2, p[1] / 2, p[2] / 2]));
        }
    }
    (
        png(bg.as_raw(), 310, 155, false),
        png(piece.as_raw(), 47, 155, true),
    )
}

/// The floor of a click-word picture: the flat frame, encoded.
fn flat_frame() -> Vec<u8> {
    let bg = image::RgbImage::from_pixel(310, 155, image::Rgb([120, 160, 200]));
    png(bg.as_raw(), 310, 155, false)
}

fn benches(c: &mut Criterion) {
    let store = std::sync::Arc::new(MemoryStore::with_capacity(10_000_000));
    let captcha = engine(store.clone());

    let mut g = c.benchmark_group("render");
    let text = String::from("HAMPK");
    let blank = String::new();
    g.bench_function("text_png", |b| {
        b.iter(|| black_box(captcha.draw::<TextOptions>(black_box(&text), None)))
    });
    g.bench_function("reference_png", |b| {
        b.iter(|| black_box(captcha.draw::<TextOptions>(black_box(&blank), None)));
    });
    let png = captcha.draw::<TextOptions>(&text, None).unwrap();
    let wav = tower_captcha::testing::spoken_wav(&text, 1, true).unwrap();
    println!(
        "sizes: text picture {} bytes, the same characters spoken {} bytes ({:.1} s)",
        png.image().len(),
        wav.len(),
        (wav.len() - 44) as f64 / 8000.0
    );
    let mut seed = 0u64;
    g.bench_function("audio_wav", |b| {
        b.iter(|| {
            seed += 1;
            black_box(tower_captcha::testing::spoken_wav(
                black_box(&text),
                seed,
                true,
            ))
        })
    });
    let hole = Hole {
        at: tower_captcha::Point::new(150, 5),
        decoys: vec![
            tower_captcha::Point::new(48, 5),
            tower_captcha::Point::new(200, 5),
        ],
    };
    g.bench_function("slider", |b| {
        b.iter(|| black_box(captcha.draw::<SliderOptions>(black_box(&hole), None)))
    });
    g.bench_function("slider_reference", |b| {
        b.iter(|| black_box(flat_slider(150)))
    });
    let words: Vec<(String, tower_captcha::Point)> = [
        ("山", 60, 40),
        ("水", 150, 100),
        ("火", 230, 60),
        ("石", 100, 120),
    ]
    .iter()
    .map(|&(w, x, y)| (w.to_string(), tower_captcha::Point::new(x, y)))
    .collect();
    g.bench_function("click_word", |b| {
        b.iter(|| black_box(captcha.draw::<ClickWordOptions>(black_box(&words), None)))
    });
    g.bench_function("click_word_reference", |b| {
        b.iter(|| black_box(flat_frame()))
    });
    g.finish();

    let mut g = c.benchmark_group("engine");
    g.bench_function("issue", |b| {
        b.iter(|| black_box(block_on(captcha.issue(Kind::TEXT).into_future()).unwrap()))
    });
    g.bench_function("seal", |b| b.iter(|| black_box(pending(&captcha))));
    g.bench_function("verify", |b| {
        b.iter_batched(
            || pending(&captcha),
            |id| black_box(block_on(captcha.verify(&id, "hampk").into_future()).unwrap()),
            BatchSize::SmallInput,
        );
    });
    let pass = |_: &()| {
        let id = pending(&captcha);
        block_on(captcha.verify(&id, "HAMPK").into_future())
            .unwrap()
            .token
    };
    g.bench_function("redeem", |b| {
        b.iter_batched(
            || pass(&()),
            |t| black_box(block_on(captcha.redeem(&t).into_future()).unwrap()),
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

/// A solved proof of work: the challenge id and the solution the widget's payload carries.
fn solved(captcha: &Captcha) -> (String, Solution) {
    let c = block_on(captcha.issue(Kind::POW).into_future()).unwrap();
    let Puzzle::Work {
        challenge,
        max_number,
        salt,
        signature,
        ..
    } = c.puzzle
    else {
        unreachable!("a pow issue draws work")
    };
    let number = pow::solve(&challenge, &salt, max_number).unwrap();
    let solution = Solution::Work {
        algorithm: "SHA-256".into(),
        challenge,
        number,
        salt,
        signature,
    };
    (c.id, solution)
}

fn pow_benches(c: &mut Criterion) {
    let store = std::sync::Arc::new(MemoryStore::with_capacity(10_000_000));
    let captcha = tower_captcha::Captcha::builder()
        .secret([7u8; 32].to_vec())
        .shared_store(store)
        .issue_rate_limit(None)
        .verify_rate_limit(None)
        // Verifying costs the same at any difficulty; an easy one keeps the set-up short.
        .kind(PowOptions::default().with_max_number(1_000))
        .build()
        .unwrap();
    let mut g = c.benchmark_group("pow");
    g.bench_function("issue", |b| {
        b.iter(|| black_box(block_on(captcha.issue(Kind::POW).into_future()).unwrap()))
    });
    g.bench_function("verify", |b| {
        b.iter_batched(
            || solved(&captcha),
            |(id, solution)| {
                black_box(block_on(captcha.verify(&id, solution).into_future()).unwrap())
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
    // ALTCHA's PoW v2 (PBKDF2/SHA-256, default cost): one key derived per issue.
    let captcha = tower_captcha::Captcha::builder()
        .secret([7u8; 32].to_vec())
        .issue_rate_limit(None)
        .verify_rate_limit(None)
        .kind(PowKdfOptions::default())
        .build()
        .unwrap();
    let mut g = c.benchmark_group("pow_kdf");
    g.bench_function("issue", |b| {
        b.iter(|| black_box(block_on(captcha.issue(PowKdfOptions::KIND).into_future()).unwrap()))
    });
    let argon2id = tower_captcha::Captcha::builder()
        .secret([7u8; 32].to_vec())
        .issue_rate_limit(None)
        .kind(PowKdfOptions::argon2id())
        .build()
        .unwrap();
    g.bench_function("issue_argon2id", |b| {
        b.iter(|| black_box(block_on(argon2id.issue(PowKdfOptions::KIND).into_future()).unwrap()))
    });
    // Verifying costs the same at any difficulty (no key is derived): an easy one keeps the
    // set-up short.
    let easy = tower_captcha::Captcha::builder()
        .secret([7u8; 32].to_vec())
        .issue_rate_limit(None)
        .verify_rate_limit(None)
        .kind(PowKdfOptions::default().with_cost(100).with_max_counter(10))
        .build()
        .unwrap();
    g.bench_function("verify", |b| {
        b.iter_batched(
            || {
                let c = block_on(easy.issue(PowKdfOptions::KIND).into_future()).unwrap();
                let Puzzle::KeyWork {
                    parameters,
                    signature,
                } = c.puzzle
                else {
                    unreachable!()
                };
                let payload = pow_kdf::solve(&parameters, &signature, 10).unwrap();
                let (id, solution) = read_kdf_payload(&payload);
                (id, solution)
            },
            |(id, solution)| black_box(block_on(easy.verify(&id, solution).into_future()).unwrap()),
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group!(engine_benches, benches, pow_benches);
criterion_main!(engine_benches);

/// The challenge id and solution of a PoW v2 payload (base64 JSON, as ALTCHA's widget sends).
fn read_kdf_payload(payload: &str) -> (String, Solution) {
    let json = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, payload).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let parameters = v["challenge"]["parameters"].clone();
    let id = parameters["data"]["id"].as_str().unwrap().to_owned();
    let solution = Solution::KeyWork {
        signature: v["challenge"]["signature"].as_str().unwrap().to_owned(),
        counter: v["solution"]["counter"].as_u64().unwrap() as u32,
        derived_key: v["solution"]["derivedKey"].as_str().unwrap().to_owned(),
        parameters,
    };
    (id, solution)
}
