//! Sealing: the challenge id handed to a client *is* the challenge, encrypted.
//!
//! The kind's name, expiry, scope and the kind's own answer bytes are encoded compactly and sealed with
//! XChaCha20-Poly1305 under a key derived (HKDF-SHA256) from the app's secret. The token is
//! `base64url(version ‖ nonce ‖ ciphertext ‖ tag)`, 80–110 characters. Issuing therefore
//! writes nothing anywhere; any instance with the secret can open what another issued; the
//! answer never sits in a store; a token that does not open (tampered, another key, an
//! unknown version or kind) is simply unknown. The random 24-byte nonce also names the
//! challenge: its first 16 bytes are the id under which a store keeps the state of an
//! answered challenge.
//!

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::id::Id;
use crate::keys::derive_key;
use crate::kind::Kind;
use crate::kind::bytes::{put_str, take_str, take_u64};

/// The format version, first byte of every sealed challenge.
const VERSION: u8 = 2;
/// Longest token accepted for opening (bytes of base64): a bound on the work a garbage id
/// can cause.
const MAX_TOKEN_LEN: usize = 512;

/// What a sealed challenge holds.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Sealed {
    pub(crate) kind: Kind,
    /// Milliseconds since the Unix epoch.
    pub(crate) expires_at: u64,
    pub(crate) scope: Option<String>,
    /// The kind's answer, as the kind encoded it.
    pub(crate) answer: Vec<u8>,
}

/// Seals challenges under the current key and opens them under any accepted key.
pub(crate) struct Sealer {
    /// The current key first, then the keys still accepted during a rotation.
    ciphers: Vec<XChaCha20Poly1305>,
}

impl Sealer {
    /// A sealer whose keys are derived from `secrets` (the current one first).
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let ciphers = secrets
            .into_iter()
            .map(|secret| XChaCha20Poly1305::new(&derive_key(secret, "sealed challenge v1").into()))
            .collect();
        Self { ciphers }
    }

    /// Seals `sealed`; returns the challenge's id and its token.
    pub(crate) fn seal(&self, sealed: &Sealed, rng: &mut dyn RngCore) -> (Id, String) {
        let mut nonce = [0u8; 24];
        rng.fill_bytes(&mut nonce);
        let plaintext = encode(sealed);
        let ciphertext = self.ciphers[0]
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plaintext,
                    aad: &[VERSION],
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut token = Vec::with_capacity(1 + nonce.len() + ciphertext.len());
        token.push(VERSION);
        token.extend_from_slice(&nonce);
        token.extend_from_slice(&ciphertext);
        (id_of(&nonce), URL_SAFE_NO_PAD.encode(token))
    }

    /// Opens a token sealed under any accepted key; `None` for anything else.
    pub(crate) fn open(&self, token: &str) -> Option<(Id, Sealed)> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let (&version, rest) = bytes.split_first()?;
        if version != VERSION || rest.len() < 24 + 16 {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().ok()?;
        let plaintext = self.ciphers.iter().find_map(|cipher| {
            cipher
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: &[VERSION],
                    },
                )
                .ok()
        })?;
        Some((id_of(&nonce), decode(&plaintext)?))
    }
}

fn id_of(nonce: &[u8]) -> Id {
    let mut id = [0u8; 16];
    id.copy_from_slice(&nonce[..16]);
    Id::from_bytes(id)
}

/// `kind ‖ expires_at ‖ scope ‖ answer`, strings length-prefixed, the answer last.
fn encode(s: &Sealed) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    put_str(&mut out, s.kind.as_str());
    out.extend_from_slice(&s.expires_at.to_be_bytes());
    put_str(&mut out, s.scope.as_deref().unwrap_or(""));
    out.extend_from_slice(&s.answer);
    out
}

fn decode(mut b: &[u8]) -> Option<Sealed> {
    let kind = Kind::parse(take_str(&mut b)?)?;
    let expires_at = take_u64(&mut b)?;
    let scope = Some(take_str(&mut b)?.to_owned()).filter(|s| !s.is_empty());
    Some(Sealed {
        kind,
        expires_at,
        scope,
        answer: b.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample() -> Sealed {
        Sealed {
            kind: Kind::TEXT,
            expires_at: 1_800_000_300_000,
            scope: Some("login".into()),
            answer: b"\x05HAMPK".to_vec(),
        }
    }

    #[test]
    fn seals_and_opens_any_kind_and_answer() {
        let sealer = Sealer::new([&[7u8; 32][..]]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for (kind, answer) in [
            (Kind::TEXT, b"HAMPK".to_vec()),
            (Kind::SLIDER, vec![0, 187, 0, 5, 3]),
            (Kind::new("a_kind_of_tomorrow"), vec![]),
            (Kind::POW, vec![0xff; 16]),
        ] {
            let s = Sealed {
                kind,
                answer,
                scope: None,
                ..sample()
            };
            let (id, token) = sealer.seal(&s, &mut rng);
            assert!(token.len() < 150, "{} chars", token.len());
            let (opened_id, opened) = sealer.open(&token).unwrap();
            assert_eq!(opened_id, id);
            assert!(opened == s);
        }
        let (_, token) = sealer.seal(&sample(), &mut rng);
        assert!((80..=100).contains(&token.len()), "{}", token.len());
    }

    #[test]
    fn tampered_foreign_and_garbage_tokens_do_not_open() {
        let sealer = Sealer::new([&[7u8; 32][..]]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let (_, token) = sealer.seal(&sample(), &mut rng);
        // Every single flipped byte is refused.
        let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(
                sealer.open(&URL_SAFE_NO_PAD.encode(&b)).is_none(),
                "byte {i}"
            );
        }
        let other = Sealer::new([&[8u8; 32][..]]);
        assert!(other.open(&token).is_none(), "another key");
        for garbage in ["", "x", "AAAAAAAAAAAAAAAAAAAAAA", &"A".repeat(600), "ÿÿ"] {
            assert!(sealer.open(garbage).is_none(), "{garbage:?}");
        }
        // A rotation: the old key still opens, the new one seals.
        let rotated = Sealer::new([&[8u8; 32][..], &[7u8; 32][..]]);
        assert!(rotated.open(&token).is_some());
        let (_, new_token) = rotated.seal(&sample(), &mut rng);
        assert!(sealer.open(&new_token).is_none());
        assert!(other.open(&new_token).is_some());
    }

    #[test]
    fn malformed_names_and_cut_encodings_do_not_decode() {
        assert!(decode(&encode(&sample())).is_some());
        let mut bad = encode(&sample());
        bad[1..5].copy_from_slice(b"Te t");
        assert!(decode(&bad).is_none(), "not a kind name");
        // Every cut before the answer is refused (the answer is the kind's to judge).
        for cut in 0..1 + 4 + 8 + 1 + 5 {
            assert!(decode(&encode(&sample())[..cut]).is_none(), "cut at {cut}");
        }
    }
}
