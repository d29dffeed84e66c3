//! The text kind: type the 4–6 characters from an alphabet without look-alikes that a
//! picture shows.
//!
//! Answers are compared case-insensitively after trimming surrounding white space, in
//! constant time. The picture itself is drawn by the crate's `render` module.

use std::fmt;

use ab_glyph::FontArc;
use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;

use super::{Answer, ChallengeKind, Issued, Kind, Puzzle, Size, Solution};
use crate::error::ConfigError;
use crate::render::text::TextRenderer;

/// The default alphabet: ten upper-case letters and digits that people tell apart at a
/// glance in the default picture. Left out are the classic look-alikes (`0 O Q D`, `1 I L`,
/// `2 Z`, `5 S`, `8 B`, `6 G`, `U V`) and every character that people misread in reading
/// tests of the hatched picture (`A`, `F`, `H`, `J`, `P`, `W`, `X`, `Y`, `7`, ...: taken for
/// `4`, `E`, `N` or `K`, `T`, ...). Ten is the least an alphabet may have:
/// 100 000 answers of 5 characters.
pub const DEFAULT_ALPHABET: &str = "CEKMNRT349";

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
    pub(crate) fn validated(mut self) -> Result<Self, ConfigError> {
        if !(4..=6).contains(&self.length) {
            return Err(ConfigError::TextLength(self.length));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(ConfigError::Attempts(self.max_attempts));
        }
        // Answers are compared case-insensitively: fold the alphabet to upper case.
        let mut alphabet: Vec<char> = self.alphabet.iter().map(char::to_ascii_uppercase).collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        if alphabet.len() < 10 || !alphabet.iter().all(char::is_ascii_alphanumeric) {
            return Err(ConfigError::Alphabet);
        }
        self.alphabet = alphabet;
        if !Size::new(self.width, self.height).is_drawable() {
            return Err(ConfigError::ImageSize(self.width, self.height));
        }
        if self.fonts.is_empty() {
            self.fonts
                .push(FontArc::try_from_slice(BUNDLED_FONT).map_err(|_| ConfigError::Font)?);
        }
        use ab_glyph::Font as _;
        for font in &self.fonts {
            if let Some(c) = self.alphabet.iter().find(|&&c| font.glyph_id(c).0 == 0) {
                return Err(ConfigError::FontMissingGlyph(*c));
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
/// alphabet counts as the one it is taken for when that one is in the alphabet (an `A` for
/// the `4` of the default alphabet). Answers never contain a character outside the
/// alphabet, so this forgives misreads without letting anything else through.
const LOOK_ALIKES: [(u8, u8); 14] = [
    (b'A', b'4'),
    (b'4', b'A'),
    (b'F', b'E'),
    (b'Q', b'9'),
    (b'7', b'T'),
    (b'T', b'7'),
    (b'X', b'K'),
    (b'O', b'0'),
    (b'0', b'O'),
    (b'I', b'1'),
    (b'1', b'I'),
    (b'S', b'5'),
    (b'5', b'S'),
    (b'B', b'8'),
];

/// The text kind, with its options and the renderer built from them.
pub(crate) struct TextKind {
    options: TextOptions,
    renderer: TextRenderer,
    /// Typed ASCII byte → the character it counts as (upper case, look-alikes folded).
    fold: [u8; 128],
}

impl TextKind {
    /// The kind for validated `options`.
    pub(crate) fn new(options: TextOptions) -> Self {
        let mut fold: [u8; 128] = std::array::from_fn(|b| (b as u8).to_ascii_uppercase());
        let known = |c: u8| options.alphabet.contains(&char::from(c));
        for (typed, meant) in LOOK_ALIKES {
            if !known(typed) && known(meant) {
                fold[usize::from(typed)] = meant;
                fold[usize::from(typed.to_ascii_lowercase())] = meant;
            }
        }
        Self {
            renderer: TextRenderer::new(&options),
            options,
            fold,
        }
    }
}

impl ChallengeKind for TextKind {
    fn kind(&self) -> Kind {
        Kind::Text
    }

    fn default_size(&self) -> Size {
        Size::new(self.options.width, self.options.height)
    }

    fn max_attempts(&self) -> u32 {
        self.options.max_attempts
    }

    fn answer(&self, rng: &mut dyn RngCore, _pressure: u32) -> Answer {
        Answer::Text(self.options.random_answer(rng))
    }

    fn draw(
        &self,
        answer: &Answer,
        size: Size,
        _issued: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Puzzle {
        let text = match answer {
            Answer::Text(text) => text.as_str(),
            _ => "",
        };
        Puzzle::Image {
            png: self.renderer.render(text, size, rng).encode_png(),
        }
    }

    fn check(&self, answer: &Answer, solution: &Solution, _id: &str) -> bool {
        match (answer, solution) {
            (Answer::Text(answer), Solution::Text(typed)) => {
                check(answer.as_bytes(), typed, &self.fold)
            }
            _ => false,
        }
    }
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
    use rand::SeedableRng;

    #[test]
    fn check_is_case_insensitive_trimmed_and_strict() {
        let kind = TextKind::new(
            TextOptions::default()
                .with_alphabet("AC3F7BDGHJ")
                .validated()
                .unwrap(),
        );
        let check = |answer: &[u8], typed: &str| check(answer, typed, &kind.fold);
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
        let kind = TextKind::new(TextOptions::default().validated().unwrap());
        let answer = Answer::Text("4KET9".into());
        for typed in ["4KET9", "AKET9", "akeT9", "4XE79", "4kf7q", "AXF7Q"] {
            assert!(kind.check(&answer, &Solution::from(typed), ""), "{typed}");
        }
        // Look-alikes of characters that are not in the answer, or not look-alikes at all.
        for typed in ["4KET8", "4KETG", "HKET9", "4KEY9", "4KET99", "4 KET9"] {
            assert!(!kind.check(&answer, &Solution::from(typed), ""), "{typed}");
        }
        // Folding never turns an alphabet character into another one.
        for &c in &kind.options.alphabet {
            assert_eq!(kind.fold[c as usize], c as u8);
        }
    }

    #[test]
    fn only_typed_text_can_solve_it() {
        let kind = TextKind::new(TextOptions::default().validated().unwrap());
        let answer = Answer::Text("HWM3K".into());
        assert!(kind.check(&answer, &Solution::from(" hwm3k "), ""));
        assert!(!kind.check(
            &answer,
            &Solution::Point(super::super::Point::new(0, 0)),
            ""
        ));
        assert!(!kind.check(&answer, &Solution::PointJson("HWM3K".into()), ""));
        assert!(!kind.check(&Answer::Points(vec![]), &Solution::from("HWM3K"), ""));
    }

    #[test]
    fn options_are_validated() {
        assert!(matches!(
            TextOptions::default().with_length(3).validated(),
            Err(ConfigError::TextLength(3))
        ));
        assert!(matches!(
            TextOptions::default().with_length(7).validated(),
            Err(ConfigError::TextLength(7))
        ));
        assert!(matches!(
            TextOptions::default().with_alphabet("ABC").validated(),
            Err(ConfigError::Alphabet)
        ));
        assert!(matches!(
            TextOptions::default()
                .with_alphabet("ABCDEabcde")
                .validated(),
            Err(ConfigError::Alphabet)
        ));
        assert!(matches!(
            TextOptions::default()
                .with_alphabet("ABCDEFGHJ-")
                .validated(),
            Err(ConfigError::Alphabet)
        ));
        let folded = TextOptions::default()
            .with_alphabet("abcdefghjk")
            .validated()
            .unwrap();
        assert_eq!(folded.alphabet.iter().collect::<String>(), "ABCDEFGHJK");
        assert!(matches!(
            TextOptions::default().with_size(10, 10).validated(),
            Err(ConfigError::ImageSize(10, 10))
        ));
        assert!(matches!(
            TextOptions::default().with_max_attempts(0).validated(),
            Err(ConfigError::Attempts(0))
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
