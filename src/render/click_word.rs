//! The click-word picture: characters drawn over a landscape, each at its own place, size,
//! rotation (±25°) and colour, with a halo so that people find them on a busy background.
//!
//! The ink is hatched: thin stripes of the halo's colour, at an angle of each character's
//! own, cross every stroke. A person looking for a given character still sees its shape;
//! a character classifier trained on solid glyphs reads it rarely (measured with
//! `scripts/click_word_attacks.py`).

use ab_glyph_rasterizer::point;
use image::{Rgb, RgbImage};
use rand::Rng;

use super::glyph::Glyph;
use super::scene::{blend, hsl};
use super::{Coverage, Hatch};

/// The share of each hatch period drawn in the halo's colour.
const HATCH_SHARE: f32 = 0.42;

/// How a character is drawn: size, turn, colours and hatching.
pub(crate) struct Style {
    /// Pixels per em.
    pub(crate) px: f32,
    /// Turn, in radians.
    pub(crate) angle: f32,
    pub(crate) ink: Rgb<u8>,
    pub(crate) halo: Rgb<u8>,
    /// Direction of the hatching, in radians.
    pub(crate) hatch_angle: f32,
    /// Distance between two hatch lines, in pixels.
    pub(crate) hatch_period: f32,
}

impl Style {
    /// A random style: 36–41 px, within ±25°, contrasting colours, hatched.
    pub(crate) fn random(rng: &mut (impl Rng + ?Sized)) -> Self {
        let (ink, halo) = ink_and_halo(rng);
        Self {
            px: rng.random_range(36.0..41.0),
            angle: rng.random_range(-25.0..25.0_f32).to_radians(),
            ink,
            halo,
            hatch_angle: rng.random_range(0.0..std::f32::consts::PI),
            hatch_period: rng.random_range(5.2..6.5),
        }
    }
}

/// Draws `glyph` centred at (`cx`, `cy`) in `style`.
pub(crate) fn draw_glyph(img: &mut RgbImage, glyph: &Glyph, (cx, cy): (f32, f32), style: &Style) {
    let Style {
        px,
        angle,
        ink,
        halo,
        hatch_angle,
        hatch_period,
    } = *style;
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
    // The ink, hatched: stripes of the halo's colour, a little wider than two pixels, so
    // that a 3x3 morphological filter does not close them (measured: see the module docs).
    let hatch = Hatch::new(hatch_angle, hatch_period);
    coverage.fill(&glyph.segments(place(0.0, 0.0)), w, h, |x, y, a| {
        let colour = if hatch.phase(x, y) < HATCH_SHARE {
            halo
        } else {
            ink
        };
        blend(img, x, y, colour, a);
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
