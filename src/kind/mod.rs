//! Challenge kinds: what a person solves.
//!
//! Each kind makes a puzzle (shown to the client) and an answer (kept server-side only), and
//! checks a client's response against that answer. Only the text kind exists so far.

pub mod text;

use std::fmt;

/// The kind of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// Type the 4–6 characters shown in a PNG.
    Text,
}

impl Kind {
    /// The stable lower-case name used in pass tokens and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
        }
    }

    /// Whether `response` (as the client sent it) solves a challenge whose stored answer is
    /// `answer`. Runs in time independent of where the two differ.
    pub fn check(self, answer: &[u8], response: &str) -> bool {
        match self {
            Kind::Text => text::check(answer, response),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
