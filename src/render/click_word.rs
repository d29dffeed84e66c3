//! The click-word picture: characters drawn over a landscape, each at its own place, size,
//! rotation (±45°) and colour, with a halo so that people read them on a busy background.

use ab_glyph_rasterizer::point;
use image::{Rgb, RgbImage};
use rand::Rng;

use super::Coverage;
use super::glyph::Glyph;
use super::scene::{blend, hsl};

/// Draws `glyph` centred at (`cx`, `cy`), `px` pixels per em, turned by `angle` radians, in
/// `ink` with a halo of `halo`.
pub(crate) fn draw_glyph(
    img: &mut RgbImage,
    glyph: &Glyph,
    (cx, cy): (f32, f32),
    px: f32,
    angle: f32,
    ink: Rgb<u8>,
    halo: Rgb<u8>,
) {
    let (sin, cos) = angle.sin_cos();
    let place = |dx: f32, dy: f32| {
        move |p: ab_glyph_rasterizer::Point| {
            let (x, y) = (p.x * px, p.y * px);
            point(cx + x * cos - y * sin + dx, cy + x * sin + y * cos + dy)
        }
    };
    let (w, h) = img.dimensions();
    let mut coverage = Coverage::new();
    // The halo: the glyph drawn shifted a pixel in eight directions, faintly.
    for (dx, dy) in [
        (-1.2, 0.0),
        (1.2, 0.0),
        (0.0, -1.2),
        (0.0, 1.2),
        (-0.9, -0.9),
        (0.9, 0.9),
        (-0.9, 0.9),
        (0.9, -0.9),
    ] {
        coverage.fill(&glyph.segments(place(dx, dy)), w, h, |x, y, a| {
            blend(img, x, y, halo, a * 0.55);
        });
    }
    coverage.fill(&glyph.segments(place(0.0, 0.0)), w, h, |x, y, a| {
        blend(img, x, y, ink, a);
    });
}

/// An ink and a halo colour that stand apart from each other: dark on light or light on
/// dark, of a random hue.
pub(crate) fn ink_and_halo(rng: &mut (impl Rng + ?Sized)) -> (Rgb<u8>, Rgb<u8>) {
    let hue = rng.random_range(0.0..360.0);
    if rng.random_bool(0.6) {
        (
            hsl(
                hue,
                rng.random_range(0.6..0.95),
                rng.random_range(0.18..0.32),
            ),
            hsl(hue + 180.0, 0.3, 0.92),
        )
    } else {
        (
            hsl(
                hue,
                rng.random_range(0.7..1.0),
                rng.random_range(0.72..0.85),
            ),
            hsl(hue, 0.4, 0.12),
        )
    }
}
