//! Glyph outlines flattened once, for drawing characters transformed per picture.

use ab_glyph::{Font, FontArc, OutlineCurve};
use ab_glyph_rasterizer::{Point, point};

/// A glyph outline flattened to closed polylines, in em units (y down), centred on its box:
/// each vertex once (so it is transformed once per picture), edges as index pairs.
pub(crate) struct Glyph {
    pub(crate) vertices: Vec<Point>,
    pub(crate) edges: Vec<(u32, u32)>,
    /// Box width and height in em units.
    pub(crate) size: (f32, f32),
}

/// Flattens a glyph outline into polylines in em units, y down, centred on its box.
pub(crate) fn flatten(font: &FontArc, c: char) -> Option<Glyph> {
    let outline = font.outline(font.glyph_id(c))?;
    let em = font.units_per_em()?;
    let (b0, b1) = (outline.bounds.min, outline.bounds.max);
    let (mx, my) = ((b0.x + b1.x) / 2.0, (b0.y + b1.y) / 2.0);
    let norm = |p: Point| point((p.x - mx) / em, (my - p.y) / em);
    let mut vertices: Vec<Point> = Vec::new();
    let mut edges = Vec::new();
    let mut push_curve = |n: usize, f: &dyn Fn(f32) -> Point| {
        let start = norm(f(0.0));
        // Curves follow each other along a contour: reuse the previous end point.
        if vertices.last() != Some(&start) {
            vertices.push(start);
        }
        for i in 1..=n {
            let from = (vertices.len() - 1) as u32;
            vertices.push(norm(f(i as f32 / n as f32)));
            edges.push((from, from + 1));
        }
    };
    for curve in &outline.curves {
        match *curve {
            OutlineCurve::Line(a, b) => push_curve(1, &|t| lerp(a, b, t)),
            OutlineCurve::Quad(a, b, c) => {
                push_curve(3, &|t| lerp(lerp(a, b, t), lerp(b, c, t), t))
            }
            OutlineCurve::Cubic(a, b, c, d) => push_curve(6, &|t| {
                let (ab, bc, cd) = (lerp(a, b, t), lerp(b, c, t), lerp(c, d, t));
                lerp(lerp(ab, bc, t), lerp(bc, cd, t), t)
            }),
        }
    }
    // ab_glyph reports outline bounds with y flipped (min.y is the top): use magnitudes.
    Some(Glyph {
        vertices,
        edges,
        size: ((b1.x - b0.x).abs() / em, (b1.y - b0.y).abs() / em),
    })
}

fn lerp(a: Point, b: Point, t: f32) -> Point {
    point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
}

impl Glyph {
    /// The outline's segments after `place` maps each vertex (in em units, centred).
    pub(crate) fn segments(&self, place: impl Fn(Point) -> Point) -> Vec<(Point, Point)> {
        let placed: Vec<Point> = self.vertices.iter().map(|p| place(*p)).collect();
        self.edges
            .iter()
            .map(|&(a, b)| (placed[a as usize], placed[b as usize]))
            .collect()
    }
}
