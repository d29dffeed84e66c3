//! The slider kind (AJ-Captcha's `blockPuzzle`): drag a jigsaw piece into its hole.
//!
//! Geometry is AJ's fixed frame: a 310x155 background and a 47x155 full-height piece strip,
//! so only x is secret (y is always 5 in AJ's widgets). The hole's left edge lies where
//! every person can drag the piece with AJ's widget whatever the grab point (x ≤ 235), and
//! clear of where the piece starts (x ≥ 48). Decoy holes with the same outline sit at the
//! same height inside the same range, never overlapping the real one.
//!
//! A solution passes when its x is within the tolerance of the hole (default 5 px, both
//! edges included) and its y is the answer's; one attempt by default, since a retry among
//! a few candidates is a guess.

use std::fmt;

use image::RgbImage;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

use super::bytes::{end, put_point, take_point, take_u8};
use super::{
    ChallengeKind, DrawError, Issued, Kind, KindSetup, Point, Puzzle, Size, Solution, TrailPoint,
};
use crate::render::scene::{LANDMARKS, landmark};
use crate::render::slider::{PIECE_WIDTH, cut, encode, encode_indexed, jigsaw};

/// Leftmost hole position: clear of the piece's starting place (0..47).
pub const MIN_X: i32 = 48;
/// Rightmost hole position: reachable with AJ's widget whatever the grab point.
pub const MAX_X: i32 = 235;
/// The y every AJ widget sends.
const Y: i32 = 5;
/// Gap kept between two holes' strips (the shapes inside never fill a strip, so strips
/// may touch). With 0, three decoys always fit beside any hole in the range.
const GAP: i32 = 0;

/// Whether a drag's trail is looked at (see [`SliderOptions::with_trail_check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrailCheck {
    /// Never.
    Off,
    /// When the client sends one (this crate's widget does after a pointer drag; AJ-Captcha's
    /// widgets and keyboard drops send none and are not affected). The default.
    IfPresent,
    /// Always: a drop without a trail is refused. Only for apps whose every client is this
    /// crate's widget driven by a pointer (keyboard drops send no trail).
    Required,
}

/// Options of the slider kind. Build with [`SliderOptions::default`] and the `with_*`
/// setters.
#[derive(Clone)]
pub struct SliderOptions {
    trail: TrailCheck,
    decoys: usize,
    tolerance: u32,
    max_attempts: u32,
    backgrounds: Vec<Vec<u8>>,
    decoded: Vec<RgbImage>,
}

impl Default for SliderOptions {
    fn default() -> Self {
        Self {
            trail: TrailCheck::IfPresent,
            decoys: 3,
            tolerance: 5,
            max_attempts: 1,
            backgrounds: Vec::new(),
            decoded: Vec::new(),
        }
    }
}

impl SliderOptions {
    /// Decoy holes beside the real one, 0 to 3 (default 3: a blind pick among the holes
    /// wins one time in four).
    pub fn with_decoys(mut self, decoys: usize) -> Self {
        self.decoys = decoys;
        self
    }

    /// How far, in pixels of the 310 px frame, a drop may land from the hole and still
    /// pass, 1 to 20 (default 5).
    pub fn with_tolerance(mut self, pixels: u32) -> Self {
        self.tolerance = pixels;
        self
    }

    /// Wrong answers allowed before a challenge is locked, 1 to 100 (default 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Whether to refuse drags no hand makes, from the pointer trail a client sends with
    /// its drop: a straight line at constant speed, a teleport, no vertical jitter at all,
    /// a drag faster than 120 ms, a trail that does not end where the piece was dropped
    /// (default [`TrailCheck::IfPresent`]).
    pub fn with_trail_check(mut self, check: TrailCheck) -> Self {
        self.trail = check;
        self
    }

    /// Backgrounds of your own (PNG bytes, each scaled and cropped to 310x155), used in
    /// turn at random instead of the generated landscapes. Checked when the engine is
    /// built.
    pub fn with_backgrounds(mut self, pngs: Vec<Vec<u8>>) -> Self {
        self.backgrounds = pngs;
        self
    }

    pub(crate) fn validated(mut self) -> Result<Self, String> {
        if self.decoys > 3 {
            return Err(format!("decoys must be 0 to 3, got {}", self.decoys));
        }
        if !(1..=20).contains(&self.tolerance) {
            return Err(format!(
                "tolerance must be 1 to 20 px, got {}",
                self.tolerance
            ));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(format!(
                "attempt limit must be 1 to 100, got {}",
                self.max_attempts
            ));
        }
        self.decoded = self
            .backgrounds
            .iter()
            .enumerate()
            .map(|(i, png)| {
                let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
                    .map_err(|_| format!("background {i} is not a readable PNG"))?;
                let (fw, fh) = (Size::AJ_FRAME.width, Size::AJ_FRAME.height);
                Ok::<_, String>(
                    img.resize_to_fill(fw, fh, image::imageops::FilterType::Triangle)
                        .to_rgb8(),
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(self)
    }
}

impl fmt::Debug for SliderOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SliderOptions")
            .field("trail", &self.trail)
            .field("decoys", &self.decoys)
            .field("tolerance", &self.tolerance)
            .field("max_attempts", &self.max_attempts)
            .field("backgrounds", &self.backgrounds.len())
            .finish()
    }
}

/// Where a piece must be dropped, and where the decoy holes are: the slider's answer.
#[derive(Clone, PartialEq, Eq)]
pub struct Hole {
    /// The real hole.
    pub at: Point,
    /// The decoys.
    pub decoys: Vec<Point>,
}

impl fmt::Debug for Hole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hole(<redacted>)")
    }
}

/// `count` hole positions (left edges) in the legal range, a hole's width apart: a
/// uniformly random arrangement (sorted offsets spread over the slack), so that where the
/// real one falls among them says nothing.
pub(crate) fn hole_positions(count: usize, rng: &mut dyn RngCore) -> Vec<i32> {
    let spacing = PIECE_WIDTH as i32 + GAP;
    let count = count.clamp(1, 4) as i32;
    let slack = MAX_X - MIN_X - spacing * (count - 1);
    let mut offsets: Vec<i32> = (0..count).map(|_| rng.random_range(0..=slack)).collect();
    offsets.sort_unstable();
    offsets
        .iter()
        .enumerate()
        .map(|(i, o)| MIN_X + o + spacing * i as i32)
        .collect()
}

/// The slider kind.
impl ChallengeKind for SliderOptions {
    type Answer = Hole;
    const KIND: Kind = Kind::SLIDER;

    fn prepare(&mut self, _: &KindSetup<'_>) -> Result<(), String> {
        *self = self.clone().validated()?;
        Ok(())
    }

    fn default_size(&self) -> Size {
        Size::AJ_FRAME
    }

    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The real hole and the decoys are placed together, and the real one is any of them.
    fn answer(&self, rng: &mut dyn RngCore, _pressure: u32) -> Hole {
        let mut xs = hole_positions(self.decoys + 1, rng);
        let real = xs.remove(rng.random_range(0..xs.len()));
        Hole {
            at: Point::new(real, Y),
            decoys: xs.into_iter().map(|x| Point::new(x, Y)).collect(),
        }
    }

    fn encode(answer: &Hole) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + 4 * answer.decoys.len());
        put_point(&mut out, answer.at);
        out.push(answer.decoys.len().min(3) as u8);
        for p in answer.decoys.iter().take(3) {
            put_point(&mut out, *p);
        }
        out
    }

    fn decode(mut b: &[u8]) -> Option<Hole> {
        let at = take_point(&mut b)?;
        let n = take_u8(&mut b)?;
        let decoys = (0..n).map(|_| take_point(&mut b)).collect::<Option<_>>()?;
        end(b, Hole { at, decoys })
    }

    /// The frame is AJ's and fixed: `size` is not used.
    fn draw(
        &self,
        answer: &Hole,
        _size: Size,
        _issued: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<Puzzle, DrawError> {
        let hole_x = answer.at.x.clamp(MIN_X, MAX_X);
        let decoys: Vec<u32> = answer
            .decoys
            .iter()
            .map(|p| p.x.clamp(MIN_X, MAX_X) as u32)
            .collect();
        let (fw, fh) = (Size::AJ_FRAME.width, Size::AJ_FRAME.height);
        let mut background = match self.decoded.len() {
            0 => crate::render::scene::landscape(fw, fh, rng),
            n => self.decoded[rng.random_range(0..n)].clone(),
        };
        let shape = jigsaw(fh, rng, |range, _, pick| {
            range.start + pick(range.end - range.start)
        });
        let rows: Vec<u32> = (0..fh)
            .filter(|&y| (0..PIECE_WIDTH).any(|x| shape.mask[(y * PIECE_WIDTH + x) as usize] > 0.0))
            .collect();
        let (top, bottom) = match (rows.first(), rows.last()) {
            (Some(&a), Some(&b)) => (a as f32, b as f32),
            _ => (0.0, fh as f32),
        };
        // Under every hole something a person can recognise, cut by the outline: the piece
        // shows part of one of them, and only the real hole's matches.
        let mut holes: Vec<u32> = decoys.clone();
        holes.push(hole_x as u32);
        holes.shuffle(rng);
        // A different object, and a hue well apart, under each hole.
        let mut kinds: Vec<usize> = (0..LANDMARKS).collect();
        kinds.shuffle(rng);
        let hue0 = rng.random_range(0.0..360.0_f32);
        for (i, x) in holes.into_iter().enumerate() {
            let hue =
                hue0 + i as f32 * 360.0 / (decoys.len() + 1) as f32 + rng.random_range(-15.0..15.0);
            let size = rng.random_range(56.0..76.0_f32);
            let side = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            let cx = x as f32 + PIECE_WIDTH as f32 / 2.0 + side * rng.random_range(8.0..20.0);
            let cy = (top + bottom) / 2.0 + rng.random_range(-14.0..14.0);
            landmark(
                &mut background,
                (cx, cy),
                size,
                (kinds[i % LANDMARKS], hue),
                rng,
            );
        }
        let (background, piece) = cut(background, &shape, hole_x as u32, &decoys, rng);
        Ok(Puzzle::Slider {
            background: encode_indexed(&background)?,
            piece: encode(piece.as_raw(), PIECE_WIDTH, fh, true)?,
        })
    }

    fn check(&self, answer: &Hole, solution: &Solution, _issued: &Issued<'_>) -> bool {
        let hole = &answer.at;
        let (drop, trail) = match solution {
            Solution::Point(p) => (*p, None),
            Solution::Drag { end, trail } => match **end {
                Solution::Point(p) => (p, Some(trail.as_slice())),
                _ => return false,
            },
            _ => return false,
        };
        let near = drop.y == hole.y
            && (i64::from(drop.x) - i64::from(hole.x)).unsigned_abs() <= u64::from(self.tolerance);
        let hand = match (self.trail, trail) {
            (TrailCheck::Off, _) | (TrailCheck::IfPresent, None) => true,
            (TrailCheck::Required, None) => false,
            (_, Some(trail)) => looks_like_a_hand(trail, drop),
        };
        near & hand
    }
}

/// Whether a drag trail ending at `drop` looks like a person's: enough samples over more
/// than 120 ms, no jump of more than 60 px between two samples, some vertical wobble, a
/// speed that varies, and an end where the piece was dropped.
pub(crate) fn looks_like_a_hand(trail: &[TrailPoint], drop: Point) -> bool {
    let (Some(first), Some(last)) = (trail.first(), trail.last()) else {
        return false;
    };
    if trail.len() < 5 || last.t - first.t < 120.0 || (last.x - drop.x as f32).abs() > 3.0 {
        return false;
    }
    let steps: Vec<(f32, f32)> = trail
        .windows(2)
        .map(|w| {
            (
                (w[1].x - w[0].x).hypot(w[1].y - w[0].y),
                (w[1].t - w[0].t).max(1.0),
            )
        })
        .collect();
    if steps.iter().any(|&(d, _)| d > 60.0) {
        return false;
    }
    let (y_min, y_max) = trail.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
        (lo.min(p.y), hi.max(p.y))
    });
    if y_max - y_min < 0.5 {
        return false;
    }
    // Speeds along the way: a script moving at one constant speed varies by almost nothing.
    let speeds: Vec<f32> = steps
        .iter()
        .filter(|s| s.0 > 0.0)
        .map(|&(d, t)| d / t)
        .collect();
    if speeds.len() >= 4 {
        let mean = speeds.iter().sum::<f32>() / speeds.len() as f32;
        let var = speeds.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / speeds.len() as f32;
        if mean <= 0.0 || var.sqrt() / mean < 0.1 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::tests::{ISSUED, prepared};
    use rand::SeedableRng;

    fn kind() -> SliderOptions {
        prepared(SliderOptions::default())
    }

    #[test]
    fn both_tolerance_edges_pass_and_one_pixel_beyond_fails() {
        let k = kind();
        let hole = Hole {
            at: Point::new(150, 5),
            decoys: vec![Point::new(48, 5), Point::new(200, 5)],
        };
        let at = |x| Solution::Point(Point::new(x, 5));
        for x in [145, 146, 150, 154, 155] {
            assert!(k.check(&hole, &at(x), &ISSUED), "{x}");
        }
        for x in [144, 156, -150, 0, i32::MAX, i32::MIN] {
            assert!(!k.check(&hole, &at(x), &ISSUED), "{x}");
        }
        assert!(
            !k.check(&hole, &Solution::Point(Point::new(150, 6)), &ISSUED),
            "y is checked"
        );
        assert!(!k.check(&hole, &Solution::from("150"), &ISSUED));
        assert!(!k.check(&hole, &Solution::Points(vec![Point::new(150, 5)]), &ISSUED));
    }

    #[test]
    fn holes_stay_in_range_apart_and_the_real_one_is_any_of_them() {
        let k = kind();
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let mut rank = [0usize; 4];
        for _ in 0..4_000 {
            let Hole { at, decoys } = k.answer(&mut rng, 0);
            assert_eq!(decoys.len(), 3);
            let mut all: Vec<i32> = decoys.iter().map(|p| p.x).collect();
            all.push(at.x);
            all.sort_unstable();
            for (i, a) in all.iter().enumerate() {
                assert!((MIN_X..=MAX_X).contains(a));
                for b in &all[i + 1..] {
                    assert!((a - b).abs() >= PIECE_WIDTH as i32 + GAP, "{all:?}");
                }
            }
            // Decoys are never accepted: each is farther than the tolerance.
            for d in &decoys {
                assert!(!k.check(
                    &Hole {
                        at,
                        decoys: decoys.clone()
                    },
                    &Solution::Point(*d),
                    &ISSUED
                ));
            }
            rank[all.iter().position(|&x| x == at.x).unwrap()] += 1;
        }
        // The real hole's place among the holes is uniform (1 000 expected each).
        assert!(rank.iter().all(|&n| (880..=1120).contains(&n)), "{rank:?}");
    }

    /// A person's drag to `to`: a minimum-jerk speed profile, the hand's wobble, uneven
    /// sampling.
    pub(crate) fn human_trail(to: f32, seed: u64) -> Vec<TrailPoint> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let duration = rng.random_range(450.0..1200.0_f32);
        let mut t = 0.0;
        let mut out = Vec::new();
        while t < duration {
            let s = t / duration;
            let eased = 10.0 * s.powi(3) - 15.0 * s.powi(4) + 6.0 * s.powi(5);
            out.push(TrailPoint {
                t,
                x: to * eased + rng.random_range(-0.6..0.6),
                y: 80.0 + (s * 3.0).sin() * 2.0 + rng.random_range(-0.8..0.8),
            });
            t += rng.random_range(12.0..22.0);
        }
        out.push(TrailPoint {
            t: duration,
            x: to,
            y: 80.0,
        });
        out
    }

    #[test]
    fn trails_no_hand_makes_are_refused_and_human_ones_pass() {
        let drop = Point::new(150, 5);
        for seed in 0..50 {
            assert!(
                looks_like_a_hand(&human_trail(150.0, seed), drop),
                "seed {seed}"
            );
        }
        // A script's straight line at constant speed.
        let straight: Vec<TrailPoint> = (0..=30)
            .map(|i| TrailPoint {
                t: i as f32 * 16.0,
                x: i as f32 * 5.0,
                y: 80.0,
            })
            .collect();
        assert!(!looks_like_a_hand(&straight, drop));
        // Constant speed with a fake wobble: still constant speed.
        let wobbly: Vec<TrailPoint> = (0..=30)
            .map(|i| TrailPoint {
                t: i as f32 * 16.0,
                x: i as f32 * 5.0,
                y: 80.0 + (i % 2) as f32,
            })
            .collect();
        assert!(!looks_like_a_hand(&wobbly, drop));
        // A teleport, a trail that ends elsewhere, one too fast, one too short.
        let mut teleport = human_trail(150.0, 1);
        let mid = teleport.len() / 2;
        teleport[mid].x += 90.0;
        assert!(!looks_like_a_hand(&teleport, drop));
        assert!(!looks_like_a_hand(&human_trail(120.0, 2), drop));
        let fast: Vec<TrailPoint> = human_trail(150.0, 3)
            .into_iter()
            .map(|p| TrailPoint { t: p.t / 20.0, ..p })
            .collect();
        assert!(!looks_like_a_hand(&fast, drop));
        assert!(!looks_like_a_hand(&human_trail(150.0, 4)[..3], drop));
        assert!(!looks_like_a_hand(&[], drop));
    }

    #[test]
    fn the_trail_check_follows_its_setting() {
        let hole = Hole {
            at: Point::new(150, 5),
            decoys: vec![],
        };
        let bare = Solution::Point(Point::new(150, 5));
        let straight = Solution::Drag {
            end: Box::new(bare.clone()),
            trail: (0..=30)
                .map(|i| TrailPoint {
                    t: i as f32 * 16.0,
                    x: i as f32 * 5.0,
                    y: 80.0,
                })
                .collect(),
        };
        let human = Solution::Drag {
            end: Box::new(bare.clone()),
            trail: human_trail(150.0, 9),
        };
        let with = |check| prepared(SliderOptions::default().with_trail_check(check));
        let (off, if_present, required) = (
            with(TrailCheck::Off),
            with(TrailCheck::IfPresent),
            with(TrailCheck::Required),
        );
        assert!(off.check(&hole, &straight, &ISSUED) && off.check(&hole, &bare, &ISSUED));
        assert!(!if_present.check(&hole, &straight, &ISSUED));
        assert!(
            if_present.check(&hole, &bare, &ISSUED) && if_present.check(&hole, &human, &ISSUED)
        );
        assert!(!required.check(&hole, &bare, &ISSUED) && required.check(&hole, &human, &ISSUED));
    }

    #[test]
    fn options_are_validated() {
        assert!(matches!(
            SliderOptions::default().with_decoys(4).validated(),
            Err(e) if e == "decoys must be 0 to 3, got 4"
        ));
        assert!(matches!(
            SliderOptions::default().with_tolerance(0).validated(),
            Err(e) if e.contains("got 0")
        ));
        assert!(matches!(
            SliderOptions::default()
                .with_backgrounds(vec![b"not a png".to_vec()])
                .validated(),
            Err(e) if e.contains("background 0")
        ));
    }
}
