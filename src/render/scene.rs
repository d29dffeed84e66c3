//! Procedural backgrounds for the slider and click-word kinds: a flat-design landscape
//! (banded sky, sun, clouds, layered hills, trees, stones), different every time, with many
//! edges at every height so that edge or template matching finds nothing special anywhere.
//!
//! Drawn on an RGB buffer with anti-aliased polygons (`ab_glyph_rasterizer` coverage), in a
//! few flat colours per picture so that the PNG stays small.

use ab_glyph_rasterizer::{Point, point};
use image::{Rgb, RgbImage};
use rand::Rng;

use super::Coverage;

/// Blends `colour` into `img` at (`x`, `y`) by `alpha` (0..=1).
#[inline]
pub(crate) fn blend(img: &mut RgbImage, x: u32, y: u32, colour: Rgb<u8>, alpha: f32) {
    let p = img.get_pixel_mut(x, y);
    // Most covered pixels are covered fully: no blending to do.
    *p = if alpha >= 0.998 {
        colour
    } else {
        super::mix(*p, colour, alpha)
    };
}

/// Fills the closed polygon `ring` with `colour` at `alpha`.
pub(crate) fn fill(
    img: &mut RgbImage,
    coverage: &mut Coverage,
    ring: &[Point],
    colour: Rgb<u8>,
    alpha: f32,
) {
    let segments: Vec<(Point, Point)> = ring
        .iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| (*a, *b))
        .collect();
    let (w, h) = img.dimensions();
    coverage.fill(&segments, w, h, |x, y, a| {
        blend(img, x, y, colour, a * alpha)
    });
}

/// A regular polygon approximating the ellipse at (`cx`, `cy`) with radii `rx`, `ry`.
pub(crate) fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32) -> Vec<Point> {
    let n = ((rx.max(ry) * 1.2) as usize).clamp(12, 48);
    (0..n)
        .map(|i| {
            let a = i as f32 / n as f32 * std::f32::consts::TAU;
            point(cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

/// An RGB colour from hue (degrees), saturation and lightness (0..=1).
pub(crate) fn hsl(h: f32, s: f32, l: f32) -> Rgb<u8> {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = (h.rem_euclid(360.0)) / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f32| ((v + m).clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
    Rgb([to(r), to(g), to(b)])
}

/// A landscape of `width` x `height`.
pub(crate) fn landscape(width: u32, height: u32, rng: &mut (impl Rng + ?Sized)) -> RgbImage {
    let (w, h) = (width as f32, height as f32);
    let mut coverage = Coverage::new();
    // A scheme: the sky's hue, the hills' hue, day or dusk.
    let sky_hue = rng.random_range(0.0..360.0_f32);
    let land_hue = rng.random_range(0.0..360.0_f32);
    let dusk = rng.random_bool(0.3);
    let (top, bottom) = if dusk {
        (hsl(sky_hue, 0.45, 0.35), hsl(sky_hue + 40.0, 0.7, 0.72))
    } else {
        (hsl(sky_hue, 0.55, 0.62), hsl(sky_hue + 20.0, 0.45, 0.88))
    };
    // Banded sky: a few flat bands compress well and add horizontal edges.
    let bands = rng.random_range(6..11);
    let mut img = RgbImage::new(width, height);
    for y in 0..height {
        let band = ((y as f32 / h) * bands as f32).floor() / (bands - 1) as f32;
        let colour = super::mix(top, bottom, band.min(1.0));
        for x in 0..width {
            img.put_pixel(x, y, colour);
        }
    }
    // Sun or moon, with a halo.
    let (sx, sy, sr) = (
        rng.random_range(0.1..0.9) * w,
        rng.random_range(0.1..0.4) * h,
        rng.random_range(0.06..0.12) * h,
    );
    let sun = if dusk {
        hsl(rng.random_range(20.0..50.0), 0.9, 0.7)
    } else {
        hsl(rng.random_range(40.0..60.0), 0.95, 0.75)
    };
    fill(
        &mut img,
        &mut coverage,
        &ellipse(sx, sy, sr * 1.7, sr * 1.7),
        sun,
        0.25,
    );
    fill(&mut img, &mut coverage, &ellipse(sx, sy, sr, sr), sun, 1.0);
    // Clouds: clusters of overlapping ellipses.
    for _ in 0..rng.random_range(2..5) {
        let (cx, cy) = (rng.random_range(0.0..w), rng.random_range(0.08..0.45) * h);
        let shade = hsl(sky_hue, 0.2, rng.random_range(0.9..0.98));
        for _ in 0..rng.random_range(3..6) {
            let (dx, dy) = (rng.random_range(-22.0..22.0), rng.random_range(-5.0..4.0));
            let (rx, ry) = (rng.random_range(8.0..18.0), rng.random_range(5.0..9.0));
            fill(
                &mut img,
                &mut coverage,
                &ellipse(cx + dx, cy + dy, rx, ry),
                shade,
                0.9,
            );
        }
    }
    // Hills, far to near: paler and bluer far away, darker and more saturated near.
    let layers = rng.random_range(4..7);
    for layer in 0..layers {
        let depth = layer as f32 / (layers - 1) as f32;
        let base = h * (0.32 + 0.52 * depth) + rng.random_range(-6.0..6.0);
        let waves: Vec<(f32, f32, f32)> = (1..=3)
            .map(|k| {
                let k = k as f32;
                (
                    h * rng.random_range(0.04..0.11) / k,
                    rng.random_range(0.6..2.2) * k * std::f32::consts::TAU / w,
                    rng.random_range(0.0..std::f32::consts::TAU),
                )
            })
            .collect();
        let ridge = |x: f32| {
            base + waves
                .iter()
                .map(|(a, f, p)| a * (x * f + p).sin())
                .sum::<f32>()
        };
        let hue = land_hue + rng.random_range(-25.0..25.0);
        let colour = hsl(
            hue,
            0.25 + 0.45 * depth,
            (0.75 - 0.45 * depth).clamp(0.2, 0.8),
        );
        let mut ring: Vec<Point> = (0..=width / 4 + 1)
            .map(|i| {
                let x = (i * 4) as f32;
                point(x, ridge(x))
            })
            .collect();
        ring.push(point(w + 4.0, h + 1.0));
        ring.push(point(-1.0, h + 1.0));
        fill(&mut img, &mut coverage, &ring, colour, 1.0);
        // A lighter or darker stripe under the ridge of some layers.
        if rng.random_bool(0.5) {
            let off = rng.random_range(4.0..10.0);
            let stripe = hsl(
                hue,
                0.3 + 0.4 * depth,
                (0.82 - 0.45 * depth).clamp(0.25, 0.9),
            );
            let mut band: Vec<Point> = (0..=width / 4 + 1)
                .map(|i| {
                    let x = (i * 4) as f32;
                    point(x, ridge(x) + off)
                })
                .collect();
            let lower: Vec<Point> = band
                .iter()
                .rev()
                .map(|p| point(p.x, p.y + rng.random_range(2.0..4.0)))
                .collect();
            band.extend(lower);
            fill(&mut img, &mut coverage, &band, stripe, 0.8);
        }
        // Trees and stones on the nearer layers.
        if depth > 0.3 {
            let trees = rng.random_range(2..9);
            for _ in 0..trees {
                let x = rng.random_range(0.0..w);
                let y = ridge(x) + rng.random_range(0.0..12.0);
                let size = rng.random_range(6.0..16.0) * (0.6 + depth);
                let green = hsl(
                    land_hue + rng.random_range(60.0..140.0),
                    0.45,
                    rng.random_range(0.18..0.38),
                );
                if rng.random_bool(0.6) {
                    let tree = [
                        point(x, y - size * 1.6),
                        point(x + size * 0.55, y),
                        point(x - size * 0.55, y),
                    ];
                    fill(&mut img, &mut coverage, &tree, green, 1.0);
                } else {
                    let stone = hsl(land_hue, 0.1, rng.random_range(0.35..0.7));
                    fill(
                        &mut img,
                        &mut coverage,
                        &ellipse(x, y, size * 0.6, size * 0.35),
                        stone,
                        1.0,
                    );
                }
            }
        }
    }
    img
}

/// How many kinds of landmark there are.
pub(crate) const LANDMARKS: usize = 6;

/// One distinctive object (`kind` of [`LANDMARKS`], of main hue `hue`) centred near (`cx`, `cy`), about `size` px across: a house, a
/// balloon, a round tree, a tent, a flower or a kite, in colours of its own. The slider
/// puts one under every hole, so that the piece shows part of something a person can match.
pub(crate) fn landmark(
    img: &mut RgbImage,
    (cx, cy): (f32, f32),
    size: f32,
    (kind, hue): (usize, f32),
    rng: &mut (impl Rng + ?Sized),
) {
    let mut coverage = Coverage::new();
    let main = hsl(
        hue,
        rng.random_range(0.55..0.9),
        rng.random_range(0.4..0.62),
    );
    let second = hsl(
        hue + rng.random_range(90.0..270.0),
        rng.random_range(0.5..0.9),
        rng.random_range(0.3..0.7),
    );
    let dark = hsl(hue, 0.3, 0.18);
    let light = hsl(hue, 0.4, 0.92);
    let s = size / 2.0;
    let rect = |x0: f32, y0: f32, x1: f32, y1: f32| {
        vec![point(x0, y0), point(x1, y0), point(x1, y1), point(x0, y1)]
    };
    match kind % LANDMARKS {
        0 => {
            // A house: body, roof, door and window.
            fill(
                img,
                &mut coverage,
                &rect(cx - s * 0.8, cy - s * 0.1, cx + s * 0.8, cy + s),
                main,
                1.0,
            );
            let roof = [
                point(cx - s, cy - s * 0.05),
                point(cx, cy - s),
                point(cx + s, cy - s * 0.05),
            ];
            fill(img, &mut coverage, &roof, second, 1.0);
            fill(
                img,
                &mut coverage,
                &rect(cx - s * 0.2, cy + s * 0.35, cx + s * 0.15, cy + s),
                dark,
                1.0,
            );
            fill(
                img,
                &mut coverage,
                &rect(cx + s * 0.3, cy + s * 0.15, cx + s * 0.6, cy + s * 0.45),
                light,
                1.0,
            );
        }
        1 => {
            // A balloon on a string, with a basket.
            fill(
                img,
                &mut coverage,
                &ellipse(cx, cy - s * 0.25, s * 0.75, s * 0.8),
                main,
                1.0,
            );
            fill(
                img,
                &mut coverage,
                &ellipse(cx, cy - s * 0.25, s * 0.3, s * 0.8),
                second,
                1.0,
            );
            fill(
                img,
                &mut coverage,
                &rect(cx - s * 0.05, cy + s * 0.5, cx + s * 0.05, cy + s * 0.75),
                dark,
                1.0,
            );
            fill(
                img,
                &mut coverage,
                &rect(cx - s * 0.2, cy + s * 0.75, cx + s * 0.2, cy + s),
                dark,
                1.0,
            );
        }
        2 => {
            // A round tree: trunk and crown.
            fill(
                img,
                &mut coverage,
                &rect(cx - s * 0.12, cy, cx + s * 0.12, cy + s),
                dark,
                1.0,
            );
            fill(
                img,
                &mut coverage,
                &ellipse(cx, cy - s * 0.2, s * 0.75, s * 0.7),
                main,
                1.0,
            );
            fill(
                img,
                &mut coverage,
                &ellipse(cx - s * 0.25, cy - s * 0.35, s * 0.25, s * 0.2),
                light,
                0.6,
            );
        }
        3 => {
            // A striped tent.
            let tent = [
                point(cx - s, cy + s),
                point(cx, cy - s),
                point(cx + s, cy + s),
            ];
            fill(img, &mut coverage, &tent, main, 1.0);
            let stripe = [
                point(cx - s * 0.25, cy + s),
                point(cx, cy - s),
                point(cx + s * 0.25, cy + s),
            ];
            fill(img, &mut coverage, &stripe, second, 1.0);
        }
        4 => {
            // A flower: petals round a heart, on a stem.
            fill(
                img,
                &mut coverage,
                &rect(cx - s * 0.06, cy, cx + s * 0.06, cy + s),
                dark,
                1.0,
            );
            for k in 0..6 {
                let a = k as f32 / 6.0 * std::f32::consts::TAU;
                let (px, py) = (cx + a.cos() * s * 0.45, cy - s * 0.3 + a.sin() * s * 0.45);
                fill(
                    img,
                    &mut coverage,
                    &ellipse(px, py, s * 0.3, s * 0.3),
                    main,
                    1.0,
                );
            }
            fill(
                img,
                &mut coverage,
                &ellipse(cx, cy - s * 0.3, s * 0.25, s * 0.25),
                second,
                1.0,
            );
        }
        _ => {
            // A kite with a tail.
            let kite = [
                point(cx, cy - s),
                point(cx + s * 0.6, cy - s * 0.2),
                point(cx, cy + s * 0.6),
                point(cx - s * 0.6, cy - s * 0.2),
            ];
            fill(img, &mut coverage, &kite, main, 1.0);
            let half = [
                point(cx, cy - s),
                point(cx + s * 0.6, cy - s * 0.2),
                point(cx, cy + s * 0.6),
            ];
            fill(img, &mut coverage, &half, second, 1.0);
            fill(
                img,
                &mut coverage,
                &rect(cx - s * 0.04, cy + s * 0.6, cx + s * 0.04, cy + s),
                dark,
                1.0,
            );
        }
    }
}
