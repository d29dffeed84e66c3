//! What the crate counts, through the [`metrics`](https://docs.rs/metrics) facade: install
//! any recorder (e.g. `metrics-exporter-prometheus`) and these appear; without one they
//! cost nothing.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `tower_captcha_issued_total` | counter | `kind` |
//! | `tower_captcha_verified_total` | counter | `kind` (`unknown` when the challenge could not be opened), `outcome` (`passed`, `wrong`, `unknown`, `expired`, `used`, `locked`, `locked_out`, `rate_limited`, `busy`, `internal`) |
//! | `tower_captcha_redeemed_total` | counter | `outcome` (`accepted`, `missing`, `invalid`, `expired`, `used`, `scope_mismatch`, `client_mismatch`, `rate_limited`, `busy`) |
//! | `tower_captcha_requests_total` | counter | `protocol`, `route` (the mounted path), `status` (the HTTP status) |
//! | `tower_captcha_rate_limited_total` | counter | `action` (`issue`, `verify`, `redeem`) |
//! | `tower_captcha_locked_out_total` | counter | |
//! | `tower_captcha_store_errors_total` | counter | `op` |
//! | `tower_captcha_store_seconds` | histogram | `op` (`settle`, `spend_pass`, `put_ticket`, `take_ticket`, `rate`, `failures`, `remember`, `recall`) |
//! | `tower_captcha_draw_overloaded_total` | counter | `kind`: issues answered "busy" because the drawing queue stayed full |
//!
//! No label ever carries a client address, an id, a token or an answer.

use std::future::Future;
use std::time::Instant;

use crate::kind::Kind;

pub(crate) fn draw_overloaded(kind: Kind) {
    metrics::counter!("tower_captcha_draw_overloaded_total", "kind" => kind.to_string())
        .increment(1);
}

pub(crate) fn issued(kind: Kind) {
    metrics::counter!("tower_captcha_issued_total", "kind" => kind.to_string()).increment(1);
}

pub(crate) fn verified(kind: Option<Kind>, outcome: &'static str) {
    let kind = kind.map_or_else(|| "unknown".to_owned(), |k| k.to_string());
    metrics::counter!("tower_captcha_verified_total", "kind" => kind, "outcome" => outcome)
        .increment(1);
}

pub(crate) fn redeemed(outcome: &'static str) {
    metrics::counter!("tower_captcha_redeemed_total", "outcome" => outcome).increment(1);
}

pub(crate) fn request(protocol: &'static str, route: &str, status: u16) {
    metrics::counter!(
        "tower_captcha_requests_total",
        "protocol" => protocol,
        "route" => route.to_owned(),
        "status" => status.to_string()
    )
    .increment(1);
}

pub(crate) fn rate_limited(action: &'static str) {
    metrics::counter!("tower_captcha_rate_limited_total", "action" => action).increment(1);
}

pub(crate) fn locked_out() {
    metrics::counter!("tower_captcha_locked_out_total").increment(1);
}

pub(crate) fn store_error(op: &'static str) {
    metrics::counter!("tower_captcha_store_errors_total", "op" => op).increment(1);
}

/// Runs a store operation, timing it (and counting its failure).
pub(crate) async fn store_op<T, E>(
    op: &'static str,
    f: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let start = Instant::now();
    let result = f.await;
    metrics::histogram!("tower_captcha_store_seconds", "op" => op)
        .record(start.elapsed().as_secs_f64());
    if result.is_err() {
        store_error(op);
    }
    result
}

/// Samples log lines that a flood could repeat (refused verifies, requests refused for a
/// configuration mistake): the first event of every window of `every_ms` is logged, with
/// how many were left out since the last line; the others are only counted (in metrics).
/// Logging is thus bounded by time, not by what an attacker sends.
#[derive(Debug)]
pub(crate) struct LogSampler {
    every_ms: u64,
    /// When the current window started (ms; 0 before the first event).
    window_start: std::sync::atomic::AtomicU64,
    /// Events counted but not logged since the last line.
    left_out: std::sync::atomic::AtomicU64,
}

impl LogSampler {
    /// A sampler that lets one line through every `every_ms`.
    pub(crate) const fn new(every_ms: u64) -> Self {
        Self {
            every_ms,
            window_start: std::sync::atomic::AtomicU64::new(0),
            left_out: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Whether this event, at `now` (ms), gets a log line; if so, how many were left out
    /// since the last one.
    pub(crate) fn sample(&self, now: u64) -> Option<u64> {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        let start = self.window_start.load(Acquire);
        let due = start == 0 || now >= start.saturating_add(self.every_ms);
        if due
            && self
                .window_start
                .compare_exchange(start, now.max(1), AcqRel, Acquire)
                .is_ok()
        {
            return Some(self.left_out.swap(0, AcqRel));
        }
        self.left_out.fetch_add(1, AcqRel);
        None
    }

    /// [`sample`](Self::sample) at the system clock's time, for samplers outside an engine.
    pub(crate) fn sample_now(&self) -> Option<u64> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.sample(now)
    }
}

#[cfg(test)]
mod tests {
    use super::LogSampler;

    #[test]
    fn one_line_per_window_with_the_count_left_out() {
        let log = LogSampler::new(10_000);
        assert_eq!(log.sample(1_000), Some(0));
        for _ in 0..999 {
            assert_eq!(log.sample(5_000), None);
        }
        assert_eq!(log.sample(10_999), None, "still the first window");
        assert_eq!(log.sample(11_000), Some(1_000));
        assert_eq!(log.sample(11_001), None);
    }
}
