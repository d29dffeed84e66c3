//! Building a [`Captcha`]: every setting, its default, and the errors a bad one gives.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::Captcha;
use crate::clock::{Clock, SystemClock};
use crate::kind::text::TextOptions;
use crate::rate_limit::RateLimit;
use crate::store::{MemoryStore, Store};

/// Shortest signing secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// A configuration that cannot work, reported once by [`CaptchaBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Text length outside 4–6.
    #[error("text length must be 4 to 6 characters, got {0}")]
    TextLength(usize),
    /// Alphabet too small or with characters other than ASCII letters and digits.
    #[error("alphabet must have at least 10 distinct ASCII letters or digits")]
    Alphabet,
    /// Image size out of range.
    #[error("image size {0}x{1} is outside 80x30 ..= 1000x400")]
    ImageSize(u32, u32),
    /// A font could not be read.
    #[error("the font could not be read")]
    Font,
    /// A font lacks a glyph for a character of the alphabet.
    #[error("a font has no glyph for {0:?}")]
    FontMissingGlyph(char),
    /// Signing secret shorter than [`MIN_SECRET_LEN`].
    #[error("signing secret must be at least {MIN_SECRET_LEN} bytes, got {0}")]
    WeakSecret(usize),
    /// A key id is empty or used twice.
    #[error("key id {0:?} is empty or used twice")]
    KeyId(String),
    /// A time-to-live of zero or of more than a day.
    #[error("{0} must be between 1 second and 24 hours")]
    Ttl(&'static str),
    /// An attempt limit of zero or above 100.
    #[error("attempt limit must be 1 to 100, got {0}")]
    Attempts(u32),
    /// A capacity of zero.
    #[error("{0} must be at least 1")]
    Capacity(&'static str),
}

/// Builder for [`Captcha`]; start with [`Captcha::builder`].
///
/// ```
/// use std::time::Duration;
/// use tower_captcha::{Captcha, TextOptions};
///
/// let captcha = Captcha::builder()
///     .secret(b"an application secret of 32+ bytes!!".to_vec())
///     .challenge_ttl(Duration::from_secs(120))
///     .max_attempts(3)
///     .text(TextOptions::default().with_length(6))
///     .build()?;
/// # Ok::<(), tower_captcha::ConfigError>(())
/// ```
#[must_use]
pub struct CaptchaBuilder {
    pub(crate) challenge_ttl: Duration,
    pub(crate) pass_ttl: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) key: Option<(Option<String>, Vec<u8>)>,
    pub(crate) accepted_keys: Vec<(String, Vec<u8>)>,
    pub(crate) text: TextOptions,
    pub(crate) store: Option<Arc<dyn Store>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) seed: Option<u64>,
    pub(crate) issue_limit: Option<RateLimit>,
    pub(crate) verify_limit: Option<RateLimit>,
    pub(crate) max_clients: usize,
}

impl Default for CaptchaBuilder {
    fn default() -> Self {
        Self {
            challenge_ttl: Duration::from_secs(300),
            pass_ttl: Duration::from_secs(300),
            max_attempts: 5,
            key: None,
            accepted_keys: Vec::new(),
            text: TextOptions::default(),
            store: None,
            clock: Arc::new(SystemClock),
            seed: None,
            issue_limit: Some(RateLimit::new(20, Duration::from_secs(2))),
            verify_limit: Some(RateLimit::new(20, Duration::from_secs(1))),
            max_clients: 100_000,
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

    /// Wrong answers allowed before a challenge is spent (default 5).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
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

    /// Options of the text challenge.
    pub fn text(mut self, options: TextOptions) -> Self {
        self.text = options;
        self
    }

    /// Where challenges and spent pass ids live (default: a [`MemoryStore`] with its
    /// default capacity).
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Like [`store`](Self::store), for a store already behind an `Arc`.
    pub fn shared_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock (default: the system clock). Tests use
    /// [`ManualClock`](crate::clock::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// **For tests only**: draw every random value (ids, answers, pictures) from a ChaCha
    /// generator seeded with `seed`, so that runs repeat. Ids and answers become
    /// predictable to anyone who knows the seed; the default configuration never does this.
    pub fn insecure_seeded_rng(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Per-client limit on issuing (default: bursts of 20, then one every 2 s); `None`
    /// turns it off.
    pub fn issue_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.issue_limit = limit;
        self
    }

    /// Per-client limit on verifying (default: bursts of 20, then one a second); `None`
    /// turns it off.
    pub fn verify_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.verify_limit = limit;
        self
    }

    /// How many clients the rate limiter tracks at most (default 100 000).
    pub fn max_tracked_clients(mut self, clients: usize) -> Self {
        self.max_clients = clients;
        self
    }

    /// Checks the settings and builds the engine.
    pub fn build(self) -> Result<Captcha, ConfigError> {
        let day = Duration::from_secs(86_400);
        let ttl_ok = |t: Duration| t >= Duration::from_secs(1) && t <= day;
        if !ttl_ok(self.challenge_ttl) {
            return Err(ConfigError::Ttl("challenge TTL"));
        }
        if !ttl_ok(self.pass_ttl) {
            return Err(ConfigError::Ttl("pass TTL"));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(ConfigError::Attempts(self.max_attempts));
        }
        if self.max_clients == 0 {
            return Err(ConfigError::Capacity("max tracked clients"));
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
        let text = self.text.clone().validated()?;
        Ok(Captcha::from_builder(self, text))
    }
}

impl fmt::Debug for CaptchaBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptchaBuilder")
            .field("challenge_ttl", &self.challenge_ttl)
            .field("pass_ttl", &self.pass_ttl)
            .field("max_attempts", &self.max_attempts)
            .field("key", &self.key.as_ref().map(|(kid, _)| kid))
            .field("text", &self.text)
            .field("custom_store", &self.store.is_some())
            .field("seeded", &self.seed.is_some())
            .finish_non_exhaustive()
    }
}

/// The store used when none is given.
pub(crate) fn default_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}
