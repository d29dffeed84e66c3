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
//! | `tower_captcha_store_seconds` | histogram | `op` (`settle`, `spend_pass`, `put_ticket`, `take_ticket`, `rate`, `failures`) |
//!
//! No label ever carries a client address, an id, a token or an answer.

use std::future::Future;
use std::time::Instant;

use crate::kind::Kind;
use crate::rate_limit::Action;

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
