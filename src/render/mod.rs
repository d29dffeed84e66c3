//! Drawing: everything that turns a puzzle into pixels and PNG bytes.
//!
//! Shapes are built as vector outlines, distorted in vector space, and rasterised with
//! `ab_glyph_rasterizer`'s exact-area coverage; the canvas is an `image::RgbImage`.

pub(crate) mod pool;
pub(crate) mod text;

use ab_glyph_rasterizer::{Point, Rasterizer, point};
use image::{Rgb, RgbImage};

/// Encodes an RGB canvas as PNG: 8-bit indexed when it has at most 256 colours (default
/// pictures nearly always do: they are drawn with coverage in eighths), else indexed after
/// rounding channels to multiples of 8 (invisible at this size), 16 or 32, else RGB. fdeflate's fast
/// mode; filters chosen by measurement (`BENCHMARKS.md`).
pub(crate) fn encode_png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 * 1024);
    let (w, h) = img.dimensions();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let indexed = index_colours(img.as_raw()).or_else(|| {
        [3u32, 4, 5].into_iter().find_map(|bits| {
            let (mask, half) = (0xffu8 << bits, 1u8 << (bits - 1));
            let rounded: Vec<u8> = img.as_raw().iter().map(|&c| (c & mask) | half).collect();
            index_colours(&rounded)
        })
    });
    let data = match indexed {
        Some((palette, indices)) => {
            encoder.set_color(png::ColorType::Indexed);
            encoder.set_palette(palette);
            encoder.set_filter(png::Filter::Sub);
            indices
        }
        None => {
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_filter(png::Filter::Up);
            img.as_raw().clone()
        }
    };
    // Writing into a Vec cannot fail, and the data matches the header by construction.
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&data));
    if written.is_err() {
        out.clear();
    }
    out
}

/// The palette and per-pixel indices of an RGB buffer, if it has at most 256 colours.
fn index_colours(rgb: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    const SLOTS: usize = 1024; // a quarter full at most: short probes
    let mut keys = [0u32; SLOTS];
    let mut values = [0u8; SLOTS];
    let mut palette = Vec::with_capacity(256 * 3);
    let mut indices = vec![0u8; rgb.len() / 3];
    let mut last = (0u32, 0u8);
    for (px, out) in rgb.chunks_exact(3).zip(indices.iter_mut()) {
        // +1 so that no colour is the empty key 0.
        let key = ((u32::from(px[0]) << 16) | (u32::from(px[1]) << 8) | u32::from(px[2])) + 1;
        if key != last.0 {
            let mut slot = (key.wrapping_mul(0x9E37_79B1) >> 22) as usize % SLOTS;
            let index = loop {
                if keys[slot] == key {
                    break values[slot];
                }
                if keys[slot] == 0 {
                    let next = u8::try_from(palette.len() / 3).ok()?;
                    keys[slot] = key;
                    values[slot] = next;
                    palette.extend_from_slice(px);
                    break next;
                }
                slot = (slot + 1) % SLOTS;
            };
            last = (key, index);
        }
        *out = last.1;
    }
    Some((palette, indices))
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
        // Walk the buffer linearly, keeping x and y as counters: the 2-D walk of the
        // rasterizer divides per pixel, and most pixels here have no coverage at all.
        let (ox, oy) = (ox as i64, oy as i64);
        let (canvas_w, canvas_h) = (i64::from(width), i64::from(height));
        let (mut x, mut y) = (ox, oy);
        let right = ox + w as i64;
        self.raster.for_each_pixel(|_, alpha| {
            if alpha > 0.0 && x >= 0 && y >= 0 && x < canvas_w && y < canvas_h {
                paint(x as u32, y as u32, alpha.min(1.0));
            }
            x += 1;
            if x == right {
                x = ox;
                y += 1;
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

/// Blends pixel `i` of `img` towards `colour` by coverage `a`, rounded to eighths: edges
/// stay smooth to the eye while the picture keeps few enough colours for a palette PNG.
#[inline]
pub(crate) fn blend(img: &mut RgbImage, i: usize, colour: Rgb<u8>, a: f32) {
    let a = quantise(a);
    if a == 0.0 {
        return;
    }
    if let Some(px) = img.get_mut(i * 3..i * 3 + 3) {
        let mixed = mix(Rgb([px[0], px[1], px[2]]), colour, a);
        px.copy_from_slice(&mixed.0);
    }
}

/// Coverage rounded to the nearest eighth.
#[inline]
pub(crate) fn quantise(a: f32) -> f32 {
    f32::from((a.clamp(0.0, 1.0) * 8.0 + 0.5) as u8) / 8.0
}

/// `a` blended towards `b` by `t` (0..=1), in integer arithmetic (no float rounding in
/// the per-pixel path).
#[inline]
pub(crate) fn mix(a: Rgb<u8>, b: Rgb<u8>, t: f32) -> Rgb<u8> {
    let t = (t.clamp(0.0, 1.0) * 256.0) as u32;
    let ch = |x: u8, y: u8| ((u32::from(x) * (256 - t) + u32::from(y) * t + 128) >> 8) as u8;
    Rgb([ch(a[0], b[0]), ch(a[1], b[1]), ch(a[2], b[2])])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_when_it_fits_rounded_palette_next_rgb_last() {
        let decode = |png: &[u8]| image::load_from_memory(png).unwrap().to_rgb8();
        // 128 colours: exact palette.
        let few = RgbImage::from_fn(64, 32, |x, y| {
            Rgb([(x % 16) as u8 * 9, (y % 8) as u8 * 30, 200])
        });
        let png = encode_png(&few);
        assert_eq!(png[25], 3, "indexed");
        assert_eq!(decode(&png), few);
        assert_eq!(index_colours(few.as_raw()).unwrap().0.len(), 128 * 3);
        // 512 colours that round to 64: indexed, each channel within 4 of the original.
        let medium = RgbImage::from_fn(64, 16, |x, y| {
            Rgb([(x % 8) as u8 * 32 + (y % 8) as u8, (x / 8) as u8 * 32, 9])
        });
        assert!(
            index_colours(medium.as_raw()).is_none(),
            "more than 256 colours as is"
        );
        let png = encode_png(&medium);
        assert_eq!(png[25], 3, "indexed after rounding");
        for (a, b) in decode(&png).pixels().zip(medium.pixels()) {
            assert!(
                a.0.iter().zip(b.0).all(|(x, y)| x.abs_diff(y) <= 4),
                "{a:?} {b:?}"
            );
        }
        // Hundreds of colours even after rounding to 32: RGB, lossless.
        let many = RgbImage::from_fn(64, 32, |x, y| {
            Rgb([x as u8 * 4, y as u8 * 8, (x * 37 + y * 91) as u8])
        });
        let png = encode_png(&many);
        assert_eq!(png[25], 2, "RGB");
        assert_eq!(decode(&png), many);
    }
}
