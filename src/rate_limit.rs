//! Per-client rate limits on issuing and verifying: a token bucket per client address.
//!
//! IPv6 clients are counted per /64 (one subscriber usually holds a whole /64); requests
//! without a client address share one bucket per action. The table of
//! buckets is bounded: when full, buckets that have refilled are dropped (at most every
//! 100 ms, so a flood of new addresses cannot make every request scan the table); clients
//! that still find no room share one overflow bucket per action.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;

/// A token-bucket limit: up to `burst` requests at once, then one every `refill_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    burst: u32,
    refill_every: Duration,
}

impl RateLimit {
    /// `burst` requests at once, then one more each `refill_every`. `burst` is at least 1 and
    /// `refill_every` at least 1 ms.
    pub fn new(burst: u32, refill_every: Duration) -> Self {
        Self {
            burst: burst.max(1),
            refill_every: refill_every.max(Duration::from_millis(1)),
        }
    }
}

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Action {
    Issue,
    Verify,
    /// Redeeming a credential through a route (AJ's `/captcha/verify`, siteverify); the
    /// guard is not limited here.
    Redeem,
}

#[derive(Debug)]
struct Bucket {
    /// Tokens left, in thousandths (integer arithmetic, no drift).
    milli_tokens: u64,
    last_ms: u64,
}

#[derive(Debug)]
pub(crate) struct Limiter {
    issue: Option<RateLimit>,
    verify: Option<RateLimit>,
    redeem: Option<RateLimit>,
    buckets: DashMap<(Action, Client), Bucket>,
    max_clients: usize,
    last_sweep: AtomicU64,
}

/// Whom a bucket counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    /// One client address (IPv6 by its /64).
    Addr(IpAddr),
    /// Every client that found the table full: one shared bucket per action.
    Overflow,
    /// Every request that carries no client address: one shared bucket per action.
    Anonymous,
}
/// Shortest time between two scans of a full table (ms).
const SWEEP_EVERY_MS: u64 = 100;

impl Limiter {
    pub(crate) fn new(
        issue: Option<RateLimit>,
        verify: Option<RateLimit>,
        redeem: Option<RateLimit>,
        max_clients: usize,
    ) -> Self {
        Self {
            issue,
            verify,
            redeem,
            buckets: DashMap::new(),
            max_clients,
            last_sweep: AtomicU64::new(0),
        }
    }

    /// Takes one token for `client`, or says how long until one is available. On success,
    /// the pressure the client puts on its budget: how many quarters of it are used (0 ..=
    /// 4; 0 when unlimited).
    pub(crate) fn check(
        &self,
        action: Action,
        client: Option<IpAddr>,
        now: u64,
    ) -> Result<u32, Duration> {
        let limit = match action {
            Action::Issue => self.issue,
            Action::Verify => self.verify,
            Action::Redeem => self.redeem,
        };
        let Some(limit) = limit else {
            return Ok(0);
        };
        let full = u64::from(limit.burst) * 1000;
        let refill_ms = crate::clock::millis(limit.refill_every).max(1);
        let client = client.map_or(Client::Anonymous, |ip| Client::Addr(group(ip)));
        let mut key = (action, client);
        if !self.buckets.contains_key(&key) && self.buckets.len() >= self.max_clients {
            self.sweep(now);
            if self.buckets.len() >= self.max_clients {
                key = (action, Client::Overflow);
            }
        }
        let mut bucket = self.buckets.entry(key).or_insert(Bucket {
            milli_tokens: full,
            last_ms: now,
        });
        let elapsed = now.saturating_sub(bucket.last_ms);
        bucket.milli_tokens =
            (bucket.milli_tokens + elapsed.saturating_mul(1000) / refill_ms).min(full);
        bucket.last_ms = now;
        if bucket.milli_tokens >= 1000 {
            bucket.milli_tokens -= 1000;
            let used = full - bucket.milli_tokens;
            Ok(u32::try_from(used * 4 / full).unwrap_or(4))
        } else {
            let wait_ms = (1000 - bucket.milli_tokens) * refill_ms / 1000;
            Err(Duration::from_millis(wait_ms.max(1)))
        }
    }
}

impl Limiter {
    /// Drops buckets that have refilled completely (they carry no information), at most
    /// every [`SWEEP_EVERY_MS`]; one caller sweeps, the others go on.
    fn sweep(&self, now: u64) {
        let last = self.last_sweep.load(Ordering::Acquire);
        if now < last.saturating_add(SWEEP_EVERY_MS)
            || self
                .last_sweep
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        self.buckets.retain(|(action, client), bucket| {
            let limit = match action {
                Action::Issue => self.issue,
                Action::Verify => self.verify,
                Action::Redeem => self.redeem,
            };
            matches!(client, Client::Overflow | Client::Anonymous)
                || limit.is_some_and(|l| {
                    let refill_ms = crate::clock::millis(l.refill_every).max(1);
                    now.saturating_sub(bucket.last_ms) / refill_ms < u64::from(l.burst)
                })
        });
    }
}

/// The address a client is counted under: IPv4 as is, IPv6 by its /64.
fn group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let mut seg = v6.segments();
            seg[4..].fill(0);
            IpAddr::V6(seg.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refills() {
        let l = Limiter::new(
            Some(RateLimit::new(3, Duration::from_secs(2))),
            None,
            None,
            10,
        );
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(Action::Issue, Some(ip), 1_000).is_ok());
        }
        let wait = l.check(Action::Issue, Some(ip), 1_000).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2));
        assert!(l.check(Action::Issue, Some(ip), 2_000).is_err());
        assert!(l.check(Action::Issue, Some(ip), 3_000).is_ok());
        // Other clients and unlimited actions are unaffected.
        assert!(
            l.check(Action::Issue, Some("192.0.2.2".parse().unwrap()), 1_000)
                .is_ok()
        );
        assert!(l.check(Action::Verify, Some(ip), 1_000).is_ok());
    }

    #[test]
    fn requests_without_an_address_share_one_bucket() {
        let l = Limiter::new(
            Some(RateLimit::new(2, Duration::from_secs(60))),
            None,
            None,
            10,
        );
        assert!(l.check(Action::Issue, None, 0).is_ok());
        assert!(l.check(Action::Issue, None, 0).is_ok());
        assert!(
            l.check(Action::Issue, None, 0).is_err(),
            "limited, not unlimited"
        );
        assert!(
            l.check(Action::Issue, Some("192.0.2.1".parse().unwrap()), 0)
                .is_ok(),
            "clients with an address keep their own budget"
        );
    }

    #[test]
    fn ipv6_counts_per_64_and_table_is_bounded() {
        let l = Limiter::new(
            Some(RateLimit::new(1, Duration::from_secs(60))),
            None,
            None,
            2,
        );
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        assert!(l.check(Action::Issue, Some(a), 0).is_ok());
        assert!(
            l.check(Action::Issue, Some(b), 0).is_err(),
            "same /64 shares a bucket"
        );
        assert!(
            l.check(Action::Issue, Some("192.0.2.9".parse().unwrap()), 0)
                .is_ok()
        );
        // Table full of buckets that have not refilled: new clients share the overflow bucket.
        assert!(
            l.check(Action::Issue, Some("192.0.2.10".parse().unwrap()), 200)
                .is_ok()
        );
        assert!(
            l.check(Action::Issue, Some("192.0.2.11".parse().unwrap()), 300)
                .is_err()
        );
        assert_eq!(
            l.buckets.len(),
            3,
            "full table plus the overflow bucket, no more"
        );
        // Once buckets have refilled they are dropped and a new client gets its own.
        assert!(
            l.check(Action::Issue, Some("192.0.2.11".parse().unwrap()), 61_000)
                .is_ok()
        );
        assert!(
            l.buckets
                .contains_key(&(Action::Issue, Client::Addr("192.0.2.11".parse().unwrap())))
        );
        // Loopback IPv6 (whose /64 is `::`) is an ordinary client, not the overflow bucket.
        let fresh = Limiter::new(
            Some(RateLimit::new(1, Duration::from_secs(60))),
            None,
            None,
            10,
        );
        assert!(
            fresh
                .check(Action::Issue, Some("::1".parse().unwrap()), 0)
                .is_ok()
        );
        assert!(
            fresh
                .buckets
                .contains_key(&(Action::Issue, Client::Addr("::".parse().unwrap())))
        );
    }
}
