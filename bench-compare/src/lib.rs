//! The generators compared in `benches/compare.rs` and written out by
//! `examples/samples.rs`: each makes a 160x60 picture of 5 random characters as PNG bytes and
//! returns it with its answer.

use std::io::Cursor;

use ab_glyph::{FontArc, PxScale};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use rand::Rng;

const ALPHABET: &[u8] = b"ACDEHKMPRTY";

/// 5 random characters of tower-captcha's default alphabet.
pub fn answer() -> String {
    let mut rng = rand::rng();
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// tower-captcha's default style.
pub fn ours(engine: &tower_captcha::Captcha) -> (String, Vec<u8>) {
    let a = answer();
    let puzzle = engine
        .draw::<tower_captcha::TextOptions>(&a, None)
        .expect("the text kind at its default size");
    (a, puzzle.image().to_vec())
}

/// The `captcha` crate with its medium-difficulty ("Amelia") filter chain — noise 0.3,
/// grid 6x6, wave (2, 10), 15 dots — at 160x60 with 5 characters.
pub fn captcha_crate() -> (String, Vec<u8>) {
    use captcha::filters::{Dots, Grid, Noise, Wave};
    let mut c = captcha::Captcha::new();
    c.add_chars(5)
        .apply_filter(Noise::new(0.3))
        .apply_filter(Grid::new(6, 6))
        .apply_filter(Wave::new(2.0, 10.0))
        .view(160, 60)
        .apply_filter(Dots::new(15).max_radius(7).min_radius(4));
    (c.chars_as_string(), c.as_png().unwrap_or_default())
}

/// `captcha-rs` with its defaults; its picture re-encoded as PNG (it emits JPEG) with the
/// `image` crate's default PNG settings.
pub fn captcha_rs() -> (String, Vec<u8>) {
    let c = captcha_rs::CaptchaBuilder::new()
        .length(5)
        .width(160)
        .height(60)
        .build();
    (c.text.clone(), png(&c.image))
}

/// ab_glyph + imageproc + image, plain text, no distortion at all: a floor.
pub fn bare(font: &FontArc) -> (String, Vec<u8>) {
    let a = answer();
    let mut img = RgbImage::from_pixel(160, 60, Rgb([240, 240, 240]));
    imageproc::drawing::draw_text_mut(
        &mut img,
        Rgb([30, 30, 90]),
        12,
        8,
        PxScale::from(40.0),
        font,
        &a,
    );
    (a, png(&DynamicImage::ImageRgb8(img)))
}

/// The bundled font, for [`bare`].
pub fn font() -> FontArc {
    FontArc::try_from_slice(tower_captcha::kind::text::BUNDLED_FONT).unwrap()
}
