//! Challenge kinds: what a person solves.
//!
//! A kind owns itself: its [name](Kind), its answer (and the bytes it is sealed as), the
//! [`Puzzle`] it draws, how it checks a [`Solution`], its options and their errors. The
//! engine knows kinds only through the [`ChallengeKind`] trait, so an app can add its own
//! (see `examples/custom_kind.rs`) and a built-in is one module here, one in `render/` where
//! it draws, and one line in `built_ins` (this file).
//!
//! A [`Puzzle`] is a *presentation* (a picture to read, a picture to click, a slider, a
//! proof of work), not a kind: a new kind reuses one, and every client that shows that
//! presentation (this crate's widget, the native route's JSON) shows the new kind unchanged.

pub mod click_word;
pub mod pow;
pub mod pow_kdf;
pub mod slider;
pub mod text;

use std::fmt;
use std::sync::Arc;

use rand::RngCore;

use crate::error::ConfigError;
pub use crate::render::{DrawError, Size};

/// The name of a kind of challenge: 1–24 characters of `a-z 0-9 _`, stable across versions
/// (it is sealed into challenges and signed into passes).
///
/// Names are open: a pass or challenge may name a kind this version does not offer (a newer
/// instance's, during a rolling upgrade), and is then refused as "not this version's", never
/// as forged.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kind {
    len: u8,
    bytes: [u8; Kind::MAX_LEN],
}

impl Kind {
    /// Longest name, in bytes.
    pub const MAX_LEN: usize = 24;
    /// Type the characters a picture shows.
    pub const TEXT: Kind = Kind::new("text");
    /// Drag a jigsaw piece into its hole (AJ-Captcha's `blockPuzzle`).
    pub const SLIDER: Kind = Kind::new("slider");
    /// Click characters in a given order (AJ-Captcha's `clickWord`).
    pub const CLICK_WORD: Kind = Kind::new("click_word");
    /// Nothing to see: the browser computes a proof of work (ALTCHA's format).
    pub const POW: Kind = Kind::new("pow");

    /// The kind named `name`. Panics (at compile time in a `const`) unless `name` is 1–24
    /// characters of `a-z 0-9 _`.
    pub const fn new(name: &str) -> Kind {
        match Kind::parse(name) {
            Some(kind) => kind,
            None => panic!("a kind's name is 1-24 characters of a-z 0-9 _"),
        }
    }

    /// The kind named `name`, if it is a well-formed name (whether or not this engine
    /// offers it).
    pub const fn parse(name: &str) -> Option<Kind> {
        let src = name.as_bytes();
        if src.is_empty() || src.len() > Kind::MAX_LEN {
            return None;
        }
        let mut bytes = [0u8; Kind::MAX_LEN];
        let mut i = 0;
        while i < src.len() {
            let b = src[i];
            if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return None;
            }
            bytes[i] = b;
            i += 1;
        }
        Some(Kind {
            len: src.len() as u8,
            bytes,
        })
    }

    /// The name, as passes, sealed challenges, metrics and logs write it.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kind({:?})", self.as_str())
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Kind::parse(&name).ok_or_else(|| serde::de::Error::custom("not a kind name"))
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

/// What a client sent back as its solution of a challenge: one of a few shapes, read by the
/// protocols; each kind accepts the shapes its puzzle asks for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Solution {
    /// Typed characters.
    Text(String),
    /// A point (where a piece was dropped).
    Point(Point),
    /// Clicked points, in order.
    Points(Vec<Point>),
    /// A drag: where it ended and the pointer's trail on the way, sampled (`t` in ms from
    /// the start, `x` and `y` in frame pixels). Sent by this crate's widget; a slider can
    /// refuse drags no hand makes.
    Drag {
        /// Where the drag ended.
        end: Box<Solution>,
        /// The trail, at most 64 samples.
        trail: Vec<TrailPoint>,
    },
    /// A solved key-derivation proof of work (ALTCHA's PoW v2 payload): the signed
    /// parameters as handed out, the counter found and its derived key (hex).
    KeyWork {
        /// The parameters as handed out.
        parameters: serde_json::Value,
        /// Their signature as handed out (hex).
        signature: String,
        /// The counter found.
        counter: u32,
        /// Its derived key (hex).
        derived_key: String,
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

/// Most points a solution may carry.
pub(crate) const MAX_POINTS: usize = 16;

/// `{"x":..,"y":..}` → a point, `[{..}, ..]` → points (at most 16); numbers are truncated
/// towards zero, as AJ-Captcha does. `None` for anything else.
pub(crate) fn points_from_json(value: &serde_json::Value) -> Option<Solution> {
    fn point(v: &serde_json::Value) -> Option<Point> {
        let coord = |name| {
            let n = v.get(name)?.as_f64()?;
            // Out-of-range values saturate (and are then wrong).
            n.is_finite().then_some(n.trunc() as i32)
        };
        Some(Point::new(coord("x")?, coord("y")?))
    }
    match value {
        serde_json::Value::Array(items) if items.len() <= MAX_POINTS => items
            .iter()
            .map(point)
            .collect::<Option<Vec<_>>>()
            .map(Solution::Points),
        v @ serde_json::Value::Object(_) => point(v).map(Solution::Point),
        _ => None,
    }
}

/// A trail as sent: `[[t, x, y], ...]`, at most 64 samples; anything else is an empty trail
/// (which no hand makes).
pub(crate) fn trail_from_json(value: &serde_json::Value) -> Vec<TrailPoint> {
    let Some(items) = value.as_array().filter(|a| a.len() <= 64) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|s| {
            let s = s.as_array()?;
            let n = |i: usize| {
                s.get(i)?
                    .as_f64()
                    .filter(|v| v.is_finite())
                    .map(|v| v as f32)
            };
            Some(TrailPoint {
                t: n(0)?,
                x: n(1)?,
                y: n(2)?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default()
}

/// What is shown to the client: one of a few presentations, which any kind may use.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Puzzle {
    /// A picture; the person types what it asks for (the text kind: its characters).
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
    /// A picture and what to click in it, in order (click-word).
    ClickWord {
        /// PNG bytes.
        image: Vec<u8>,
        /// What to click, in order.
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
    /// A key-derivation proof of work (ALTCHA's PoW v2 format): find the counter whose
    /// derived key starts with `parameters.keyPrefix`.
    KeyWork {
        /// The parameters (`algorithm`, `cost`, `keyLength`, `keyPrefix`, `nonce`, `salt`,
        /// `expiresAt`, `data`).
        parameters: serde_json::Value,
        /// HMAC-SHA256 of their canonical JSON under the app's key (hex).
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
            Puzzle::Work { .. } | Puzzle::KeyWork { .. } => &[],
        }
    }

    /// The presentation's name, as the native route and the widget call it: `image`,
    /// `slider`, `click`, `work`, `key_work` (which this crate's widget does not solve).
    pub fn presentation(&self) -> &'static str {
        match self {
            Puzzle::Image { .. } => "image",
            Puzzle::Slider { .. } => "slider",
            Puzzle::ClickWord { .. } => "click",
            Puzzle::Work { .. } => "work",
            Puzzle::KeyWork { .. } => "key_work",
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
            Puzzle::KeyWork { parameters, .. } => f
                .debug_struct("KeyWork")
                .field("cost", &parameters["cost"])
                .finish_non_exhaustive(),
        }
    }
}

/// The challenge a kind draws or checks: its sealed id and its expiry.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Issued<'a> {
    /// The sealed challenge id handed to the client.
    pub id: &'a str,
    /// Milliseconds since the Unix epoch.
    pub expires_at: u64,
}

impl<'a> Issued<'a> {
    pub(crate) fn new(id: &'a str, expires_at: u64) -> Self {
        Self { id, expires_at }
    }
}

/// What a kind may take from the engine when it is built: keys derived from the app's
/// secret (the current one first, then those still accepted during a rotation).
pub struct KindSetup<'a> {
    secrets: Vec<&'a [u8]>,
}

impl<'a> KindSetup<'a> {
    pub(crate) fn new(secrets: Vec<&'a [u8]>) -> Self {
        Self { secrets }
    }

    /// A 32-byte key per accepted secret for `purpose` (current first): keys of one purpose
    /// tell nothing of another's.
    pub fn derive_keys(&self, purpose: &str) -> Vec<[u8; 32]> {
        self.secrets
            .iter()
            .map(|s| crate::keys::derive_key(s, purpose))
            .collect()
    }
}

impl fmt::Debug for KindSetup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindSetup")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// One kind of challenge: makes answers, draws puzzles, checks solutions. Register it with
/// [`CaptchaBuilder::kind`](crate::CaptchaBuilder::kind); the engine seals its answers into
/// challenge ids, counts attempts, rate-limits, mints passes and spends them, whatever the
/// kind.
///
/// An answer never leaves the server except sealed (encrypted and authenticated) into the
/// challenge id, as the bytes [`encode`](Self::encode) makes.
pub trait ChallengeKind: Send + Sync + 'static {
    /// What a person must produce to pass, kept server-side.
    type Answer: Send + 'static;
    /// The kind's name.
    const KIND: Kind;

    /// Checks the options and gets ready (fonts, keys, pictures), once, when the engine is
    /// built. An error should say what is wrong; the engine adds which kind.
    fn prepare(&mut self, setup: &KindSetup<'_>) -> Result<(), String> {
        let _ = setup;
        Ok(())
    }
    /// The picture size used when an issue names none.
    fn default_size(&self) -> Size;
    /// Wrong answers allowed before a challenge is locked (1 to 100).
    fn max_attempts(&self) -> u32 {
        5
    }
    /// A fresh answer. `pressure` (0 = calm) says how hard the client has been asking
    /// lately, for kinds that can make themselves costlier.
    fn answer(&self, rng: &mut dyn RngCore, pressure: u32) -> Self::Answer;
    /// The answer as the bytes sealed into the challenge id (keep it short: ids travel in
    /// URLs and headers).
    fn encode(answer: &Self::Answer) -> Vec<u8>;
    /// The answer back from its bytes; `None` if they are not one.
    fn decode(bytes: &[u8]) -> Option<Self::Answer>;
    /// The puzzle for `answer`, at `size`, of the challenge `issued`.
    fn draw(
        &self,
        answer: &Self::Answer,
        size: Size,
        issued: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<Puzzle, DrawError>;
    /// Whether `solution` solves challenge `issued`, whose answer is `answer`. Should run in
    /// time independent of where the two differ.
    fn check(&self, answer: &Self::Answer, solution: &Solution, issued: &Issued<'_>) -> bool;

    /// Whether the kind has a spoken form ([`speak`](Self::speak)): the audio route serves
    /// only such kinds, and the widget offers a listen button only for them.
    const SPEAKS: bool = false;
    /// The challenge spoken, as a WAV file, for people who cannot see the picture: the same
    /// answer, so that one verify serves both. Only called when [`SPEAKS`](Self::SPEAKS);
    /// `rng` is seeded from the challenge, so the same challenge always sounds the same.
    fn speak(&self, answer: &Self::Answer, rng: &mut dyn RngCore) -> Result<Vec<u8>, DrawError> {
        let _ = (answer, rng);
        Err(DrawError("this kind has no spoken form".into()))
    }

    /// How the engine treats this kind; only the crate's own kinds change it.
    #[doc(hidden)]
    fn policy(&self) -> sealed::Policy {
        sealed::Policy::DEFAULT
    }
}

pub(crate) mod sealed {
    /// How the engine treats a kind: not settable from outside the crate (its type cannot be
    /// named there), because both choices weaken what the engine guarantees.
    #[derive(Debug, Clone, Copy)]
    pub struct Policy {
        /// Whether a wrong answer counts against the challenge (and so reaches the store).
        /// A proof of work's does not: a garbage payload must not burn a real one.
        pub(crate) counts_wrong: bool,
        /// Whether drawing is cheap enough to do on the calling task instead of the
        /// drawing pool.
        pub(crate) draws_inline: bool,
        /// Whether it is a picture, which costs a proof of work when the engine puts a price
        /// on pictures (a proof of work is not one).
        pub(crate) picture: bool,
    }

    impl Policy {
        pub(crate) const DEFAULT: Policy = Policy {
            counts_wrong: true,
            draws_inline: false,
            picture: true,
        };
    }
}

/// A kind with its answers as sealed bytes: what the engine holds.
pub(crate) trait DynKind: Send + Sync {
    fn kind(&self) -> Kind;
    fn default_size(&self) -> Size;
    fn max_attempts(&self) -> u32;
    fn policy(&self) -> sealed::Policy;
    fn answer(&self, rng: &mut dyn RngCore, pressure: u32) -> Vec<u8>;
    fn draw(
        &self,
        answer: &[u8],
        size: Size,
        issued: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<Puzzle, DrawError>;
    fn check(&self, answer: &[u8], solution: &Solution, issued: &Issued<'_>) -> bool;
    fn speaks(&self) -> bool;
    fn speak(&self, answer: &[u8], rng: &mut dyn RngCore) -> Result<Vec<u8>, DrawError>;
}

impl<K: ChallengeKind> DynKind for K {
    fn kind(&self) -> Kind {
        K::KIND
    }
    fn default_size(&self) -> Size {
        ChallengeKind::default_size(self)
    }
    fn max_attempts(&self) -> u32 {
        ChallengeKind::max_attempts(self)
    }
    fn policy(&self) -> sealed::Policy {
        ChallengeKind::policy(self)
    }
    fn answer(&self, rng: &mut dyn RngCore, pressure: u32) -> Vec<u8> {
        K::encode(&ChallengeKind::answer(self, rng, pressure))
    }
    fn draw(
        &self,
        answer: &[u8],
        size: Size,
        issued: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<Puzzle, DrawError> {
        ChallengeKind::draw(self, &decoded::<K>(answer)?, size, issued, rng)
    }
    fn check(&self, answer: &[u8], solution: &Solution, issued: &Issued<'_>) -> bool {
        K::decode(answer)
            .is_some_and(|answer| ChallengeKind::check(self, &answer, solution, issued))
    }
    fn speaks(&self) -> bool {
        K::SPEAKS
    }
    fn speak(&self, answer: &[u8], rng: &mut dyn RngCore) -> Result<Vec<u8>, DrawError> {
        ChallengeKind::speak(self, &decoded::<K>(answer)?, rng)
    }
}

/// A kind's answer from its sealed bytes, for drawing or speaking it.
fn decoded<K: ChallengeKind>(answer: &[u8]) -> Result<K::Answer, DrawError> {
    K::decode(answer).ok_or_else(|| DrawError("answer unreadable".into()))
}

/// Prepares a registered kind when the engine is built.
type Prepare = Box<dyn FnOnce(&KindSetup<'_>) -> Result<Arc<dyn DynKind>, ConfigError> + Send>;

/// A kind waiting for the engine to be built.
pub(crate) struct Registration {
    pub(crate) kind: Kind,
    prepare: Prepare,
}

impl Registration {
    pub(crate) fn of<K: ChallengeKind>(mut kind: K) -> Self {
        Self {
            kind: K::KIND,
            prepare: Box::new(move |setup| {
                kind.prepare(setup).map_err(|problem| ConfigError::Kind {
                    kind: K::KIND.to_string(),
                    problem,
                })?;
                let attempts = ChallengeKind::max_attempts(&kind);
                if !(1..=100).contains(&attempts) {
                    return Err(ConfigError::Kind {
                        kind: K::KIND.to_string(),
                        problem: format!("attempt limit must be 1 to 100, got {attempts}"),
                    });
                }
                Ok(Arc::new(kind))
            }),
        }
    }

    pub(crate) fn prepare(self, setup: &KindSetup<'_>) -> Result<Arc<dyn DynKind>, ConfigError> {
        (self.prepare)(setup)
    }
}

/// The kinds every engine offers unless told otherwise: one line per built-in kind.
pub(crate) fn built_ins() -> Vec<Registration> {
    vec![
        Registration::of(text::TextOptions::default()),
        Registration::of(slider::SliderOptions::default()),
        Registration::of(click_word::ClickWordOptions::default()),
        Registration::of(pow::PowOptions::default()),
    ]
}

/// Short helpers for kinds that seal their answers: length-prefixed strings and points.
pub mod bytes {
    use super::Point;

    /// Appends `s` (cut at 255 bytes, on a character boundary) with a one-byte length.
    pub fn put_str(out: &mut Vec<u8>, s: &str) {
        let mut end = s.len().min(255);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        out.push(end as u8);
        out.extend_from_slice(&s.as_bytes()[..end]);
    }

    /// Appends `p` as two big-endian `i16`s (clamped).
    pub fn put_point(out: &mut Vec<u8>, p: Point) {
        let clamp = |v: i32| v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        out.extend_from_slice(&clamp(p.x).to_be_bytes());
        out.extend_from_slice(&clamp(p.y).to_be_bytes());
    }

    /// The next `n` bytes.
    pub fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if b.len() < n {
            return None;
        }
        let (head, tail) = b.split_at(n);
        *b = tail;
        Some(head)
    }

    /// The next byte.
    pub fn take_u8(b: &mut &[u8]) -> Option<u8> {
        Some(take(b, 1)?[0])
    }

    /// The next big-endian `u64`.
    pub fn take_u64(b: &mut &[u8]) -> Option<u64> {
        Some(u64::from_be_bytes(take(b, 8)?.try_into().ok()?))
    }

    /// The next length-prefixed string.
    pub fn take_str<'a>(b: &mut &'a [u8]) -> Option<&'a str> {
        let n = take_u8(b)?;
        std::str::from_utf8(take(b, usize::from(n))?).ok()
    }

    /// The next point.
    pub fn take_point(b: &mut &[u8]) -> Option<Point> {
        let v = take(b, 4)?;
        Some(Point::new(
            i32::from(i16::from_be_bytes([v[0], v[1]])),
            i32::from(i16::from_be_bytes([v[2], v[3]])),
        ))
    }

    /// `Some(value)` if nothing is left over.
    pub fn end<T>(b: &[u8], value: T) -> Option<T> {
        b.is_empty().then_some(value)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A challenge for kinds' tests.
    pub(crate) const ISSUED: Issued<'static> = Issued {
        id: "",
        expires_at: 1_800_000_000_000,
    };

    /// `kind`, prepared as an engine would with the secret `[7; 32]`.
    pub(crate) fn prepared<K: ChallengeKind>(mut kind: K) -> K {
        kind.prepare(&KindSetup::new(vec![&[7u8; 32][..]])).unwrap();
        kind
    }

    #[test]
    fn kind_names_are_checked_and_round_trip() {
        for kind in [Kind::TEXT, Kind::SLIDER, Kind::CLICK_WORD, Kind::POW] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), kind);
        }
        assert_eq!(Kind::parse("hologram").unwrap().as_str(), "hologram");
        for bad in ["", "Text", "a b", "é", &"x".repeat(25)] {
            assert_eq!(Kind::parse(bad), None, "{bad:?}");
        }
        assert!(serde_json::from_str::<Kind>(r#""a-b""#).is_err());
        assert_eq!(format!("{:?}", Kind::TEXT), r#"Kind("text")"#);
    }

    #[test]
    fn point_json_is_read_truncated_and_bounded() {
        let open = |s: &str| {
            serde_json::from_str(s)
                .ok()
                .and_then(|v| points_from_json(&v))
        };
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
        for bad in ["", "{", r#"{"x":"1","y":2}"#, r#"{"x":1}"#, "[1,2]", "42"] {
            assert_eq!(open(bad), None, "{bad:?}");
        }
        let many = format!("[{}]", vec![r#"{"x":1,"y":1}"#; 17].join(","));
        assert_eq!(open(&many), None, "at most 16 points");
    }

    #[test]
    fn strings_are_cut_on_a_character_boundary() {
        let mut out = Vec::new();
        bytes::put_str(&mut out, &"é".repeat(200));
        let mut b = &out[..];
        let s = bytes::take_str(&mut b).unwrap();
        assert_eq!(s.len(), 254);
        assert!(b.is_empty());
    }
}
