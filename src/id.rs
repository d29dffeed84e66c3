//! 128-bit identifiers: pass-token ids (`jti`), the ids under which a store keeps the state of
//! an answered challenge, and ticket ids.
//!
//! Random ones come from the engine's CSPRNG; written as 22 characters of unpadded URL-safe
//! base64.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// A 128-bit identifier: of a pass token (`jti`), an answered challenge, or a ticket.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Id([u8; 16]);

impl Id {
    /// Draws a fresh id from `rng` (the engine passes its CSPRNG).
    pub fn random(rng: &mut (impl RngCore + ?Sized)) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The id with these bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Parses the 22-character form; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != 22 {
            return None;
        }
        let mut bytes = [0u8; 16];
        match URL_SAFE_NO_PAD.decode_slice(s, &mut bytes) {
            Ok(16) => Some(Self(bytes)),
            _ => None,
        }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 22];
        let n = URL_SAFE_NO_PAD
            .encode_slice(self.0, &mut buf)
            .map_err(|_| fmt::Error)?;
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}

/// Ids are bearer values: `Debug` shows only that one is there.
impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Id(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let id = Id::random(&mut rand::rng());
        let s = id.to_string();
        assert_eq!(s.len(), 22);
        assert_eq!(Id::parse(&s), Some(id));
        assert_eq!(Id::parse(""), None);
        assert_eq!(Id::parse(&s[..21]), None);
        assert_eq!(Id::parse("!!!!!!!!!!!!!!!!!!!!!!"), None);
        assert_eq!(Id::parse("ÿÿÿÿÿÿÿÿÿÿÿ"), None);
        assert_ne!(Id::random(&mut rand::rng()), id);
        assert_eq!(format!("{id:?}"), "Id(..)");
    }
}
