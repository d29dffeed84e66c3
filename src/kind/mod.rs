//! Challenge kinds: what a person solves, and the typed values around it.
//!
//! Each kind makes an [`Answer`] (kept server-side, sealed into the challenge id), draws a
//! [`Puzzle`] for it (shown to the client), and checks a client's [`Solution`] against the
//! answer. A kind's check is the only place where a tolerance or a case rule lives. A new
//! kind is one module here (implementing the crate-private `ChallengeKind` trait) and one in
//! `render/`.

pub mod click_word;
pub mod pow;
pub mod slider;
pub mod text;

use std::fmt;

use rand::RngCore;

/// The kind of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// Type the 4–6 characters shown in a PNG.
    Text,
    /// Drag a jigsaw piece into its hole (AJ-Captcha's `blockPuzzle`).
    Slider,
    /// Click characters in a given order (AJ-Captcha's `clickWord`).
    ClickWord,
    /// Nothing to see: the client's browser computes a proof of work (ALTCHA's format).
    Pow,
}

impl Kind {
    /// The stable lower-case name used in pass tokens, sealed challenges and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Slider => "slider",
            Kind::ClickWord => "click_word",
            Kind::Pow => "pow",
        }
    }

    /// The kind named `name` (as [`as_str`](Self::as_str) writes it); `None` for a name this
    /// version does not know.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "text" => Some(Kind::Text),
            "slider" => Some(Kind::Slider),
            "click_word" => Some(Kind::ClickWord),
            "pow" => Some(Kind::Pow),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// A point in a puzzle's frame, in whole pixels (x to the right, y down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point {
    /// Pixels from the left edge.
    pub x: i32,
    /// Pixels from the top edge.
    pub y: i32,
}

impl Point {
    /// The point (`x`, `y`).
    pub const fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }
}

/// What a person must produce to pass: kept server-side only, sealed into the challenge id.
///
/// Tests can read it with the `test-util` feature (`Captcha::answer_of`); `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// The characters to type (upper case).
    Text(String),
    /// Where a piece must be dropped.
    Point(Point),
    /// Points to click, in order.
    Points(Vec<Point>),
    /// Words drawn at their centres: the ones to click first, in click order, then decoys.
    Words(Vec<(String, Point)>),
    /// Where a piece must be dropped (`at`), and where decoy holes are drawn.
    Hole {
        /// The real hole.
        at: Point,
        /// The decoys.
        decoys: Vec<Point>,
    },
    /// The number a proof of work must find, and the largest it could have been.
    Work {
        /// The number.
        number: u64,
        /// The `maxnumber` handed to the client.
        max_number: u64,
    },
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Answer(<redacted>)")
    }
}

/// What a client sent back as its solution of a challenge.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Solution {
    /// Typed characters.
    Text(String),
    /// A point (where a piece was dropped).
    Point(Point),
    /// Clicked points, in order.
    Points(Vec<Point>),
    /// AJ-Captcha's `pointJson`: a point or a list of points as JSON
    /// (`{"x":109.275,"y":5}`, `[{"x":85,"y":34}, ...]`), plain or as base64
    /// AES-128-ECB-PKCS7 under the challenge's secret key. Numbers are truncated to whole
    /// pixels; anything that does not decrypt or parse is a wrong answer.
    PointJson(String),
    /// A drag: where it ended (a point or point JSON) and the pointer's trail on the way,
    /// sampled (`t` in ms from the start, `x` and `y` in frame pixels). Sent by this crate's
    /// widget; a slider can refuse drags no hand makes.
    Drag {
        /// Where the drag ended.
        end: Box<Solution>,
        /// The trail, at most 64 samples.
        trail: Vec<TrailPoint>,
    },
    /// A solved proof of work, as ALTCHA's widget submits it.
    Work {
        /// The hash algorithm (`SHA-256`).
        algorithm: String,
        /// The challenge as handed out (hex).
        challenge: String,
        /// The number found.
        number: u64,
        /// The salt as handed out.
        salt: String,
        /// The signature as handed out (hex).
        signature: String,
    },
}

/// One sample of a drag's trail.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrailPoint {
    /// Milliseconds since the drag started.
    pub t: f32,
    /// Horizontal position, in frame pixels.
    pub x: f32,
    /// Vertical position, in frame pixels.
    pub y: f32,
}

impl From<&str> for Solution {
    fn from(text: &str) -> Self {
        Solution::Text(text.to_owned())
    }
}

impl From<&String> for Solution {
    fn from(text: &String) -> Self {
        Solution::Text(text.clone())
    }
}

impl From<String> for Solution {
    fn from(text: String) -> Self {
        Solution::Text(text)
    }
}

impl From<Point> for Solution {
    fn from(point: Point) -> Self {
        Solution::Point(point)
    }
}

impl Solution {
    /// Turns `PointJson` into a point or points, decrypting it with `key` unless it is plain
    /// JSON; the other forms are returned as they are. Also returns the JSON plaintext
    /// exactly as received (AJ builds its ticket from it). `None` if it cannot be read.
    pub(crate) fn open(self, key: Option<&str>) -> Option<(Solution, Option<String>)> {
        if let Solution::Drag { end, trail } = self {
            let (end, plain) = end.open(key)?;
            return Some((
                Solution::Drag {
                    end: Box::new(end),
                    trail,
                },
                plain,
            ));
        }
        let Solution::PointJson(text) = self else {
            return Some((self, None));
        };
        let text = text.trim();
        let plain = if text.starts_with(['{', '[']) {
            text.to_owned()
        } else {
            crate::seal::aes_ecb_decrypt(key?, text)?
        };
        let solution = points_from_json(&plain)?;
        Some((solution, Some(plain)))
    }
}

/// Most points a solution may carry.
const MAX_POINTS: usize = 16;

/// `{"x":..,"y":..}` → a point, `[{..}, ..]` → points; numbers truncated towards zero.
fn points_from_json(json: &str) -> Option<Solution> {
    fn point(v: &serde_json::Value) -> Option<Point> {
        let coord = |name| {
            let n = v.get(name)?.as_f64()?;
            // Truncation, as AJ does; out-of-range values saturate (and are then wrong).
            n.is_finite().then_some(n.trunc() as i32)
        };
        Some(Point::new(coord("x")?, coord("y")?))
    }
    match serde_json::from_str::<serde_json::Value>(json).ok()? {
        serde_json::Value::Array(items) if items.len() <= MAX_POINTS => items
            .iter()
            .map(point)
            .collect::<Option<Vec<_>>>()
            .map(Solution::Points),
        v @ serde_json::Value::Object(_) => point(&v).map(Solution::Point),
        _ => None,
    }
}

/// What is shown to the client: the pictures and hints of one challenge.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Puzzle {
    /// One picture (the text kind).
    Image {
        /// PNG bytes.
        png: Vec<u8>,
    },
    /// A background with a hole and the piece that fills it (a slider).
    Slider {
        /// The background, PNG bytes.
        background: Vec<u8>,
        /// The piece, PNG bytes.
        piece: Vec<u8>,
    },
    /// A picture and the words to click in order (click-word).
    ClickWord {
        /// PNG bytes.
        image: Vec<u8>,
        /// The characters to click, in order.
        words: Vec<String>,
    },
    /// A proof of work to compute (ALTCHA's challenge format): find `number` in
    /// `0..=max_number` with `hex(sha256(salt + number)) == challenge`.
    Work {
        /// The hash algorithm (`SHA-256`).
        algorithm: &'static str,
        /// The hash to find (hex).
        challenge: String,
        /// The largest number to try.
        max_number: u64,
        /// What the number is appended to.
        salt: String,
        /// HMAC-SHA256 of the challenge under the app's key (hex).
        signature: String,
    },
}

impl Puzzle {
    /// The main picture: the text image, the slider background, the click-word image
    /// (empty for a proof of work).
    pub fn image(&self) -> &[u8] {
        match self {
            Puzzle::Image { png } => png,
            Puzzle::Slider { background, .. } => background,
            Puzzle::ClickWord { image, .. } => image,
            Puzzle::Work { .. } => &[],
        }
    }
}

impl fmt::Debug for Puzzle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Puzzle::Image { png } => f.debug_struct("Image").field("png", &png.len()).finish(),
            Puzzle::Slider { background, piece } => f
                .debug_struct("Slider")
                .field("background", &background.len())
                .field("piece", &piece.len())
                .finish(),
            Puzzle::ClickWord { image, words } => f
                .debug_struct("ClickWord")
                .field("image", &image.len())
                .field("words", &words.len())
                .finish(),
            Puzzle::Work { max_number, .. } => f
                .debug_struct("Work")
                .field("max_number", max_number)
                .finish_non_exhaustive(),
        }
    }
}

/// What a kind may need of the challenge it draws: its sealed id and its expiry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Issued<'a> {
    /// The sealed challenge id handed to the client.
    pub(crate) id: &'a str,
    /// Milliseconds since the Unix epoch.
    pub(crate) expires_at: u64,
}

/// One kind of challenge: makes answers, draws puzzles, checks solutions.
pub(crate) trait ChallengeKind: Send + Sync + 'static {
    /// Which kind this is.
    fn kind(&self) -> Kind;
    /// The picture size used when an issue names none.
    fn default_size(&self) -> Size;
    /// Wrong answers allowed before a challenge is locked.
    fn max_attempts(&self) -> u32;
    /// Whether a wrong answer counts against the challenge (and so reaches the store).
    /// A proof of work's does not: a garbage payload must not burn a real one.
    fn counts_wrong(&self) -> bool {
        true
    }
    /// Whether drawing is cheap enough to do on the calling task instead of the drawing
    /// pool.
    fn draws_inline(&self) -> bool {
        false
    }
    /// A fresh answer. `pressure` (0 = calm) says how hard the client has been asking
    /// lately, for kinds that can make themselves costlier.
    fn answer(&self, rng: &mut dyn RngCore, pressure: u32) -> Answer;
    /// The puzzle for `answer`, at `size`, of the challenge `issued`.
    fn draw(
        &self,
        answer: &Answer,
        size: Size,
        issued: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Puzzle;
    /// Whether `solution` solves challenge `id`, whose answer is `answer`. Runs in time
    /// independent of where the two differ.
    fn check(&self, answer: &Answer, solution: &Solution, id: &str) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in [Kind::Text, Kind::Slider, Kind::ClickWord, Kind::Pow] {
            assert_eq!(Kind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::from_name("hologram"), None);
    }

    #[test]
    fn point_json_is_read_plain_truncated_and_bounded() {
        let open = |s: &str| Solution::PointJson(s.into()).open(None).map(|(s, _)| s);
        assert_eq!(
            open(r#"{"x":109.975,"y":5}"#),
            Some(Solution::Point(Point::new(109, 5)))
        );
        assert_eq!(
            open(r#"{"x":-24.5,"y":5.0,"extra":true}"#),
            Some(Solution::Point(Point::new(-24, 5)))
        );
        assert_eq!(
            open(r#" [{"x":85,"y":34},{"x":129.9,"y":56}] "#),
            Some(Solution::Points(vec![
                Point::new(85, 34),
                Point::new(129, 56)
            ]))
        );
        assert_eq!(
            open(r#"{"x":1e300,"y":0}"#),
            Some(Solution::Point(Point::new(i32::MAX, 0)))
        );
        for bad in [
            "",
            "{",
            r#"{"x":"1","y":2}"#,
            r#"{"x":1}"#,
            "[1,2]",
            "42",
            "not base64 and no key",
        ] {
            assert_eq!(open(bad), None, "{bad:?}");
        }
        let many = format!("[{}]", vec![r#"{"x":1,"y":1}"#; 17].join(","));
        assert_eq!(open(&many), None, "at most 16 points");
        // The plaintext comes back exactly as received, for AJ's ticket.
        let (_, plain) = Solution::PointJson(r#"{"x":109.275,"y":5}"#.into())
            .open(None)
            .unwrap();
        assert_eq!(plain.as_deref(), Some(r#"{"x":109.275,"y":5}"#));
        // Other forms pass through.
        assert_eq!(
            Solution::from("ab").open(None),
            Some((Solution::Text("ab".into()), None))
        );
    }

    #[test]
    fn encrypted_point_json_needs_the_key() {
        let key = "XwKsGlMcdPMEhR1B";
        let sealed = "a5StZg8JbrTwLtn46Xiang==";
        assert_eq!(
            Solution::PointJson(sealed.into()).open(Some(key)),
            Some((
                Solution::Point(Point::new(205, 5)),
                Some(r#"{"x":205,"y":5}"#.into())
            ))
        );
        assert_eq!(Solution::PointJson(sealed.into()).open(None), None);
        assert_eq!(
            Solution::PointJson(sealed.into()).open(Some("AAAAAAAAAAAAAAAA")),
            None
        );
    }

    #[test]
    fn answers_do_not_show_in_debug() {
        let a = Answer::Text("HWM3K".into());
        assert!(!format!("{a:?}").contains("HWM3K"));
    }
}
