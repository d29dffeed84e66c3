//! The key-derivation proof of work: ALTCHA's PoW v2 format, with `PBKDF2/SHA-256` (the
//! default) or the memory-hard `ARGON2ID` ([`PowKdfOptions::argon2id`]), which ALTCHA's
//! current widget (major version 3) solves (Argon2id with its `argon2id` worker, which the
//! page registers). Opt-in: `CaptchaBuilder::kind(PowKdfOptions::default())`, served to
//! ALTCHA's widget by `Altcha::new().kind(PowKdfOptions::KIND)`. This crate's own widget
//! speaks the SHA-256 format only.
//!
//! The client is handed signed parameters (`algorithm`, `cost`, `keyLength`, `keyPrefix`,
//! `nonce`, `salt`, `expiresAt`, `data.id` (the sealed challenge), and for Argon2id
//! `memoryCost` and `parallelism`) and finds the counter whose derived key of
//! `nonce ‖ counter as u32 big-endian` and `salt` starts with `keyPrefix`. The server picks the counter (the sealed answer, uniform in
//! `0..=max_counter`) and gives the first 16 bytes of its key as the prefix, so exactly that
//! counter solves it: a client derives about `max_counter / 2` keys of `cost` iterations
//! each, while the server derives one key when it issues and none when it verifies (the
//! counter is compared with the sealed one, the prefix read from the signed parameters).
//!
//! PBKDF2 is not memory-hard: a GPU derives its keys far faster than a CPU. Argon2id is:
//! each key needs `memoryCost` KiB, which bounds a GPU by its memory bandwidth; the server
//! pays the same memory for the one key it derives per issue. Scrypt is not spoken here
//! (ALTCHA's widget ships no worker for it).

use std::fmt;

use hmac::{Hmac, Mac};
use rand::{Rng as _, RngCore};
use serde_json::{Value, json};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::bytes::{end, take};
use super::pow::unhex;
use super::{ChallengeKind, DrawError, Issued, Kind, KindSetup, Puzzle, Size, Solution, sealed};
use crate::keys::{hex, hmac_sha256};

/// A key-derivation function of ALTCHA's PoW v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfAlgorithm {
    /// `PBKDF2/SHA-256`: `cost` iterations of HMAC-SHA256.
    Pbkdf2Sha256,
    /// `ARGON2ID`: `cost` passes over `memory_kib` KiB, `parallelism` lanes.
    Argon2id {
        /// Memory per key, in KiB.
        memory_kib: u32,
        /// Lanes.
        parallelism: u32,
    },
}

impl KdfAlgorithm {
    /// The name in the parameters.
    pub fn name(self) -> &'static str {
        match self {
            KdfAlgorithm::Pbkdf2Sha256 => "PBKDF2/SHA-256",
            KdfAlgorithm::Argon2id { .. } => "ARGON2ID",
        }
    }
}
/// Bytes of a derived key.
const KEY_LENGTH: usize = 32;
/// Bytes of the key a client must match: enough that only the sealed counter does.
const PREFIX_LENGTH: usize = 16;

/// Settings of the key-derivation proof of work.
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct PowKdfOptions {
    algorithm: KdfAlgorithm,
    cost: u32,
    max_counter: u32,
    /// HMAC keys, set by `prepare`: the current one first.
    keys: Vec<[u8; 32]>,
}

impl Default for PowKdfOptions {
    /// 2 000 PBKDF2 iterations per key, a counter up to 1 000 (about 500 keys on average:
    /// about 160 ms on one native core, and as fast in a browser, whose WebCrypto derives
    /// keys natively).
    fn default() -> Self {
        Self {
            algorithm: KdfAlgorithm::Pbkdf2Sha256,
            cost: 2_000,
            max_counter: 1_000,
            keys: Vec::new(),
        }
    }
}

impl fmt::Debug for PowKdfOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PowKdfOptions")
            .field("algorithm", &self.algorithm)
            .field("cost", &self.cost)
            .field("max_counter", &self.max_counter)
            .finish_non_exhaustive()
    }
}

impl PowKdfOptions {
    /// Argon2id, memory-hard: 1 pass over 4 MiB per key, one lane, a counter up to 100
    /// (about 50 keys on average). The server derives one such key per issue.
    pub fn argon2id() -> Self {
        Self {
            algorithm: KdfAlgorithm::Argon2id {
                memory_kib: 4_096,
                parallelism: 1,
            },
            cost: 1,
            max_counter: 100,
            keys: Vec::new(),
        }
    }

    /// The key-derivation function (`with_cost` is its iterations or passes).
    pub fn with_algorithm(mut self, algorithm: KdfAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// PBKDF2 iterations per key, 100 to 100 000 (default 2 000), or Argon2id passes, 1 to
    /// 10: the server derives one key of this cost per issue.
    pub fn with_cost(mut self, iterations: u32) -> Self {
        self.cost = iterations;
        self
    }

    /// The largest counter (10 to 100 000; default 1 000): a client derives about half as many
    /// keys on average.
    pub fn with_max_counter(mut self, max_counter: u32) -> Self {
        self.max_counter = max_counter;
        self
    }

    fn signature(&self, key: &[u8; 32], parameters: &Value) -> [u8; 32] {
        hmac_sha256(key, &[canonical(parameters).as_bytes()])
    }
}

/// The key-derivation proof of work.
impl ChallengeKind for PowKdfOptions {
    /// The counter that solves it.
    type Answer = u32;
    const KIND: Kind = Kind::new("pow_kdf");

    fn prepare(&mut self, setup: &KindSetup<'_>) -> Result<(), String> {
        match self.algorithm {
            KdfAlgorithm::Pbkdf2Sha256 if !(100..=100_000).contains(&self.cost) => {
                return Err(format!(
                    "PBKDF2 cost must be 100 to 100 000, got {}",
                    self.cost
                ));
            }
            KdfAlgorithm::Argon2id {
                memory_kib,
                parallelism,
            } if !(1..=10).contains(&self.cost)
                || !(1_024..=65_536).contains(&memory_kib)
                || !(1..=4).contains(&parallelism) =>
            {
                return Err(
                    "Argon2id needs 1 to 10 passes, 1 024 to 65 536 KiB and 1 to 4 lanes".into(),
                );
            }
            _ => {}
        }
        if !(10..=100_000).contains(&self.max_counter) {
            return Err(format!(
                "max_counter must be 10 to 100 000, got {}",
                self.max_counter
            ));
        }
        self.keys = setup.derive_keys("proof of work kdf signature v1");
        Ok(())
    }

    /// There is no picture; the size is never used.
    fn default_size(&self) -> Size {
        Size::AUTH_V1
    }

    fn max_attempts(&self) -> u32 {
        1
    }

    /// As the SHA-256 proof of work, wrong payloads never reach the store; the one key
    /// derived per issue (about 0.3 ms at the default cost) is derived on the drawing pool.
    fn policy(&self) -> sealed::Policy {
        sealed::Policy {
            counts_wrong: false,
            draws_inline: false,
            picture: false,
        }
    }

    fn answer(&self, rng: &mut dyn RngCore, _pressure: u32) -> u32 {
        rng.random_range(0..=self.max_counter)
    }

    fn encode(answer: &u32) -> Vec<u8> {
        answer.to_be_bytes().to_vec()
    }

    fn decode(mut b: &[u8]) -> Option<u32> {
        let n = u32::from_be_bytes(take(&mut b, 4)?.try_into().ok()?);
        end(b, n)
    }

    fn draw(
        &self,
        counter: &u32,
        _size: Size,
        issued: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<Puzzle, DrawError> {
        let key = self
            .keys
            .first()
            .ok_or_else(|| DrawError("not prepared".into()))?;
        let (mut nonce, mut salt) = ([0u8; 16], [0u8; 16]);
        rng.fill_bytes(&mut nonce);
        rng.fill_bytes(&mut salt);
        let mut parameters = json!({
            "algorithm": self.algorithm.name(),
            "cost": self.cost,
            "data": {"id": issued.id},
            "expiresAt": issued.expires_at / 1000,
            "keyLength": KEY_LENGTH,
            "nonce": hex(&nonce),
            "salt": hex(&salt),
        });
        if let KdfAlgorithm::Argon2id {
            memory_kib,
            parallelism,
        } = self.algorithm
        {
            parameters["memoryCost"] = json!(memory_kib);
            parameters["parallelism"] = json!(parallelism);
        }
        let derived = derive(&parameters, &password(&nonce, *counter), &salt)
            .ok_or_else(|| DrawError("the key could not be derived".into()))?;
        parameters["keyPrefix"] = json!(hex(&derived[..PREFIX_LENGTH]));
        // The whole key, signed: what the client must send back, which it cannot know without
        // deriving it (the prefix is public).
        parameters["keySignature"] = json!(hex(&key_signature(key, &derived)));
        let signature = hex(&self.signature(key, &parameters));
        Ok(Puzzle::KeyWork {
            parameters,
            signature,
        })
    }

    /// The parameters are ours (their signature, under any accepted key), this challenge's
    /// (`data.id`), and the counter is the sealed one; the derived key the client sends
    /// starts with the prefix. All are checked whatever the outcome of the others.
    fn check(&self, counter: &u32, solution: &Solution, issued: &Issued<'_>) -> bool {
        let Solution::KeyWork {
            parameters,
            signature,
            counter: sent,
            derived_key,
        } = solution
        else {
            return false;
        };
        let signature_ok = unhex::<32>(signature).is_some_and(|sent| {
            self.keys.iter().fold(false, |ok, key| {
                ok | bool::from(self.signature(key, parameters).ct_eq(&sent))
            })
        });
        let id_ok = parameters["data"]["id"].as_str() == Some(issued.id);
        let algorithm_ok = parameters["algorithm"].as_str() == Some(self.algorithm.name());
        // The whole derived key, against its signature in the (signed) parameters: the prefix
        // alone is public, the rest is known only to who derived it.
        let sent_key = unhex::<KEY_LENGTH>(derived_key);
        let signed_key = parameters["keySignature"].as_str().and_then(unhex::<32>);
        let key_ok = match (sent_key, signed_key) {
            (Some(sent_key), Some(expected)) => self.keys.iter().fold(false, |ok, key| {
                ok | bool::from(key_signature(key, &sent_key).ct_eq(&expected))
            }),
            _ => false,
        };
        let counter_ok = bool::from(counter.ct_eq(sent));
        signature_ok & id_ok & algorithm_ok & key_ok & counter_ok
    }
}

/// HMAC-SHA256 of a derived key under the kind's key (for key purposes apart from the
/// parameters' signature).
fn key_signature(key: &[u8; 32], derived: &[u8]) -> [u8; 32] {
    hmac_sha256(key, &[b"derived key\0", derived])
}

/// `nonce ‖ counter` (big-endian `u32`): the password ALTCHA's solvers derive from.
fn password(nonce: &[u8], counter: u32) -> Vec<u8> {
    let mut out = nonce.to_vec();
    out.extend_from_slice(&counter.to_be_bytes());
    out
}

/// The 32-byte key of `password` and `salt` by the function and costs `parameters` name;
/// `None` for one this crate does not speak or costs out of range.
fn derive(parameters: &Value, password: &[u8], salt: &[u8]) -> Option<[u8; 32]> {
    let cost = u32::try_from(parameters["cost"].as_u64()?).ok()?;
    match parameters["algorithm"].as_str()? {
        "PBKDF2/SHA-256" => Some(pbkdf2_sha256(password, salt, cost)),
        "ARGON2ID" => {
            let memory = u32::try_from(parameters["memoryCost"].as_u64()?).ok()?;
            let lanes = u32::try_from(parameters["parallelism"].as_u64().unwrap_or(1)).ok()?;
            let params = argon2::Params::new(memory, cost, lanes, Some(KEY_LENGTH)).ok()?;
            let argon2 =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let mut out = [0u8; 32];
            argon2.hash_password_into(password, salt, &mut out).ok()?;
            Some(out)
        }
        _ => None,
    }
}

/// PBKDF2-HMAC-SHA256 with one 32-byte block (RFC 8018).
pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let keyed = <Hmac<Sha256> as Mac>::new_from_slice(password)
        .expect("HMAC-SHA256 takes keys of any length");
    let mut mac = keyed.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = mac.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut mac = keyed.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        for (o, b) in out.iter_mut().zip(u) {
            *o ^= b;
        }
    }
    out
}

/// The JSON ALTCHA signs: object keys sorted at every level, no white space.
fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// Longest payload read, in characters.
const MAX_PAYLOAD_LEN: usize = 4096;

/// Reads the payload ALTCHA's widget submits for this format, `base64(JSON{challenge:
/// {parameters, signature}, solution: {counter, derivedKey, ...}})`, into the sealed
/// challenge id its parameters name and the solution. `None` if it is not such a payload.
pub(crate) fn read_payload(payload: &str) -> Option<(String, Solution)> {
    use base64::Engine as _;
    let payload = payload.trim();
    if payload.len() > MAX_PAYLOAD_LEN {
        return None;
    }
    let json = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()?;
    let value: Value = serde_json::from_slice(&json).ok()?;
    let parameters = value["challenge"]["parameters"].clone();
    let id = parameters["data"]["id"].as_str()?.to_owned();
    let solution = Solution::KeyWork {
        signature: value["challenge"]["signature"].as_str()?.to_owned(),
        counter: u32::try_from(value["solution"]["counter"].as_u64()?).ok()?,
        derived_key: value["solution"]["derivedKey"].as_str()?.to_owned(),
        parameters,
    };
    Some((id, solution))
}

/// Finds the counter of a challenge's `parameters` by trying every one from 0, as ALTCHA's
/// solvers do; the payload ALTCHA's widget would submit. For tests and the attacker-cost
/// measurement. Feature `test-util`.
#[cfg(any(test, feature = "test-util", all(doc, not(docsrs))))]
pub fn solve(parameters: &Value, signature: &str, max_counter: u32) -> Option<String> {
    use base64::Engine as _;
    let nonce = unhex::<16>(parameters["nonce"].as_str()?)?;
    let salt = unhex::<16>(parameters["salt"].as_str()?)?;
    let prefix = unhex::<PREFIX_LENGTH>(parameters["keyPrefix"].as_str()?)?;
    let (counter, key) = (0..=max_counter).find_map(|n| {
        let key = derive(parameters, &password(&nonce, n), &salt)?;
        key.starts_with(&prefix).then_some((n, key))
    })?;
    let payload = json!({
        "challenge": {"parameters": parameters, "signature": signature},
        "solution": {"counter": counter, "derivedKey": hex(&key), "time": 1},
    });
    Some(base64::engine::general_purpose::STANDARD.encode(payload.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::tests::prepared;
    use rand::SeedableRng;

    #[test]
    fn pbkdf2_matches_the_published_vectors() {
        // The widely published PBKDF2-HMAC-SHA256 vectors for "password" / "salt".
        let hexed = |i| hex(&pbkdf2_sha256(b"password", b"salt", i));
        assert_eq!(
            hexed(1),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
        assert_eq!(
            hexed(2),
            "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"
        );
        assert_eq!(
            hexed(4096),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"
        );
    }

    #[test]
    fn argon2id_matches_the_rfc_9106_shape_and_solves() {
        // RFC 9106's Argon2id vector needs a secret and associated data, which ALTCHA does not
        // use; here: the crate's result is stable and the kind's own round trip works.
        let kind = prepared(PowKdfOptions::argon2id().with_max_counter(10));
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let counter = kind.answer(&mut rng, 0);
        let issued = Issued::new("sealed-id", 1_800_000_300_000);
        let Puzzle::KeyWork {
            parameters,
            signature,
        } = kind
            .draw(&counter, Size::AUTH_V1, &issued, &mut rng)
            .unwrap()
        else {
            panic!("a key-derivation puzzle")
        };
        assert_eq!(parameters["algorithm"], "ARGON2ID");
        assert_eq!(parameters["memoryCost"], 4096);
        let payload = solve(&parameters, &signature, 10).expect("solvable");
        let (_, solution) = read_payload(&payload).unwrap();
        assert!(kind.check(&counter, &solution, &issued));
        // A PBKDF2 engine refuses an Argon2id payload, and the reverse.
        let pbkdf2 = prepared(PowKdfOptions::default());
        assert!(!pbkdf2.check(&counter, &solution, &issued));
        assert!(
            PowKdfOptions::argon2id()
                .with_cost(0)
                .prepare(&KindSetup::new(vec![]))
                .is_err()
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = json!({"z": 1, "a": {"y": true, "b": [{"d": 1, "c": 2}]}});
        assert_eq!(
            canonical(&v),
            r#"{"a":{"b":[{"c":2,"d":1}],"y":true},"z":1}"#
        );
    }

    #[test]
    fn a_solved_challenge_checks_and_everything_else_does_not() {
        let kind = prepared(PowKdfOptions::default().with_cost(100).with_max_counter(20));
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let counter = kind.answer(&mut rng, 0);
        let issued = Issued::new("sealed-id", 1_800_000_300_000);
        let Puzzle::KeyWork {
            parameters,
            signature,
        } = kind
            .draw(&counter, Size::AUTH_V1, &issued, &mut rng)
            .unwrap()
        else {
            panic!("a key-derivation puzzle")
        };
        assert_eq!(parameters["data"]["id"], "sealed-id");
        assert_eq!(parameters["expiresAt"], 1_800_000_300);
        let payload = solve(&parameters, &signature, 20).expect("solvable");
        let (id, solution) = read_payload(&payload).unwrap();
        assert_eq!(id, "sealed-id");
        assert!(kind.check(&counter, &solution, &issued));
        assert!(!kind.check(&counter, &solution, &Issued::new("other-id", 0)));
        assert!(
            !kind.check(&(counter + 1), &solution, &issued),
            "another counter"
        );
        let Solution::KeyWork {
            parameters,
            signature,
            counter: sent,
            derived_key,
        } = solution
        else {
            unreachable!()
        };
        let with = |parameters: Value, signature: &str, derived_key: &str| Solution::KeyWork {
            parameters,
            signature: signature.into(),
            counter: sent,
            derived_key: derived_key.into(),
        };
        let mut cheaper = parameters.clone();
        cheaper["cost"] = json!(1);
        assert!(!kind.check(&counter, &with(cheaper, &signature, &derived_key), &issued));
        let zeros = "0".repeat(64);
        assert!(!kind.check(
            &counter,
            &with(parameters.clone(), &signature, &zeros),
            &issued
        ));
        // The public prefix and anything after it: refused (no work was done).
        let guessed = format!(
            "{}{}",
            parameters["keyPrefix"].as_str().unwrap(),
            "0".repeat(32)
        );
        assert!(!kind.check(
            &counter,
            &with(parameters.clone(), &signature, &guessed),
            &issued
        ));
        assert!(!kind.check(
            &counter,
            &with(parameters.clone(), &zeros, &derived_key),
            &issued
        ));
        let other = {
            let mut k = PowKdfOptions::default().with_cost(100);
            k.prepare(&KindSetup::new(vec![&[8u8; 32][..]])).unwrap();
            k
        };
        let good = with(parameters, &signature, &derived_key);
        assert!(!other.check(&counter, &good, &issued), "another app's key");
        for bad in ["", "not base64!", "e30="] {
            assert!(read_payload(bad).is_none(), "{bad:?}");
        }
    }
}
