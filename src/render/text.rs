//! The text picture: outlined, hatched glyphs with a cutting stroke and clutter.
//!
//! Captcha solvers are trained on solid glyphs over light backgrounds with lines and dots,
//! as most sites draw them. This picture moves away from that while a person still reads it
//! at a glance (measured with `scripts/ocr-check`; see the README's security notes):
//! - each glyph is drawn as its outline, filled with stripes of ink and background at an
//!   angle of its own (a hatch whose period follows the picture size, so scaling the
//!   picture down to a solver's input size does not melt it back into a solid glyph);
//!   the eye follows the outline, a model trained on solid strokes sees bars;
//! - glyphs of varying size, rotation (up to about ±14°) and shear, set so close that they
//!   touch (no gaps to segment on);
//! - a smooth wave warp of the whole text line, applied to the outlines in vector space;
//! - a thin stroke running through the text: over ink it cuts the glyph in the background
//!   colour, between glyphs it joins them in ink colour;
//! - dark, varied glyph colours over a light background, thin arcs and specks.

use std::collections::HashMap;

use ab_glyph_rasterizer::{Point, point};
use image::Rgb;
use imageproc::drawing::draw_filled_circle_mut;
use rand::Rng;

use super::Size;
use super::canvas::Canvas;
use super::glyph::{Glyph, flatten};
use super::{Coverage, Hatch, stroke_edges, stroke_outline};

/// Draws text pictures; built once per engine (glyph outlines are flattened up front).
pub(crate) struct TextRenderer {
    /// One table per font: character → flattened glyph.
    fonts: Vec<HashMap<char, Glyph>>,
}

impl TextRenderer {
    /// A renderer of `alphabet` in each of `fonts`.
    pub(crate) fn new(fonts: &[ab_glyph::FontArc], alphabet: &[char]) -> Self {
        let fonts = fonts
            .iter()
            .map(|font| {
                alphabet
                    .iter()
                    .filter_map(|&c| Some((c, flatten(font, c)?)))
                    .collect()
            })
            .collect();
        Self { fonts }
    }

    /// Draws `text` (characters of the alphabet; others are skipped) at `size`.
    pub(crate) fn render(&self, text: &str, size: Size, rng: &mut (impl Rng + ?Sized)) -> Canvas {
        let (width, height) = (size.width, size.height);
        let (w, h) = (width as f32, height as f32);
        // A flat light background (few colours keep the PNG small).
        let bg = light(rng);
        let mut img = Canvas::new(width, height, bg);

        // Pick glyphs and their per-glyph transforms.
        let glyphs: Vec<(&Glyph, f32, f32, f32)> = text
            .chars()
            .filter_map(|c| {
                let font = &self.fonts[rng.random_range(0..self.fonts.len())];
                let glyph = font.get(&c)?;
                let scale = rng.random_range(0.86..1.08_f32);
                let angle = rng.random_range(-0.25..0.25_f32);
                let shear = rng.random_range(-0.12..0.12_f32);
                Some((glyph, scale, angle, shear))
            })
            .collect();
        if glyphs.is_empty() {
            return img;
        }

        // Font size: as large as the height allows, shrunk until the row fits with the
        // glyphs' boxes just touching.
        let row_em: f32 = glyphs.iter().map(|(g, s, _, _)| g.size.0 * s).sum();
        let margin = w * 0.06;
        let size = (h * 0.80).min((w - 2.0 * margin) / row_em.max(0.1));
        let slack = (w - 2.0 * margin - row_em * size).max(0.0);
        let mut cursor = margin + rng.random_range(0.0..=slack);

        // The hatch: stripes `period` pixels apart, the first `GAP` of each left empty. The
        // period follows the picture, not the glyphs: a solver that scales the picture to
        // its input size (160x60 is common) still sees stripes.
        let period = w.max(h * 8.0 / 3.0) * 0.026;
        let outline = size / 60.0;

        // The wave warp applied to every outline point.
        let (a1, f1, p1) = (
            h * 0.056,
            rng.random_range(1.2..2.2) * std::f32::consts::TAU / w,
            rng.random_range(0.0..std::f32::consts::TAU),
        );
        let (a2, f2, p2) = (
            h * 0.04,
            rng.random_range(0.8..1.6) * std::f32::consts::TAU / h,
            rng.random_range(0.0..std::f32::consts::TAU),
        );
        let warp = |p: Point| {
            point(
                p.x + a2 * (p.y * f2 + p2).sin(),
                p.y + a1 * (p.x * f1 + p1).sin(),
            )
        };

        let mut coverage = Coverage::new();
        let mut ink = vec![0u8; (width * height) as usize];
        let mut colours = Vec::with_capacity(glyphs.len());
        let mut centres = Vec::with_capacity(glyphs.len());
        let mut segments = Vec::new();
        let mut placed = Vec::new();
        let mut outline_ring = Vec::new();
        for (glyph, scale, angle, shear) in glyphs {
            let px = size * scale;
            let half_w = glyph.size.0 * px / 2.0;
            let cx = cursor + half_w;
            cursor += 2.0 * half_w;
            let jitter = ((h - glyph.size.1 * px) / 2.0).max(0.0) * 0.7;
            let cy = h / 2.0 + rng.random_range(-jitter..=jitter);
            centres.push(point(cx, cy));
            let (sin, cos) = angle.sin_cos();
            let place = |p: Point| {
                let (x, y) = ((p.x + shear * p.y) * px, p.y * px);
                warp(point(cx + x * cos - y * sin, cy + x * sin + y * cos))
            };
            placed.clear();
            placed.extend(glyph.vertices.iter().map(|p| place(*p)));
            segments.clear();
            segments.extend(
                glyph
                    .edges
                    .iter()
                    .map(|&(a, b)| (placed[a as usize], placed[b as usize])),
            );
            let colour = dark(rng);
            colours.push(colour);
            let mut pen = img.pen(colour);
            let hatch = Hatch::new(rng.random_range(0.0..std::f32::consts::PI), period);
            coverage.fill(&segments, width, height, |x, y, a| {
                let i = (y * width + x) as usize;
                if hatch.phase(x, y) >= GAP {
                    img.blend(i, &mut pen, a);
                    ink[i] = ink[i].max((a * 255.0) as u8);
                }
            });
            outline_ring.clear();
            stroke_edges(&segments, outline, &mut outline_ring);
            coverage.fill(&outline_ring, width, height, |x, y, a| {
                let i = (y * width + x) as usize;
                img.blend(i, &mut pen, a);
                ink[i] = ink[i].max((a * 255.0) as u8);
            });
        }

        // The cutting stroke: a smooth wave through the text band, a little thinner than a
        // stem.
        let stem = size * 0.06;
        let mean_y = centres.iter().map(|c| c.y).sum::<f32>() / centres.len() as f32;
        let (amp, freq, phase) = (
            h * 0.10,
            rng.random_range(1.0..2.0_f32),
            rng.random_range(0.0..std::f32::consts::TAU),
        );
        let path: Vec<Point> = (0..=32)
            .map(|i| {
                let t = i as f32 / 32.0;
                let x = margin * 0.5 + t * (w - margin);
                point(
                    x,
                    mean_y + amp * (t * freq * std::f32::consts::TAU + phase).sin(),
                )
            })
            .collect();
        let mut stroke_pen = img.pen(colours[rng.random_range(0..colours.len())]);
        let mut cut_pen = img.pen(bg);
        coverage.fill(&stroke_outline(&path, stem), width, height, |x, y, a| {
            let i = (y * width + x) as usize;
            let pen = if ink[i] > 127 {
                &mut cut_pen
            } else {
                &mut stroke_pen
            };
            img.blend(i, pen, a);
        });

        // Clutter: thin anti-aliased arcs, and specks in the same mid tones. An arc is a
        // function of x: per column its weight is split between the two rows it passes
        // between (Wu's way), at 80% strength; straight between nine knots on the curve.
        let clutter = [mid(rng), mid(rng)];
        let mut pens = clutter.map(|colour| img.pen(colour));
        for pen in &mut pens {
            let (y0, amp, phase) = (
                rng.random_range(0.0..h),
                rng.random_range(0.1..0.4) * h,
                rng.random_range(0.0..6.3_f32),
            );
            let knots: [f32; 9] =
                std::array::from_fn(|i| y0 + amp * (i as f32 / 8.0 * 3.0 + phase).sin());
            for x in 0..width {
                let t = x as f32 / w * 8.0;
                let k = (t as usize).min(7);
                let y = knots[k] + (knots[k + 1] - knots[k]) * (t - k as f32);
                let (row, below) = (y.floor(), y - y.floor());
                for (r, weight) in [(row, 1.0 - below), (row + 1.0, below)] {
                    if r >= 0.0 && r < h {
                        img.blend((r as u32 * width + x) as usize, pen, weight * 0.8);
                    }
                }
            }
        }
        for i in 0..(width * height / 400) {
            let centre = (
                rng.random_range(0..width) as i32,
                rng.random_range(0..height) as i32,
            );
            draw_filled_circle_mut(&mut img, centre, 1, clutter[i as usize % 2]);
        }
        img
    }
}

/// The share of each hatch period left empty inside a glyph.
const GAP: f32 = 0.5;

fn light(rng: &mut (impl Rng + ?Sized)) -> Rgb<u8> {
    Rgb([
        rng.random_range(215..=255),
        rng.random_range(215..=255),
        rng.random_range(215..=255),
    ])
}

fn dark(rng: &mut (impl Rng + ?Sized)) -> Rgb<u8> {
    Rgb([
        rng.random_range(10..=120),
        rng.random_range(10..=120),
        rng.random_range(10..=120),
    ])
}

fn mid(rng: &mut (impl Rng + ?Sized)) -> Rgb<u8> {
    Rgb([
        rng.random_range(90..=190),
        rng.random_range(90..=190),
        rng.random_range(90..=190),
    ])
}
