//! Drawing: everything that turns a puzzle into pixels and PNG bytes.
//!
//! Shapes are built as vector outlines, distorted in vector space, and rasterised with
//! `ab_glyph_rasterizer`'s exact-area coverage ([`Coverage`]; insides whose edge is
//! stroked over, by the cheaper [`Scanline`]) onto an 8-bit palette canvas
//! ([`canvas::Canvas`]), which encodes straight to a small PNG. Nothing here knows of kinds:
//! kinds call in.

pub(crate) mod audio;
pub(crate) mod canvas;
pub(crate) mod click_word;
pub(crate) mod glyph;
pub(crate) mod pool;
pub(crate) mod scene;
pub(crate) mod slider;
pub(crate) mod text;

use ab_glyph_rasterizer::{Point, Rasterizer, point};
use image::Rgb;

/// A picture size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Size {
    /// The size Auth v1 clients expect (160x60).
    pub const AUTH_V1: Size = Size::new(160, 60);
    /// The size AnQiCMS clients expect (240x76, from its sample picture).
    pub const ANQICMS: Size = Size::new(240, 76);
    /// AJ-Captcha's fixed frame (310x155): its widgets scale every answer to it.
    pub const AJ_FRAME: Size = Size::new(310, 155);

    /// A size of `width` x `height` pixels.
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    /// Whether pictures can be drawn at this size (80x30 ..= 1000x400).
    pub fn is_drawable(self) -> bool {
        (80..=1000).contains(&self.width) && (30..=400).contains(&self.height)
    }
}

/// A picture that could not be made (raised as [`IssueError::Draw`](crate::IssueError::Draw)
/// and logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the picture could not be drawn: {0}")]
pub struct DrawError(pub String);

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

/// Fills the inside of closed contours row by row (see [`Scanline::fill`]); keeps its
/// buffers between calls.
#[derive(Default)]
pub(crate) struct Scanline {
    /// Per edge: first row, row past the last, x at the first row's centre, x per row,
    /// winding direction.
    edges: Vec<(u32, u32, f32, f32, i32)>,
    /// The edges crossing the current row.
    active: Vec<usize>,
    crossings: Vec<(f32, i32)>,
}

impl Scanline {
    /// Calls `paint(x, y)` for every pixel of `width`x`height` whose centre lies inside the
    /// closed contours given by `segments` (non-zero winding): no anti-aliasing, and several
    /// times cheaper than [`Coverage::fill`]. For insides whose edge is drawn over anyway
    /// (the text picture strokes every glyph's outline).
    pub(crate) fn fill(
        &mut self,
        segments: &[(Point, Point)],
        width: u32,
        height: u32,
        mut paint: impl FnMut(u32, u32),
    ) {
        // An edge crosses the centre of row y when lo <= y + 0.5 < hi (half-open, so a
        // vertex shared by two edges is counted once).
        self.edges.clear();
        for (a, b) in segments {
            if ![a.x, a.y, b.x, b.y].iter().all(|v| v.is_finite()) {
                continue;
            }
            let (lo, hi, dir) = if a.y < b.y { (a, b, 1) } else { (b, a, -1) };
            let first = (lo.y - 0.5).ceil().max(0.0);
            let end = (hi.y - 0.5).ceil().min(height as f32);
            if first >= end {
                continue;
            }
            let slope = (hi.x - lo.x) / (hi.y - lo.y);
            let x = lo.x + (first + 0.5 - lo.y) * slope;
            self.edges.push((first as u32, end as u32, x, slope, dir));
        }
        // Rows in order, with the edges that cross each (the active ones) kept apart.
        self.edges.sort_unstable_by_key(|e| e.0);
        let Some(&(first, ..)) = self.edges.first() else {
            return;
        };
        let end = self.edges.iter().map(|e| e.1).max().unwrap_or(first);
        let mut next = 0;
        self.active.clear();
        for y in first..end {
            while next < self.edges.len() && self.edges[next].0 == y {
                self.active.push(next);
                next += 1;
            }
            let edges = &self.edges;
            self.active.retain(|&i| edges[i].1 > y);
            self.crossings.clear();
            for &i in &self.active {
                let (from, _, x, slope, dir) = self.edges[i];
                self.crossings.push((x + (y - from) as f32 * slope, dir));
            }
            self.crossings.sort_unstable_by(|p, q| p.0.total_cmp(&q.0));
            let mut winding = 0;
            for pair in self.crossings.windows(2) {
                winding += pair[0].1;
                if winding != 0 {
                    // Pixels whose centre x + 0.5 lies in [from, to).
                    let from = (pair[0].0 - 0.5).ceil().max(0.0);
                    let to = (pair[1].0 - 0.5).ceil().min(width as f32);
                    for x in from as u32..to.max(from) as u32 {
                        paint(x, y);
                    }
                }
            }
        }
    }
}

/// Parallel stripes at an angle: where each pixel falls across its stripe.
pub(crate) struct Hatch {
    /// The stripes' normal, divided by the period.
    sin: f32,
    cos: f32,
}

impl Hatch {
    /// Stripes `period` pixels apart, their normal at `angle` radians.
    pub(crate) fn new(angle: f32, period: f32) -> Self {
        let (sin, cos) = angle.sin_cos();
        Self {
            sin: sin / period,
            cos: cos / period,
        }
    }

    /// The pixel's place across its stripe, in `0.0..1.0`.
    #[inline]
    pub(crate) fn phase(&self, x: u32, y: u32) -> f32 {
        // Kept positive by an offset, as `floor` and `rem_euclid` are library calls on
        // x86-64. The periods in use (text: 2.6% of the picture's larger side or more; click-
        // word: 5.2 px or more) span fewer than 100 stripes across any picture.
        let t = x as f32 * self.cos + y as f32 * self.sin + 256.0;
        debug_assert!(t >= 0.0, "a hatch period too small for the picture");
        t - (t as u32) as f32
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

/// Appends to `out` a quad `thickness` wide around every edge (each the
/// [`stroke_outline`] of a two-point path), all wound the same way so that where they
/// overlap the coverage adds up instead of cancelling: the outline of a shape.
pub(crate) fn stroke_edges(
    edges: &[(Point, Point)],
    thickness: f32,
    out: &mut Vec<(Point, Point)>,
) {
    let half = thickness / 2.0;
    for &(a, b) in edges {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = (dx * dx + dy * dy).sqrt().max(1e-3);
        let (nx, ny) = (-dy / len * half, dx / len * half);
        let corners = [
            point(a.x + nx, a.y + ny),
            point(b.x + nx, b.y + ny),
            point(b.x - nx, b.y - ny),
            point(a.x - nx, a.y - ny),
        ];
        out.extend((0..4).map(|k| (corners[k], corners[(k + 1) % 4])));
    }
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
    fn an_edge_quad_is_the_stroke_of_that_edge_and_overlaps_add_up() {
        let (a, b) = (point(2.0, 3.0), point(12.0, 7.0));
        let mut quads = Vec::new();
        stroke_edges(&[(a, b)], 2.0, &mut quads);
        let stroke = stroke_outline(&[a, b], 2.0);
        assert_eq!(quads.len(), 4);
        for ((p, q), (r, s)) in quads.iter().zip(&stroke) {
            for (u, v) in [(p, r), (q, s)] {
                assert!((u.x - v.x).abs() < 1e-5 && (u.y - v.y).abs() < 1e-5);
            }
        }
        // The same edge twice covers its middle fully, not zero (same winding).
        quads.clear();
        stroke_edges(&[(a, b), (a, b)], 2.0, &mut quads);
        let mut middle = 0.0;
        Coverage::new().fill(&quads, 20, 20, |x, y, alpha| {
            if (x, y) == (7, 4) {
                middle = alpha;
            }
        });
        assert_eq!(middle, 1.0);
    }

    #[test]
    fn the_inside_is_what_coverage_covers_by_more_than_half() {
        // A square, a triangle and a ring (an outer contour and a hole wound the other way).
        let closed = |points: &[(f32, f32)]| -> Vec<(Point, Point)> {
            let p: Vec<Point> = points.iter().map(|&(x, y)| point(x, y)).collect();
            (0..p.len()).map(|i| (p[i], p[(i + 1) % p.len()])).collect()
        };
        let square = closed(&[(2.0, 2.0), (12.0, 2.0), (12.0, 12.0), (2.0, 12.0)]);
        let triangle = closed(&[(1.3, 18.7), (17.2, 3.1), (18.6, 19.4)]);
        let mut ring = closed(&[(1.0, 1.0), (19.0, 1.0), (19.0, 19.0), (1.0, 19.0)]);
        ring.extend(closed(&[
            (6.0, 6.0),
            (6.0, 14.0),
            (14.0, 14.0),
            (14.0, 6.0),
        ]));
        let mut scanline = Scanline::default();
        for shape in [square, triangle, ring] {
            let mut inside = [[false; 20]; 20];
            scanline.fill(&shape, 20, 20, |x, y| inside[y as usize][x as usize] = true);
            let mut covered = [[0.0f32; 20]; 20];
            Coverage::new().fill(&shape, 20, 20, |x, y, a| {
                covered[y as usize][x as usize] = a
            });
            let mut differ = 0;
            for y in 0..20 {
                for x in 0..20 {
                    let c = covered[y][x];
                    // Pixels the edge cuts near their middle may go either way.
                    if (c - 0.5).abs() > 0.2 && inside[y][x] != (c > 0.5) {
                        differ += 1;
                    }
                }
            }
            let count = inside.iter().flatten().filter(|&&i| i).count();
            assert!(count > 20, "{count}");
            assert_eq!(differ, 0);
        }
    }

    #[test]
    fn hatch_phase_is_the_fraction_across_the_stripes() {
        let hatch = Hatch::new(0.0, 4.0);
        assert_eq!(hatch.phase(0, 9), 0.0);
        assert_eq!(hatch.phase(1, 0), 0.25);
        assert_eq!(hatch.phase(6, 0), 0.5);
        let steep = Hatch::new(std::f32::consts::FRAC_PI_2 + 0.3, 5.2);
        for (x, y) in [(0, 0), (309, 0), (0, 154), (309, 154)] {
            let p = steep.phase(x, y);
            assert!((0.0..1.0).contains(&p), "{p}");
            let t = (x as f32 * (0.3f32 + std::f32::consts::FRAC_PI_2).cos()
                + y as f32 * (0.3f32 + std::f32::consts::FRAC_PI_2).sin())
                / 5.2;
            assert!((p - t.rem_euclid(1.0)).abs() < 1e-3, "{p} vs {t}");
        }
    }
}
