//! Every error type of the crate, in one leaf module (it depends on nothing else here).
//!
//! [`ConfigError`] is returned once, when something is built; the others are per call:
//! [`IssueError`], [`VerifyError`] and [`RedeemError`] from the engine, [`StoreError`] from a
//! store.

use std::time::Duration;

/// Shortest signing secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// A configuration that cannot work, reported once by a `build()`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A kind's options are wrong (the kind's own words).
    #[error("{kind}: {problem}")]
    Kind {
        /// The kind's name.
        kind: String,
        /// What is wrong.
        problem: String,
    },
    /// Signing secret shorter than [`MIN_SECRET_LEN`].
    #[error(
        "the signing secret has {0} bytes; at least {MIN_SECRET_LEN} are needed \
         (make one with `openssl rand -base64 32`)"
    )]
    WeakSecret(usize),
    /// A key id is empty or used twice.
    #[error("key id {0:?} is empty or used twice")]
    KeyId(String),
    /// A time-to-live of zero or of more than a day.
    #[error("{0} must be between 1 second and 24 hours")]
    Ttl(&'static str),
    /// A trusted proxy that is not an address or a network (`10.0.0.0/8`).
    #[error("trusted proxy {0:?} is not an IP address or network")]
    Proxy(String),
    /// A rate limit or lockout that cannot be meant (a burst of 0, a refill of a year).
    #[error("{setting}: {problem}")]
    Limit {
        /// Which setting.
        setting: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// A capacity of zero.
    #[error("{0} must be at least 1")]
    Capacity(&'static str),
    /// A route path that does not start with `/`.
    #[error("route path {0:?} must start with '/'")]
    Path(String),
    /// Two mounted routes claim the same method and path.
    #[error("two routes claim {method} {path}")]
    DuplicateRoute {
        /// The HTTP method.
        method: String,
        /// The path.
        path: String,
    },
    /// A mounted protocol cannot work as configured (e.g. siteverify with an empty secret).
    #[error("{protocol}: {problem}")]
    Protocol {
        /// The protocol's name.
        protocol: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
}

/// A store failure. Routes answer it with their protocol's "busy" error; the guard fails
/// closed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store holds as many entries as it may; it refuses new work rather than evicting
    /// live state.
    #[error("store is full")]
    Full,
    /// The store could not be reached or answered with an error.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store did not answer in time.
    #[error("store timed out")]
    Timeout,
}

/// Why issuing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The client is over its issue rate limit.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited {
        /// When a new request may succeed.
        retry_after: Duration,
    },
    /// The scope is not 1–32 characters of `A-Z a-z 0-9 _ - .`.
    #[error("invalid scope")]
    InvalidScope,
    /// The requested picture size is outside 80x30 ..= 1000x400.
    #[error("picture size {0}x{1} is outside 80x30 ..= 1000x400")]
    InvalidSize(u32, u32),
    /// The engine offers no challenge of the requested kind.
    #[error("this kind of challenge is not offered")]
    UnsupportedKind,
    /// The picture could not be drawn (a bug or an exhausted machine; logged).
    #[error("the picture could not be drawn")]
    Draw,
    /// Pictures cost a solved proof of work here, and none was given.
    #[error("a solved proof of work is required before a picture")]
    WorkRequired,
    /// The proof of work given is not a solved, unspent, unexpired one of ours.
    #[error("the proof of work was refused")]
    WorkRefused,
    /// The store failed while spending the proof of work.
    #[error("server busy: {0}")]
    Busy(#[source] StoreError),
    /// The drawing queue and the line waiting for it are full
    /// ([`CaptchaBuilder::draw_queue_limit`](crate::CaptchaBuilder::draw_queue_limit)): the
    /// server draws at full speed already; try again in a moment.
    #[error("too many pictures are being drawn; try again in a moment")]
    Overloaded,
}

/// Why a challenge could not be spoken ([`Captcha::listen`](crate::Captcha::listen)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// Not a challenge this engine (or one sharing its secret) issued.
    #[error("unknown challenge")]
    Unknown,
    /// The challenge's time ran out.
    #[error("challenge expired")]
    Expired,
    /// The challenge's kind has no spoken form (or is not offered here).
    #[error("this kind of challenge has no spoken form")]
    NotSpoken,
    /// The client is over its issue rate limit (a clip counts as an issue).
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited {
        /// When a new request may succeed.
        retry_after: Duration,
    },
    /// The drawing queue is full: try again in a moment.
    #[error("too many pictures and clips are being made; try again in a moment")]
    Overloaded,
    /// The clip could not be made (a bug or an exhausted machine; logged).
    #[error("the clip could not be made")]
    Sound,
}

/// Why verifying failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Wrong answer; the challenge stays valid while `attempts_left > 0`.
    #[error("wrong answer ({attempts_left} attempts left)")]
    Wrong {
        /// Attempts left; at 0 the challenge is locked.
        attempts_left: u32,
    },
    /// Not a challenge this engine (or one sharing its secret) issued: malformed, tampered
    /// or sealed under another key.
    #[error("unknown challenge")]
    Unknown,
    /// A challenge of ours, of a kind this engine does not offer: a newer instance's during
    /// a rolling upgrade, or a kind turned off here. Nothing was counted or spent.
    #[error("challenge of kind {0:?}, which this engine does not offer")]
    UnknownKind(String),
    /// The challenge's time ran out.
    #[error("challenge expired")]
    Expired,
    /// Already solved.
    #[error("challenge already used")]
    Used,
    /// Locked by too many wrong answers.
    #[error("challenge locked after too many wrong answers")]
    Locked,
    /// The client is locked out after too many wrong answers across challenges.
    #[error("locked out after too many wrong answers; retry after {retry_after:?}")]
    LockedOut {
        /// When the lockout ends.
        retry_after: Duration,
    },
    /// The client is over its verify rate limit.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited {
        /// When a new request may succeed.
        retry_after: Duration,
    },
    /// The store refused or failed.
    #[error("server busy: {0}")]
    Busy(#[source] StoreError),
    /// The pass could not be signed (logged).
    #[error("the pass could not be signed")]
    Sign,
}

/// Why a credential (a pass token or a second-stage ticket) was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedeemError {
    /// No credential was given.
    #[error("captcha token missing")]
    Missing,
    /// Not a credential we issued: malformed, wrong algorithm, unknown key, tampered, or a
    /// ticket we do not know.
    #[error("invalid captcha token")]
    Invalid,
    /// Its lifetime has passed.
    #[error("captcha token expired")]
    Expired,
    /// It was already redeemed.
    #[error("captcha token already used")]
    Used,
    /// It was minted for another scope than the one required.
    #[error("captcha token minted for another scope")]
    ScopeMismatch,
    /// It was minted for no scope, while one is required (issue it with `?scope=`).
    #[error("captcha token minted for no scope")]
    NoScope,
    /// A credential of ours, for a kind this engine does not offer (a newer instance's,
    /// during a rolling upgrade): not forged, not spent; another instance may accept it.
    #[error("captcha token for kind {0:?}, which this version does not know")]
    UnknownKind(String),
    /// It is bound to another client than the one presenting it.
    #[error("captcha token bound to another client")]
    ClientMismatch,
    /// The client is over its redeem rate limit (routes that redeem only, never the guard).
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited {
        /// When a new request may succeed.
        retry_after: Duration,
    },
    /// The store could not be asked (fail closed).
    #[error("server busy: {0}")]
    Busy(#[source] StoreError),
}
