//! The slider picture: a background with a jigsaw-shaped hole (and decoys of the same
//! outline at the same height), and the full-height piece strip cut from it.
//!
//! What makes a hole hard to find by machine while a person sees it:
//! - the outline is generated per challenge: a body of varying size and rounded corners,
//!   with tabs and blanks of varying number, position, size and neck on its four sides;
//! - every hole (the real one and the decoys) is filled with the same softened copy of the
//!   piece's content, shaded with a tone and strength drawn per hole, its edge feathered:
//!   no constant outline or darkening to key on, and template matching of the piece finds
//!   the same content in every hole;
//! - decoys lie at the piece's own height, inside the reachable range;
//! - the background is a busy landscape (see `scene`), with edges everywhere.
//!
//! What tells the real hole apart is what a person looks at: only there does the picture
//! around the hole continue into the piece.

use ab_glyph_rasterizer::{Point, point};
use image::{Rgb, RgbImage, RgbaImage};
use rand::Rng;

use super::{Coverage, mix};

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
/// nothing (at least two features in all).
pub(crate) fn jigsaw(height: u32, rng: &mut (impl Rng + ?Sized)) -> Jigsaw {
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
    let top = rng.random_range(top_min..top_max);
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

/// A box blur of radius `r` over an RGB strip of `w` x `h`, edges clamped (applied twice,
/// close to a Gaussian).
fn soften(pixels: &[[f32; 3]], w: usize, h: usize, r: usize) -> Vec<[f32; 3]> {
    let pass = |src: &[[f32; 3]], horizontal: bool| -> Vec<[f32; 3]> {
        let mut out = vec![[0.0; 3]; src.len()];
        for y in 0..h {
            for x in 0..w {
                let mut sum = [0.0f32; 3];
                let mut n = 0.0;
                for d in -(r as isize)..=(r as isize) {
                    let (sx, sy) = if horizontal {
                        ((x as isize + d).clamp(0, w as isize - 1) as usize, y)
                    } else {
                        (x, (y as isize + d).clamp(0, h as isize - 1) as usize)
                    };
                    let p = src[sy * w + sx];
                    sum[0] += p[0];
                    sum[1] += p[1];
                    sum[2] += p[2];
                    n += 1.0;
                }
                out[y * w + x] = [sum[0] / n, sum[1] / n, sum[2] / n];
            }
        }
        out
    };
    let once = pass(&pass(pixels, true), false);
    pass(&pass(&once, true), false)
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
    // The piece: the strip's pixels inside the outline under a light of its own (a random
    // gain, so colours do not simply carry on across the outline), with a light rim.
    let gain = if rng.random_bool(0.5) {
        rng.random_range(0.8..0.92)
    } else {
        rng.random_range(1.08..1.2)
    };
    let lit = |v: f32| (v * gain).clamp(0.0, 255.0) as u8;
    let mut piece = RgbaImage::new(PIECE_WIDTH, jigsaw.height);
    for y in 0..jigsaw.height {
        for x in 0..PIECE_WIDTH {
            let a = jigsaw.at(x, y);
            if a <= 0.0 {
                continue;
            }
            let inner = if x > 0 && x + 1 < PIECE_WIDTH && y > 0 && y + 1 < jigsaw.height {
                [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                    .iter()
                    .map(|&(i, j)| jigsaw.at(i, j))
                    .fold(1.0f32, f32::min)
            } else {
                0.0
            };
            let rim = (a - inner).clamp(0.0, 1.0);
            let p = strip[y as usize * w + x as usize];
            let base = Rgb([lit(p[0]), lit(p[1]), lit(p[2])]);
            let c = mix(base, Rgb([255, 255, 255]), rim * 0.6);
            piece.put_pixel(
                x,
                y,
                image::Rgba([c[0], c[1], c[2], (a * 255.0 + 0.5) as u8]),
            );
        }
    }
    // Every hole shows the same softened copy of the piece, shaded per hole, and a seam
    // along its outline of a tone, width and strength of its own.
    let soft = soften(&strip, w, h, 4);
    let seam: Vec<f32> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x as u32, y as u32)))
        .map(|(x, y)| {
            let a = jigsaw.at(x, y);
            let around = [(-1i32, 0i32), (1, 0), (0, -1), (0, 1)]
                .iter()
                .filter_map(|&(dx, dy)| {
                    let (i, j) = (x as i32 + dx, y as i32 + dy);
                    (i >= 0 && j >= 0 && i < PIECE_WIDTH as i32 && j < h as i32)
                        .then(|| jigsaw.at(i as u32, j as u32))
                })
                .fold(a, f32::max);
            (around - a).clamp(0.0, 1.0).max(a * (1.0 - a) * 4.0)
        })
        .collect();
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
        let seam_strength = rng.random_range(0.25..0.6);
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
                    let p = soft[i];
                    let softened = Rgb([p[0] as u8, p[1] as u8, p[2] as u8]);
                    let fill = mix(mix(local, softened, 0.25), tone, strength);
                    *px = mix(*px, fill, a);
                }
                if seam[i] > 0.0 {
                    // Uneven along the outline, so that where the edge shows says nothing
                    // about the picture underneath.
                    let grain = rng.random_range(0.2..1.6_f32);
                    *px = mix(*px, seam_tone, (seam[i] * seam_strength * grain).min(1.0));
                }
            }
        }
    }
    (background, piece)
}

/// PNG of an RGB or RGBA buffer (adaptive filters, default compression).
pub(crate) fn encode(bytes: &[u8], width: u32, height: u32, alpha: bool) -> Vec<u8> {
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
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(bytes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn piece_and_holes_share_the_outline_and_nothing_else_changes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..20 {
            let shape = jigsaw(155, &mut rng);
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
            // Each hole changes the pixels under the outline (and its seam), nowhere else.
            for s in [60, 120, 180] {
                let mut changed_inside = 0;
                for y in 0..155 {
                    for x in 0..PIECE_WIDTH {
                        let near = [(0i32, 0i32), (-1, 0), (1, 0), (0, -1), (0, 1)].iter().any(
                            |&(dx, dy)| {
                                let (i, j) = (x as i32 + dx, y as i32 + dy);
                                i >= 0
                                    && j >= 0
                                    && i < PIECE_WIDTH as i32
                                    && j < 155
                                    && shape.at(i as u32, j as u32) > 0.0
                            },
                        );
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
