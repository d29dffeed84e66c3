//! The click-word kind (AJ-Captcha's `clickWord`): click the listed characters in order.
//!
//! Six distinct characters (configurable) are drawn in AJ's fixed 310x155 frame, each at
//! its own place, size, rotation (within ±25°), colour and hatching; three of them are
//! listed in the order to click (AJ's widgets check after exactly three clicks), the others
//! are decoys. The three to click are drawn at random; each decoy is one of the characters
//! that look most like one of them (most shared ink), so that a classifier asked how much
//! each box looks like each listed character finds rivals, while a person who reads the
//! characters does not. Positions, the click order and the places are uniformly random;
//! no two characters overlap and none lies under the widget's refresh button (the 35x35
//! box in the top-right corner). A click passes when it is within the tolerance (default
//! 25 px) of its character's centre on both axes, every click in order; one attempt by
//! default.
//!
//! The default characters are common Chinese characters ([`DEFAULT_CHARACTERS`]), drawn
//! with the bundled subset of Droid Sans Fallback (Apache-2.0; see
//! `assets/fonts/README.md` for how it was made); [`ClickWordOptions::latin`] draws Latin
//! capitals with the bundled DejaVu Sans Bold.

use std::fmt;
use std::sync::Arc;

use ab_glyph::{Font as _, FontArc};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

use super::bytes::{end, put_point, put_str, take_point, take_str, take_u8};
use super::{ChallengeKind, DrawError, Issued, Kind, KindSetup, Point, Puzzle, Size, Solution};
use crate::render::click_word::{Style, draw_glyph};
use crate::render::glyph::{Glyph, flatten};
use crate::render::slider::encode_indexed;

/// The default characters: 153 common, visually distinct Chinese characters.
pub const DEFAULT_CHARACTERS: &str = "山水火石花草树林森雨雪云风电星月光海河江湖春夏秋冬东西南北中左右前后高长红黄绿蓝白黑金银铁鱼鸟马牛羊猫狗虎龙龟象熊猪鸡鸭果米茶酒菜饭面肉蛋糖盐书画字笔纸桌椅床门窗房家车船路桥城村国人手足头心耳眼身父母男女老少爱笑歌舞跑飞走看听说读写学问答开关买卖新旧大小多快慢冷热好美明亮早晚年秒分时钟琴棋球灯伞帽鞋衣裙包";

/// The bundled CJK font: Droid Sans Fallback (Apache-2.0), subset to
/// [`DEFAULT_CHARACTERS`].
pub static BUNDLED_CJK_FONT: &[u8] =
    include_bytes!("../../assets/fonts/DroidSansFallback-subset.ttf");

/// Latin capitals for [`ClickWordOptions::latin`], without look-alikes once rotated.
pub const LATIN_CHARACTERS: &str = "ABCDEFGHJKLMPRTUVWY";

/// How many characters are listed to click (AJ's widgets check after exactly three).
const CLICKS: usize = 3;
/// Half the space a character takes, rotated, at the largest size (41 px): centres are kept
/// twice this apart, and this far inside the frame.
const HALF: f32 = 26.0;
/// Each decoy is one of this many characters that look most like a character to click.
const RIVALS: usize = 3;

/// Options of the click-word kind. Build with [`ClickWordOptions::default`] (Chinese) or
/// [`ClickWordOptions::latin`], and the `with_*` setters.
#[derive(Clone)]
pub struct ClickWordOptions {
    characters: Vec<char>,
    font: Option<FontArc>,
    count: usize,
    tolerance: u32,
    max_attempts: u32,
    /// The characters' outlines, flattened once by `prepare`.
    glyphs: Arc<Vec<(char, Glyph)>>,
    /// For each character (by index), the others most alike, most alike first; made by
    /// `prepare`.
    alike: Arc<Vec<Vec<usize>>>,
}

impl Default for ClickWordOptions {
    fn default() -> Self {
        Self {
            characters: DEFAULT_CHARACTERS.chars().collect(),
            font: None,
            count: 6,
            tolerance: 25,
            max_attempts: 1,
            glyphs: Arc::default(),
            alike: Arc::default(),
        }
    }
}

impl ClickWordOptions {
    /// Latin capitals ([`LATIN_CHARACTERS`]) drawn with the bundled DejaVu Sans Bold.
    pub fn latin() -> Self {
        Self {
            characters: LATIN_CHARACTERS.chars().collect(),
            font: FontArc::try_from_slice(crate::kind::text::BUNDLED_FONT).ok(),
            ..Self::default()
        }
    }

    /// The characters to draw from (at least 10 distinct), and a font with a glyph for
    /// each.
    pub fn with_characters(mut self, characters: &str, font: FontArc) -> Self {
        self.characters = characters.chars().collect();
        self.font = Some(font);
        self
    }

    /// Characters drawn, 4 to 6 (default 6): three to click, the rest decoys.
    pub fn with_count(mut self, count: usize) -> Self {
        self.count = count;
        self
    }

    /// How far, in pixels of the 310x155 frame, a click may land from a character's centre
    /// on each axis, 5 to 40 (default 25).
    pub fn with_tolerance(mut self, pixels: u32) -> Self {
        self.tolerance = pixels;
        self
    }

    /// Wrong answers allowed before a challenge is locked, 1 to 100 (default 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    pub(crate) fn validated(mut self) -> Result<Self, String> {
        if !(CLICKS + 1..=6).contains(&self.count) {
            return Err(format!("count must be 4 to 6, got {}", self.count));
        }
        if !(5..=40).contains(&self.tolerance) {
            return Err(format!(
                "tolerance must be 5 to 40 px, got {}",
                self.tolerance
            ));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(format!(
                "attempt limit must be 1 to 100, got {}",
                self.max_attempts
            ));
        }
        self.characters.sort_unstable();
        self.characters.dedup();
        if self.characters.len() < 10 || self.characters.iter().any(|c| c.is_whitespace()) {
            return Err("characters must be at least 10 distinct, without white space".into());
        }
        let font = match self.font.take() {
            Some(font) => font,
            None => FontArc::try_from_slice(BUNDLED_CJK_FONT)
                .map_err(|_| "the font could not be read")?,
        };
        if let Some(c) = self.characters.iter().find(|&&c| font.glyph_id(c).0 == 0) {
            return Err(format!("the font has no glyph for {c:?}"));
        }
        self.font = Some(font);
        Ok(self)
    }
}

impl fmt::Debug for ClickWordOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClickWordOptions")
            .field("characters", &self.characters.len())
            .field("count", &self.count)
            .field("tolerance", &self.tolerance)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// For each character, the `KEPT` others most alike, most alike first: by the share of ink
/// two glyphs have in common when drawn upright on a 24x24 grid (intersection over union).
/// Enough for `answer`, which skips at most the five characters already drawn.
fn alike(characters: &[char], glyphs: &[(char, Glyph)]) -> Vec<Vec<usize>> {
    const KEPT: usize = RIVALS + 5;
    use ab_glyph_rasterizer::point;
    const GRID: u32 = 24;
    // Each glyph's ink as 576 bits: likeness is then a few popcounts per pair, so even a
    // set of thousands of characters is compared in well under a second.
    let inked: Vec<[u64; 9]> = characters
        .iter()
        .map(|c| {
            let mut bits = [0u64; 9];
            if let Some((_, glyph)) = glyphs.iter().find(|(g, _)| g == c) {
                let half = GRID as f32 / 2.0;
                let segments = glyph.segments(|p| point(half + p.x * 22.0, half + p.y * 22.0));
                crate::render::Coverage::new().fill(&segments, GRID, GRID, |x, y, a| {
                    if a > 0.5 {
                        let i = (y * GRID + x) as usize;
                        bits[i / 64] |= 1 << (i % 64);
                    }
                });
            }
            bits
        })
        .collect();
    let likeness = |a: &[u64; 9], b: &[u64; 9]| {
        let (both, either) = a.iter().zip(b).fold((0, 0), |(both, either), (x, y)| {
            (both + (x & y).count_ones(), either + (x | y).count_ones())
        });
        both as f32 / either.max(1) as f32
    };
    (0..characters.len())
        .map(|i| {
            let mut others: Vec<(usize, f32)> = (0..characters.len())
                .filter(|&j| j != i)
                .map(|j| (j, likeness(&inked[i], &inked[j])))
                .collect();
            others.sort_by(|a, b| b.1.total_cmp(&a.1));
            others.into_iter().take(KEPT).map(|(j, _)| j).collect()
        })
        .collect()
}

/// Whether a character centred at `p` would reach under the refresh button (the 35x35 box
/// in the frame's top-right corner).
pub(crate) fn under_refresh(p: Point) -> bool {
    p.x as f32 + HALF > 275.0 && p.y as f32 - HALF < 35.0
}

/// `n` centres inside the frame, at least two half-sizes apart, none under the refresh
/// button, each uniformly random given the others.
pub(crate) fn layout(n: usize, rng: &mut dyn RngCore) -> Vec<Point> {
    let frame = Size::AJ_FRAME;
    let (lo, hi_x, hi_y) = (
        HALF as i32,
        frame.width as i32 - HALF as i32,
        frame.height as i32 - HALF as i32,
    );
    loop {
        let mut points: Vec<Point> = Vec::with_capacity(n);
        for _ in 0..200 {
            if points.len() == n {
                break;
            }
            let p = Point::new(rng.random_range(lo..=hi_x), rng.random_range(lo..=hi_y));
            let apart = points.iter().all(|q| {
                let (dx, dy) = ((p.x - q.x) as f32, (p.y - q.y) as f32);
                (dx * dx + dy * dy).sqrt() >= 2.0 * HALF
            });
            if apart && !under_refresh(p) {
                points.push(p);
            }
        }
        if points.len() == n {
            return points;
        }
    }
}

/// The click-word kind. Its answer: the characters drawn at their centres, the ones to
/// click first, in click order, then the decoys.
impl ChallengeKind for ClickWordOptions {
    type Answer = Vec<(String, Point)>;
    const KIND: Kind = Kind::CLICK_WORD;

    fn prepare(&mut self, _: &KindSetup<'_>) -> Result<(), String> {
        let mut options = self.clone().validated()?;
        if let Some(font) = &options.font {
            let glyphs: Vec<_> = options
                .characters
                .iter()
                .filter_map(|&c| Some((c, flatten(font, c)?)))
                .collect();
            options.alike = Arc::new(alike(&options.characters, &glyphs));
            options.glyphs = Arc::new(glyphs);
        }
        *self = options;
        Ok(())
    }

    fn default_size(&self) -> Size {
        Size::AJ_FRAME
    }

    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// All characters and places are chosen here; the answer keeps the ones to click, in
    /// order, and the decoys go after them (they are never clicked).
    fn answer(&self, rng: &mut dyn RngCore, _pressure: u32) -> Self::Answer {
        let n = self.characters.len();
        let mut picked: Vec<usize> = (0..n).collect();
        picked.shuffle(rng);
        // Without the likeness table (options not prepared), the decoys are the next ones
        // of the shuffle.
        let prepared = self.alike.len() == n;
        picked.truncate(if prepared { CLICKS } else { self.count });
        while prepared && picked.len() < self.count.min(n) {
            // A rival of one of the characters to click, not drawn yet.
            let of = picked[rng.random_range(0..CLICKS.min(picked.len()))];
            let rivals: Vec<usize> = self.alike[of]
                .iter()
                .filter(|i| !picked.contains(i))
                .take(RIVALS)
                .copied()
                .collect();
            match rivals.as_slice() {
                [] => break,
                rivals => picked.push(rivals[rng.random_range(0..rivals.len())]),
            }
        }
        let places = layout(picked.len(), rng);
        picked
            .into_iter()
            .zip(places)
            .map(|(i, p)| (self.characters[i].to_string(), p))
            .collect()
    }

    fn encode(answer: &Self::Answer) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 8 * answer.len());
        out.push(answer.len().min(6) as u8);
        for (word, p) in answer.iter().take(6) {
            put_str(&mut out, word);
            put_point(&mut out, *p);
        }
        out
    }

    fn decode(mut b: &[u8]) -> Option<Self::Answer> {
        let n = take_u8(&mut b)?;
        let words = (0..n)
            .map(|_| Some((take_str(&mut b)?.to_owned(), take_point(&mut b)?)))
            .collect::<Option<_>>()?;
        end(b, words)
    }

    /// The frame is AJ's and fixed: `size` is not used.
    fn draw(
        &self,
        answer: &Self::Answer,
        _size: Size,
        _issued: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<Puzzle, DrawError> {
        let frame = Size::AJ_FRAME;
        let mut img = crate::render::scene::landscape(frame.width, frame.height, rng);
        let words = answer.as_slice();
        for (word, at) in words {
            let Some(glyph) = word
                .chars()
                .next()
                .and_then(|c| self.glyphs.iter().find(|(g, _)| *g == c))
                .map(|(_, g)| g)
            else {
                continue;
            };
            let style = Style::random(rng);
            draw_glyph(&mut img, glyph, (at.x as f32, at.y as f32), &style);
        }
        Ok(Puzzle::ClickWord {
            image: encode_indexed(&img)?,
            words: words.iter().take(CLICKS).map(|(w, _)| w.clone()).collect(),
        })
    }

    fn check(&self, words: &Self::Answer, solution: &Solution, _issued: &Issued<'_>) -> bool {
        let Solution::Points(clicks) = solution else {
            return false;
        };
        let tolerance = i64::from(self.tolerance);
        let near = |a: i32, b: i32| (i64::from(a) - i64::from(b)).abs() <= tolerance;
        // Every click is compared (no early exit), then the count.
        let targets = words.iter().take(CLICKS);
        let hits = targets
            .zip(clicks.iter())
            .filter(|((_, at), click)| near(click.x, at.x) & near(click.y, at.y))
            .count();
        clicks.len() == CLICKS && hits == CLICKS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::tests::{ISSUED, prepared};
    use rand::SeedableRng;

    fn kind() -> ClickWordOptions {
        prepared(ClickWordOptions::default())
    }

    fn answer_of(kind: &ClickWordOptions, seed: u64) -> Vec<(String, Point)> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        kind.answer(&mut rng, 0)
    }

    #[test]
    fn clicks_pass_within_tolerance_in_order_and_only_then() {
        let k = kind();
        let words = answer_of(&k, 1);
        let answer = words.clone();
        let at = |i: usize, dx: i32, dy: i32| Point::new(words[i].1.x + dx, words[i].1.y + dy);
        let clicks = |pts: Vec<Point>| Solution::Points(pts);
        assert!(k.check(
            &answer,
            &clicks(vec![at(0, 0, 0), at(1, 0, 0), at(2, 0, 0)]),
            &ISSUED
        ));
        assert!(k.check(
            &answer,
            &clicks(vec![at(0, 25, -25), at(1, -25, 25), at(2, 25, 25)]),
            &ISSUED
        ));
        assert!(!k.check(
            &answer,
            &clicks(vec![at(0, 26, 0), at(1, 0, 0), at(2, 0, 0)]),
            &ISSUED
        ));
        assert!(!k.check(
            &answer,
            &clicks(vec![at(0, 0, 0), at(1, 0, -26), at(2, 0, 0)]),
            &ISSUED
        ));
        assert!(
            !k.check(
                &answer,
                &clicks(vec![at(1, 0, 0), at(0, 0, 0), at(2, 0, 0)]),
                &ISSUED
            ),
            "order"
        );
        assert!(
            !k.check(
                &answer,
                &clicks(vec![at(0, 0, 0), at(1, 0, 0), at(3, 0, 0)]),
                &ISSUED
            ),
            "the decoy"
        );
        assert!(
            !k.check(&answer, &clicks(vec![at(0, 0, 0), at(1, 0, 0)]), &ISSUED),
            "two clicks"
        );
        assert!(!k.check(
            &answer,
            &clicks(vec![at(0, 0, 0), at(1, 0, 0), at(2, 0, 0), at(3, 0, 0)]),
            &ISSUED
        ));
        assert!(!k.check(&answer, &Solution::Point(at(0, 0, 0)), &ISSUED));
        assert!(!k.check(&answer, &Solution::from("山水火"), &ISSUED));
    }

    #[test]
    fn each_decoy_is_one_of_the_characters_most_like_a_character_to_click() {
        let k = kind();
        let index = |w: &str| k.characters.iter().position(|c| w.starts_with(*c)).unwrap();
        // Eight others each, not itself, no repeats; and ink in common counts: 人 (two
        // strokes) is not among the eight most like 森 (dense), nor 森 among 人's.
        for (i, list) in k.alike.iter().enumerate() {
            let mut sorted = list.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), RIVALS + 5);
            assert!(!list.contains(&i));
        }
        assert!(!k.alike[index("森")].contains(&index("人")));
        assert!(!k.alike[index("人")].contains(&index("森")));
        for seed in 0..200 {
            let words = answer_of(&k, seed);
            let targets: Vec<usize> = words[..CLICKS].iter().map(|(w, _)| index(w)).collect();
            for (decoy, _) in &words[CLICKS..] {
                let d = index(decoy);
                // Among the first RIVALS of some target's list once the characters already
                // drawn are set aside: in its list.
                assert!(
                    targets.iter().any(|&t| k.alike[t].contains(&d)),
                    "{decoy} is no rival of {:?}",
                    &words[..CLICKS]
                );
            }
        }
    }

    #[test]
    fn options_that_were_not_prepared_still_give_distinct_characters() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let answer = ClickWordOptions::default().answer(&mut rng, 0);
        assert_eq!(answer.len(), 6);
        let font = FontArc::try_from_slice(crate::kind::text::BUNDLED_FONT).unwrap();
        // Fewer characters than asked for (the engine refuses such options): no more than
        // there are, and no hang.
        let few = ClickWordOptions::default().with_characters("ABCD", font);
        assert_eq!(few.answer(&mut rng, 0).len(), 4);
    }

    #[test]
    fn characters_are_distinct_apart_inside_the_frame_and_off_the_refresh_button() {
        let k = kind();
        for seed in 0..500 {
            let words = answer_of(&k, seed);
            assert_eq!(words.len(), 6);
            let mut chars: Vec<&String> = words.iter().map(|(w, _)| w).collect();
            chars.sort();
            chars.dedup();
            assert_eq!(chars.len(), 6, "distinct");
            for (i, (_, p)) in words.iter().enumerate() {
                assert!(!under_refresh(*p), "{p:?}");
                assert!(p.x as f32 >= HALF && p.x as f32 <= 310.0 - HALF);
                assert!(p.y as f32 >= HALF && p.y as f32 <= 155.0 - HALF);
                for (_, q) in &words[i + 1..] {
                    let d = (((p.x - q.x).pow(2) + (p.y - q.y).pow(2)) as f32).sqrt();
                    assert!(d >= 2.0 * HALF, "overlap: {p:?} {q:?}");
                }
            }
        }
    }

    #[test]
    fn options_are_validated() {
        assert!(matches!(
            ClickWordOptions::default().with_count(3).validated(),
            Err(e) if e.contains("got 3")
        ));
        assert!(matches!(
            ClickWordOptions::default().with_tolerance(50).validated(),
            Err(e) if e.contains("got 50")
        ));
        let dejavu = FontArc::try_from_slice(crate::kind::text::BUNDLED_FONT).unwrap();
        assert!(matches!(
            ClickWordOptions::default()
                .with_characters("ABCDEFGHJK山", dejavu)
                .validated(),
            Err(e) if e.contains('山')
        ));
        assert!(ClickWordOptions::latin().validated().is_ok());
    }
}
