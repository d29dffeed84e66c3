//! The in-memory store: sharded maps, bounded, swept without a background task.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use super::{
    BoxFuture, Bucket, RateDecision, Settled, Store, StoreError, TicketRecord, TicketTake, gcra,
    load_per_mille, scope_allows,
};
use crate::id::Id;

/// How often, at most, expired entries are swept (ms) while a table has room.
const SWEEP_EVERY_MS: u64 = 5_000;
/// How often, at most, a full table sweeps before answering "full" (ms): bounds the work an
/// attacker can cause by hammering a full store.
const FULL_SWEEP_EVERY_MS: u64 = 100;
/// Entries per table by default.
const DEFAULT_CAPACITY: usize = 1_000_000;

/// An in-memory [`Store`] for single-instance apps.
///
/// Six tables: answered challenges, spent pass ids, tickets, rate-limit buckets, failure
/// counts and remembered replies, each holding at most `capacity` entries (default 1 000 000, about 100
/// bytes each). A rate-limit bucket lives only while it carries information (until its
/// theoretical arrival time), so that table is bounded by the request rate, not by the
/// number of clients ever seen; if it is full anyway, the engine admits (rate limits fail
/// open; see the crate's `rate_limit` docs). Expiry is checked on every
/// read; expired entries are also swept, every few seconds, by whichever call comes along
/// (no background task). A full table answers [`StoreError::Full`]: live state is never
/// evicted. Since challenges are sealed into their ids, only challenges that someone has
/// answered take room here.
pub struct MemoryStore {
    challenges: Table<ChallengeState>,
    passes: Table<()>,
    tickets: Table<TicketState>,
    rates: Table<u64>,
    failures: Table<u32>,
    replies: Table<Box<[u8]>>,
}

#[derive(Debug, Clone, Copy)]
enum ChallengeState {
    Wrong(u32),
    Passed,
    Locked,
}

enum TicketState {
    Live(TicketRecord),
    Taken,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store with the default capacity (1 000 000 entries per table).
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A store whose tables keep at most `capacity` entries each.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            challenges: Table::new(capacity),
            passes: Table::new(capacity),
            tickets: Table::new(capacity),
            rates: Table::new(capacity),
            failures: Table::new(capacity),
            replies: Table::new(capacity),
        }
    }

    /// Entries held in the tables of answered challenges, spent passes, tickets and
    /// remembered replies, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.challenges.len() + self.passes.len() + self.tickets.len() + self.replies.len()
    }

    /// Rate-limit buckets and failure counts held, expired ones not yet swept included.
    pub fn client_entries(&self) -> usize {
        self.rates.len() + self.failures.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn settle_now(
        &self,
        id: Id,
        passed: bool,
        max_attempts: u32,
        expires_at: u64,
        now: u64,
    ) -> Result<Settled, StoreError> {
        self.challenges
            .update(id.as_bytes(), expires_at, now, |state, _| match *state {
                Some(ChallengeState::Passed) => Settled::Used,
                Some(ChallengeState::Locked) => Settled::Locked,
                _ if passed => {
                    *state = Some(ChallengeState::Passed);
                    Settled::Passed
                }
                current => {
                    let wrong = match current {
                        Some(ChallengeState::Wrong(n)) => n + 1,
                        _ => 1,
                    };
                    let attempts_left = max_attempts.saturating_sub(wrong);
                    *state = Some(if attempts_left == 0 {
                        ChallengeState::Locked
                    } else {
                        ChallengeState::Wrong(wrong)
                    });
                    Settled::Wrong { attempts_left }
                }
            })
    }

    fn spend_pass_now(&self, jti: Id, expires_at: u64, now: u64) -> Result<bool, StoreError> {
        self.passes
            .update(jti.as_bytes(), expires_at, now, |spent, _| {
                spent.replace(()).is_none()
            })
    }

    fn put_ticket_now(
        &self,
        id: Id,
        record: TicketRecord,
        expires_at: u64,
        now: u64,
    ) -> Result<(), StoreError> {
        self.tickets
            .update(id.as_bytes(), expires_at, now, |ticket, _| {
                if ticket.is_none() {
                    *ticket = Some(TicketState::Live(record));
                }
            })
    }

    fn take_ticket_now(
        &self,
        id: Id,
        scope: Option<&str>,
        now: u64,
    ) -> Result<TicketTake, StoreError> {
        self.tickets
            .update(id.as_bytes(), 0, now, |ticket, _| match ticket {
                None => TicketTake::Unknown,
                Some(TicketState::Taken) => TicketTake::Used,
                Some(TicketState::Live(record))
                    if !scope_allows(record.scope.as_deref(), scope) =>
                {
                    TicketTake::ScopeMismatch {
                        unscoped: record.scope.is_none(),
                    }
                }
                Some(state) => match std::mem::replace(state, TicketState::Taken) {
                    TicketState::Live(record) => TicketTake::Taken(record),
                    TicketState::Taken => TicketTake::Used,
                },
            })
    }
}

impl MemoryStore {
    fn rate_now(&self, buckets: &[Bucket], now: u64) -> Result<RateDecision, StoreError> {
        let mut load = 0;
        for (i, bucket) in buckets.iter().enumerate() {
            let taken = self.rates.update(&bucket.key, now, now, |tat, expires| {
                match gcra(*tat, bucket, now) {
                    Ok(next) => {
                        *tat = Some(next);
                        *expires = next;
                        Ok(next)
                    }
                    Err(wait) => Err(wait),
                }
            });
            match taken {
                Ok(Ok(next)) => load = load.max(load_per_mille(next, bucket, now)),
                Ok(Err(wait)) => {
                    // All or none: give back what the buckets before this one took.
                    for earlier in &buckets[..i] {
                        self.refund(earlier, now);
                    }
                    return Ok(RateDecision::Limited {
                        retry_after_ms: wait,
                    });
                }
                Err(e) => {
                    for earlier in &buckets[..i] {
                        self.refund(earlier, now);
                    }
                    return Err(e);
                }
            }
        }
        Ok(RateDecision::Admitted {
            load_per_mille: load,
        })
    }

    fn refund(&self, bucket: &Bucket, now: u64) {
        let _ = self.rates.update(&bucket.key, now, now, |tat, expires| {
            if let Some(t) = tat {
                *t = t.saturating_sub(bucket.interval_ms.max(1));
                *expires = *t;
                if *t <= now {
                    *tat = None;
                }
            }
        });
    }

    fn failures_now(
        &self,
        key: [u8; 16],
        add: bool,
        window_ms: u64,
        now: u64,
    ) -> Result<(u32, u64), StoreError> {
        self.failures.update(
            &key,
            now.saturating_add(window_ms),
            now,
            |count, expires| {
                if add {
                    *count = Some(count.unwrap_or(0).saturating_add(1));
                }
                match count {
                    Some(n) => (*n, *expires),
                    None => (0, 0),
                }
            },
        )
    }
}

/// Ids and scopes are bearer values: `Debug` shows only how full the tables are.
impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("challenges", &self.challenges.len())
            .field("passes", &self.passes.len())
            .field("tickets", &self.tickets.len())
            .field("rate_buckets", &self.rates.len())
            .field("failure_counts", &self.failures.len())
            .field("replies", &self.replies.len())
            .field("capacity", &self.challenges.capacity)
            .finish()
    }
}

impl Store for MemoryStore {
    fn settle(
        &self,
        id: Id,
        passed: bool,
        max_attempts: u32,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<Settled, StoreError>> {
        let result = self.settle_now(id, passed, max_attempts, expires_at, now);
        Box::pin(std::future::ready(result))
    }

    fn spend_pass(
        &self,
        jti: Id,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let result = self.spend_pass_now(jti, expires_at, now);
        Box::pin(std::future::ready(result))
    }

    fn put_ticket(
        &self,
        id: Id,
        record: TicketRecord,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let result = self.put_ticket_now(id, record, expires_at, now);
        Box::pin(std::future::ready(result))
    }

    fn take_ticket<'a>(
        &'a self,
        id: Id,
        scope: Option<&'a str>,
        now: u64,
    ) -> BoxFuture<'a, Result<TicketTake, StoreError>> {
        let result = self.take_ticket_now(id, scope, now);
        Box::pin(std::future::ready(result))
    }

    fn rate<'a>(
        &'a self,
        buckets: &'a [Bucket],
        now: u64,
    ) -> BoxFuture<'a, Result<RateDecision, StoreError>> {
        Box::pin(std::future::ready(self.rate_now(buckets, now)))
    }

    fn failures(
        &self,
        key: [u8; 16],
        add: bool,
        window_ms: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(u32, u64), StoreError>> {
        Box::pin(std::future::ready(
            self.failures_now(key, add, window_ms, now),
        ))
    }

    fn clear_failures(&self, key: [u8; 16], now: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let cleared = self
            .failures
            .update(&key, now, now, |count, _| *count = None);
        Box::pin(std::future::ready(cleared))
    }

    fn remember<'a>(
        &'a self,
        key: [u8; 16],
        reply: &'a [u8],
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let result = self.replies.update(&key, expires_at, now, |kept, _| {
            if kept.is_none() {
                *kept = Some(reply.into());
            }
        });
        Box::pin(std::future::ready(result))
    }

    fn recall(
        &self,
        key: [u8; 16],
        now: u64,
    ) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        let result = self
            .replies
            .update(&key, 0, now, |kept, _| kept.as_deref().map(<[u8]>::to_vec));
        Box::pin(std::future::ready(result))
    }
}

/// One bounded map of expiring entries.
struct Table<V> {
    map: DashMap<[u8; 16], Slot<V>>,
    count: AtomicUsize,
    capacity: usize,
    last_sweep: AtomicU64,
}

struct Slot<V> {
    expires_at: u64,
    /// `None` only while an update runs; such a slot is removed before its lock is released.
    value: Option<V>,
}

impl<V> Table<V> {
    fn new(capacity: usize) -> Self {
        Self {
            map: DashMap::new(),
            count: AtomicUsize::new(0),
            capacity,
            last_sweep: AtomicU64::new(0),
        }
    }

    fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Runs `f` on the live value of `id` (`None` when absent or expired) and its expiry
    /// under the entry's lock: one atomic step. A value `f` creates lives until
    /// `expires_at` unless `f` sets another expiry; a value it changes keeps its expiry
    /// unless `f` changes it. Creating one in a full table fails with
    /// [`StoreError::Full`], and then nothing changes.
    fn update<R>(
        &self,
        id: &[u8; 16],
        expires_at: u64,
        now: u64,
        f: impl FnOnce(&mut Option<V>, &mut u64) -> R,
    ) -> Result<R, StoreError> {
        // Sweep before taking the entry: a sweep needs every shard's lock.
        let every = if self.len() >= self.capacity {
            FULL_SWEEP_EVERY_MS
        } else {
            SWEEP_EVERY_MS
        };
        self.sweep_if_due(now, every);
        match self.map.entry(*id) {
            Entry::Occupied(mut entry) => {
                let slot = entry.get_mut();
                if slot.expires_at <= now {
                    slot.value = None;
                    slot.expires_at = expires_at;
                }
                let result = f(&mut slot.value, &mut slot.expires_at);
                if slot.value.is_none() {
                    entry.remove();
                    self.count.fetch_sub(1, Ordering::AcqRel);
                }
                Ok(result)
            }
            Entry::Vacant(entry) => {
                let (mut value, mut expires_at) = (None, expires_at);
                let result = f(&mut value, &mut expires_at);
                if value.is_some() {
                    let reserved = self
                        .count
                        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                            (n < self.capacity).then_some(n + 1)
                        })
                        .is_ok();
                    if !reserved {
                        return Err(StoreError::Full);
                    }
                    entry.insert(Slot { expires_at, value });
                }
                Ok(result)
            }
        }
    }

    /// Removes expired entries if the last sweep is at least `every` ms old. One caller
    /// sweeps at a time; the others go on.
    fn sweep_if_due(&self, now: u64, every: u64) {
        let last = self.last_sweep.load(Ordering::Acquire);
        if now < last.saturating_add(every)
            || self
                .last_sweep
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        self.map.retain(|_, slot| {
            let keep = slot.expires_at > now;
            if !keep {
                self.count.fetch_sub(1, Ordering::AcqRel);
            }
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_counts_never_ids_or_scopes() {
        let store = MemoryStore::with_capacity(10);
        let id = Id::from_bytes([7; 16]);
        store.settle_now(id, false, 5, 10_000, 0).unwrap();
        store
            .put_ticket_now(
                id,
                TicketRecord {
                    scope: Some("secret-scope".into()),
                    payload: "claims".into(),
                },
                10_000,
                0,
            )
            .unwrap();
        let debug = format!("{store:?}");
        assert!(!debug.contains("secret-scope"), "{debug}");
        assert!(!debug.contains(&id.to_string()), "{debug}");
        assert!(!debug.contains("claims"), "{debug}");
        assert!(debug.contains("challenges: 1"), "{debug}");
    }

    #[test]
    fn full_tables_refuse_new_entries_and_keep_live_ones() {
        let store = MemoryStore::with_capacity(2);
        let (a, b, c) = (
            Id::from_bytes([1; 16]),
            Id::from_bytes([2; 16]),
            Id::from_bytes([3; 16]),
        );
        assert_eq!(
            store.settle_now(a, false, 5, 10_000, 0).unwrap(),
            Settled::Wrong { attempts_left: 4 }
        );
        store.settle_now(b, false, 5, 10_000, 0).unwrap();
        assert!(matches!(
            store.settle_now(c, true, 5, 10_000, 0),
            Err(StoreError::Full)
        ));
        // Existing entries still settle; the refused one left no trace.
        assert_eq!(
            store.settle_now(a, true, 5, 10_000, 1).unwrap(),
            Settled::Passed
        );
        assert_eq!(store.challenges.len(), 2);
        // Once they expire there is room again, and expired state is forgotten.
        assert_eq!(
            store.settle_now(c, true, 5, 20_000, 10_000).unwrap(),
            Settled::Passed
        );
        assert_eq!(
            store.settle_now(a, true, 5, 30_000, 10_000).unwrap(),
            Settled::Passed
        );
    }
}
