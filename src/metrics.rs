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
use crate::rate_limit::Action;

pub(crate) fn draw_overloaded(kind: Kind) {
    metrics::counter!("tower_captcha_draw_overloaded_total", "kind" => kind.as_str()).increment(1);
}

pub(crate) fn issued(kind: Kind) {
    metrics::counter!("tower_captcha_issued_total", "kind" => kind.as_str()).increment(1);
}

pub(crate) fn verified(kind: Option<Kind>, outcome: &'static str) {
    let kind = kind.map_or("unknown", Kind::as_str);
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

pub(crate) fn rate_limited(action: Action) {
    metrics::counter!("tower_captcha_rate_limited_total", "action" => action.name()).increment(1);
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

/// How often, at most, a refused verify (rate limited, locked out) gets a log line of its
/// own (ms): a flood of refusals would otherwise write a line per request.
const REFUSAL_LOG_EVERY_MS: u64 = 10_000;

/// Samples the log lines of refused verifies: the first refusal of every 10 s window is
/// logged (with how many were left out since the last one); the others are only counted, in
/// `tower_captcha_verified_total` like every outcome. Logging is thus bounded by what is
/// admitted, not by what an attacker sends.
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    /// When the current window started (ms; 0 before the first refusal).
    window_start: std::sync::atomic::AtomicU64,
    /// Refusals counted but not logged since the last line.
    left_out: std::sync::atomic::AtomicU64,
}

impl RefusalLog {
    /// Whether this refusal, at `now`, gets a log line; if so, how many were left out since
    /// the last one.
    pub(crate) fn sample(&self, now: u64) -> Option<u64> {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        let start = self.window_start.load(Acquire);
        let due = start == 0 || now >= start.saturating_add(REFUSAL_LOG_EVERY_MS);
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
}

#[cfg(test)]
mod tests {
    use super::RefusalLog;

    #[test]
    fn one_refusal_line_per_window_with_the_count_left_out() {
        let log = RefusalLog::default();
        assert_eq!(log.sample(1_000), Some(0));
        for _ in 0..999 {
            assert_eq!(log.sample(5_000), None);
        }
        assert_eq!(log.sample(10_999), None, "still the first window");
        assert_eq!(log.sample(11_000), Some(1_000));
        assert_eq!(log.sample(11_001), None);
    }
}
