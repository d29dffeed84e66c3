//! The proof-of-work kind: nothing to look at, a price in computation instead.
//!
//! The client is handed ALTCHA's challenge (`algorithm`, `challenge`, `maxnumber`, `salt`,
//! `signature`) and finds the `number` in `0..=maxnumber` with
//! `hex(sha256(salt + number)) == challenge`: on average `maxnumber / 2` hashes, which a
//! browser does in a Web Worker without the person noticing, and which an attacker pays
//! for every pass. The server does one hash and one HMAC to check it.
//!
//! The salt is `<sealed challenge id>?expires=<unix seconds>&`: the sealed id carries the
//! number, scope and expiry (authenticated, secret), the `expires` parameter lets widgets
//! see when to fetch a new challenge, and the final `&` is the delimiter that stops digits of
//! the number from being read as part of the parameters (the 2025 challenge-splicing
//! advisory). The signature is HMAC-SHA256 of the challenge under a key derived from the
//! app's secret, as ALTCHA's format asks.
//!
//! A wrong solution is not counted against the challenge: only a checked one (signature,
//! work and number all right) reaches the store, where it is spent exactly once. So a
//! garbage payload cannot burn someone's real one.

use std::fmt;

use hmac::{Hmac, Mac};
use rand::{Rng as _, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::bytes::{end, take_u64};
use super::{ChallengeKind, DrawError, Issued, Kind, KindSetup, Puzzle, Size, Solution, sealed};
use crate::keys::hex;

/// The algorithm name of ALTCHA's format; the only one spoken here.
pub const ALGORITHM: &str = "SHA-256";

/// Largest `maxnumber` accepted in settings: about 20 s of a browser's time.
const MAX_MAX_NUMBER: u64 = 10_000_000;

/// Settings of the proof-of-work kind.
///
/// ```
/// use tower_captcha::PowOptions;
///
/// // Most hashes a client may need; raised up to 8x for clients that ask too often.
/// let options = PowOptions::default().with_max_number(100_000).with_adaptive(8);
/// # let _ = options;
/// ```
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct PowOptions {
    max_number: u64,
    adaptive: u32,
    /// HMAC keys, set by `prepare`: the current one first, then those still accepted during
    /// a rotation.
    keys: Vec<[u8; 32]>,
}

impl fmt::Debug for PowOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PowOptions")
            .field("max_number", &self.max_number)
            .field("adaptive", &self.adaptive)
            .finish_non_exhaustive()
    }
}

/// The number a proof of work must find, and the largest it could have been: the proof of
/// work's answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// The number.
    pub number: u64,
    /// The `maxnumber` handed to the client.
    pub max_number: u64,
}

impl fmt::Debug for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Work")
            .field("max_number", &self.max_number)
            .finish_non_exhaustive()
    }
}

impl Default for PowOptions {
    /// `maxnumber` 100 000 (about 50 000 hashes on average: well under a second in a
    /// browser), not adaptive.
    fn default() -> Self {
        Self {
            max_number: 100_000,
            adaptive: 1,
            keys: Vec::new(),
        }
    }
}

impl PowOptions {
    /// The `maxnumber` handed to clients (1 000 ..= 10 000 000): the secret number is drawn
    /// uniformly from `0..=max_number`, so a client hashes `max_number / 2` times on average.
    pub fn with_max_number(mut self, max_number: u64) -> Self {
        self.max_number = max_number;
        self
    }

    /// Raises the difficulty for clients whose recent request rate is high: up to
    /// `ceiling` times `max_number` (1, 2, 4, 8 or 16; 1 turns it off, the default), and
    /// never above 10 000 000. The factor follows the rate limiter's view of the client's
    /// address prefix, doubling for each quarter of its issue budget it has used (four
    /// doublings at most), and falls back as it calms down.
    pub fn with_adaptive(mut self, ceiling: u32) -> Self {
        self.adaptive = ceiling;
        self
    }

    /// The settings, checked.
    pub(crate) fn validated(self) -> Result<Self, String> {
        if !(1_000..=MAX_MAX_NUMBER).contains(&self.max_number) {
            return Err("max_number must be 1 000 ..= 10 000 000".into());
        }
        if !matches!(self.adaptive, 1 | 2 | 4 | 8 | 16) {
            return Err("the adaptive ceiling must be 1, 2, 4, 8 or 16".into());
        }
        Ok(self)
    }
}

impl PowOptions {
    fn mac(key: &[u8; 32], challenge: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .expect("HMAC-SHA256 takes keys of any length");
        mac.update(challenge.as_bytes());
        mac
    }

    fn signature(&self, challenge: &str) -> Result<String, DrawError> {
        let key = self
            .keys
            .first()
            .ok_or_else(|| DrawError("the kind was not prepared by an engine".into()))?;
        Ok(hex(&Self::mac(key, challenge).finalize().into_bytes()))
    }

    fn signature_ok(&self, challenge: &str, signature: &str) -> bool {
        let Some(sent) = unhex::<32>(signature) else {
            return false;
        };
        // Every key is tried, so the time does not tell which one matched.
        self.keys.iter().fold(false, |ok, key| {
            ok | Self::mac(key, challenge).verify_slice(&sent).is_ok()
        })
    }
}

/// The salt of challenge `id`: its sealed id, the expiry for widgets, and the delimiter.
pub(crate) fn salt(id: &str, expires_at_ms: u64) -> String {
    format!("{id}?expires={}&", expires_at_ms / 1000)
}

/// The sealed challenge id in a salt this crate made, if it is one: `<id>?expires=<n>&`
/// exactly, nothing more.
pub(crate) fn id_of_salt(salt: &str) -> Option<&str> {
    let (id, params) = salt.split_once('?')?;
    let expires = params.strip_prefix("expires=")?.strip_suffix('&')?;
    let well_formed = !id.is_empty()
        && !expires.is_empty()
        && expires.len() <= 20
        && expires.bytes().all(|b| b.is_ascii_digit());
    well_formed.then_some(id)
}

/// `hex(sha256(salt + number))`.
pub(crate) fn work(salt: &str, number: u64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(number.to_string().as_bytes());
    hex(&hasher.finalize())
}

pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let digit = |c: u8| char::from(c).to_digit(16);
        *byte = u8::try_from(digit(pair[0])? << 4 | digit(pair[1])?).ok()?;
    }
    Some(out)
}

/// The proof-of-work kind.
impl ChallengeKind for PowOptions {
    type Answer = Work;
    const KIND: Kind = Kind::POW;

    fn prepare(&mut self, setup: &KindSetup<'_>) -> Result<(), String> {
        let mut options = self.clone().validated()?;
        options.keys = setup.derive_keys("proof of work signature v1");
        *self = options;
        Ok(())
    }

    /// There is no picture; the size is never used.
    fn default_size(&self) -> Size {
        Size::AUTH_V1
    }

    /// A checked solution is spent once; wrong ones are not counted (see
    /// the policy below).
    fn max_attempts(&self) -> u32 {
        1
    }

    /// Wrong answers never reach the store (a garbage payload must not burn a real one),
    /// and there is nothing to draw.
    fn policy(&self) -> sealed::Policy {
        sealed::Policy {
            counts_wrong: false,
            draws_inline: true,
            picture: false,
        }
    }

    fn answer(&self, rng: &mut dyn RngCore, pressure: u32) -> Work {
        let factor = 1u64 << pressure.min(self.adaptive.ilog2());
        let max_number = self.max_number.saturating_mul(factor).min(MAX_MAX_NUMBER);
        Work {
            number: rng.random_range(0..=max_number),
            max_number,
        }
    }

    fn encode(answer: &Work) -> Vec<u8> {
        let mut out = answer.number.to_be_bytes().to_vec();
        out.extend_from_slice(&answer.max_number.to_be_bytes());
        out
    }

    fn decode(mut b: &[u8]) -> Option<Work> {
        let number = take_u64(&mut b)?;
        let max_number = take_u64(&mut b)?;
        end(b, Work { number, max_number })
    }

    fn draw(
        &self,
        answer: &Work,
        _size: Size,
        issued: &Issued<'_>,
        _: &mut dyn RngCore,
    ) -> Result<Puzzle, DrawError> {
        let salt = salt(issued.id, issued.expires_at);
        let challenge = work(&salt, answer.number);
        Ok(Puzzle::Work {
            algorithm: ALGORITHM,
            signature: self.signature(&challenge)?,
            challenge,
            max_number: answer.max_number,
            salt,
        })
    }

    /// All checks run whatever the outcome of the others: the algorithm, the salt (this
    /// challenge's own), the work, the signature and the number.
    fn check(&self, answer: &Work, solution: &Solution, issued: &Issued<'_>) -> bool {
        let Solution::Work {
            algorithm,
            challenge,
            number: sent,
            salt,
            signature,
        } = solution
        else {
            return false;
        };
        let (number, id) = (&answer.number, issued.id);
        let algorithm_ok = algorithm == ALGORITHM;
        let salt_ok = id_of_salt(salt) == Some(id);
        let work_ok = bool::from(work(salt, *sent).as_bytes().ct_eq(challenge.as_bytes()));
        let signature_ok = self.signature_ok(challenge, signature);
        let number_ok = bool::from(number.ct_eq(sent));
        algorithm_ok & salt_ok & work_ok & signature_ok & number_ok
    }
}

/// Longest payload read, in characters: a bound on the work a garbage one can cause.
const MAX_PAYLOAD_LEN: usize = 2048;

/// Reads the payload ALTCHA's widget submits, `base64(JSON{algorithm, challenge, number,
/// salt, signature, ...})` (unknown fields, such as `took`, are ignored), into the sealed
/// challenge id its salt names and the solution. `None` if it is not such a payload.
pub(crate) fn read_payload(payload: &str) -> Option<(String, Solution)> {
    use base64::Engine as _;
    let payload = payload.trim();
    if payload.len() > MAX_PAYLOAD_LEN {
        return None;
    }
    let json = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&json).ok()?;
    let text = |name: &str| Some(value.get(name)?.as_str()?.to_owned());
    let salt = text("salt")?;
    let id = id_of_salt(&salt)?.to_owned();
    let solution = Solution::Work {
        algorithm: text("algorithm")?,
        challenge: text("challenge")?,
        number: value.get("number")?.as_u64()?,
        salt,
        signature: text("signature")?,
    };
    Some((id, solution))
}

/// Finds the number of a challenge by trying every one from 0: what a client does, here
/// for tests, benchmarks and the attacker-cost measurement. `None` if no number up to
/// `max_number` works. Feature `test-util`.
#[cfg(any(test, feature = "test-util", all(doc, not(docsrs))))]
pub fn solve(challenge: &str, salt: &str, max_number: u64) -> Option<u64> {
    let target = unhex::<32>(challenge)?;
    let prefix = Sha256::new_with_prefix(salt.as_bytes());
    let mut digits = itoa_buf();
    (0..=max_number).find(|&n| {
        let mut hasher = prefix.clone();
        hasher.update(format_u64(n, &mut digits));
        hasher.finalize()[..] == target
    })
}

#[cfg(any(test, feature = "test-util", all(doc, not(docsrs))))]
fn itoa_buf() -> [u8; 20] {
    [0; 20]
}

/// `n` in decimal, written into `buf`.
#[cfg(any(test, feature = "test-util", all(doc, not(docsrs))))]
fn format_u64(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::tests::prepared;

    fn kind() -> PowOptions {
        prepared(PowOptions::default().with_max_number(1_000))
    }

    fn issued(id: &str) -> Issued<'_> {
        Issued::new(id, 1_700_000_300_000)
    }

    fn work_solution(
        algorithm: &str,
        challenge: &str,
        number: u64,
        salt: &str,
        signature: &str,
    ) -> Solution {
        Solution::Work {
            algorithm: algorithm.into(),
            challenge: challenge.into(),
            number,
            salt: salt.into(),
            signature: signature.into(),
        }
    }

    #[test]
    fn the_work_is_altchas_sha256_of_salt_and_number() {
        // sha256("abc123") computed independently (coreutils: printf abc123 | sha256sum).
        assert_eq!(
            work("abc", 123),
            "6ca13d52ca70c883e0f0bb101e425a89e8624de51db2d2392593af6a84118090"
        );
        let mut buf = itoa_buf();
        for n in [0, 9, 10, 12345, u64::MAX] {
            assert_eq!(format_u64(n, &mut buf), n.to_string().as_bytes());
        }
    }

    #[test]
    fn a_solved_challenge_checks_and_everything_else_does_not() {
        let kind = kind();
        let mut rng = rand::rng();
        let answer = kind.answer(&mut rng, 0);
        let Work {
            number: n,
            max_number,
        } = answer;
        assert_eq!(max_number, 1_000);
        let id = "sealed-id";
        let puzzle = kind
            .draw(&answer, Size::AUTH_V1, &issued(id), &mut rng)
            .unwrap();
        let Puzzle::Work {
            challenge: ch,
            salt,
            signature: sig,
            ..
        } = &puzzle
        else {
            panic!("not a work puzzle")
        };
        assert_eq!(salt, "sealed-id?expires=1700000300&");
        assert_eq!(solve(ch, salt, max_number), Some(n));
        let check = |s: Solution| kind.check(&answer, &s, &issued(id));
        assert!(check(work_solution(ALGORITHM, ch, n, salt, sig)));
        assert!(!kind.check(
            &answer,
            &work_solution(ALGORITHM, ch, n, salt, sig),
            &issued("other-id")
        ));

        assert!(!check(work_solution("SHA-512", ch, n, salt, sig)));
        assert!(!check(work_solution(ALGORITHM, ch, n + 1, salt, sig)));
        assert!(!check(work_solution(
            ALGORITHM,
            &ch.to_uppercase(),
            n,
            salt,
            sig
        )));
        assert!(!check(work_solution(
            ALGORITHM,
            ch,
            n,
            salt,
            &format!("00{}", &sig[2..])
        )));
        assert!(!check(work_solution(
            ALGORITHM,
            ch,
            n,
            salt,
            &format!("{sig}0")
        )));
        // Splicing: a digit of the number moved into the salt's parameters, or no delimiter.
        let spliced_salt = format!("{salt}{}", n / 10);
        assert!(!check(work_solution(
            ALGORITHM,
            ch,
            n % 10,
            &spliced_salt,
            sig
        )));
        assert!(!check(work_solution(
            ALGORITHM,
            ch,
            n,
            &salt.replace('&', ""),
            sig
        )));
        // Another key's signature; during a rotation the old key is still accepted.
        let good = work_solution(ALGORITHM, ch, n, salt, sig);
        let with_keys = |secrets: Vec<&[u8]>| {
            let mut k = PowOptions::default().with_max_number(1_000);
            k.prepare(&KindSetup::new(secrets)).unwrap();
            k
        };
        let other = with_keys(vec![&[8; 32]]);
        assert!(!other.check(&answer, &good, &issued(id)));
        let rotated = with_keys(vec![&[8; 32], &[7; 32]]);
        assert!(rotated.check(&answer, &good, &issued(id)));
    }

    #[test]
    fn payloads_are_read_as_the_widget_writes_them() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let json = r#"{"algorithm":"SHA-256","challenge":"ab","number":42,"salt":"id1?expires=9&","signature":"cd","took":311}"#;
        let (id, solution) = read_payload(&b64(json)).unwrap();
        assert_eq!(id, "id1");
        assert_eq!(
            solution,
            work_solution(ALGORITHM, "ab", 42, "id1?expires=9&", "cd")
        );
        for bad in [
            String::new(),
            "not base64!".into(),
            b64("[]"),
            b64(
                r#"{"algorithm":"SHA-256","challenge":"ab","number":-1,"salt":"id1?expires=9&","signature":"cd"}"#,
            ),
            b64(
                r#"{"algorithm":"SHA-256","challenge":"ab","number":4.5,"salt":"id1?expires=9&","signature":"cd"}"#,
            ),
            b64(
                r#"{"algorithm":"SHA-256","challenge":"ab","number":"42","salt":"id1?expires=9&","signature":"cd"}"#,
            ),
            b64(
                r#"{"algorithm":"SHA-256","challenge":"ab","number":42,"salt":"foreign-salt","signature":"cd"}"#,
            ),
            b64(r#"{"challenge":"ab","number":42,"salt":"id1?expires=9&","signature":"cd"}"#),
            "A".repeat(5000),
        ] {
            assert_eq!(read_payload(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn salts_are_read_strictly() {
        assert_eq!(id_of_salt("abc?expires=17&"), Some("abc"));
        for bad in [
            "abc",
            "abc?expires=17",
            "abc?expires=17&1",
            "abc?expires=&",
            "?expires=17&",
            "abc?expires=1x&",
            "abc?other=1&expires=17&",
        ] {
            assert_eq!(id_of_salt(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn difficulty_rises_with_pressure_up_to_the_ceiling() {
        let kind = prepared(
            PowOptions::default()
                .with_max_number(1_000)
                .with_adaptive(8),
        );
        let max_of = |pressure| kind.answer(&mut rand::rng(), pressure).max_number;
        assert_eq!(max_of(0), 1_000);
        assert_eq!(max_of(1), 2_000);
        assert_eq!(max_of(3), 8_000);
        assert_eq!(max_of(4), 8_000, "capped at the ceiling");
        let steep = prepared(
            PowOptions::default()
                .with_max_number(5_000_000)
                .with_adaptive(16),
        );
        assert_eq!(
            steep.answer(&mut rand::rng(), 4).max_number,
            10_000_000,
            "never above the largest maxnumber"
        );
        let fixed = prepared(PowOptions::default());
        assert_eq!(fixed.answer(&mut rand::rng(), 5).max_number, 100_000);
    }

    #[test]
    fn options_are_checked() {
        assert!(
            PowOptions::default()
                .with_max_number(999)
                .validated()
                .is_err()
        );
        assert!(
            PowOptions::default()
                .with_max_number(10_000_001)
                .validated()
                .is_err()
        );
        assert!(PowOptions::default().with_adaptive(0).validated().is_err());
        assert!(PowOptions::default().with_adaptive(3).validated().is_err());
        assert!(PowOptions::default().with_adaptive(32).validated().is_err());
        assert!(PowOptions::default().with_adaptive(16).validated().is_ok());
    }
}
