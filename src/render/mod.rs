//! Drawing: everything that turns a puzzle into pixels and PNG bytes.
//!
//! Shapes are built as vector outlines, distorted in vector space, and rasterised with
//! `ab_glyph_rasterizer`'s exact-area coverage; the canvas is an `image::RgbImage`.

pub(crate) mod text;

use ab_glyph_rasterizer::{Point, Rasterizer, point};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, Rgb, RgbImage};

/// Encodes an RGB canvas as PNG.
pub(crate) fn encode_png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 * 1024);
    let encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    // Writing into a Vec cannot fail, and the buffer matches its stated size by construction.
    if encoder
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .is_err()
    {
        out.clear();
    }
    out
}

/// A closed polygon or set of line segments, rasterised into coverage over a bounding box.
pub(crate) struct Coverage {
    raster: Rasterizer,
}

impl Coverage {
    pub(crate) fn new() -> Self {
        Self {
            raster: Rasterizer::new(0, 0),
        }
    }

    /// Fills the shape given by `segments` (closed contours as line segments) and calls
    /// `paint(x, y, alpha)` for every canvas pixel it covers inside `width`x`height`.
    pub(crate) fn fill(
        &mut self,
        segments: &[(Point, Point)],
        width: u32,
        height: u32,
        mut paint: impl FnMut(u32, u32, f32),
    ) {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for (a, b) in segments {
            for p in [a, b] {
                x0 = x0.min(p.x);
                y0 = y0.min(p.y);
                x1 = x1.max(p.x);
                y1 = y1.max(p.y);
            }
        }
        if segments.is_empty() || !(x0.is_finite() && y0.is_finite()) {
            return;
        }
        let (ox, oy) = (x0.floor(), y0.floor());
        let w = (x1 - ox).ceil() as usize + 1;
        let h = (y1 - oy).ceil() as usize + 1;
        self.raster.reset(w, h);
        for (a, b) in segments {
            self.raster
                .draw_line(point(a.x - ox, a.y - oy), point(b.x - ox, b.y - oy));
        }
        let (ox, oy) = (ox as i64, oy as i64);
        self.raster.for_each_pixel_2d(|x, y, alpha| {
            let (cx, cy) = (ox + i64::from(x), oy + i64::from(y));
            if alpha > 0.0 && cx >= 0 && cy >= 0 && cx < i64::from(width) && cy < i64::from(height)
            {
                paint(cx as u32, cy as u32, alpha.min(1.0));
            }
        });
    }
}

/// The outline of a thick stroke along `path`, as closed line segments.
pub(crate) fn stroke_outline(path: &[Point], thickness: f32) -> Vec<(Point, Point)> {
    let half = thickness / 2.0;
    let mut left = Vec::with_capacity(path.len());
    let mut right = Vec::with_capacity(path.len());
    for i in 0..path.len() {
        let prev = path[i.saturating_sub(1)];
        let next = path[(i + 1).min(path.len() - 1)];
        let (dx, dy) = (next.x - prev.x, next.y - prev.y);
        let len = (dx * dx + dy * dy).sqrt().max(1e-3);
        let (nx, ny) = (-dy / len * half, dx / len * half);
        left.push(point(path[i].x + nx, path[i].y + ny));
        right.push(point(path[i].x - nx, path[i].y - ny));
    }
    right.reverse();
    let ring: Vec<Point> = left.into_iter().chain(right).collect();
    ring.iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| (*a, *b))
        .collect()
}

/// `a` blended towards `b` by `t` (0..=1).
pub(crate) fn mix(a: Rgb<u8>, b: Rgb<u8>, t: f32) -> Rgb<u8> {
    let ch = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    Rgb([ch(a[0], b[0]), ch(a[1], b[1]), ch(a[2], b[2])])
}
