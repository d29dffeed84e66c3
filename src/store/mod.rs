//! Where pending challenges, attempt counts and spent pass-token ids live.
//!
//! One trait, [`Store`], with an in-memory implementation ([`MemoryStore`]) and, behind the
//! `redis` feature, one on Redis or Valkey (`RedisStore`) for apps with several instances. Times are
//! milliseconds since the Unix epoch, read by the engine from its [`Clock`](crate::clock::Clock)
//! and handed in, so that one clock governs everything; a store with its own notion of time
//! (Redis expiry) derives a TTL as `expires_at - now`.
//!
//! Every store must make [`Store::verify`] one atomic step and [`Store::spend_pass`] succeed
//! exactly once per id, however many callers race.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::{RedisStore, RedisStoreBuilder};

use crate::id::Id;
use crate::kind::Kind;

/// A boxed `Send` future, the return type of [`Store`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a store keeps for a pending challenge.
#[derive(Clone, PartialEq, Eq)]
pub struct ChallengeRecord {
    /// The kind, which decides how the answer is checked.
    pub kind: Kind,
    /// The answer, in the kind's own encoding (for text: the upper-case ASCII characters).
    pub answer: Box<[u8]>,
    /// The use the resulting pass is bound to, if any.
    pub scope: Option<Box<str>>,
}

/// Answers are secrets: `Debug` leaves them out.
impl fmt::Debug for ChallengeRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChallengeRecord")
            .field("kind", &self.kind)
            .field("answer", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

/// The result of one atomic verify step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// The response was right; the challenge is now spent. Carries what the pass needs.
    Passed(ChallengeRecord),
    /// The response was wrong; the attempt was counted. At 0 the challenge is now spent.
    Failed {
        /// Attempts left before the challenge is spent.
        attempts_left: u32,
    },
    /// Already solved, or spent by too many wrong attempts.
    Spent,
    /// Never issued, or expired.
    Unknown,
}

/// A store failure. Routes answer it with their protocol's "busy" error; the guard fails
/// closed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store holds as many entries as it may; it refuses new work rather than evicting
    /// live challenges.
    #[error("store is full")]
    Full,
    /// The store could not be reached or answered with an error.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store did not answer in time.
    #[error("store timed out")]
    Timeout,
}

/// The check a store applies to a pending challenge's record inside its atomic verify step.
pub type Check<'a> = &'a (dyn Fn(&ChallengeRecord) -> bool + Send + Sync);

/// Storage for challenges and spent pass tokens. Implementations must be safe to call from
/// many tasks at once and must check expiry on every read.
pub trait Store: Send + Sync + 'static {
    /// Keeps a new pending challenge until `expires_at`. Fails with [`StoreError::Full`]
    /// when at capacity.
    fn insert(
        &self,
        id: Id,
        record: ChallengeRecord,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;

    /// One atomic step: if the challenge is pending and `check` passes, spend it and return
    /// its record; if `check` fails, count the attempt and spend the challenge once
    /// `max_attempts` wrong attempts have been made.
    fn verify<'a>(
        &'a self,
        id: Id,
        check: Check<'a>,
        max_attempts: u32,
        now: u64,
    ) -> BoxFuture<'a, Result<VerifyOutcome, StoreError>>;

    /// Marks pass-token id `jti` as spent until `expires_at`. `Ok(true)` for exactly one
    /// caller per id; `Ok(false)` if it was already spent.
    fn spend_pass(
        &self,
        jti: Id,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
}
