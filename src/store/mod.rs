//! Where the state of answered challenges, spent pass ids and second-stage tickets lives.
//!
//! Challenges themselves are sealed into their ids (see the crate's `seal` module), so
//! issuing never touches a store: a store only learns of a challenge when it is first
//! answered, and never sees its kind or answer. One trait, [`Store`], with an in-memory
//! implementation ([`MemoryStore`]) and, behind the `redis` feature, one on Redis or Valkey
//! (`RedisStore`) for apps with several instances.
//!
//! Times are milliseconds since the Unix epoch, read by the engine from its
//! [`Clock`](crate::clock::Clock) and handed in, so that one clock governs everything; a
//! store with its own notion of time (Redis expiry) derives a TTL as `expires_at - now`.
//!
//! Every store must make [`Store::settle`] one atomic step, spend a pass id exactly once,
//! hand out a ticket exactly once, and never admit more through a rate-limit bucket than
//! its budget, however many callers race. The conformance suite in
//! the repository's `tests/` runs the same cases against every store.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use crate::error::StoreError;
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::{RedisConnection, RedisStore, RedisStoreBuilder};

use crate::id::Id;

/// A boxed `Send` future, the return type of [`Store`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The result of settling one verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The answer was right and the challenge is now spent.
    Passed,
    /// The answer was wrong; the attempt was counted. At 0 the challenge is now locked.
    Wrong {
        /// Wrong answers still allowed.
        attempts_left: u32,
    },
    /// The challenge was already solved.
    Used,
    /// The challenge was locked by earlier wrong answers.
    Locked,
}

/// A second-stage ticket as stored: the scope it is bound to, and what the engine needs to
/// make claims of it (opaque to the store).
#[derive(Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// The scope the ticket is bound to, if any.
    pub scope: Option<Box<str>>,
    /// The engine's own encoding of the ticket's claims; stores keep it as it is.
    pub payload: Box<str>,
}

impl fmt::Debug for TicketRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketRecord")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The result of taking a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketTake {
    /// Taken, by this caller only; it cannot be taken again.
    Taken(TicketRecord),
    /// Already taken.
    Used,
    /// Bound to another scope (or to none while one is required); not taken.
    ScopeMismatch {
        /// Whether the ticket is bound to no scope at all.
        unscoped: bool,
    },
    /// Never stored, or expired.
    Unknown,
}

/// One rate-limit bucket of a [`Store::rate`] decision, in GCRA terms: a request is
/// admitted when the bucket's theoretical arrival time is at most `tolerance_ms` ahead of
/// now, and admitting it moves that time `interval_ms` on (so a bucket admits a burst of
/// `tolerance_ms / interval_ms + 1`, then one request per `interval_ms`). A bucket whose
/// time has passed carries no information and may be forgotten.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Which bucket. Keys whose first 8 bytes agree belong to one client's network and are
    /// decided together; a store may keep them side by side (Redis: one hash slot).
    pub key: [u8; 16],
    /// Time one request takes from the budget (ms, at least 1).
    pub interval_ms: u64,
    /// How far ahead of now the theoretical arrival time may be (ms).
    pub tolerance_ms: u64,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bucket")
            .field("interval_ms", &self.interval_ms)
            .field("tolerance_ms", &self.tolerance_ms)
            .finish_non_exhaustive()
    }
}

/// The outcome of a [`Store::rate`] decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Every bucket admitted the request, and each took it from its budget.
    Admitted {
        /// How much of the fullest bucket's burst is now in use, in thousandths.
        load_per_mille: u32,
    },
    /// Some bucket refused; none took anything.
    Limited {
        /// When the refusing bucket will admit again (ms).
        retry_after_ms: u64,
    },
}

/// Takes one request from `tat` (a bucket's theoretical arrival time, `None` when
/// forgotten): the new time, or how long until it would be admitted. Shared by the stores.
pub fn gcra(tat: Option<u64>, bucket: &Bucket, now: u64) -> Result<u64, u64> {
    let tat = tat.unwrap_or(now).max(now);
    let ahead = tat - now;
    if ahead > bucket.tolerance_ms {
        Err(ahead - bucket.tolerance_ms)
    } else {
        Ok(tat + bucket.interval_ms.max(1))
    }
}

/// The load of a bucket whose time is `tat` after admitting, in thousandths of its burst.
pub fn load_per_mille(tat: u64, bucket: &Bucket, now: u64) -> u32 {
    let window = bucket.tolerance_ms + bucket.interval_ms.max(1);
    u32::try_from(tat.saturating_sub(now).saturating_mul(1000) / window).unwrap_or(1000)
}

/// Storage for the state of answered challenges, spent pass ids, tickets, rate-limit
/// buckets, failure counts and remembered replies. Implementations must be safe to call from many tasks at once and must check expiry on
/// every read.
pub trait Store: Send + Sync + 'static {
    /// Settles one verify of challenge `id` in one atomic step: a right answer (`passed`)
    /// spends a challenge that is neither spent nor locked; a wrong one counts an attempt,
    /// and the `max_attempts`-th wrong answer locks it. State is kept until `expires_at`
    /// (the challenge's own expiry), then forgotten.
    fn settle(
        &self,
        id: Id,
        passed: bool,
        max_attempts: u32,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<Settled, StoreError>>;

    /// Marks pass id `jti` as spent until `expires_at`. `Ok(true)` for exactly one caller
    /// per id; `Ok(false)` if it was already spent.
    fn spend_pass(
        &self,
        jti: Id,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;

    /// Keeps ticket `id` until `expires_at`.
    fn put_ticket(
        &self,
        id: Id,
        record: TicketRecord,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Takes ticket `id` in one atomic step, for exactly one caller, if it is bound to
    /// `scope` (any scope, or none, when `scope` is `None`). A scope mismatch leaves it
    /// untouched.
    fn take_ticket<'a>(
        &'a self,
        id: Id,
        scope: Option<&'a str>,
        now: u64,
    ) -> BoxFuture<'a, Result<TicketTake, StoreError>>;

    /// Decides one request against every bucket in `buckets` (one or two), all or none, in
    /// one atomic step per bucket: see [`Bucket`] and [`gcra`]. Rate limits shared by every
    /// instance that shares the store.
    fn rate<'a>(
        &'a self,
        buckets: &'a [Bucket],
        now: u64,
    ) -> BoxFuture<'a, Result<RateDecision, StoreError>>;

    /// Counts failures of client `key` in fixed windows of `window_ms`, the first starting
    /// at its first failure: with `add`, one more failure. Returns the failures in the
    /// current window and when it ends (ms since the epoch; `0` with no failures).
    fn failures(
        &self,
        key: [u8; 16],
        add: bool,
        window_ms: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(u32, u64), StoreError>>;

    /// Forgets the failures counted under `key` (a sign-in that succeeded clears its
    /// client's and its account's counts). The default keeps them (a store written before
    /// this existed): they then last until their window ends.
    fn clear_failures(&self, key: [u8; 16], now: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let _ = (key, now);
        Box::pin(std::future::ready(Ok(())))
    }

    /// Keeps `reply` under `key` until `expires_at`, unless a reply is kept there already
    /// (the first one stays). Siteverify's idempotent replies, shared by every instance. The
    /// default keeps nothing (a store written before this existed): a repeated siteverify
    /// call then gets `timeout-or-duplicate` instead of the first answer.
    fn remember<'a>(
        &'a self,
        key: [u8; 16],
        reply: &'a [u8],
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let _ = (key, reply, expires_at, now);
        Box::pin(std::future::ready(Ok(())))
    }

    /// The reply kept under `key`, unless none was or it has expired (default: none).
    fn recall(
        &self,
        key: [u8; 16],
        now: u64,
    ) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        let _ = (key, now);
        Box::pin(std::future::ready(Ok(None)))
    }
}

/// Whether a ticket bound to `bound` may be taken by a caller that requires `required`.
pub(crate) fn scope_allows(bound: Option<&str>, required: Option<&str>) -> bool {
    required.is_none_or(|r| bound == Some(r))
}
