//! The text kind: type the 4–6 characters from an alphabet without look-alikes that a
//! picture shows.
//!
//! Answers are compared case-insensitively after trimming surrounding white space, in
//! constant time. The picture itself is drawn by the crate's `render` module.

use std::fmt;
use std::sync::Arc;

use ab_glyph::FontArc;
use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;

use super::{ChallengeKind, DrawError, Issued, Kind, KindSetup, Puzzle, Size, Solution};
use crate::render::text::TextRenderer;

/// The default alphabet: eleven upper-case letters that fresh readers told apart at one
/// look in the default picture (see BENCHMARKS.md, "Text picture: people and solvers").
/// Left out are the classic look-alikes (`0 O Q`, `1 I L`, `2 Z`, `5 S`, `8 B`, `6 G`,
/// `U V`; `D` stays, `O` and `0` count as it), the digits, and the letters readers mixed up with these in reading tests of
/// striped glyphs (`X` with `K` and `Y`, `N` and `W` with `M`, `F` with `E`, `G` with
/// `C`). What readers typed instead is folded into the check (see `LOOK_ALIKES`).
/// 11^5 = 161 051 answers of 5 characters.
pub const DEFAULT_ALPHABET: &str = "ACDEHKMPRTY";

/// The font bundled with the crate: DejaVu Sans Bold, subset to printable ASCII
/// (Bitstream Vera licence, see `assets/fonts/LICENSE-DejaVu.txt`).
pub static BUNDLED_FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold-ASCII.ttf");

/// Options of the text kind. Build with [`TextOptions::default`] and the `with_*` setters.
#[derive(Clone)]
pub struct TextOptions {
    pub(crate) length: usize,
    pub(crate) alphabet: Vec<char>,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) fonts: Vec<FontArc>,
    max_attempts: u32,
    /// The renderer and the look-alike table, made by `prepare`.
    ready: Option<Arc<Ready>>,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self {
            length: 5,
            alphabet: DEFAULT_ALPHABET.chars().collect(),
            width: 160,
            height: 60,
            fonts: Vec::new(),
            max_attempts: 5,
            ready: None,
        }
    }
}

impl TextOptions {
    /// Number of characters to type, 4 to 6 (default 5).
    pub fn with_length(mut self, length: usize) -> Self {
        self.length = length;
        self
    }

    /// The characters answers are drawn from (default [`DEFAULT_ALPHABET`]): at least 10
    /// distinct ASCII letters or digits. Letters are shown in upper case and matched
    /// case-insensitively.
    pub fn with_alphabet(mut self, alphabet: &str) -> Self {
        self.alphabet = alphabet.chars().collect();
        self
    }

    /// Wrong answers allowed before a challenge is locked, 1 to 100 (default 5).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Default image size in pixels (default 160x60; at least 80x30, at most 1000x400).
    /// Protocols ask for their own size where their clients expect one.
    pub fn with_size(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }

    /// Fonts to draw with, one picked per character (default: the bundled font). Every
    /// font must have a glyph for every character of the alphabet.
    pub fn with_fonts(mut self, fonts: Vec<FontArc>) -> Self {
        self.fonts = fonts;
        self
    }

    /// Checks the options and fills in the bundled font when none was given.
    pub(crate) fn validated(mut self) -> Result<Self, String> {
        if !(4..=6).contains(&self.length) {
            return Err(format!(
                "length must be 4 to 6 characters, got {}",
                self.length
            ));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(format!(
                "attempt limit must be 1 to 100, got {}",
                self.max_attempts
            ));
        }
        // Answers are compared case-insensitively: fold the alphabet to upper case.
        let mut alphabet: Vec<char> = self.alphabet.iter().map(char::to_ascii_uppercase).collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        if alphabet.len() < 10 || !alphabet.iter().all(char::is_ascii_alphanumeric) {
            return Err(
                "the alphabet must have at least 10 distinct ASCII letters or digits".into(),
            );
        }
        self.alphabet = alphabet;
        if !Size::new(self.width, self.height).is_drawable() {
            return Err(format!(
                "picture size {}x{} is outside 80x30 ..= 1000x400",
                self.width, self.height
            ));
        }
        if self.fonts.is_empty() {
            self.fonts.push(
                FontArc::try_from_slice(BUNDLED_FONT).map_err(|_| "the font could not be read")?,
            );
        }
        use ab_glyph::Font as _;
        for font in &self.fonts {
            if let Some(c) = self.alphabet.iter().find(|&&c| font.glyph_id(c).0 == 0) {
                return Err(format!("a font has no glyph for {c:?}"));
            }
        }
        Ok(self)
    }

    /// Draws a fresh answer (upper case for letters).
    pub(crate) fn random_answer(&self, rng: &mut (impl Rng + ?Sized)) -> String {
        (0..self.length)
            .map(|_| self.alphabet[rng.random_range(0..self.alphabet.len())])
            .collect()
    }
}

impl fmt::Debug for TextOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextOptions")
            .field("length", &self.length)
            .field("alphabet", &self.alphabet.iter().collect::<String>())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("fonts", &self.fonts.len())
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// Characters people type for one another: `(typed, meant)`. A typed character outside the
/// alphabet counts as the one it is taken for when that one is in the alphabet (a `4` for
/// the `A` of the default alphabet). Answers never contain a character outside the
/// alphabet, so this forgives misreads without letting anything else through. A later
/// pair overrides an earlier one for the same typed character (`O` is taken for `0` when
/// the alphabet has both `0` and `D`).
const LOOK_ALIKES: [(u8, u8); 23] = [
    (b'G', b'C'),
    (b'S', b'C'),
    (b'N', b'M'),
    (b'W', b'M'),
    (b'V', b'Y'),
    (b'X', b'K'),
    (b'I', b'T'),
    (b'O', b'D'),
    (b'0', b'D'),
    (b'B', b'R'),
    (b'A', b'4'),
    (b'4', b'A'),
    (b'F', b'E'),
    (b'Q', b'9'),
    (b'7', b'T'),
    (b'T', b'7'),
    (b'O', b'0'),
    (b'0', b'O'),
    (b'I', b'1'),
    (b'1', b'I'),
    (b'S', b'5'),
    (b'5', b'S'),
    (b'B', b'8'),
];

/// What the text kind makes once from its options: the renderer and the look-alike table.
struct Ready {
    renderer: TextRenderer,
    /// Typed ASCII byte → the character it counts as (upper case, look-alikes folded).
    fold: [u8; 128],
}

impl Ready {
    /// For validated `options`.
    fn new(options: &TextOptions) -> Self {
        let mut fold: [u8; 128] = std::array::from_fn(|b| (b as u8).to_ascii_uppercase());
        let known = |c: u8| options.alphabet.contains(&char::from(c));
        for (typed, meant) in LOOK_ALIKES {
            if !known(typed) && known(meant) {
                fold[usize::from(typed)] = meant;
                fold[usize::from(typed.to_ascii_lowercase())] = meant;
            }
        }
        Self {
            renderer: TextRenderer::new(&options.fonts, &options.alphabet),
            fold,
        }
    }
}

/// The text kind: the answer is the characters to type (upper case).
impl ChallengeKind for TextOptions {
    type Answer = String;
    const KIND: Kind = Kind::TEXT;

    fn prepare(&mut self, _: &KindSetup<'_>) -> Result<(), String> {
        let mut options = self.clone().validated()?;
        options.ready = Some(Arc::new(Ready::new(&options)));
        *self = options;
        Ok(())
    }

    fn default_size(&self) -> Size {
        Size::new(self.width, self.height)
    }

    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    fn answer(&self, rng: &mut dyn RngCore, _pressure: u32) -> String {
        self.random_answer(rng)
    }

    fn encode(answer: &String) -> Vec<u8> {
        answer.as_bytes().to_vec()
    }

    fn decode(bytes: &[u8]) -> Option<String> {
        String::from_utf8(bytes.to_vec()).ok()
    }

    fn draw(
        &self,
        answer: &String,
        size: Size,
        _issued: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<Puzzle, DrawError> {
        let ready = self.ready.as_ref().ok_or_else(not_prepared)?;
        Ok(Puzzle::Image {
            png: ready.renderer.render(answer, size, rng).encode_png()?,
        })
    }

    fn check(&self, answer: &String, solution: &Solution, _issued: &Issued<'_>) -> bool {
        match (&self.ready, solution) {
            (Some(ready), Solution::Text(typed)) => check(answer.as_bytes(), typed, &ready.fold),
            _ => false,
        }
    }

    /// Every character of every alphabet (ASCII letters and digits) has a voice.
    const SPEAKS: bool = true;

    fn speak(&self, answer: &String, rng: &mut dyn RngCore) -> Result<Vec<u8>, DrawError> {
        crate::render::audio::speak(answer, rng)
    }
}

fn not_prepared() -> DrawError {
    DrawError("the kind was not prepared by an engine".into())
}

/// Trimmed, constant-time comparison of a typed response with an answer, each typed byte
/// first passed through `fold` (upper case, look-alikes). Empty, wrong-length or non-ASCII
/// responses are simply wrong.
fn check(answer: &[u8], response: &str, fold: &[u8; 128]) -> bool {
    let response = response.trim();
    if response.len() != answer.len() {
        return false;
    }
    let mut folded = [0u8; 8];
    let Some(buf) = folded.get_mut(..response.len()) else {
        return false;
    };
    for (dst, src) in buf.iter_mut().zip(response.bytes()) {
        *dst = fold.get(usize::from(src)).copied().unwrap_or(src);
    }
    bool::from(buf.ct_eq(answer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::tests::{ISSUED, prepared};
    use rand::SeedableRng;

    #[test]
    fn check_is_case_insensitive_trimmed_and_strict() {
        let kind = prepared(TextOptions::default().with_alphabet("AC3F7BDGHJ"));
        let fold = kind.ready.as_ref().unwrap().fold;
        let check = |answer: &[u8], typed: &str| check(answer, typed, &fold);
        assert!(check(b"AC3F7", "AC3F7"));
        assert!(check(b"AC3F7", "  ac3f7 \t"));
        assert!(!check(b"AC3F7", "AC3F"));
        assert!(!check(b"AC3F7", "AC3F77"));
        assert!(!check(b"AC3F7", ""));
        assert!(!check(b"AC3F7", "AC3F8"));
        assert!(!check(b"AC3F7", "ÀC3F"));
        assert!(!check(b"AC3F7", "AC3F7AC3F7"));
        // This alphabet has A and 7 but not 4 and T: a typed 4 or T is taken for them.
        assert!(check(b"AC3F7", "4C3FT"));
        assert!(!check(b"AC3F7", "AC3FY"));
    }

    #[test]
    fn look_alikes_outside_the_alphabet_count_as_the_character_they_are_taken_for() {
        let kind = prepared(TextOptions::default());
        let answer = "ACMKYD".to_owned();
        // What readers typed in reading tests: 4 for A, G or S for C, N or W for M, X for
        // K, V for Y, O or 0 for D.
        for typed in ["ACMKYD", "4CMKYD", "agmkyd", "4GNXV0", "AsWxvO", "ACMKYD "] {
            assert!(
                kind.check(&answer, &Solution::from(typed), &ISSUED),
                "{typed}"
            );
        }
        // Look-alikes of characters that are not in the answer, or not look-alikes at all.
        for typed in ["ACMKY8", "ACMKYE", "HCMKYD", "ACMKTD", "ACMKYDD", "A CMKYD"] {
            assert!(
                !kind.check(&answer, &Solution::from(typed), &ISSUED),
                "{typed}"
            );
        }
        // Folding never turns an alphabet character into another one.
        let fold = kind.ready.as_ref().unwrap().fold;
        for &c in &kind.alphabet {
            assert_eq!(fold[c as usize], c as u8);
        }
    }

    #[test]
    fn only_typed_text_can_solve_it() {
        let kind = prepared(TextOptions::default());
        let answer = "HAMPK".to_owned();
        assert!(kind.check(&answer, &Solution::from(" hampk "), &ISSUED));
        assert!(!kind.check(
            &answer,
            &Solution::Point(super::super::Point::new(0, 0)),
            &ISSUED
        ));
        assert!(!kind.check(&answer, &Solution::Points(vec![]), &ISSUED));
        // An engine prepares its kinds; one that was not checks nothing and draws nothing.
        assert!(!TextOptions::default().check(&answer, &Solution::from("HAMPK"), &ISSUED));
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert!(
            TextOptions::default()
                .draw(&answer, Size::AUTH_V1, &ISSUED, &mut rng)
                .is_err()
        );
    }

    #[test]
    fn options_are_validated() {
        assert!(matches!(
            TextOptions::default().with_length(3).validated(),
            Err(e) if e.contains("length must be 4 to 6")
        ));
        assert!(matches!(
            TextOptions::default().with_length(7).validated(),
            Err(e) if e.contains("length must be 4 to 6")
        ));
        assert!(matches!(
            TextOptions::default().with_alphabet("ABC").validated(),
            Err(e) if e.contains("alphabet")
        ));
        assert!(matches!(
            TextOptions::default()
                .with_alphabet("ABCDEabcde")
                .validated(),
            Err(e) if e.contains("alphabet")
        ));
        assert!(matches!(
            TextOptions::default()
                .with_alphabet("ABCDEFGHJ-")
                .validated(),
            Err(e) if e.contains("alphabet")
        ));
        let folded = TextOptions::default()
            .with_alphabet("abcdefghjk")
            .validated()
            .unwrap();
        assert_eq!(folded.alphabet.iter().collect::<String>(), "ABCDEFGHJK");
        assert!(matches!(
            TextOptions::default().with_size(10, 10).validated(),
            Err(e) if e.contains("10x10")
        ));
        assert!(matches!(
            TextOptions::default().with_max_attempts(0).validated(),
            Err(e) if e.contains("got 0")
        ));
        let ok = TextOptions::default().with_length(6).validated().unwrap();
        assert_eq!(ok.fonts.len(), 1);
    }

    #[test]
    fn answers_use_only_the_alphabet() {
        let opts = TextOptions::default().validated().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let a = opts.random_answer(&mut rng);
            assert_eq!(a.len(), 5);
            assert!(a.chars().all(|c| DEFAULT_ALPHABET.contains(c)), "{a}");
        }
    }
}
