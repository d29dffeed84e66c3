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
//! and hand out a ticket exactly once, however many callers race. The conformance suite in
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
pub use redis::{RedisStore, RedisStoreBuilder};

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

/// Storage for the state of answered challenges, spent pass ids and tickets.
/// Implementations must be safe to call from many tasks at once and must check expiry on
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
}

/// Whether a ticket bound to `bound` may be taken by a caller that requires `required`.
pub(crate) fn scope_allows(bound: Option<&str>, required: Option<&str>) -> bool {
    required.is_none_or(|r| bound == Some(r))
}
