//! Per-client rate limits and lockouts, decided in the store so that every instance sharing
//! a store shares them.
//!
//! Each action (issue, verify or check, redeem through a route) has its own budget, a GCRA
//! bucket ([`Bucket`]): a burst, then one request per interval. A client is counted twice:
//! by its address (IPv4 /32, IPv6 /64) and by its network (IPv4 /24, IPv6 /48, with
//! `CaptchaBuilder::network_share` times the budget), so that one network cannot multiply
//! its budget by using many addresses. A client the app keys itself ([`ClientKey::Custom`]) is
//! counted once; requests without a client share one bucket per action.
//!
//! Requests are validated before they are counted: a malformed request costs nobody's
//! budget, and a verify of an id that does not open is counted in buckets of its own (by
//! address and by network), never in the budget of the network's real verifies (neighbours
//! behind one NAT sending junk cannot spend it for the others). A bucket is forgotten as soon as it carries no information (its client is back
//! to a full burst), so the state is bounded by the request rate, not by the number of
//! clients ever seen.
//!
//! After `Lockout::failures` wrong answers within `Lockout::window`, a client's verifies
//! and checks are refused until the window ends.
//!
//! When the store cannot be asked, rate limits and lockouts fail open by default (the
//! request goes on): issuing needs no store, and a verify that gets through still needs the
//! store to pass, so failing open costs drawing work but never grants a pass.
//! `CaptchaBuilder::rate_limits_fail_closed` refuses instead.

use std::net::IpAddr;
use std::time::Duration;

use crate::client::ClientKey;
use crate::clock::millis;
use crate::store::{Bucket, RateDecision, Store};

/// A budget: up to `burst` requests at once, then one every `refill_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    burst: u32,
    refill_every: Duration,
}

impl RateLimit {
    /// `burst` requests at once, then one more each `refill_every`: `burst` 1 to 1 000 000,
    /// `refill_every` 1 ms to a day (checked when the engine is built).
    pub fn new(burst: u32, refill_every: Duration) -> Self {
        Self {
            burst,
            refill_every,
        }
    }

    /// What is absurd about this budget, if anything.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        if !(1..=1_000_000).contains(&self.burst) {
            return Some("burst must be 1 to 1 000 000");
        }
        let day = Duration::from_secs(86_400);
        (self.refill_every < Duration::from_millis(1) || self.refill_every > day)
            .then_some("refill_every must be 1 ms to 24 hours")
    }

    fn bucket(&self, key: [u8; 16], share: u32) -> Bucket {
        let interval_ms = millis(self.refill_every).max(1);
        let burst = u64::from(self.burst) * u64::from(share.max(1));
        Bucket {
            key,
            // The network's budget refills `share` times as fast, too.
            interval_ms: (interval_ms / u64::from(share.max(1))).max(1),
            tolerance_ms: (interval_ms / u64::from(share.max(1))).max(1) * (burst - 1),
        }
    }
}

/// Locks a client out of verifying after too many wrong answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    failures: u32,
    window: Duration,
}

impl Lockout {
    /// After `failures` wrong answers (1 to 1 000 000) within `window` (1 s to a day), refuse
    /// the client's verifies until the window ends (checked when the engine is built).
    pub fn new(failures: u32, window: Duration) -> Self {
        Self { failures, window }
    }

    /// What is absurd about this lockout, if anything.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        if !(1..=1_000_000).contains(&self.failures) {
            return Some("lockout failures must be 1 to 1 000 000");
        }
        let ok = Duration::from_secs(1)..=Duration::from_secs(86_400);
        (!ok.contains(&self.window)).then_some("lockout window must be 1 s to 24 hours")
    }

    /// Wrong answers allowed within a window.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Action {
    Issue,
    Verify,
    /// A verify of an id that does not open: counted in buckets of its own (by address and
    /// by network, with the verify budget), so that junk is capped per network without
    /// spending the budget of the network's real verifies.
    Junk,
    /// Redeeming a credential through a route (AJ's `/captcha/verify`, siteverify); the
    /// guard is not limited here.
    Redeem,
}

impl Action {
    fn tag(self) -> u8 {
        match self {
            Action::Issue => 1,
            Action::Verify => 2,
            Action::Redeem => 3,
            Action::Junk => 6,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Issue => "issue",
            Action::Verify | Action::Junk => "verify",
            Action::Redeem => "redeem",
        }
    }
}

/// Tag of the failure counters' keys.
const FAILURES: u8 = 4;
/// Tag of the wrong-secret counters' keys (siteverify's callers).
const SECRET_FAILURES: u8 = 5;
/// Wrong secrets a caller may send within [`SECRET_WINDOW`] before everything it sends is
/// refused until the window ends, the right secret included (so the answer to a guess
/// never tells it apart).
const SECRET_GUESSES: u32 = 10;
/// The window of [`SECRET_GUESSES`].
const SECRET_WINDOW: Duration = Duration::from_secs(600);

/// Every budget of an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) issue: Option<RateLimit>,
    pub(crate) verify: Option<RateLimit>,
    pub(crate) redeem: Option<RateLimit>,
    pub(crate) network_share: u32,
    pub(crate) lockout: Option<Lockout>,
    pub(crate) fail_open: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            issue: Some(RateLimit::new(20, Duration::from_secs(2))),
            verify: Some(RateLimit::new(20, Duration::from_secs(1))),
            redeem: Some(RateLimit::new(20, Duration::from_secs(1))),
            network_share: 8,
            lockout: Some(Lockout::new(30, Duration::from_secs(600))),
            fail_open: true,
        }
    }
}

impl Limits {
    /// How many times an address's budget its whole network (IPv4 /24, IPv6 /48) gets
    /// (default 8; 0 turns the network budget off).
    pub(crate) fn network_share(mut self, share: u32) -> Self {
        self.network_share = share;
        self
    }

    /// Refuse requests when the store cannot be asked about limits, instead of letting them
    /// through (the default; see the module docs for why).
    pub(crate) fn fail_closed(mut self) -> Self {
        self.fail_open = false;
        self
    }
}

/// Why a limited request was refused, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused(pub(crate) Duration);

/// Applies [`Limits`] through a store.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: Limits,
}

impl Limiter {
    pub(crate) fn new(limits: Limits) -> Self {
        Self { limits }
    }

    /// Whether any budget counts per client: without a client, requests would all share it.
    pub(crate) fn counts_clients(&self) -> bool {
        let l = &self.limits;
        l.issue.is_some() || l.verify.is_some() || l.redeem.is_some()
    }

    fn limit(&self, action: Action) -> Option<RateLimit> {
        match action {
            Action::Issue => self.limits.issue,
            Action::Verify | Action::Junk => self.limits.verify,
            Action::Redeem => self.limits.redeem,
        }
    }

    /// Takes one request of `action` from `client`'s budgets, or says how long until it
    /// would be admitted. On success, the pressure the client puts on its budget: how many
    /// quarters of its burst are in use (0 ..= 4; 0 when unlimited).
    pub(crate) async fn admit(
        &self,
        store: &dyn Store,
        action: Action,
        client: Option<ClientKey>,
        now: u64,
    ) -> Result<u32, Refused> {
        let Some(limit) = self.limit(action) else {
            return Ok(0);
        };
        let buckets = buckets(action.tag(), &limit, client, self.limits.network_share);
        match crate::metrics::store_op("rate", store.rate(&buckets, now)).await {
            Ok(RateDecision::Admitted { load_per_mille }) => {
                Ok(load_per_mille.min(1000) * 4 / 1000)
            }
            Ok(RateDecision::Limited { retry_after_ms }) => {
                crate::metrics::rate_limited(action.name());
                Err(Refused(Duration::from_millis(retry_after_ms.max(1))))
            }
            Err(e) => self.store_failed("rate limit", &e),
        }
    }

    /// Whether `client` is locked out of verifying; how long until it is not.
    pub(crate) async fn locked_out(
        &self,
        store: &dyn Store,
        client: Option<ClientKey>,
        now: u64,
    ) -> Result<(), Refused> {
        let (Some(lockout), Some(client)) = (self.limits.lockout, client) else {
            return Ok(());
        };
        let count = store.failures(failure_key(client), false, millis(lockout.window), now);
        match crate::metrics::store_op("failures", count).await {
            Ok((count, ends)) if count >= lockout.failures => {
                crate::metrics::locked_out();
                Err(Refused(Duration::from_millis(
                    ends.saturating_sub(now).max(1),
                )))
            }
            Ok(_) => Ok(()),
            Err(e) => self.store_failed("lockout", &e).map(|_| ()),
        }
    }

    /// Whether `client` may still present a secret (siteverify); with `wrong`, counts one more
    /// wrong secret first. Refused once it has sent too many wrong ones in the window,
    /// whatever it sends; a store failure refuses too (fail closed: secrets are not guessed
    /// while the count cannot be kept).
    pub(crate) async fn secret_guess(
        &self,
        store: &dyn Store,
        client: Option<ClientKey>,
        wrong: bool,
        now: u64,
    ) -> Result<(), Refused> {
        let Some(client) = client else {
            return Ok(());
        };
        let key = match client {
            ClientKey::Ip(ip) => ip_keys(SECRET_FAILURES, ip).1,
            ClientKey::Custom(hash) => custom_key(SECRET_FAILURES, &hash),
        };
        let count = store.failures(key, wrong, millis(SECRET_WINDOW), now);
        match crate::metrics::store_op("failures", count).await {
            Ok((count, ends)) if count >= SECRET_GUESSES && (!wrong || count > SECRET_GUESSES) => {
                Err(Refused(Duration::from_millis(
                    ends.saturating_sub(now).max(1),
                )))
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "captcha store failed (siteverify secret count)");
                Err(Refused(Duration::from_secs(1)))
            }
        }
    }

    /// How many wrong answers `client` gave in the current lockout window (0 without a
    /// lockout, or when the store cannot be asked).
    pub(crate) async fn wrong_answers(
        &self,
        store: &dyn Store,
        client: Option<ClientKey>,
        now: u64,
    ) -> u32 {
        let (Some(lockout), Some(client)) = (self.limits.lockout, client) else {
            return 0;
        };
        let count = store.failures(failure_key(client), false, millis(lockout.window), now);
        match crate::metrics::store_op("failures", count).await {
            Ok((count, _)) => count,
            Err(_) => 0,
        }
    }

    /// Counts a wrong answer of `client` towards its lockout. A store failure is logged and
    /// otherwise ignored (the wrong answer is refused either way).
    pub(crate) async fn failed(&self, store: &dyn Store, client: Option<ClientKey>, now: u64) {
        let (Some(lockout), Some(client)) = (self.limits.lockout, client) else {
            return;
        };
        let count = store.failures(failure_key(client), true, millis(lockout.window), now);
        if let Err(e) = crate::metrics::store_op("failures", count).await {
            let _ = self.store_failed("lockout", &e);
        }
    }

    fn store_failed(&self, what: &'static str, e: &crate::StoreError) -> Result<u32, Refused> {
        tracing::warn!(error = %e, what, fail_open = self.limits.fail_open, "captcha store failed");
        if self.limits.fail_open {
            Ok(0)
        } else {
            Err(Refused(Duration::from_secs(1)))
        }
    }
}

/// The buckets `client` is counted in for `action`: its network's, then its own.
fn buckets(action: u8, limit: &RateLimit, client: Option<ClientKey>, share: u32) -> Vec<Bucket> {
    match client {
        Some(ClientKey::Ip(ip)) => {
            let (network, address) = ip_keys(action, ip);
            let mut out = Vec::with_capacity(2);
            if share > 0 {
                out.push(limit.bucket(network, share));
            }
            out.push(limit.bucket(address, 1));
            out
        }
        Some(ClientKey::Custom(hash)) => vec![limit.bucket(custom_key(action, &hash), 1)],
        None => vec![limit.bucket(anonymous_key(action), 1)],
    }
}

/// Key layout: action, family, network prefix (6 bytes, zero-padded); level (0 network, 1
/// address), the rest of the address (7 bytes, zero-padded). The first 8 bytes name the
/// network, so both keys of one client share them.
fn ip_keys(action: u8, ip: IpAddr) -> ([u8; 16], [u8; 16]) {
    let mut network = [0u8; 16];
    network[0] = action;
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            network[1] = 4;
            network[2..5].copy_from_slice(&o[..3]);
            let mut address = network;
            address[8] = 1;
            address[9] = o[3];
            (network, address)
        }
        IpAddr::V6(v6) => {
            let o = v6.octets();
            network[1] = 6;
            network[2..8].copy_from_slice(&o[..6]);
            let mut address = network;
            address[8] = 1;
            address[9..11].copy_from_slice(&o[6..8]);
            (network, address)
        }
    }
}

fn custom_key(action: u8, hash: &[u8; 16]) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[0] = action;
    key[1] = b'c';
    key[2..].copy_from_slice(&hash[..14]);
    key
}

fn anonymous_key(action: u8) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[0] = action;
    key[1] = b'a';
    key
}

/// The key of `client`'s failure count: by address (IPv6 by its /64) or custom key.
fn failure_key(client: ClientKey) -> [u8; 16] {
    match client {
        ClientKey::Ip(ip) => ip_keys(FAILURES, ip).1,
        ClientKey::Custom(hash) => custom_key(FAILURES, &hash),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;
    use crate::testing::block_on;

    fn ip(s: &str) -> Option<ClientKey> {
        Some(s.parse::<IpAddr>().unwrap().into())
    }

    fn limiter(issue: RateLimit, share: u32) -> Limiter {
        Limiter::new(Limits {
            issue: Some(issue),
            verify: None,
            redeem: None,
            network_share: share,
            lockout: Some(Lockout::new(3, Duration::from_secs(60))),
            fail_open: true,
        })
    }

    #[test]
    fn a_burst_then_one_per_interval_even_at_a_millisecond_cadence() {
        let store = MemoryStore::new();
        let l = limiter(RateLimit::new(3, Duration::from_secs(2)), 0);
        let a = ip("192.0.2.1");
        for _ in 0..3 {
            assert!(block_on(l.admit(&store, Action::Issue, a, 1_000)).is_ok());
        }
        let wait = block_on(l.admit(&store, Action::Issue, a, 1_000)).unwrap_err();
        assert_eq!(wait, Refused(Duration::from_secs(2)));
        // One request per millisecond: refused until a token has refilled, then admitted,
        // never stuck (a refill that rounds to nothing must not be thrown away).
        let admitted = (1_001..=7_000)
            .filter(|now| block_on(l.admit(&store, Action::Issue, a, *now)).is_ok())
            .count();
        assert_eq!(admitted, 3, "one per 2 s over 6 s");
        // Other clients and unlimited actions are unaffected.
        assert!(block_on(l.admit(&store, Action::Issue, ip("192.0.3.2"), 1_000)).is_ok());
        assert!(block_on(l.admit(&store, Action::Verify, a, 1_000)).is_ok());
    }

    #[test]
    fn a_network_cannot_multiply_its_budget() {
        let store = MemoryStore::new();
        let l = limiter(RateLimit::new(2, Duration::from_secs(60)), 2);
        // 2 per address, 4 per /24: the third address of the /24 finds it spent.
        let admitted: Vec<bool> = (1..=6)
            .map(|i| {
                let addr = ip(&format!("198.51.100.{i}"));
                block_on(l.admit(&store, Action::Issue, addr, 0)).is_ok()
                    && block_on(l.admit(&store, Action::Issue, addr, 0)).is_ok()
            })
            .collect();
        assert_eq!(admitted, [true, true, false, false, false, false]);
        assert!(block_on(l.admit(&store, Action::Issue, ip("198.51.101.1"), 0)).is_ok());
        // IPv6: a /64 is one address, a /48 one network.
        let v6 = |s| ip(s);
        assert!(block_on(l.admit(&store, Action::Issue, v6("2001:db8:1:1::1"), 0)).is_ok());
        assert!(block_on(l.admit(&store, Action::Issue, v6("2001:db8:1:1::2"), 0)).is_ok());
        assert!(
            block_on(l.admit(&store, Action::Issue, v6("2001:db8:1:1::3"), 0)).is_err(),
            "same /64"
        );
        // A refused request takes nothing from the network's budget.
        assert!(block_on(l.admit(&store, Action::Issue, v6("2001:db8:1:2::1"), 0)).is_ok());
        assert!(block_on(l.admit(&store, Action::Issue, v6("2001:db8:1:2::1"), 0)).is_ok());
        assert!(block_on(l.admit(&store, Action::Issue, v6("2001:db8:1:3::1"), 0)).is_err());
    }

    #[test]
    fn idle_clients_are_forgotten_and_anonymous_ones_share_a_bucket() {
        let store = MemoryStore::new();
        let l = limiter(RateLimit::new(2, Duration::from_secs(1)), 8);
        for i in 0..100u8 {
            block_on(l.admit(&store, Action::Issue, ip(&format!("10.0.{i}.1")), 0)).unwrap();
        }
        assert_eq!(store.client_entries(), 200);
        // A second later every bucket is full again: nothing is worth keeping.
        block_on(l.admit(&store, Action::Issue, ip("10.1.0.1"), 6_000)).unwrap();
        assert_eq!(
            store.client_entries(),
            2,
            "swept: only the newest client's buckets"
        );
        assert!(block_on(l.admit(&store, Action::Issue, None, 10_000)).is_ok());
        assert!(block_on(l.admit(&store, Action::Issue, None, 10_000)).is_ok());
        assert!(block_on(l.admit(&store, Action::Issue, None, 10_000)).is_err());
        assert!(block_on(l.admit(&store, Action::Issue, ip("10.2.0.1"), 10_000)).is_ok());
    }

    #[test]
    fn pressure_rises_with_use() {
        let store = MemoryStore::new();
        let l = limiter(RateLimit::new(8, Duration::from_secs(10)), 0);
        let seen: Vec<u32> = (0..8)
            .map(|_| block_on(l.admit(&store, Action::Issue, ip("192.0.2.1"), 0)).unwrap())
            .collect();
        assert_eq!(seen, [0, 1, 1, 2, 2, 3, 3, 4]);
    }

    #[test]
    fn lockout_after_repeated_failures_until_the_window_ends() {
        let store = MemoryStore::new();
        let l = limiter(RateLimit::new(2, Duration::from_secs(1)), 0);
        let a = ip("192.0.2.1");
        for t in 0..3 {
            assert!(block_on(l.locked_out(&store, a, t * 1000)).is_ok());
            block_on(l.failed(&store, a, t * 1000));
        }
        assert_eq!(
            block_on(l.locked_out(&store, a, 10_000)),
            Err(Refused(Duration::from_secs(50)))
        );
        assert!(block_on(l.locked_out(&store, ip("192.0.2.2"), 10_000)).is_ok());
        assert!(
            block_on(l.locked_out(&store, None, 10_000)).is_ok(),
            "no client, no lockout"
        );
        assert!(
            block_on(l.locked_out(&store, a, 60_000)).is_ok(),
            "the window ended"
        );
    }
}
