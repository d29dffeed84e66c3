//! The engine: issue a challenge, verify (or check) a solution, redeem a credential. No HTTP
//! here, and nothing specific to one kind of challenge or one wire format: kinds live in
//! `kind/`, wire formats in `protocol/`.
//!
//! | file | concept |
//! |---|---|
//! | `issue.rs` | [`Issue`]: a challenge of any kind, sealed into its id |
//! | `verify.rs` | [`Verify`] and [`Check`]: a solution settled once, for a pass or a ticket |
//! | `listen.rs` | [`Listen`]: a challenge spoken, for people who cannot see its picture |
//! | `redeem.rs` | [`Redeem`]: a pass or ticket spent once |
//! | `claims.rs` | what passes and tickets claim, and whom they are bound to |
//! | `failures.rs` | a pass only after failures: attempts counted per client and account |
//! | `managed.rs` | the engine picks the challenge from what it knows of the client |
//! | `builder.rs` | every setting and its default |

pub(crate) mod builder;
mod claims;
mod failures;
mod issue;
mod listen;
mod managed;
mod redeem;
#[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
pub(crate) mod test_mode;
mod verify;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;

use crate::clock::Clock;
use crate::error::StoreError;
use crate::kind::{DynKind, Kind, Puzzle};
use crate::pass::jwt::Signer;
use crate::rate_limit::Limiter;
use crate::render::pool::RenderPool;
use crate::seal::Sealer;
use crate::store::Store;

pub use builder::CaptchaBuilder;
pub use failures::{AfterFailures, Attempt};
pub use issue::Issue;
pub use listen::Listen;
pub use managed::Managed;
pub use redeem::Redeem;
pub use verify::{Check, Verify};

/// The captcha engine: a cheap-clone handle (an `Arc` inside).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_captcha::{Captcha, Kind, Puzzle};
///
/// let captcha = Captcha::builder().secret([7u8; 32].to_vec()).build()?;
/// let challenge = captcha.issue(Kind::TEXT).scope("login").await?;
/// assert!(matches!(&challenge.puzzle, Puzzle::Image { png } if png.starts_with(b"\x89PNG")));
/// // The person types what the picture shows; a wrong answer keeps the challenge alive.
/// let err = captcha.verify(&challenge.id, "nope").await.unwrap_err();
/// assert!(matches!(err, tower_captcha::VerifyError::Wrong { attempts_left: 4 }));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Captcha {
    inner: Arc<Inner>,
}

struct Inner {
    kinds: Vec<Arc<dyn DynKind>>,
    challenge_ttl: Duration,
    /// Whether pictures cost a solved proof of work.
    work_for_pictures: bool,
    /// Whether passes carry a keyed hash of the client that earned them.
    bind_passes: bool,
    /// `iss` and `aud` of every pass, if set.
    issuer: Option<String>,
    audience: Option<String>,
    /// Key of the keyed hashes of clients (bindings, log tags), derived from the secret.
    client_key: [u8; 32],
    /// Key of per-challenge keys ([`Captcha::challenge_key`]), derived from the secret.
    challenge_key: [u8; 32],
    /// How many failures make a pass necessary ([`Captcha::pass_required`]).
    after_failures: AfterFailures,
    /// How [`Captcha::issue_managed`] chooses.
    managed: Managed,
    /// Whether log lines show client addresses instead of their keyed hashes.
    log_addresses: bool,
    pass_ttl: Duration,
    ticket_ttl: Duration,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    signer: Signer,
    sealer: Sealer,
    randomness: Randomness,
    limiter: Limiter,
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    test_mode: Option<test_mode::TestMode>,
    /// Where pictures are drawn.
    pool: RenderPool,
    /// Samples the log lines of refused verifies (one per 10 s).
    refusals: crate::metrics::LogSampler,
}

/// Where random values come from.
enum Randomness {
    /// The thread's CSPRNG (the default, and the only choice without `test-util`).
    Os,
    /// A seeded generator, for repeatable tests.
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    Seeded(Box<std::sync::Mutex<rand::rngs::StdRng>>),
}

/// A challenge to show a person.
#[derive(Clone)]
#[non_exhaustive]
pub struct Challenge {
    /// The id the client sends back with its solution: the sealed challenge itself.
    pub id: String,
    /// The kind of challenge.
    pub kind: Kind,
    /// What to show.
    pub puzzle: Puzzle,
    /// How long it can be answered.
    pub expires_in: Duration,
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Challenge")
            .field("kind", &self.kind)
            .field("puzzle", &self.puzzle)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why the drawing pool made nothing.
enum Unmade {
    /// The pool and its line were full (counted).
    Overloaded,
    /// The job failed (logged).
    Failed,
}

/// What a job on the drawing pool made for `kind` (`what`: "picture", "clip"): a full pool is
/// counted, a failure logged, once for every caller.
fn made<T>(
    kind: Kind,
    what: &str,
    outcome: Result<Result<T, crate::render::DrawError>, crate::render::pool::PoolError>,
) -> Result<T, Unmade> {
    use crate::render::pool::PoolError;
    match outcome {
        Ok(Ok(made)) => Ok(made),
        Err(PoolError::Busy) => {
            crate::metrics::draw_overloaded(kind);
            Err(Unmade::Overloaded)
        }
        Ok(Err(e)) => {
            tracing::error!(kind = kind.as_str(), error = %e, "captcha {what} could not be made");
            Err(Unmade::Failed)
        }
        Err(PoolError::Failed) => {
            tracing::error!(kind = kind.as_str(), "captcha {what} could not be made");
            Err(Unmade::Failed)
        }
    }
}

impl Captcha {
    /// Starts a builder with the defaults.
    pub fn builder() -> CaptchaBuilder {
        CaptchaBuilder::default()
    }

    /// Runs `f` with the engine's random generator: the thread's CSPRNG, or the seeded one
    /// in tests.
    fn with_rng<T>(&self, f: impl FnOnce(&mut dyn RngCore) -> T) -> T {
        match &self.inner.randomness {
            Randomness::Os => f(&mut rand::rng()),
            #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
            Randomness::Seeded(rng) => {
                let mut guard = rng
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                f(&mut *guard)
            }
        }
    }

    fn now(&self) -> u64 {
        self.inner.clock.now_millis()
    }

    fn kind(&self, kind: Kind) -> Option<&Arc<dyn DynKind>> {
        self.inner.kinds.iter().find(|k| k.kind() == kind)
    }

    /// How long a challenge can be answered.
    pub fn challenge_ttl(&self) -> Duration {
        self.inner.challenge_ttl
    }

    /// How long a pass token is valid.
    pub fn pass_ttl(&self) -> Duration {
        self.inner.pass_ttl
    }

    /// The public keys passes are signed with, as a JWK Set (`{"keys": [...]}`): the
    /// Ed25519 key of [`eddsa_signing_key`](CaptchaBuilder::eddsa_signing_key), or none
    /// when passes are signed with the HS256 secret. Feature `eddsa`.
    #[cfg(feature = "eddsa")]
    pub fn jwks(&self) -> serde_json::Value {
        self.inner.signer.jwks()
    }

    /// Whether passes of `kind` were earned with a picture (not a proof of work): what a
    /// client over its failures must show. A kind this engine does not offer is not.
    pub(crate) fn is_picture(&self, kind: Kind) -> bool {
        self.kind(kind).is_some_and(|k| k.policy().picture)
    }

    /// The kinds this engine offers, in the order they were registered.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.inner.kinds.iter().map(|k| k.kind())
    }

    /// The kinds this engine offers that can also be listened to ([`Captcha::listen`]).
    pub fn spoken_kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.inner
            .kinds
            .iter()
            .filter(|k| k.speaks())
            .map(|k| k.kind())
    }

    /// A key of challenge `id` for one `purpose`, derived from the app's secret: the same on
    /// every instance that shares the secret, unguessable without it, and unrelated between
    /// purposes and challenges. For protocols that hand a client a per-challenge key
    /// (AJ-Captcha's `secretKey`) without sealing it anywhere.
    pub fn challenge_key(&self, id: &str, purpose: &str) -> [u8; 32] {
        let purpose_len = (purpose.len() as u64).to_be_bytes();
        let parts: [&[u8]; 3] = [&purpose_len, purpose.as_bytes(), id.as_bytes()];
        crate::keys::hmac_sha256(&self.inner.challenge_key, &parts)
    }

    /// Whether this engine's rate limits count per client (so its routes need to know who the
    /// client is).
    pub(crate) fn counts_clients(&self) -> bool {
        self.inner.limiter.counts_clients()
    }

    /// The reply remembered under `key` by [`remember_reply`](Self::remember_reply), on any
    /// instance that shares the store; `None` when there is none or the store failed (then
    /// the call is simply served again).
    pub(crate) async fn recall_reply(&self, key: [u8; 16]) -> Option<bytes::Bytes> {
        let now = self.now();
        match crate::metrics::store_op("recall", self.inner.store.recall(key, now)).await {
            Ok(reply) => reply.map(Into::into),
            Err(e) => {
                store_failed("recall", e);
                None
            }
        }
    }

    /// Remembers `reply` under `key` until `exp` (seconds since the epoch: the expiry of the
    /// pass it answered for; siteverify's idempotent replies). A store failure is logged:
    /// the reply was given, only its replay is lost.
    pub(crate) async fn remember_reply(&self, key: [u8; 16], reply: &[u8], exp: u64) {
        let now = self.now();
        let until = exp.saturating_mul(1000);
        let kept = self.inner.store.remember(key, reply, until, now);
        if let Err(e) = crate::metrics::store_op("remember", kept).await {
            store_failed("remember", e);
        }
    }
}

fn store_failed(during: &'static str, e: StoreError) -> StoreError {
    tracing::error!(error = %e, during, "captcha store failed");
    e
}

/// A scope is 1–32 characters of `A-Z a-z 0-9 _ - .`.
pub(crate) fn valid_scope(scope: &str) -> bool {
    (1..=32).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl fmt::Debug for Captcha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captcha")
            .field("kinds", &self.kinds().collect::<Vec<_>>())
            .field("challenge_ttl", &self.inner.challenge_ttl)
            .field("pass_ttl", &self.inner.pass_ttl)
            .field("signer", &self.inner.signer)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::IntoFuture;

    use super::*;
    use crate::error::IssueError;
    use crate::kind::Size;
    use crate::testing::block_on;

    #[test]
    fn scopes_are_validated() {
        assert!(valid_scope("login"));
        assert!(valid_scope("password_reset.v2-x"));
        for bad in ["", "a b", "é", "a/b", &"x".repeat(33)] {
            assert!(!valid_scope(bad), "{bad:?}");
        }
    }

    #[test]
    fn issuing_writes_nothing_and_ids_are_sealed() {
        let store = Arc::new(crate::MemoryStore::new());
        let captcha = Captcha::builder()
            .secret([1u8; 32].to_vec())
            .shared_store(store.clone())
            .build()
            .unwrap();
        let a = block_on(captcha.issue(Kind::TEXT).scope("login").into_future()).unwrap();
        let b = block_on(captcha.issue(Kind::TEXT).into_future()).unwrap();
        assert!(store.is_empty(), "issue touched the store");
        assert_ne!(a.id, b.id);
        assert!((80..=100).contains(&a.id.len()), "{}", a.id.len());
        // Nothing of the answer is in the id: the same answer sealed twice looks unrelated.
        let (_, sealed) = captcha.inner.sealer.open(&a.id).unwrap();
        let again = captcha.inner.sealer.seal(&sealed, &mut rand::rng()).1;
        assert_ne!(again, a.id);
        // Answering is what creates state.
        block_on(captcha.verify(&a.id, "nope").into_future()).unwrap_err();
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn challenge_keys_depend_on_the_secret_the_challenge_and_the_purpose() {
        let make = |secret: u8| {
            Captcha::builder()
                .secret([secret; 32].to_vec())
                .build()
                .unwrap()
        };
        let (a, b) = (make(1), make(2));
        assert_eq!(
            a.challenge_key("id", "aj"),
            make(1).challenge_key("id", "aj")
        );
        assert_ne!(a.challenge_key("id", "aj"), b.challenge_key("id", "aj"));
        assert_ne!(a.challenge_key("id", "aj"), a.challenge_key("id2", "aj"));
        assert_ne!(a.challenge_key("id", "aj"), a.challenge_key("id", "other"));
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let secret = "a very secret signing key of 32+ bytes";
        let captcha = Captcha::builder().secret(secret).build().unwrap();
        let challenge = block_on(captcha.issue(Kind::TEXT).into_future()).unwrap();
        let err = block_on(captcha.verify(&challenge.id, "WRONG").into_future()).unwrap_err();
        let debug = format!(
            "{captcha:?} {challenge:?} {err:?} {:?}",
            Captcha::builder().secret(secret)
        );
        assert!(!debug.contains("secret signing"), "{debug}");
        assert!(!debug.contains(&challenge.id), "{debug}");
    }

    #[test]
    fn bad_issue_requests_are_refused_before_any_work() {
        let captcha = Captcha::builder()
            .secret([1u8; 32].to_vec())
            .build()
            .unwrap();
        assert!(matches!(
            block_on(captcha.issue(Kind::TEXT).scope("a b").into_future()),
            Err(IssueError::InvalidScope)
        ));
        assert!(matches!(
            block_on(
                captcha
                    .issue(Kind::TEXT)
                    .size(Size::new(10, 10))
                    .into_future()
            ),
            Err(IssueError::InvalidSize(10, 10))
        ));
        assert!(matches!(
            block_on(captcha.issue(Kind::new("hologram")).into_future()),
            Err(IssueError::UnsupportedKind)
        ));
    }
}
