//! Writes `COUNT` pictures of each generator with their answers, for OCR and eyes:
//! `cargo run --release --example samples -- DIR [COUNT]` → `DIR/<generator>/NNN.png` and
//! `DIR/<generator>/answers.txt` (`file answer` per line). Same settings as the benchmark.

use std::io::Cursor;

use ab_glyph::{FontArc, PxScale};
use image::{ImageFormat, Rgb, RgbImage};
use rand::Rng;

const ALPHABET: &[u8] = b"CEHJKMNRTWY3479";

fn answer() -> String {
    let mut rng = rand::rng();
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn png(img: &image::DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "samples".into());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let ours = tower_captcha::Captcha::builder()
        .secret([1u8; 32].to_vec())
        .build()
        .unwrap();
    let font = FontArc::try_from_slice(tower_captcha::kind::text::BUNDLED_FONT).unwrap();
    type Generator<'a> = Box<dyn Fn() -> (String, Vec<u8>) + 'a>;
    let generators: Vec<(&str, Generator)> = vec![
        (
            "tower-captcha",
            Box::new(|| {
                let a = answer();
                let png = ours.render_text_png(&a);
                (a, png)
            }),
        ),
        (
            "captcha",
            Box::new(|| {
                use captcha::filters::{Dots, Grid, Noise, Wave};
                let mut c = captcha::Captcha::new();
                c.add_chars(5)
                    .apply_filter(Noise::new(0.3))
                    .apply_filter(Grid::new(6, 6))
                    .apply_filter(Wave::new(2.0, 10.0))
                    .view(160, 60)
                    .apply_filter(Dots::new(15).max_radius(7).min_radius(4));
                (c.chars_as_string(), c.as_png().unwrap())
            }),
        ),
        (
            "captcha-rs",
            Box::new(|| {
                let c = captcha_rs::CaptchaBuilder::new()
                    .length(5)
                    .width(160)
                    .height(60)
                    .build();
                (c.text.clone(), png(&c.image))
            }),
        ),
        (
            "bare",
            Box::new(|| {
                let a = answer();
                let mut img = RgbImage::from_pixel(160, 60, Rgb([240, 240, 240]));
                imageproc::drawing::draw_text_mut(
                    &mut img,
                    Rgb([30, 30, 90]),
                    12,
                    8,
                    PxScale::from(40.0),
                    &font,
                    &a,
                );
                (a, png(&image::DynamicImage::ImageRgb8(img)))
            }),
        ),
    ];
    for (name, make) in &generators {
        let sub = format!("{dir}/{name}");
        std::fs::create_dir_all(&sub).unwrap();
        let mut answers = String::new();
        for i in 0..count {
            let (answer, png) = make();
            let file = format!("{i:03}.png");
            std::fs::write(format!("{sub}/{file}"), png).unwrap();
            answers.push_str(&format!("{file} {answer}\n"));
        }
        std::fs::write(format!("{sub}/answers.txt"), answers).unwrap();
        println!("{sub}: {count} pictures");
    }
}
