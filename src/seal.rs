//! Sealing: the challenge id handed to a client *is* the challenge, encrypted; and AJ's
//! AES-ECB for `pointJson` and its second-stage ticket.
//!
//! # Sealed challenges
//!
//! Kind, answer, scope, expiry and AJ's secret key are encoded compactly and sealed with
//! XChaCha20-Poly1305 under a key derived (HKDF-SHA256) from the app's secret. The token is
//! `base64url(version ‖ nonce ‖ ciphertext ‖ tag)`, 80–110 characters. Issuing therefore
//! writes nothing anywhere; any instance with the secret can open what another issued; the
//! answer never sits in a store; a token that does not open (tampered, another key, an
//! unknown version or kind) is simply unknown. The random 24-byte nonce also names the
//! challenge: its first 16 bytes are the id under which a store keeps the state of an
//! answered challenge.
//!
//! # AJ-Captcha's AES
//!
//! AJ's widgets encrypt `pointJson` with AES-128-ECB and PKCS#7 under the challenge's
//! 16-character `secretKey`, and the server returns its ticket `captchaVerification` the
//! same way. ECB is AJ's choice and part of its wire format (the key is per challenge and
//! shown to the client, so it protects nothing against that client); it is implemented
//! with RustCrypto's `aes` and `ecb`.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::id::Id;
use crate::kind::{Answer, Kind, Point};

/// The format version, first byte of every sealed challenge.
const VERSION: u8 = 1;
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
    /// AJ's per-challenge `secretKey`, shown to the client.
    pub(crate) secret_key: Option<String>,
    pub(crate) answer: Answer,
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

/// A 32-byte key for one `purpose`, derived from an app secret (HKDF-SHA256), so that no
/// two uses share a key.
pub(crate) fn derive_key(secret: &[u8], purpose: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(b"tower-captcha"), secret)
        .expand(purpose.as_bytes(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

fn id_of(nonce: &[u8]) -> Id {
    let mut id = [0u8; 16];
    id.copy_from_slice(&nonce[..16]);
    Id::from_bytes(id)
}

/// `kind ‖ expires_at ‖ scope ‖ secret key ‖ answer`, strings length-prefixed.
fn encode(s: &Sealed) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    put_str(&mut out, s.kind.as_str());
    out.extend_from_slice(&s.expires_at.to_be_bytes());
    put_str(&mut out, s.scope.as_deref().unwrap_or(""));
    put_str(&mut out, s.secret_key.as_deref().unwrap_or(""));
    match &s.answer {
        Answer::Text(text) => {
            out.push(0);
            put_str(&mut out, text);
        }
        Answer::Point(p) => {
            out.push(1);
            put_point(&mut out, *p);
        }
        Answer::Points(points) => {
            out.push(2);
            out.push(u8::try_from(points.len()).unwrap_or(u8::MAX));
            for p in points.iter().take(usize::from(u8::MAX)) {
                put_point(&mut out, *p);
            }
        }
        Answer::Hole { at, decoys } => {
            out.push(4);
            put_point(&mut out, *at);
            out.push(u8::try_from(decoys.len()).unwrap_or(u8::MAX));
            for p in decoys.iter().take(usize::from(u8::MAX)) {
                put_point(&mut out, *p);
            }
        }
        Answer::Work { number, max_number } => {
            out.push(5);
            out.extend_from_slice(&number.to_be_bytes());
            out.extend_from_slice(&max_number.to_be_bytes());
        }
        Answer::Words(words) => {
            out.push(3);
            out.push(u8::try_from(words.len()).unwrap_or(u8::MAX));
            for (word, p) in words.iter().take(usize::from(u8::MAX)) {
                put_str(&mut out, word);
                put_point(&mut out, *p);
            }
        }
    }
    out
}

fn decode(mut b: &[u8]) -> Option<Sealed> {
    let kind = Kind::from_name(take_str(&mut b)?)?;
    let expires_at = take_u64(&mut b)?;
    let scope = Some(take_str(&mut b)?.to_owned()).filter(|s| !s.is_empty());
    let secret_key = Some(take_str(&mut b)?.to_owned()).filter(|s| !s.is_empty());
    let answer = match take(&mut b, 1)?[0] {
        0 => Answer::Text(take_str(&mut b)?.to_owned()),
        1 => Answer::Point(take_point(&mut b)?),
        2 => {
            let n = take(&mut b, 1)?[0];
            Answer::Points((0..n).map(|_| take_point(&mut b)).collect::<Option<_>>()?)
        }
        4 => {
            let at = take_point(&mut b)?;
            let n = take(&mut b, 1)?[0];
            let decoys = (0..n).map(|_| take_point(&mut b)).collect::<Option<_>>()?;
            Answer::Hole { at, decoys }
        }
        3 => {
            let n = take(&mut b, 1)?[0];
            Answer::Words(
                (0..n)
                    .map(|_| Some((take_str(&mut b)?.to_owned(), take_point(&mut b)?)))
                    .collect::<Option<_>>()?,
            )
        }
        5 => Answer::Work {
            number: take_u64(&mut b)?,
            max_number: take_u64(&mut b)?,
        },
        _ => return None,
    };
    b.is_empty().then_some(Sealed {
        kind,
        expires_at,
        scope,
        secret_key,
        answer,
    })
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Every string sealed here is short (names, scopes, keys, answers): cut at 255 bytes.
    let bytes = &s.as_bytes()[..s.len().min(255)];
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

fn put_point(out: &mut Vec<u8>, p: Point) {
    let clamp = |v: i32| v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    out.extend_from_slice(&clamp(p.x).to_be_bytes());
    out.extend_from_slice(&clamp(p.y).to_be_bytes());
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if b.len() < n {
        return None;
    }
    let (head, tail) = b.split_at(n);
    *b = tail;
    Some(head)
}

fn take_u64(b: &mut &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(take(b, 8)?.try_into().ok()?))
}

fn take_str<'a>(b: &mut &'a [u8]) -> Option<&'a str> {
    let n = take(b, 1)?[0];
    std::str::from_utf8(take(b, usize::from(n))?).ok()
}

fn take_point(b: &mut &[u8]) -> Option<Point> {
    let v = take(b, 4)?;
    Some(Point::new(
        i32::from(i16::from_be_bytes([v[0], v[1]])),
        i32::from(i16::from_be_bytes([v[2], v[3]])),
    ))
}

/// A fresh AJ `secretKey`: 16 characters of `[A-Za-z0-9]`.
pub(crate) fn random_secret_key(rng: &mut dyn RngCore) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..16)
        .map(|_| {
            // 62 values from a byte without bias: reject 248..=255.
            loop {
                let b = (rng.next_u32() & 0xff) as u8;
                if b < 248 {
                    break char::from(CHARS[usize::from(b % 62)]);
                }
            }
        })
        .collect()
}

type Aes128EcbEnc = ecb::Encryptor<aes::Aes128>;
type Aes128EcbDec = ecb::Decryptor<aes::Aes128>;

/// base64(AES-128-ECB-PKCS7(`key`, `plaintext`)), as AJ computes it. `key` must be 16 bytes;
/// `None` otherwise.
pub(crate) fn aes_ecb_encrypt(key: &str, plaintext: &str) -> Option<String> {
    let cipher = Aes128EcbEnc::new_from_slice(key.as_bytes()).ok()?;
    Some(STANDARD.encode(cipher.encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes())))
}

/// The UTF-8 plaintext of base64 `ciphertext` under `key`; `None` if anything is off.
pub(crate) fn aes_ecb_decrypt(key: &str, ciphertext: &str) -> Option<String> {
    let cipher = Aes128EcbDec::new_from_slice(key.as_bytes()).ok()?;
    let bytes = STANDARD.decode(ciphertext.trim()).ok()?;
    let plain = cipher.decrypt_padded_vec_mut::<Pkcs7>(&bytes).ok()?;
    String::from_utf8(plain).ok()
}

/// Lower-case hex of `bytes` (hashes in logs, keys and file names, ALTCHA's challenge).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample() -> Sealed {
        Sealed {
            kind: Kind::Text,
            expires_at: 1_800_000_300_000,
            scope: Some("login".into()),
            secret_key: None,
            answer: Answer::Text("HWM3K".into()),
        }
    }

    #[test]
    fn seals_and_opens_every_answer_shape() {
        let sealer = Sealer::new([&[7u8; 32][..]]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let shapes = [
            Answer::Text("HWM3K".into()),
            Answer::Point(Point::new(187, 5)),
            Answer::Hole {
                at: Point::new(187, 5),
                decoys: vec![Point::new(48, 5), Point::new(95, 5), Point::new(235, 5)],
            },
            Answer::Points(vec![Point::new(85, 34), Point::new(-3, 56)]),
            Answer::Words(vec![
                ("山".into(), Point::new(85, 34)),
                ("水".into(), Point::new(129, 56)),
                ("火".into(), Point::new(233, 27)),
                ("石".into(), Point::new(40, 120)),
            ]),
            Answer::Work {
                number: 81_234,
                max_number: u64::MAX,
            },
        ];
        for answer in shapes {
            let s = Sealed {
                answer,
                secret_key: Some(random_secret_key(&mut rng)),
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
    fn unknown_kinds_and_trailing_bytes_do_not_decode() {
        let mut bytes = encode(&sample());
        assert!(decode(&bytes).is_some());
        bytes.push(0);
        assert!(decode(&bytes).is_none(), "trailing byte");
        let mut future = encode(&sample());
        future[1..5].copy_from_slice(b"tixt");
        assert!(
            decode(&future).is_none(),
            "a kind this version does not know"
        );
        for cut in 0..encode(&sample()).len() {
            assert!(decode(&encode(&sample())[..cut]).is_none(), "cut at {cut}");
        }
    }

    #[test]
    fn secret_keys_are_16_alphanumerics() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let keys: std::collections::HashSet<String> =
            (0..100).map(|_| random_secret_key(&mut rng)).collect();
        assert_eq!(keys.len(), 100);
        assert!(
            keys.iter()
                .all(|k| k.len() == 16 && k.bytes().all(|b| b.is_ascii_alphanumeric()))
        );
    }

    /// The AES test vectors of the protocol documents (key `XwKsGlMcdPMEhR1B`).
    #[test]
    fn aj_aes_test_vectors() {
        let key = "XwKsGlMcdPMEhR1B";
        let vectors = [
            (r#"{"x":205,"y":5}"#, "a5StZg8JbrTwLtn46Xiang=="),
            (
                r#"{"x":205.48387096774192,"y":5}"#,
                "S6Q9HP2/HTbxo3ePSFeKbxo7HwlpQbd2DiS2EEZPgbs=",
            ),
            (
                r#"71dd26999e314f9abb0c635336976635---{"x":205,"y":5}"#,
                "G9SZygOxPyG0IeLT0t3AYuAvIWVTh9WAN5L7dAQCf8W/WjaQrg+BsRazH2v5gpqatH5tYuGSg0d62stK9A+PUA==",
            ),
            (
                r#"[{"x":85,"y":34},{"x":129,"y":56},{"x":233,"y":27}]"#,
                "lEqMck+1hJxwM1DFfBeMSDmeM2MLmW6FMFv9NvoLBVdrYob0MYAgN6OS3X4+Z1gXHGT4ZrScm2tL/Qp9L2OYvw==",
            ),
        ];
        for (plain, cipher) in vectors {
            assert_eq!(aes_ecb_encrypt(key, plain).as_deref(), Some(cipher));
            assert_eq!(aes_ecb_decrypt(key, cipher).as_deref(), Some(plain));
        }
        assert_eq!(aes_ecb_encrypt("short", "x"), None);
        assert_eq!(aes_ecb_decrypt(key, "not base64!"), None);
        assert_eq!(aes_ecb_decrypt(key, "AAAA"), None, "not a whole block");
    }
}
