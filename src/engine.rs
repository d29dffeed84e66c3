//! The engine: issue a challenge, verify a response, redeem a pass token. No HTTP here.

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::clock::{Clock, millis};
use crate::config::{CaptchaBuilder, default_store};
use crate::id::Id;
use crate::kind::Kind;
use crate::kind::text::TextOptions;
use crate::rate_limit::{Action, Limiter};
use crate::render::{pool::RenderPool, text::TextRenderer};
use crate::store::{ChallengeRecord, Store, StoreError, VerifyOutcome};
use crate::token::{PassClaims, Signer};

/// The captcha engine: a cheap-clone handle (an `Arc` inside).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_captcha::{Captcha, Kind};
///
/// let captcha = Captcha::builder().secret([7u8; 32].to_vec()).build()?;
/// let challenge = captcha.issue(Kind::Text, Some("login"), None).await?;
/// assert!(challenge.png.starts_with(b"\x89PNG"));
/// // The person types what the picture shows; a wrong answer keeps the challenge alive.
/// let err = captcha.verify(&challenge.id, "nope", None).await.unwrap_err();
/// assert!(matches!(err, tower_captcha::VerifyError::Wrong { attempts_left: 4 }));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Captcha {
    inner: Arc<Inner>,
}

struct Inner {
    challenge_ttl: Duration,
    pass_ttl: Duration,
    max_attempts: u32,
    text: TextOptions,
    renderer: TextRenderer,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    signer: Signer,
    seeded: Option<Mutex<StdRng>>,
    limiter: Limiter,
    /// Where pictures are drawn.
    pool: RenderPool,
}

/// A challenge to show a person.
#[derive(Clone)]
pub struct Challenge {
    /// The id the client sends back with its answer.
    pub id: String,
    /// The kind of challenge.
    pub kind: Kind,
    /// The picture, PNG-encoded.
    pub png: Vec<u8>,
    /// How long it can be answered.
    pub expires_in: Duration,
}

/// A pass: what a successful verify hands back.
#[derive(Clone)]
pub struct Pass {
    /// The signed pass token, sent by the client as `x-captcha-token`.
    pub token: String,
    /// How long it is valid.
    pub expires_in: Duration,
}

/// Why issuing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The client is over its issue rate limit.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited {
        /// When a new request may succeed.
        retry_after: Duration,
    },
    /// The scope is not 1–32 characters of `A-Z a-z 0-9 _ - .`.
    #[error("invalid scope")]
    InvalidScope,
    /// The store refused or failed.
    #[error("store: {0}")]
    Busy(#[source] StoreError),
}

/// Why verifying failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Wrong answer; the challenge stays valid while `attempts_left > 0`.
    #[error("wrong answer ({attempts_left} attempts left)")]
    Wrong {
        /// Attempts left; at 0 the challenge is spent.
        attempts_left: u32,
    },
    /// Unknown or expired challenge.
    #[error("challenge unknown or expired")]
    Expired,
    /// Already solved, or spent by too many wrong attempts.
    #[error("challenge already used")]
    Used,
    /// The client is over its verify rate limit.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited {
        /// When a new request may succeed.
        retry_after: Duration,
    },
    /// The store refused or failed, or the token could not be signed.
    #[error("server busy: {0}")]
    Busy(#[source] StoreError),
}

/// Why a pass token was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedeemError {
    /// No token was given.
    #[error("captcha token missing")]
    Missing,
    /// Not a token we signed: malformed, wrong algorithm, unknown key, tampered.
    #[error("invalid captcha token")]
    Invalid,
    /// The token's `exp` has passed.
    #[error("captcha token expired")]
    Expired,
    /// The token was already redeemed.
    #[error("captcha token already used")]
    Used,
    /// The token was minted for another scope.
    #[error("captcha token minted for another scope")]
    ScopeMismatch,
    /// The store could not be asked (fail closed).
    #[error("server busy: {0}")]
    Busy(#[source] StoreError),
}

impl Captcha {
    /// Starts a builder with the defaults.
    pub fn builder() -> CaptchaBuilder {
        CaptchaBuilder::default()
    }

    pub(crate) fn from_builder(b: CaptchaBuilder, text: TextOptions) -> Self {
        let seeded = b.seed.map(|s| Mutex::new(StdRng::seed_from_u64(s)));
        let (kid, secret) = b.key.clone().unwrap_or_else(|| {
            tracing::warn!(
                "tower-captcha: no signing secret configured; using a random per-process key. \
                 Pass tokens will not be accepted by other instances or after a restart: \
                 set a shared secret when running more than one instance."
            );
            let mut key = vec![0u8; 32];
            rand::rng().fill_bytes(&mut key);
            (None, key)
        });
        Self {
            inner: Arc::new(Inner {
                challenge_ttl: b.challenge_ttl,
                pass_ttl: b.pass_ttl,
                max_attempts: b.max_attempts,
                renderer: TextRenderer::new(&text),
                text,
                store: b.store.clone().unwrap_or_else(default_store),
                clock: b.clock.clone(),
                signer: Signer::new(kid, &secret, &b.accepted_keys),
                seeded,
                limiter: Limiter::new(b.issue_limit, b.verify_limit, b.max_clients),
                pool: RenderPool::new(),
            }),
        }
    }

    /// Runs `f` with the engine's random generator: the thread's CSPRNG, or the seeded one
    /// in tests.
    fn with_rng<T>(&self, f: impl FnOnce(&mut dyn RngCore) -> T) -> T {
        match &self.inner.seeded {
            Some(rng) => {
                let mut guard = rng
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                f(&mut *guard)
            }
            None => f(&mut rand::rng()),
        }
    }

    fn now(&self) -> u64 {
        self.inner.clock.now_millis()
    }

    /// How long a challenge can be answered.
    pub fn challenge_ttl(&self) -> Duration {
        self.inner.challenge_ttl
    }

    /// How long a pass token is valid.
    pub fn pass_ttl(&self) -> Duration {
        self.inner.pass_ttl
    }

    /// Draws `text` in the engine's text style and encodes it as PNG, without issuing a
    /// challenge: for previews and benchmarks. Characters outside the alphabet are skipped.
    pub fn render_text_png(&self, text: &str) -> Vec<u8> {
        self.with_rng(|rng| self.inner.renderer.render(text, rng))
            .encode_png()
    }

    /// Draws on the drawing pool (low-priority threads, see `render::pool`), so that a
    /// flood of issues never stalls other requests.
    async fn draw_on_pool(&self, answer: String) -> Result<Vec<u8>, IssueError> {
        let this = self.clone();
        self.inner
            .pool
            .run(move || this.render_text_png(&answer))
            .await
            .ok_or_else(render_failed)
    }

    /// Issues a challenge of `kind`, optionally bound to `scope`, for `client` (the address
    /// rate limits count against; `None` is not limited).
    pub async fn issue(
        &self,
        kind: Kind,
        scope: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Challenge, IssueError> {
        let now = self.now();
        self.inner
            .limiter
            .check(Action::Issue, client, now)
            .map_err(|retry_after| IssueError::RateLimited { retry_after })?;
        if scope.is_some_and(|s| !valid_scope(s)) {
            return Err(IssueError::InvalidScope);
        }
        let Kind::Text = kind;
        let (id, answer) =
            self.with_rng(|rng| (Id::random(rng), self.inner.text.random_answer(rng)));
        let record = ChallengeRecord {
            kind,
            answer: answer.as_bytes().into(),
            scope: scope.map(Into::into),
        };
        let expires_at = now.saturating_add(millis(self.inner.challenge_ttl));
        // Store first: a full store answers "busy" before any drawing is done.
        self.inner
            .store
            .insert(id, record, expires_at, now)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "captcha issue refused by store");
                IssueError::Busy(e)
            })?;
        let png = self.draw_on_pool(answer).await?;
        tracing::debug!(
            kind = kind.as_str(),
            scoped = scope.is_some(),
            "captcha issued"
        );
        Ok(Challenge {
            id: id.to_string(),
            kind,
            png,
            expires_in: self.inner.challenge_ttl,
        })
    }

    /// Checks `response` against challenge `id` in one atomic store step. A right answer
    /// spends the challenge and returns a pass; a wrong one counts an attempt.
    pub async fn verify(
        &self,
        id: &str,
        response: &str,
        client: Option<IpAddr>,
    ) -> Result<Pass, VerifyError> {
        let now = self.now();
        self.inner
            .limiter
            .check(Action::Verify, client, now)
            .map_err(|retry_after| {
                tracing::info!(outcome = "rate_limited", "captcha verify");
                VerifyError::RateLimited { retry_after }
            })?;
        let Some(id) = Id::parse(id) else {
            tracing::info!(outcome = "unknown", "captcha verify");
            return Err(VerifyError::Expired);
        };
        let check = |record: &ChallengeRecord| record.kind.check(&record.answer, response);
        let outcome = self
            .inner
            .store
            .verify(id, &check, self.inner.max_attempts, now)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "captcha verify: store failed");
                VerifyError::Busy(e)
            })?;
        match outcome {
            VerifyOutcome::Passed(record) => {
                tracing::info!(
                    outcome = "passed",
                    kind = record.kind.as_str(),
                    "captcha verify"
                );
                self.mint(record, now)
            }
            VerifyOutcome::Failed { attempts_left } => {
                tracing::info!(outcome = "wrong", attempts_left, "captcha verify");
                Err(VerifyError::Wrong { attempts_left })
            }
            VerifyOutcome::Spent => {
                tracing::info!(outcome = "used", "captcha verify");
                Err(VerifyError::Used)
            }
            VerifyOutcome::Unknown => {
                tracing::info!(outcome = "expired", "captcha verify");
                Err(VerifyError::Expired)
            }
        }
    }

    fn mint(&self, record: ChallengeRecord, now: u64) -> Result<Pass, VerifyError> {
        let iat = now / 1000;
        let claims = PassClaims {
            jti: self.with_rng(|rng| Id::random(rng)).to_string(),
            iat,
            exp: iat + self.inner.pass_ttl.as_secs(),
            kind: record.kind,
            scope: record.scope.map(String::from),
        };
        let token = self.inner.signer.sign(&claims).map_err(|e| {
            tracing::error!(error = %e, "captcha pass token could not be signed");
            VerifyError::Busy(StoreError::Unavailable(Box::new(e)))
        })?;
        Ok(Pass {
            token,
            expires_in: self.inner.pass_ttl,
        })
    }

    /// Redeems pass `token` once: checks signature, expiry and (when `scope` is given) that
    /// it was minted for `scope`, then spends its id. A token of another scope is refused
    /// without being spent.
    pub async fn redeem(
        &self,
        token: &str,
        scope: Option<&str>,
    ) -> Result<PassClaims, RedeemError> {
        let result = self.redeem_inner(token, scope).await;
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(RedeemError::Missing) => "missing",
            Err(RedeemError::Invalid) => "invalid",
            Err(RedeemError::Expired) => "expired",
            Err(RedeemError::Used) => "used",
            Err(RedeemError::ScopeMismatch) => "scope_mismatch",
            Err(RedeemError::Busy(_)) => "busy",
        };
        tracing::debug!(outcome, "captcha redeem");
        result
    }

    async fn redeem_inner(
        &self,
        token: &str,
        scope: Option<&str>,
    ) -> Result<PassClaims, RedeemError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(RedeemError::Missing);
        }
        let now = self.now();
        let claims = self.inner.signer.check(token).ok_or(RedeemError::Invalid)?;
        let jti = Id::parse(&claims.jti).ok_or(RedeemError::Invalid)?;
        let expires_at = claims.exp.saturating_mul(1000);
        if expires_at <= now {
            return Err(RedeemError::Expired);
        }
        if scope.is_some_and(|s| claims.scope.as_deref() != Some(s)) {
            return Err(RedeemError::ScopeMismatch);
        }
        // Remember the spent id a while past `exp`, so that a clock stepped back (here or on
        // another instance) cannot make it look fresh and unspent.
        let remember_until = expires_at.saturating_add(SPENT_PASS_GRACE_MS);
        match self.inner.store.spend_pass(jti, remember_until, now).await {
            Ok(true) => Ok(claims),
            Ok(false) => Err(RedeemError::Used),
            Err(e) => {
                tracing::error!(error = %e, "captcha redeem: store failed (failing closed)");
                Err(RedeemError::Busy(e))
            }
        }
    }
}

fn render_failed() -> IssueError {
    tracing::error!("captcha picture could not be drawn");
    IssueError::Busy(StoreError::Unavailable(
        "captcha picture could not be drawn".into(),
    ))
}

/// How long after its `exp` a spent pass id is still remembered (ms).
const SPENT_PASS_GRACE_MS: u64 = 60_000;

/// A scope is 1–32 characters of `A-Z a-z 0-9 _ - .`.
pub(crate) fn valid_scope(scope: &str) -> bool {
    (1..=32).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl fmt::Debug for Captcha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captcha")
            .field("challenge_ttl", &self.inner.challenge_ttl)
            .field("pass_ttl", &self.inner.pass_ttl)
            .field("max_attempts", &self.inner.max_attempts)
            .field("text", &self.inner.text)
            .field("signer", &self.inner.signer)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Challenge")
            .field("kind", &self.kind)
            .field("png_bytes", &self.png.len())
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Pass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pass")
            .field("token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConfigError;
    use crate::test_util::block_on;

    #[test]
    fn seeded_engines_repeat_and_default_ones_do_not() {
        let make = |seed| {
            Captcha::builder()
                .secret([1u8; 32].to_vec())
                .insecure_seeded_rng(seed)
                .build()
                .unwrap()
        };
        let (a, b, c) = (make(42), make(42), make(43));
        let ca = block_on(a.issue(Kind::Text, None, None)).unwrap();
        let cb = block_on(b.issue(Kind::Text, None, None)).unwrap();
        let cc = block_on(c.issue(Kind::Text, None, None)).unwrap();
        assert_eq!((&ca.id, &ca.png), (&cb.id, &cb.png));
        assert_ne!(ca.id, cc.id);
        assert_ne!(ca.png, cc.png);
        let d = Captcha::builder()
            .secret([1u8; 32].to_vec())
            .build()
            .unwrap();
        let (d1, d2) = (
            block_on(d.issue(Kind::Text, None, None)).unwrap(),
            block_on(d.issue(Kind::Text, None, None)).unwrap(),
        );
        assert_ne!(d1.id, d2.id);
        assert_ne!(d1.png, d2.png);
    }

    #[test]
    fn pictures_are_pngs_of_the_configured_size_with_ink() {
        let captcha = Captcha::builder()
            .secret([1u8; 32].to_vec())
            .text(TextOptions::default().with_size(240, 76).with_length(6))
            .build()
            .unwrap();
        let png = captcha.render_text_png("HWM3KY");
        let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
            .unwrap()
            .to_rgb8();
        assert_eq!(img.dimensions(), (240, 76));
        // Glyphs are dark on a light background: a good share of the picture is ink.
        let dark = img
            .pixels()
            .filter(|p| p.0.iter().map(|&c| u32::from(c)).sum::<u32>() < 3 * 130)
            .count();
        let share = dark as f64 / f64::from(240 * 76);
        assert!((0.08..0.6).contains(&share), "dark share {share}");
        // Nothing to draw: a blank (light) picture, no panic.
        let blank = image::load_from_memory(&captcha.render_text_png(""))
            .unwrap()
            .to_rgb8();
        assert!(blank.pixels().all(|p| p.0.iter().all(|&c| c >= 200)));
    }

    #[test]
    fn bad_configurations_are_reported() {
        let b = || Captcha::builder().secret([1u8; 32].to_vec());
        assert_eq!(
            Captcha::builder()
                .secret(b"short".to_vec())
                .build()
                .unwrap_err(),
            ConfigError::WeakSecret(5)
        );
        assert_eq!(
            b().challenge_ttl(Duration::ZERO).build().unwrap_err(),
            ConfigError::Ttl("challenge TTL")
        );
        assert_eq!(
            b().pass_ttl(Duration::from_secs(90_000))
                .build()
                .unwrap_err(),
            ConfigError::Ttl("pass TTL")
        );
        assert_eq!(
            b().max_attempts(0).build().unwrap_err(),
            ConfigError::Attempts(0)
        );
        assert_eq!(
            b().max_tracked_clients(0).build().unwrap_err(),
            ConfigError::Capacity("max tracked clients")
        );
        assert_eq!(
            b().signing_key("k", [1u8; 32].to_vec())
                .accept_key("k", [2u8; 32].to_vec())
                .build()
                .unwrap_err(),
            ConfigError::KeyId("k".into())
        );
        assert_eq!(
            b().accept_key("old", b"short".to_vec())
                .build()
                .unwrap_err(),
            ConfigError::WeakSecret(5)
        );
        assert_eq!(
            b().text(TextOptions::default().with_length(9))
                .build()
                .unwrap_err(),
            ConfigError::TextLength(9)
        );
        let no_glyphs = ab_glyph::FontArc::try_from_slice(crate::kind::text::BUNDLED_FONT).unwrap();
        assert_eq!(
            b().text(
                TextOptions::default()
                    .with_alphabet("ABCDEFGHJKÉ")
                    .with_fonts(vec![no_glyphs])
            )
            .build()
            .unwrap_err(),
            ConfigError::Alphabet
        );
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let secret = "a very secret signing key of 32+ bytes";
        let captcha = Captcha::builder()
            .secret(secret)
            .insecure_seeded_rng(1)
            .build()
            .unwrap();
        let challenge = block_on(captcha.issue(Kind::Text, None, None)).unwrap();
        let err = block_on(captcha.verify(&challenge.id, "WRONG", None)).unwrap_err();
        let debug = format!(
            "{captcha:?} {challenge:?} {err:?} {:?}",
            Captcha::builder().secret(secret)
        );
        assert!(!debug.contains("secret signing"), "{debug}");
        assert!(!debug.contains(&challenge.id), "{debug}");
        let pass = Pass {
            token: "eyJ.secret.token".into(),
            expires_in: Duration::from_secs(1),
        };
        assert!(!format!("{pass:?}").contains("secret"));
    }

    #[test]
    fn scopes_are_validated() {
        assert!(valid_scope("login"));
        assert!(valid_scope("password_reset.v2-x"));
        for bad in ["", "a b", "é", "a/b", &"x".repeat(33)] {
            assert!(!valid_scope(bad), "{bad:?}");
        }
    }
}
