//! Building a [`Captcha`]: every setting, its default, and the errors a bad one gives.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Captcha, Inner, Randomness};
use crate::clock::{Clock, SystemClock};
use crate::error::{ConfigError, MIN_SECRET_LEN};
use crate::keys::derive_key;
use crate::kind::{ChallengeKind, DynKind, Kind, KindSetup, Registration, built_ins};
use crate::pass::jwt::Signer;
use crate::rate_limit::{Limiter, Limits, Lockout, RateLimit};
use crate::render::pool::RenderPool;
use crate::seal::Sealer;
use crate::store::{MemoryStore, Store};

/// How many issues may wait for the drawing queue, per drawing thread, by default.
const DRAW_QUEUE_WAITING: usize = 64;

/// Builder for [`Captcha`]; start with [`Captcha::builder`].
///
/// ```
/// use std::time::Duration;
/// use tower_captcha::{Captcha, Kind, TextOptions};
///
/// let captcha = Captcha::builder()
///     .secret(b"an application secret of 32+ bytes!!".to_vec())
///     .challenge_ttl(Duration::from_secs(120))
///     .kind(TextOptions::default().with_length(6).with_max_attempts(3))
///     .without_kind(Kind::CLICK_WORD)
///     .build()?;
/// # Ok::<(), tower_captcha::ConfigError>(())
/// ```
#[must_use]
pub struct CaptchaBuilder {
    challenge_ttl: Duration,
    pass_ttl: Duration,
    ticket_ttl: Duration,
    key: Option<(Option<String>, Vec<u8>)>,
    accepted_keys: Vec<(String, Vec<u8>)>,
    kinds: Vec<Registration>,
    work_for_pictures: bool,
    draw_queue_waiting: Option<usize>,
    store: Option<Arc<dyn Store>>,
    clock: Arc<dyn Clock>,
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    seed: Option<u64>,
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    pub(super) test_mode: Option<super::test_mode::TestMode>,
    limits: Limits,
    bind_passes: bool,
    issuer: Option<String>,
    audience: Option<String>,
    log_addresses: bool,
    after_failures: super::AfterFailures,
    managed: super::Managed,
    #[cfg(feature = "eddsa")]
    ed25519: Option<(String, [u8; 32])>,
}

impl Default for CaptchaBuilder {
    fn default() -> Self {
        Self {
            challenge_ttl: Duration::from_secs(300),
            pass_ttl: Duration::from_secs(300),
            ticket_ttl: Duration::from_secs(180),
            key: None,
            accepted_keys: Vec::new(),
            kinds: built_ins(),
            work_for_pictures: false,
            draw_queue_waiting: Some(DRAW_QUEUE_WAITING),
            store: None,
            clock: Arc::new(SystemClock),
            #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
            seed: None,
            #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
            test_mode: None,
            limits: Limits::default(),
            bind_passes: false,
            issuer: None,
            audience: None,
            log_addresses: false,
            after_failures: super::AfterFailures::default(),
            managed: super::Managed::default(),
            #[cfg(feature = "eddsa")]
            ed25519: None,
        }
    }
}

impl CaptchaBuilder {
    /// How long a challenge can be answered (default 300 s).
    pub fn challenge_ttl(mut self, ttl: Duration) -> Self {
        self.challenge_ttl = ttl;
        self
    }

    /// How long a pass token is valid (default 300 s).
    pub fn pass_ttl(mut self, ttl: Duration) -> Self {
        self.pass_ttl = ttl;
        self
    }

    /// How long a second-stage ticket (AJ-Captcha's `captchaVerification`) can be redeemed
    /// (default 180 s, as AJ-Captcha keeps it).
    pub fn ticket_ttl(mut self, ttl: Duration) -> Self {
        self.ticket_ttl = ttl;
        self
    }

    /// The HS256 secret pass tokens are signed with (at least 32 bytes). Every instance that
    /// must accept another's tokens needs the same secret. Without one, a random
    /// per-process key is used and a warning is logged.
    pub fn secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.key = Some((None, secret.into()));
        self
    }

    /// Like [`secret`](Self::secret), naming the key: tokens carry `kid` so that the key
    /// can later be rotated with [`accept_key`](Self::accept_key).
    pub fn signing_key(mut self, kid: impl Into<String>, secret: impl Into<Vec<u8>>) -> Self {
        self.key = Some((Some(kid.into()), secret.into()));
        self
    }

    /// Also accept tokens signed with this (older) key, while it is rotated out.
    pub fn accept_key(mut self, kid: impl Into<String>, secret: impl Into<Vec<u8>>) -> Self {
        self.accepted_keys.push((kid.into(), secret.into()));
        self
    }

    /// Offers `kind`: a built-in with options of your choosing (such as
    /// [`TextOptions`](crate::TextOptions)), or a kind of your own (see [`ChallengeKind`]). It
    /// replaces a kind of the same name. Every built-in kind is offered by default.
    pub fn kind<K: ChallengeKind>(mut self, kind: K) -> Self {
        self.kinds.retain(|r| r.kind != K::KIND);
        self.kinds.push(Registration::of(kind));
        self
    }

    /// Stops offering `kind`: issuing it is refused, and its challenges and passes are
    /// answered as "not offered here".
    pub fn without_kind(mut self, kind: Kind) -> Self {
        self.kinds.retain(|r| r.kind != kind);
        self
    }

    /// Puts a price on every picture (off by default): issuing a text, slider or click-word
    /// challenge then needs a fresh solved proof of work (the payload of a `pow` challenge,
    /// which the routes read from the `x-captcha-work` header), spent by the issue. An
    /// attacker's reading or hole-finding throughput is then bounded by its compute. This
    /// crate's widget pays it by itself; AJ-Captcha's own widgets cannot, so turn it on only
    /// where the pictures are requested by this crate's widget or by clients of your own.
    pub fn require_work_for_pictures(mut self, on: bool) -> Self {
        self.work_for_pictures = on;
        self
    }

    /// How many issues may wait for the drawing queue, per drawing thread (one per core;
    /// default 64; `None`: any number). One more is answered "busy" at once
    /// ([`IssueError::Overloaded`](crate::IssueError::Overloaded); 503 `server_busy` for
    /// Auth v1, AJ's `9999`), so that under a flood of picture requests every client gets a
    /// fast answer rather than a place at the end of a queue seconds long. The wait is
    /// bounded by the line's length (under the overload bench's flood of sliders, a
    /// legitimate client's p99 was 197 ms).
    pub fn draw_queue_limit(mut self, waiting_per_thread: Option<usize>) -> Self {
        self.draw_queue_waiting = waiting_per_thread;
        self
    }

    /// Where the state of answered challenges, spent pass ids and tickets lives (default: a
    /// [`MemoryStore`] with its default capacity).
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Like [`store`](Self::store), for a store already behind an `Arc`.
    pub fn shared_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock (default: the system clock). Tests use `testing::ManualClock` (feature
    /// `test-util`).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// **For tests only** (feature `test-util`): draw every random value (ids, answers,
    /// pictures, keys) from a ChaCha generator seeded with `seed`, so that runs repeat. Ids
    /// and answers become predictable to anyone who knows the seed.
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    pub fn insecure_seeded_rng(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Per-client limit on issuing (default: bursts of 20, then one every 2 s); `None`
    /// turns it off.
    pub fn issue_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.limits.issue = limit;
        self
    }

    /// Per-client limit on verifying and checking (default: bursts of 20, then one a
    /// second); `None` turns it off.
    pub fn verify_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.limits.verify = limit;
        self
    }

    /// Per-client limit on redeeming through a route (AJ-Captcha's `/captcha/verify`;
    /// default: bursts of 20, then one a second); `None` turns it off. The guard and
    /// siteverify (which its secret protects) are never limited by it.
    pub fn redeem_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.limits.redeem = limit;
        self
    }

    /// How many times an address's budget its whole network (IPv4 /24, IPv6 /48) gets
    /// (default 8; 0 turns the network budget off).
    pub fn network_share(mut self, share: u32) -> Self {
        self.limits = self.limits.network_share(share);
        self
    }

    /// Locks a client out of verifying after repeated wrong answers (default: 30 within
    /// 10 minutes); `None` turns it off.
    pub fn lockout(mut self, lockout: Option<Lockout>) -> Self {
        self.limits.lockout = lockout;
        self
    }

    /// Refuse requests when the store cannot be asked about rate limits and lockouts,
    /// instead of letting them through (the default: issuing needs no store, and a verify
    /// still needs the store to pass, so failing open never grants a pass).
    pub fn rate_limits_fail_closed(mut self) -> Self {
        self.limits = self.limits.fail_closed();
        self
    }

    /// Binds every pass (and ticket) to the client that earned it: it carries a keyed hash
    /// of the client, and the guard accepts it only from that client (off by default; turn
    /// it on when clients keep their address between solving and using the pass).
    pub fn bind_passes_to_clients(mut self, on: bool) -> Self {
        self.bind_passes = on;
        self
    }

    /// Signs passes with Ed25519 (EdDSA) under key id `kid`, from the 32-byte private key
    /// `seed` (feature `eddsa`), instead of HS256: other services can then check passes
    /// with the public key alone, which [`Captcha::jwks`] and the
    /// [`Jwks`](crate::protocol::Jwks) route publish. Passes signed with the HS256 secret
    /// before the switch are still accepted. The secret is still needed (it seals
    /// challenges). Keep `seed` as secret as the secret.
    #[cfg(feature = "eddsa")]
    pub fn eddsa_signing_key(mut self, kid: impl Into<String>, seed: [u8; 32]) -> Self {
        self.ed25519 = Some((kid.into(), seed));
        self
    }

    /// The `iss` every pass carries and must carry to be accepted.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The `aud` every pass carries and must carry to be accepted.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// How many failed attempts (reported with [`Captcha::record_failure`]) make a pass
    /// necessary for a client or an account, and how long they count (default: 3 within 15
    /// minutes). Used by [`Captcha::pass_required`], guards made
    /// [`only_after_failures`](crate::RequireCaptchaLayer::only_after_failures) and the
    /// managed challenge.
    pub fn pass_after_failures(mut self, policy: super::AfterFailures) -> Self {
        self.after_failures = policy;
        self
    }

    /// How [`Captcha::issue_managed`] (the native route's `?kind=managed`) chooses a
    /// challenge; see [`Managed`](super::Managed) for the defaults.
    pub fn managed(mut self, policy: super::Managed) -> Self {
        self.managed = policy;
        self
    }

    /// Show client addresses in log lines (off by default: a short keyed hash names the
    /// client instead, the same for the same client).
    pub fn log_client_addresses(mut self, on: bool) -> Self {
        self.log_addresses = on;
        self
    }

    /// Checks the settings and builds the engine.
    pub fn build(mut self) -> Result<Captcha, ConfigError> {
        let day = Duration::from_secs(86_400);
        let ttl_ok = |t: Duration| t >= Duration::from_secs(1) && t <= day;
        if !ttl_ok(self.challenge_ttl) {
            return Err(ConfigError::Ttl("challenge TTL"));
        }
        if !ttl_ok(self.pass_ttl) {
            return Err(ConfigError::Ttl("pass TTL"));
        }
        if !ttl_ok(self.ticket_ttl) {
            return Err(ConfigError::Ttl("ticket TTL"));
        }
        let limits = [
            (
                "issue rate limit",
                self.limits.issue.and_then(|l| l.problem()),
            ),
            (
                "verify rate limit",
                self.limits.verify.and_then(|l| l.problem()),
            ),
            (
                "redeem rate limit",
                self.limits.redeem.and_then(|l| l.problem()),
            ),
            ("lockout", self.limits.lockout.and_then(|l| l.problem())),
            ("pass after failures", self.after_failures.problem()),
            ("managed", self.managed.problem()),
        ];
        if let Some((setting, problem)) = limits.into_iter().find_map(|(s, p)| Some((s, p?))) {
            return Err(ConfigError::Limit { setting, problem });
        }
        let mut kids = Vec::new();
        if let Some((Some(kid), _)) = &self.key {
            kids.push(kid.clone());
        }
        for (kid, secret) in &self.accepted_keys {
            if kid.is_empty() || kids.contains(kid) {
                return Err(ConfigError::KeyId(kid.clone()));
            }
            if secret.len() < MIN_SECRET_LEN {
                return Err(ConfigError::WeakSecret(secret.len()));
            }
            kids.push(kid.clone());
        }
        match &self.key {
            Some((Some(kid), _)) if kid.is_empty() => return Err(ConfigError::KeyId(kid.clone())),
            Some((_, secret)) if secret.len() < MIN_SECRET_LEN => {
                return Err(ConfigError::WeakSecret(secret.len()));
            }
            _ => {}
        }
        let (kid, secret) = self.key.clone().unwrap_or_else(|| {
            tracing::warn!(
                "tower-captcha: no signing secret configured; using a random per-process key. \
                 Challenges and pass tokens will not be accepted by other instances or after a \
                 restart: set a shared secret (e.g. `openssl rand -base64 32`) when running \
                 more than one instance."
            );
            let mut key = vec![0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
            (None, key)
        });
        let secrets =
            || std::iter::once(&secret[..]).chain(self.accepted_keys.iter().map(|(_, s)| &s[..]));
        let setup = KindSetup::new(secrets().collect());
        let kinds = std::mem::take(&mut self.kinds)
            .into_iter()
            .map(|r| r.prepare(&setup))
            .collect::<Result<Vec<Arc<dyn DynKind>>, ConfigError>>()?;
        if !kinds.iter().any(|k| k.kind() == self.managed.picture()) {
            return Err(ConfigError::Kind {
                kind: self.managed.picture().to_string(),
                problem: "the managed picture kind is not offered".into(),
            });
        }
        let sealer = Sealer::new(secrets());
        let signer = self.signer(kid, &secret);
        #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
        let randomness = match self.seed {
            Some(seed) => Randomness::Seeded(Box::new(std::sync::Mutex::new(
                <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed),
            ))),
            None => Randomness::Os,
        };
        #[cfg(not(any(feature = "test-util", all(doc, not(docsrs)))))]
        let randomness = Randomness::Os;
        Ok(Captcha {
            inner: Arc::new(Inner {
                refusals: crate::metrics::LogSampler::new(10_000),
                kinds,
                challenge_ttl: self.challenge_ttl,
                work_for_pictures: self.work_for_pictures,
                bind_passes: self.bind_passes,
                issuer: self.issuer.clone(),
                audience: self.audience.clone(),
                client_key: derive_key(&secret, "client hashes v1"),
                challenge_key: derive_key(&secret, "challenge keys v1"),
                log_addresses: self.log_addresses,
                after_failures: self.after_failures,
                managed: self.managed,
                pass_ttl: self.pass_ttl,
                ticket_ttl: self.ticket_ttl,
                store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
                clock: self.clock,
                signer,
                sealer,
                randomness,
                #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
                test_mode: self.test_mode,
                limiter: Limiter::new(self.limits.clone()),
                pool: RenderPool::new(self.draw_queue_waiting),
            }),
        })
    }
}

impl CaptchaBuilder {
    fn signer(&self, kid: Option<String>, secret: &[u8]) -> Signer {
        let signer = Signer::new(kid, secret, &self.accepted_keys);
        #[cfg(feature = "eddsa")]
        if let Some((kid, seed)) = &self.ed25519 {
            return signer.with_ed25519(kid.clone(), seed);
        }
        signer
    }
}

impl fmt::Debug for CaptchaBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptchaBuilder")
            .field("challenge_ttl", &self.challenge_ttl)
            .field("pass_ttl", &self.pass_ttl)
            .field("ticket_ttl", &self.ticket_ttl)
            .field("key", &self.key.as_ref().map(|(kid, _)| kid))
            .field(
                "kinds",
                &self.kinds.iter().map(|r| r.kind).collect::<Vec<_>>(),
            )
            .field("custom_store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::IntoFuture;

    use super::*;
    use crate::kind::text::TextOptions;
    use crate::kind::{Issued, Kind, Puzzle, Size};
    use crate::testing::block_on;

    fn kind_error(problem: &str) -> ConfigError {
        ConfigError::Kind {
            kind: "text".into(),
            problem: problem.into(),
        }
    }

    /// The text picture of `answer` at the engine's configured size.
    fn draw(captcha: &Captcha, answer: &str) -> Puzzle {
        let kind = captcha.kind(Kind::TEXT).unwrap();
        let issued = Issued::new("", 0);
        let size = kind.default_size();
        captcha
            .with_rng(|rng| kind.draw(answer.as_bytes(), size, &issued, rng))
            .unwrap()
    }

    fn png_of(puzzle: &Puzzle) -> image::RgbImage {
        image::load_from_memory_with_format(puzzle.image(), image::ImageFormat::Png)
            .unwrap()
            .to_rgb8()
    }

    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    #[test]
    fn seeded_engines_repeat_and_default_ones_do_not() {
        let make = |seed| {
            Captcha::builder()
                .secret([1u8; 32].to_vec())
                .insecure_seeded_rng(seed)
                .clock(crate::testing::ManualClock::new(1_800_000_000_000))
                .build()
                .unwrap()
        };
        let (a, b, c) = (make(42), make(42), make(43));
        let ca = block_on(a.issue(Kind::TEXT).into_future()).unwrap();
        let cb = block_on(b.issue(Kind::TEXT).into_future()).unwrap();
        let cc = block_on(c.issue(Kind::TEXT).into_future()).unwrap();
        assert_eq!((&ca.id, &ca.puzzle), (&cb.id, &cb.puzzle));
        assert_ne!(ca.id, cc.id);
        assert_ne!(ca.puzzle, cc.puzzle);
        let d = Captcha::builder()
            .secret([1u8; 32].to_vec())
            .build()
            .unwrap();
        let (d1, d2) = (
            block_on(d.issue(Kind::TEXT).into_future()).unwrap(),
            block_on(d.issue(Kind::TEXT).into_future()).unwrap(),
        );
        assert_ne!(d1.id, d2.id);
        assert_ne!(d1.puzzle, d2.puzzle);
    }

    #[test]
    fn pictures_have_the_configured_or_requested_size_and_ink() {
        let captcha = Captcha::builder()
            .secret([1u8; 32].to_vec())
            .kind(TextOptions::default().with_size(240, 76).with_length(6))
            .build()
            .unwrap();
        let img = png_of(&draw(&captcha, "HAMPKY"));
        assert_eq!(img.dimensions(), (240, 76));
        // Glyphs are dark on a light background: a good share of the picture is ink.
        let dark = img
            .pixels()
            .filter(|p| p.0.iter().map(|&c| u32::from(c)).sum::<u32>() < 3 * 130)
            .count();
        let share = dark as f64 / f64::from(240 * 76);
        assert!((0.08..0.6).contains(&share), "dark share {share}");
        // A size asked for by a protocol wins over the configured one.
        let issued = block_on(captcha.issue(Kind::TEXT).size(Size::AUTH_V1).into_future()).unwrap();
        assert_eq!(png_of(&issued.puzzle).dimensions(), (160, 60));
        // Nothing to draw: a blank (light) picture, no panic.
        let blank = png_of(&draw(&captcha, ""));
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
            b().ticket_ttl(Duration::ZERO).build().unwrap_err(),
            ConfigError::Ttl("ticket TTL")
        );
        assert_eq!(
            b().kind(TextOptions::default().with_max_attempts(0))
                .build()
                .unwrap_err(),
            kind_error("attempt limit must be 1 to 100, got 0")
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
            b().kind(TextOptions::default().with_length(9))
                .build()
                .unwrap_err(),
            kind_error("length must be 4 to 6 characters, got 9")
        );
        assert_eq!(
            b().kind(TextOptions::default().with_alphabet("ABCDEFGHJKÉ"))
                .build()
                .unwrap_err(),
            kind_error("the alphabet must have at least 10 distinct ASCII letters or digits")
        );
    }

    #[test]
    fn absurd_rate_limits_and_lockouts_are_refused() {
        use crate::rate_limit::{Lockout, RateLimit};
        let b = || Captcha::builder().secret([1u8; 32].to_vec());
        let limit = |burst, ms| Some(RateLimit::new(burst, Duration::from_millis(ms)));
        assert_eq!(
            b().issue_rate_limit(limit(0, 1000)).build().unwrap_err(),
            ConfigError::Limit {
                setting: "issue rate limit",
                problem: "burst must be 1 to 1 000 000"
            }
        );
        assert!(matches!(
            b().verify_rate_limit(limit(5, 0)).build(),
            Err(ConfigError::Limit {
                setting: "verify rate limit",
                ..
            })
        ));
        assert!(matches!(
            b().redeem_rate_limit(limit(5, 86_400_001)).build(),
            Err(ConfigError::Limit {
                setting: "redeem rate limit",
                ..
            })
        ));
        let lockout = |n, s| Some(Lockout::new(n, Duration::from_secs(s)));
        assert!(matches!(
            b().lockout(lockout(0, 60)).build(),
            Err(ConfigError::Limit {
                setting: "lockout",
                ..
            })
        ));
        assert!(
            b().lockout(lockout(30, 600))
                .issue_rate_limit(limit(1, 1))
                .build()
                .is_ok()
        );
    }

    #[test]
    #[should_panic(expected = "a scope is 1-32 characters")]
    fn a_guard_for_a_scope_no_pass_can_have_is_refused_when_built() {
        let captcha = Captcha::builder()
            .secret([1u8; 32].to_vec())
            .build()
            .unwrap();
        let _ = captcha.require_scope("log in");
    }

    #[test]
    fn a_font_without_a_glyph_of_the_alphabet_is_refused() {
        // DejaVu Sans Bold subset to the ten digits (see tests/fixtures/README.md).
        let digits = ab_glyph::FontArc::try_from_slice(include_bytes!(
            "../../tests/fixtures/DejaVuSans-Bold-digits.ttf"
        ))
        .unwrap();
        let b = || Captcha::builder().secret([1u8; 32].to_vec());
        assert_eq!(
            b().kind(
                TextOptions::default()
                    .with_alphabet("0123456789K")
                    .with_fonts(vec![digits.clone()])
            )
            .build()
            .unwrap_err(),
            kind_error("a font has no glyph for 'K'")
        );
        assert!(
            b().kind(
                TextOptions::default()
                    .with_alphabet("0123456789")
                    .with_fonts(vec![digits])
            )
            .build()
            .is_ok()
        );
    }
}
