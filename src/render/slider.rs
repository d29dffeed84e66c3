//! The slider picture: a background with a jigsaw-shaped hole (and decoys of the same
//! outline at the same height), and the full-height piece strip cut from it.
//!
//! What makes a hole hard to find by machine while a person sees it:
//! - the outline is generated per challenge: a body of varying size and rounded corners,
//!   with tabs and blanks of varying number, position, size and neck on its four sides;
//! - every hole (the real one and the decoys, placed together and the real one drawn at
//!   random among them) is filled flat with the colour under it, shaded with a tone and
//!   strength of its own; nothing of the piece's picture is inside any hole, so template
//!   and edge matching of the piece find no hole better than another;
//! - a grainy seam of a random tone runs just outside every outline and a grainy rim just
//!   inside the piece's, so the pixels touching the outline say nothing of the picture;
//! - where the piece is partly transparent its colour is the rim's: no ring of the
//!   background hides in the fringe of the piece for a reader that drops alpha.
//!
//! What tells the real hole apart is what a person looks at: under every hole sits a
//! different object (see `scene::landmark`), and the piece shows part of the real hole's.
//! A matcher that compares the picture a few pixels either side of the outline can use the
//! same cue; `scripts/slider_attacks.py` measures how often.

use ab_glyph_rasterizer::{Point, point};
use image::{Rgb, RgbImage, RgbaImage};
use rand::Rng;

use super::{Coverage, DrawError, mix};

/// Width of the piece strip (AJ-Captcha's fixed 47 px).
pub(crate) const PIECE_WIDTH: u32 = 47;

/// A piece outline and its anti-aliased mask in strip coordinates (`PIECE_WIDTH` x height).
pub(crate) struct Jigsaw {
    /// Coverage per pixel, row by row.
    pub(crate) mask: Vec<f32>,
    pub(crate) height: u32,
}

impl Jigsaw {
    fn at(&self, x: u32, y: u32) -> f32 {
        self.mask[(y * PIECE_WIDTH + x) as usize]
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Feature {
    Flat,
    Tab,
    Blank,
}

/// A fresh outline for a strip of `height`: the body, then per side a tab, a blank or
/// nothing (at least two features in all). `place` picks the body's top from the range of
/// tops that fit, given the body's height.
pub(crate) fn jigsaw(
    height: u32,
    rng: &mut (impl Rng + ?Sized),
    place: impl FnOnce(std::ops::Range<f32>, f32, &mut dyn FnMut(f32) -> f32) -> f32,
) -> Jigsaw {
    let features: [Feature; 4] = loop {
        let f: [Feature; 4] = std::array::from_fn(|_| match rng.random_range(0..20) {
            0..5 => Feature::Flat,
            5..13 => Feature::Tab,
            _ => Feature::Blank,
        });
        if f.iter().filter(|&&x| x != Feature::Flat).count() >= 2 {
            break f;
        }
    };
    // Bump radius per side; a tab sticks out by about 1.6 radii.
    let radius: [f32; 4] = std::array::from_fn(|_| rng.random_range(4.5..6.5));
    let reach = |side: usize| {
        if features[side] == Feature::Tab {
            radius[side] * 1.65
        } else {
            0.0
        }
    };
    // [top, right, bottom, left]
    let room = PIECE_WIDTH as f32 - 2.0 - reach(1) - reach(3);
    let body_w = rng.random_range(24.0..30.0_f32).min(room);
    let body_h = rng.random_range(24.0..32.0_f32);
    let left = 1.0 + reach(3) + rng.random_range(0.0..(room - body_w).max(0.0) + f32::EPSILON);
    let h = height as f32;
    let top_min = 6.0 + reach(0);
    let top_max = (h - 6.0 - reach(2) - body_h).max(top_min + 1.0);
    let mut uniform = |hi: f32| rng.random_range(0.0..hi.max(f32::EPSILON));
    let top = place(top_min..top_max, body_h, &mut uniform).clamp(top_min, top_max);
    let corner = rng.random_range(1.5..4.0_f32);
    let corners = [
        point(left, top),
        point(left + body_w, top),
        point(left + body_w, top + body_h),
        point(left, top + body_h),
    ];
    let mut ring: Vec<Point> = Vec::with_capacity(96);
    for side in 0..4 {
        let (a, b) = (corners[side], corners[(side + 1) % 4]);
        let len = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
        let u = point((b.x - a.x) / len, (b.y - a.y) / len);
        // Clockwise in screen coordinates (y down): the outward normal is (u.y, -u.x).
        let out = point(u.y, -u.x);
        let along = |t: f32| point(a.x + u.x * t, a.y + u.y * t);
        ring.push(along(corner));
        if features[side] != Feature::Flat {
            let r = radius[side];
            let neck = r * rng.random_range(0.5..0.7);
            let t = len * rng.random_range(0.35..0.65);
            let sign = if features[side] == Feature::Tab {
                1.0
            } else {
                -1.0
            };
            let centre_on_side = along(t);
            let d = r * rng.random_range(0.7..0.9);
            let q = point(
                centre_on_side.x + out.x * d * sign,
                centre_on_side.y + out.y * d * sign,
            );
            let p1 = along(t - neck);
            let p2 = along(t + neck);
            ring.push(p1);
            let a1 = (p1.y - q.y).atan2(p1.x - q.x);
            let a2 = (p2.y - q.y).atan2(p2.x - q.x);
            // Go round the far side of the bump: the sweep whose middle points outwards
            // for a tab, inwards for a blank.
            let mut sweep = a2 - a1;
            let want = point(out.x * sign, out.y * sign);
            let mid_dir = |s: f32| {
                let m = a1 + s / 2.0;
                m.cos() * want.x + m.sin() * want.y
            };
            for candidate in [
                sweep,
                sweep - std::f32::consts::TAU,
                sweep + std::f32::consts::TAU,
            ] {
                if candidate.abs() < std::f32::consts::TAU && mid_dir(candidate) > 0.0 {
                    sweep = candidate;
                    break;
                }
            }
            let steps = 16;
            for i in 1..steps {
                let ang = a1 + sweep * i as f32 / steps as f32;
                ring.push(point(q.x + r * ang.cos(), q.y + r * ang.sin()));
            }
            ring.push(p2);
        }
        ring.push(along(len - corner));
        // The corner at `b`: a quadratic curve from (b - u·corner) through b to
        // (b + next·corner), rounding it.
        let next_u = {
            let c = corners[(side + 2) % 4];
            let l = ((c.x - b.x).powi(2) + (c.y - b.y).powi(2)).sqrt();
            point((c.x - b.x) / l, (c.y - b.y) / l)
        };
        let p0 = point(b.x - u.x * corner, b.y - u.y * corner);
        let p2 = point(b.x + next_u.x * corner, b.y + next_u.y * corner);
        for i in 1..4 {
            let s = i as f32 / 4.0;
            let x = (1.0 - s).powi(2) * p0.x + 2.0 * (1.0 - s) * s * b.x + s * s * p2.x;
            let y = (1.0 - s).powi(2) * p0.y + 2.0 * (1.0 - s) * s * b.y + s * s * p2.y;
            ring.push(point(x, y));
        }
    }
    let segments: Vec<(Point, Point)> = ring
        .iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| (*a, *b))
        .collect();
    let mut mask = vec![0f32; (PIECE_WIDTH * height) as usize];
    Coverage::new().fill(&segments, PIECE_WIDTH, height, |x, y, a| {
        mask[(y * PIECE_WIDTH + x) as usize] = a;
    });
    Jigsaw { mask, height }
}

/// Cuts the piece at `hole_x` out of `background`, and shades a hole at `hole_x` and at
/// every decoy position. Returns the background with its holes and the piece (RGBA,
/// transparent around the shape).
pub(crate) fn cut(
    mut background: RgbImage,
    jigsaw: &Jigsaw,
    hole_x: u32,
    decoys: &[u32],
    rng: &mut (impl Rng + ?Sized),
) -> (RgbImage, RgbaImage) {
    let (w, h) = (PIECE_WIDTH as usize, jigsaw.height as usize);
    let strip: Vec<[f32; 3]> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let p = background.get_pixel(hole_x + x as u32, y as u32).0;
            [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]
        })
        .collect();
    // Distance of every strip pixel to the outline (within a few pixels), inside or out.
    let depth = distances(jigsaw);
    // The piece: the strip's pixels inside the outline, with a grainy light rim.
    let rim_tone = Rgb([
        rng.random_range(225..=255),
        rng.random_range(225..=255),
        rng.random_range(225..=255),
    ]);
    let mut piece = RgbaImage::new(PIECE_WIDTH, jigsaw.height);
    for y in 0..jigsaw.height {
        for x in 0..PIECE_WIDTH {
            let a = jigsaw.at(x, y);
            if a <= 0.0 {
                continue;
            }
            let i = y as usize * w + x as usize;
            let p = strip[i];
            let base = Rgb([p[0] as u8, p[1] as u8, p[2] as u8]);
            let rim = band(depth[i].0) * rng.random_range(0.8..1.0);
            // Where the piece is partly transparent its colour fades to the rim's, so that
            // no pixel carries the picture around the outline (a reader that drops alpha
            // would otherwise get a ring of the background to match against).
            let c = mix(mix(base, rim_tone, rim), rim_tone, 1.0 - a);
            piece.put_pixel(
                x,
                y,
                image::Rgba([c[0], c[1], c[2], (a * 255.0 + 0.5) as u8]),
            );
        }
    }
    let mut holes: Vec<u32> = decoys.to_vec();
    holes.push(hole_x);
    for x0 in holes {
        let tone = if rng.random_bool(0.7) {
            Rgb([
                rng.random_range(0..40),
                rng.random_range(0..40),
                rng.random_range(0..50),
            ])
        } else {
            Rgb([
                rng.random_range(215..=255),
                rng.random_range(215..=255),
                rng.random_range(215..=255),
            ])
        };
        let strength = rng.random_range(0.32..0.52);
        let seam_tone = if rng.random_bool(0.5) {
            Rgb([255, 255, 255])
        } else {
            Rgb([0, 0, 0])
        };
        let seam_strength = rng.random_range(0.85..1.0);
        // The local colour under this hole: its fill, so that no hole carries the piece's
        // picture (template matching then finds no hole better than another).
        let mut local = [0f32; 3];
        let mut weight = 0f32;
        for y in 0..jigsaw.height {
            for x in 0..PIECE_WIDTH.min(background.width().saturating_sub(x0)) {
                let a = jigsaw.at(x, y);
                if a > 0.0 {
                    let p = background.get_pixel(x0 + x, y).0;
                    for c in 0..3 {
                        local[c] += a * f32::from(p[c]);
                    }
                    weight += a;
                }
            }
        }
        let local = Rgb(local.map(|v| (v / weight.max(1.0)) as u8));
        for y in 0..jigsaw.height {
            for x in 0..PIECE_WIDTH {
                if x0 + x >= background.width() {
                    continue;
                }
                let i = y as usize * w + x as usize;
                let a = jigsaw.at(x, y);
                let px = background.get_pixel_mut(x0 + x, y);
                if a > 0.0 {
                    *px = mix(*px, mix(local, tone, strength), a);
                }
                let seam = band(depth[i].1);
                if seam > 0.0 {
                    // Grainy, so that nothing of the picture under it carries across.
                    let grain = rng.random_range(0.85..1.0);
                    *px = mix(*px, seam_tone, (seam * seam_strength * grain).min(1.0));
                }
            }
        }
    }
    (background, piece)
}

/// How far the rim and the seam reach from the outline, in pixels.
const BAND: f32 = 2.0;

/// The weight of the rim or the seam at `distance` px from the outline: full within one
/// pixel, fading out at `BAND` + 1.
fn band(distance: f32) -> f32 {
    ((BAND + 1.0 - distance) / BAND).clamp(0.0, 1.0)
}

/// Per strip pixel, its distance to the outline from inside (`.0`) and from outside (`.1`):
/// a chamfer distance (steps of 1 and √2), each capped at 4 px (and 4 on the other side).
fn distances(jigsaw: &Jigsaw) -> Vec<(f32, f32)> {
    const CAP: f32 = 4.0;
    let (w, h) = (PIECE_WIDTH as usize, jigsaw.height as usize);
    let inside: Vec<bool> = jigsaw.mask.iter().map(|&a| a >= 0.5).collect();
    // Distance to the nearest pixel on the other side, for the pixels of one side.
    let chamfer = |of_inside: bool| -> Vec<f32> {
        let mut d: Vec<f32> = inside
            .iter()
            .map(|&i| if i == of_inside { f32::MAX } else { 0.0 })
            .collect();
        let diag = std::f32::consts::SQRT_2;
        let relax = |d: &mut Vec<f32>, x: usize, y: usize, dx: isize, dy: isize, step: f32| {
            let (nx, ny) = (x as isize + dx, y as isize + dy);
            if nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h {
                let n = d[ny as usize * w + nx as usize] + step;
                let here = &mut d[y * w + x];
                if n < *here {
                    *here = n;
                }
            }
        };
        for y in 0..h {
            for x in 0..w {
                relax(&mut d, x, y, -1, 0, 1.0);
                relax(&mut d, x, y, 0, -1, 1.0);
                relax(&mut d, x, y, -1, -1, diag);
                relax(&mut d, x, y, 1, -1, diag);
            }
        }
        for y in (0..h).rev() {
            for x in (0..w).rev() {
                relax(&mut d, x, y, 1, 0, 1.0);
                relax(&mut d, x, y, 0, 1, 1.0);
                relax(&mut d, x, y, 1, 1, diag);
                relax(&mut d, x, y, -1, 1, diag);
            }
        }
        d.into_iter().map(|v| v.min(CAP)).collect()
    };
    let (from_inside, from_outside) = (chamfer(true), chamfer(false));
    inside
        .iter()
        .enumerate()
        .map(|(i, &me)| {
            if me {
                (from_inside[i], CAP)
            } else {
                (CAP, from_outside[i])
            }
        })
        .collect()
}

/// An 8-bit palette PNG of an RGB picture: its 256 most frequent colours, every other
/// colour drawn as the nearest of them (the landscapes are flat colours but for
/// anti-aliased edges and grain, so little changes and the file is a third of an RGB one).
pub(crate) fn encode_indexed(img: &RgbImage) -> Result<Vec<u8>, DrawError> {
    let key = |p: &Rgb<u8>| (u32::from(p[0]) << 16) | (u32::from(p[1]) << 8) | u32::from(p[2]);
    let rgb = |c: u32| {
        [
            (c >> 16) as i32,
            ((c >> 8) & 0xff) as i32,
            (c & 0xff) as i32,
        ]
    };
    // Distinct colours with their counts, by sorting (no hashing in this hot path).
    let mut keys: Vec<u32> = img.pixels().map(key).collect();
    keys.sort_unstable();
    let mut colours: Vec<(u32, u32)> = Vec::new();
    for &k in &keys {
        match colours.last_mut() {
            Some((c, n)) if *c == k => *n += 1,
            _ => colours.push((k, 1)),
        }
    }
    let mut by_count = colours.clone();
    by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let palette: Vec<u32> = by_count.iter().take(256).map(|&(c, _)| c).collect();
    // Palette entries by cell of a coarse 8x8x8 grid, so that a colour's nearest entry is
    // looked for among the few in its own and the neighbouring cells.
    let cell = |[r, g, b]: [i32; 3]| (r >> 5, g >> 5, b >> 5);
    let mut cells: Vec<Vec<u8>> = vec![Vec::new(); 512];
    for (i, &c) in palette.iter().enumerate() {
        let (r, g, b) = cell(rgb(c));
        cells[(r * 64 + g * 8 + b) as usize].push(i as u8);
    }
    let distance = |a: [i32; 3], i: u8| {
        let p = rgb(palette[usize::from(i)]);
        (a[0] - p[0]).pow(2) + (a[1] - p[1]).pow(2) + (a[2] - p[2]).pow(2)
    };
    let nearest = |c: u32| -> u8 {
        let a = rgb(c);
        let (cr, cg, cb) = cell(a);
        let mut best: Option<(i32, u8)> = None;
        for r in (cr - 1).max(0)..=(cr + 1).min(7) {
            for g in (cg - 1).max(0)..=(cg + 1).min(7) {
                for b in (cb - 1).max(0)..=(cb + 1).min(7) {
                    for &i in &cells[(r * 64 + g * 8 + b) as usize] {
                        let d = distance(a, i);
                        if best.is_none_or(|(bd, _)| d < bd) {
                            best = Some((d, i));
                        }
                    }
                }
            }
        }
        match best {
            Some((_, i)) => i,
            None => (0..=u8::try_from(palette.len().saturating_sub(1)).unwrap_or(u8::MAX))
                .min_by_key(|&i| distance(a, i))
                .unwrap_or(0),
        }
    };
    // Each distinct colour's entry, in the order of `colours`; pixels find theirs by search.
    let entries: Vec<u8> = colours.iter().map(|&(c, _)| nearest(c)).collect();
    // Neighbours mostly share a colour: look each run up once.
    let mut last: Option<(u32, u8)> = None;
    let pixels: Vec<u8> = img
        .pixels()
        .map(|p| {
            let k = key(p);
            match last {
                Some((c, i)) if c == k => i,
                _ => {
                    let i = colours
                        .binary_search_by_key(&k, |&(c, _)| c)
                        .map_or(0, |i| entries[i]);
                    last = Some((k, i));
                    i
                }
            }
        })
        .collect();
    let mut out = Vec::with_capacity(12 * 1024);
    let mut encoder = png::Encoder::new(&mut out, img.width(), img.height());
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(
        palette
            .iter()
            .flat_map(|&c| rgb(c).map(|v| v as u8))
            .collect::<Vec<u8>>(),
    );
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::Adaptive);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels))
        .map_err(png_failed)?;
    Ok(out)
}

/// PNG of an RGB or RGBA buffer (adaptive filters, default compression).
pub(crate) fn encode(
    bytes: &[u8],
    width: u32,
    height: u32,
    alpha: bool,
) -> Result<Vec<u8>, DrawError> {
    let mut out = Vec::with_capacity(16 * 1024);
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(if alpha {
        png::ColorType::Rgba
    } else {
        png::ColorType::Rgb
    });
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    encoder.set_filter(png::Filter::Adaptive);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(bytes))
        .map_err(png_failed)?;
    Ok(out)
}

fn png_failed(e: png::EncodingError) -> DrawError {
    DrawError(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn piece_and_holes_share_the_outline_and_nothing_else_changes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..20 {
            let shape = jigsaw(155, &mut rng, |range, _, pick| {
                range.start + pick(range.end - range.start)
            });
            // The shape fits the strip with a margin and varies in size.
            let covered: Vec<(u32, u32)> = (0..155)
                .flat_map(|y| (0..PIECE_WIDTH).map(move |x| (x, y)))
                .filter(|&(x, y)| shape.at(x, y) > 0.0)
                .collect();
            assert!(covered.len() > 500, "{} pixels", covered.len());
            assert!(covered.iter().all(|&(x, _)| x < PIECE_WIDTH));
            let background = crate::render::scene::landscape(310, 155, &mut rng);
            let (holes, piece) = cut(background.clone(), &shape, 120, &[60, 180], &mut rng);
            for y in 0..155 {
                for x in 0..PIECE_WIDTH {
                    let alpha = f32::from(piece.get_pixel(x, y)[3]) / 255.0;
                    assert!(
                        (alpha - shape.at(x, y)).abs() < 0.01,
                        "piece alpha = outline"
                    );
                }
            }
            // Outside the three strips the background is untouched.
            for y in 0..155 {
                for x in 0..310 {
                    let in_strip = [60, 120, 180]
                        .iter()
                        .any(|&s| (s..s + PIECE_WIDTH).contains(&x));
                    if !in_strip {
                        assert_eq!(holes.get_pixel(x, y), background.get_pixel(x, y));
                    }
                }
            }
            // Each hole changes the pixels under the outline and its seam, nowhere else.
            let depth = distances(&shape);
            for s in [60, 120, 180] {
                let mut changed_inside = 0;
                for y in 0..155 {
                    for x in 0..PIECE_WIDTH {
                        let (_, outside) = depth[(y * PIECE_WIDTH + x) as usize];
                        let near = shape.at(x, y) > 0.0 || outside < BAND + 1.0;
                        let same = holes.get_pixel(s + x, y) == background.get_pixel(s + x, y);
                        if !near {
                            assert!(same, "changed outside the outline at {s}+{x},{y}");
                        } else if shape.at(x, y) > 0.5 && !same {
                            changed_inside += 1;
                        }
                    }
                }
                assert!(changed_inside > 300, "the hole at {s} shows");
            }
        }
    }
}
