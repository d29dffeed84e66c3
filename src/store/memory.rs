//! The in-memory store: sharded maps, bounded, swept without a background task.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use super::{BoxFuture, ChallengeRecord, Check, Store, StoreError, VerifyOutcome};
use crate::id::Id;

/// How often, at most, expired entries are swept (ms) while the store has room.
const SWEEP_EVERY_MS: u64 = 5_000;
/// How often, at most, a full store sweeps before answering "full" (ms): bounds the work an
/// attacker can cause by hammering a full store.
const FULL_SWEEP_EVERY_MS: u64 = 100;

/// An in-memory [`Store`] for single-instance apps.
///
/// Expiry is checked on every read; expired entries are also swept, every few seconds, by
/// whichever call comes along (no background task). At most `capacity` challenges
/// (default 100 000) and as many spent pass-token ids are kept: past that, issuing fails
/// with [`StoreError::Full`] — live challenges are never evicted.
#[derive(Debug)]
pub struct MemoryStore {
    challenges: DashMap<[u8; 16], Slot>,
    passes: DashMap<[u8; 16], u64>,
    capacity: usize,
    challenge_count: AtomicUsize,
    pass_count: AtomicUsize,
    last_sweep: AtomicU64,
}

#[derive(Debug)]
enum Slot {
    Pending {
        record: ChallengeRecord,
        attempts: u32,
        expires_at: u64,
    },
    /// Solved or locked; kept until it would have expired so "used" stays distinct from
    /// "expired".
    Spent { expires_at: u64 },
}

impl Slot {
    fn expires_at(&self) -> u64 {
        match self {
            Slot::Pending { expires_at, .. } | Slot::Spent { expires_at } => *expires_at,
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store with the default capacity (100 000 challenges).
    pub fn new() -> Self {
        Self::with_capacity(100_000)
    }

    /// A store that keeps at most `capacity` challenges (and as many spent pass ids).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            challenges: DashMap::new(),
            passes: DashMap::new(),
            capacity,
            challenge_count: AtomicUsize::new(0),
            pass_count: AtomicUsize::new(0),
            last_sweep: AtomicU64::new(0),
        }
    }

    /// Challenges held, pending or spent-but-not-yet-expired.
    pub fn len(&self) -> usize {
        self.challenge_count.load(Ordering::Acquire)
    }

    /// Whether no challenge is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        self.challenges.retain(|_, slot| {
            let keep = slot.expires_at() > now;
            if !keep {
                self.challenge_count.fetch_sub(1, Ordering::AcqRel);
            }
            keep
        });
        self.passes.retain(|_, expires_at| {
            let keep = *expires_at > now;
            if !keep {
                self.pass_count.fetch_sub(1, Ordering::AcqRel);
            }
            keep
        });
    }

    /// Takes one unit of room under `count`, sweeping once if the store is full.
    fn reserve(&self, count: &AtomicUsize, now: u64) -> Result<(), StoreError> {
        let take = || {
            count
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < self.capacity).then_some(n + 1)
                })
                .is_ok()
        };
        if take() {
            return Ok(());
        }
        self.sweep_if_due(now, FULL_SWEEP_EVERY_MS);
        if take() {
            Ok(())
        } else {
            Err(StoreError::Full)
        }
    }

    fn insert_now(
        &self,
        id: Id,
        record: ChallengeRecord,
        expires_at: u64,
        now: u64,
    ) -> Result<(), StoreError> {
        self.sweep_if_due(now, SWEEP_EVERY_MS);
        self.reserve(&self.challenge_count, now)?;
        let slot = Slot::Pending {
            record,
            attempts: 0,
            expires_at,
        };
        if self.challenges.insert(*id.as_bytes(), slot).is_some() {
            // A 128-bit collision: the old entry is replaced, so give back the room.
            self.challenge_count.fetch_sub(1, Ordering::AcqRel);
        }
        Ok(())
    }

    fn verify_now(&self, id: Id, check: Check<'_>, max_attempts: u32, now: u64) -> VerifyOutcome {
        let Entry::Occupied(mut entry) = self.challenges.entry(*id.as_bytes()) else {
            return VerifyOutcome::Unknown;
        };
        let expires_at = entry.get().expires_at();
        if expires_at <= now {
            entry.remove();
            self.challenge_count.fetch_sub(1, Ordering::AcqRel);
            return VerifyOutcome::Unknown;
        }
        let slot = entry.get_mut();
        let Slot::Pending {
            record, attempts, ..
        } = slot
        else {
            return VerifyOutcome::Spent;
        };
        if check(record) {
            return match std::mem::replace(slot, Slot::Spent { expires_at }) {
                Slot::Pending { record, .. } => VerifyOutcome::Passed(record),
                Slot::Spent { .. } => VerifyOutcome::Spent,
            };
        }
        *attempts += 1;
        let attempts_left = max_attempts.saturating_sub(*attempts);
        if attempts_left == 0 {
            *slot = Slot::Spent { expires_at };
        }
        VerifyOutcome::Failed { attempts_left }
    }

    fn spend_pass_now(&self, jti: Id, expires_at: u64, now: u64) -> Result<bool, StoreError> {
        let full = self.pass_count.load(Ordering::Acquire) >= self.capacity;
        self.sweep_if_due(
            now,
            if full {
                FULL_SWEEP_EVERY_MS
            } else {
                SWEEP_EVERY_MS
            },
        );
        match self.passes.entry(*jti.as_bytes()) {
            Entry::Occupied(mut e) => {
                if *e.get() > now {
                    Ok(false)
                } else {
                    e.insert(expires_at);
                    Ok(true)
                }
            }
            Entry::Vacant(e) => {
                // No sweeping here: it would need the shard lock this entry holds.
                let reserved = self
                    .pass_count
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                        (n < self.capacity).then_some(n + 1)
                    })
                    .is_ok();
                if !reserved {
                    return Err(StoreError::Full);
                }
                e.insert(expires_at);
                Ok(true)
            }
        }
    }
}

impl Store for MemoryStore {
    fn insert(
        &self,
        id: Id,
        record: ChallengeRecord,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        let result = self.insert_now(id, record, expires_at, now);
        Box::pin(std::future::ready(result))
    }

    fn verify<'a>(
        &'a self,
        id: Id,
        check: Check<'a>,
        max_attempts: u32,
        now: u64,
    ) -> BoxFuture<'a, Result<VerifyOutcome, StoreError>> {
        let outcome = self.verify_now(id, check, max_attempts, now);
        Box::pin(std::future::ready(Ok(outcome)))
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
}
