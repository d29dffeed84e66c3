//! The engine: issue a challenge, verify (or check) a solution, redeem a credential. No HTTP
//! here, and nothing specific to one kind of challenge: kinds live in `kind/`, wire formats
//! in `protocol/`.

pub(crate) mod builder;
#[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
pub(crate) mod test_mode;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;

use crate::client::ClientKey;
use crate::clock::{Clock, millis};
use crate::error::{IssueError, RedeemError, StoreError, VerifyError};
use crate::id::Id;
use crate::kind::{Answer, ChallengeKind, Issued, Kind, Puzzle, Size, Solution, pow};
use crate::pass::jwt::Signer;
use crate::pass::{Credential, Pass, PassClaims, Ticket, ticket_id};
use crate::rate_limit::{Action, Limiter, Refused};
use crate::render::pool::{PoolError, RenderPool};
use crate::seal::{Sealed, Sealer, aes_ecb_encrypt, random_secret_key};
use crate::store::{Settled, Store, TicketRecord, TicketTake};

pub use builder::CaptchaBuilder;

/// The captcha engine: a cheap-clone handle (an `Arc` inside).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_captcha::{Captcha, Kind, Puzzle};
///
/// let captcha = Captcha::builder().secret([7u8; 32].to_vec()).build()?;
/// let challenge = captcha.issue(Kind::Text).scope("login").await?;
/// assert!(matches!(&challenge.puzzle, Puzzle::Image { png } if png.starts_with(b"\x89PNG")));
/// // The person types what the picture shows; a wrong answer keeps the challenge alive.
/// let err = captcha.verify(&challenge.id, "nope", None).await.unwrap_err();
/// assert!(matches!(err, tower_captcha::VerifyError::Wrong { attempts_left: 4 }));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Captcha {
    inner: Arc<Inner>,
}

struct Inner {
    kinds: Vec<Arc<dyn ChallengeKind>>,
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
pub struct Challenge {
    /// The id the client sends back with its solution: the sealed challenge itself.
    pub id: String,
    /// The kind of challenge.
    pub kind: Kind,
    /// What to show.
    pub puzzle: Puzzle,
    /// A per-challenge key the client encrypts its solution with (AJ-Captcha's
    /// `secretKey`), when one was asked for.
    pub secret_key: Option<String>,
    /// How long it can be answered.
    pub expires_in: Duration,
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Challenge")
            .field("kind", &self.kind)
            .field("puzzle", &self.puzzle)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// An issue request, made by [`Captcha::issue`]: set what you need, then `.await` it.
#[must_use = "an issue request does nothing until awaited"]
pub struct Issue<'a> {
    captcha: &'a Captcha,
    kind: Kind,
    scope: Option<&'a str>,
    client: Option<ClientKey>,
    size: Option<Size>,
    secret_key: bool,
    work: Option<&'a str>,
}

impl<'a> Issue<'a> {
    /// A solved proof of work (the payload ALTCHA's widget submits), spent by this issue
    /// when the engine puts a price on pictures
    /// ([`require_work_for_pictures`](CaptchaBuilder::require_work_for_pictures)); ignored
    /// otherwise.
    pub fn work(mut self, payload: impl Into<Option<&'a str>>) -> Self {
        self.work = payload.into();
        self
    }

    /// Binds the resulting pass to `scope` (1–32 characters of `A-Z a-z 0-9 _ - .`), e.g.
    /// `login`; a guard made with [`Captcha::require_scope`] accepts only passes of its
    /// scope. `None` binds it to none.
    pub fn scope(mut self, scope: impl Into<Option<&'a str>>) -> Self {
        self.scope = scope.into();
        self
    }

    /// The client, which rate limits count against: an address (`IpAddr`) or a key of
    /// the app's choosing ([`ClientKey::custom`]). Without one, all such requests share one
    /// budget.
    pub fn client(mut self, client: impl Into<ClientKey>) -> Self {
        self.client = Some(client.into());
        self
    }

    /// Like [`client`](Self::client), for a client that may be unknown.
    pub fn client_key(mut self, client: Option<ClientKey>) -> Self {
        self.client = client;
        self
    }

    /// The picture size (default: the kind's own, e.g. 160x60 for text).
    pub fn size(mut self, size: impl Into<Option<Size>>) -> Self {
        self.size = size.into();
        self
    }

    /// Also make a per-challenge secret key for the client to encrypt its solution with
    /// (AJ-Captcha's `secretKey`).
    pub fn with_secret_key(mut self) -> Self {
        self.secret_key = true;
        self
    }
}

impl fmt::Debug for Issue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issue")
            .field("kind", &self.kind)
            .field("scope", &self.scope)
            .field("size", &self.size)
            .field("secret_key", &self.secret_key)
            .finish_non_exhaustive()
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl<'a> IntoFuture for Issue<'a> {
    type Output = Result<Challenge, IssueError>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.captcha.issue_now(self))
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

    fn kind(&self, kind: Kind) -> Option<&Arc<dyn ChallengeKind>> {
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

    /// The kinds this engine offers.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.inner.kinds.iter().map(|k| k.kind())
    }

    /// Draws the puzzle of `kind` for `answer` at `size` (the kind's default when `None`),
    /// without issuing a challenge: for previews and benchmarks. Runs on the calling thread.
    /// `None` if the engine does not offer `kind` or the size cannot be drawn.
    pub fn draw(&self, kind: Kind, answer: &Answer, size: Option<Size>) -> Option<Puzzle> {
        let kind = self.kind(kind)?;
        let size = size.unwrap_or_else(|| kind.default_size());
        let issued = Issued {
            id: "",
            expires_at: self.now(),
        };
        size.is_drawable()
            .then(|| self.with_rng(|rng| kind.draw(answer, size, &issued, rng)))
    }

    /// Starts issuing a challenge of `kind`; set a scope, client, size or secret key on the
    /// request, then `.await` it. Issuing writes nothing to the store: the challenge is
    /// sealed into its id.
    pub fn issue(&self, kind: Kind) -> Issue<'_> {
        Issue {
            captcha: self,
            kind,
            scope: None,
            client: None,
            size: None,
            secret_key: false,
            work: None,
        }
    }

    async fn issue_now(&self, request: Issue<'_>) -> Result<Challenge, IssueError> {
        let Issue {
            kind,
            scope,
            client,
            size,
            secret_key,
            work,
            ..
        } = request;
        // Validate before counting: a bad request costs no one's budget.
        if scope.is_some_and(|s| !valid_scope(s)) {
            return Err(IssueError::InvalidScope);
        }
        let kind_impl = self.kind(kind).ok_or(IssueError::UnsupportedKind)?.clone();
        let size = size.unwrap_or_else(|| kind_impl.default_size());
        if !size.is_drawable() {
            return Err(IssueError::InvalidSize(size.width, size.height));
        }
        let now = self.now();
        // The price of a picture: read before counting, spent only once the issue is
        // admitted, so that a refused issue does not cost the client its work.
        let work = if self.inner.work_for_pictures && kind != Kind::Pow {
            let payload = work.ok_or(IssueError::WorkRequired)?;
            Some(pow::read_payload(payload).ok_or(IssueError::WorkRefused)?)
        } else {
            None
        };
        let pressure = self
            .inner
            .limiter
            .admit(&*self.inner.store, Action::Issue, client, now)
            .await
            .map_err(|Refused(retry_after)| IssueError::RateLimited { retry_after })?;
        if let Some((id, solution)) = work {
            // Not spent on an issue that would only be told "busy" (a hint: the line may
            // still fill up meanwhile).
            if !kind_impl.draws_inline() && self.inner.pool.is_full() {
                return Err(overloaded(kind));
            }
            self.spend_work(&id, solution, client, now).await?;
        }
        let expires_at = now.saturating_add(millis(self.inner.challenge_ttl));
        let sealed = self.with_rng(|rng| Sealed {
            kind,
            expires_at,
            scope: scope.map(str::to_owned),
            secret_key: secret_key.then(|| random_secret_key(rng)),
            answer: kind_impl.answer(rng, pressure),
        });
        let (_, id) = self.with_rng(|rng| self.inner.sealer.seal(&sealed, rng));
        let Sealed {
            answer, secret_key, ..
        } = sealed;
        let puzzle = if kind_impl.draws_inline() {
            let issued = Issued {
                id: &id,
                expires_at,
            };
            Ok(self.with_rng(|rng| kind_impl.draw(&answer, size, &issued, rng)))
        } else {
            let this = self.clone();
            let id = id.clone();
            self.inner
                .pool
                .run(move || {
                    let issued = Issued {
                        id: &id,
                        expires_at,
                    };
                    this.with_rng(|rng| kind_impl.draw(&answer, size, &issued, rng))
                })
                .await
        };
        let puzzle = match puzzle {
            Ok(puzzle) => puzzle,
            Err(PoolError::Busy) => return Err(overloaded(kind)),
            Err(PoolError::Failed) => {
                tracing::error!(kind = kind.as_str(), "captcha picture could not be drawn");
                return Err(IssueError::Draw);
            }
        };
        crate::metrics::issued(kind);
        tracing::debug!(
            kind = kind.as_str(),
            scoped = scope.is_some(),
            client = %self.client_tag(client),
            "captcha issued"
        );
        Ok(Challenge {
            id,
            kind,
            puzzle,
            secret_key,
            expires_in: self.inner.challenge_ttl,
        })
    }

    /// Spends the proof of work that pays for a picture.
    async fn spend_work(
        &self,
        id: &str,
        solution: Solution,
        client: Option<ClientKey>,
        now: u64,
    ) -> Result<(), IssueError> {
        let mut kind = None;
        match self
            .settle_inner(id, solution, Some(Kind::Pow), client, now, &mut kind)
            .await
        {
            Ok(_) => Ok(()),
            Err(VerifyError::RateLimited { retry_after }) => {
                Err(IssueError::RateLimited { retry_after })
            }
            Err(VerifyError::Busy(e)) => Err(IssueError::Busy(e)),
            Err(_) => Err(IssueError::WorkRefused),
        }
    }

    /// Checks `solution` against challenge `id` and settles it in one atomic store step. A
    /// right solution spends the challenge and returns a pass; a wrong one counts an
    /// attempt (the kind's limit locks it).
    pub async fn verify(
        &self,
        id: &str,
        solution: impl Into<Solution>,
        client: Option<ClientKey>,
    ) -> Result<Pass, VerifyError> {
        #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
        if let Some(mode) = self.inner.test_mode {
            return test_mode::verify(mode, self.inner.pass_ttl);
        }
        let now = self.now();
        let (sealed, _) = self.settle(id, solution.into(), client, now).await?;
        let jti = self.with_rng(|rng| Id::random(rng));
        let claims = self.claims(&sealed, jti, client, now, self.inner.pass_ttl);
        let token = self.inner.signer.sign(&claims).map_err(|e| {
            tracing::error!(error = %e, "captcha pass token could not be signed");
            VerifyError::Sign
        })?;
        Ok(Pass {
            token,
            expires_in: self.inner.pass_ttl,
        })
    }

    /// Like [`verify`](Self::verify), but a right solution returns a second-stage
    /// [`Ticket`] (AJ-Captcha's `captchaVerification`) instead of a pass: the client's
    /// backend redeems it once, or the client sends it to a guarded route.
    ///
    /// The ticket is `id + "---" + the solution's JSON exactly as received`, AES-encrypted
    /// under the challenge's secret key when it has one (AJ's widgets compute the same
    /// string themselves).
    pub async fn check(
        &self,
        id: &str,
        solution: impl Into<Solution>,
        client: Option<ClientKey>,
    ) -> Result<Ticket, VerifyError> {
        #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
        if let Some(mode) = self.inner.test_mode {
            return test_mode::check(mode, self.inner.ticket_ttl);
        }
        let now = self.now();
        let (sealed, plaintext) = self.settle(id, solution.into(), client, now).await?;
        let inner = format!("{id}---{}", plaintext.unwrap_or_default());
        let value = match sealed.secret_key.as_deref() {
            Some(key) => aes_ecb_encrypt(key, &inner).ok_or(VerifyError::Sign)?,
            None => inner,
        };
        let ttl = self.inner.ticket_ttl;
        let claims = self.claims(&sealed, ticket_id(&value), client, now, ttl);
        let record = TicketRecord {
            scope: sealed.scope.map(Into::into),
            payload: serde_json::to_string(&claims)
                .map_err(|_| VerifyError::Sign)?
                .into(),
        };
        let expires_at = now.saturating_add(millis(ttl));
        crate::metrics::store_op(
            "put_ticket",
            self.inner
                .store
                .put_ticket(ticket_id(&value), record, expires_at, now),
        )
        .await
        .map_err(|e| VerifyError::Busy(store_failed("check", e)))?;
        Ok(Ticket {
            value,
            expires_in: ttl,
        })
    }

    fn claims(
        &self,
        sealed: &Sealed,
        jti: Id,
        client: Option<ClientKey>,
        now: u64,
        ttl: Duration,
    ) -> PassClaims {
        let iat = now / 1000;
        PassClaims {
            jti: jti.to_string(),
            iat,
            exp: iat + ttl.as_secs(),
            kind: sealed.kind,
            scope: sealed.scope.clone(),
            cid: client
                .filter(|_| self.inner.bind_passes)
                .map(|c| self.binding(c)),
            iss: self.inner.issuer.clone(),
            aud: self.inner.audience.clone(),
        }
    }

    /// The claim a pass bound to `client` carries: a keyed hash, so the pass does not reveal
    /// the address.
    fn binding(&self, client: ClientKey) -> String {
        use base64::Engine as _;
        let tag = self.keyed_hash(b"pass binding", client);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..16])
    }

    /// A keyed hash of `client` for one `purpose` (so that hashes of one purpose tell
    /// nothing of another's).
    fn keyed_hash(&self, purpose: &[u8], client: ClientKey) -> [u8; 32] {
        use hmac::Mac as _;
        let mut mac =
            <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&self.inner.client_key)
                .expect("HMAC takes keys of any length");
        mac.update(purpose);
        mac.update(&client.bytes());
        mac.finalize().into_bytes().into()
    }

    /// How log lines name a client: a short keyed hash (the same client, the same tag, for
    /// this secret), or the address itself if the app opted in.
    pub(crate) fn client_tag(&self, client: Option<ClientKey>) -> String {
        match client {
            None => "-".into(),
            Some(ClientKey::Ip(ip)) if self.inner.log_addresses => ip.to_string(),
            Some(c) => {
                let tag = self.keyed_hash(b"log tag", c);
                crate::seal::hex(&tag[..6])
            }
        }
    }

    /// Opens the sealed challenge, checks the solution with its kind, and settles the
    /// outcome in the store. On success: the challenge, and the solution's JSON plaintext
    /// when it came as JSON.
    async fn settle(
        &self,
        id: &str,
        solution: Solution,
        client: Option<ClientKey>,
        now: u64,
    ) -> Result<(Sealed, Option<String>), VerifyError> {
        let mut kind = None;
        let outcome = self
            .settle_inner(id, solution, None, client, now, &mut kind)
            .await;
        let result = match &outcome {
            Ok(_) => "passed",
            Err(VerifyError::Wrong { .. }) => "wrong",
            Err(VerifyError::Unknown) => "unknown",
            Err(VerifyError::Expired) => "expired",
            Err(VerifyError::Used) => "used",
            Err(VerifyError::Locked) => "locked",
            Err(VerifyError::LockedOut { .. }) => "locked_out",
            Err(VerifyError::RateLimited { .. }) => "rate_limited",
            Err(VerifyError::Busy(_)) => "busy",
            Err(VerifyError::Sign) => "internal",
        };
        crate::metrics::verified(kind, result);
        match &outcome {
            // Refusals are sampled: a flood of them must not become a flood of log lines.
            Err(VerifyError::RateLimited { .. } | VerifyError::LockedOut { .. }) => {
                if let Some(left_out) = self.inner.refusals.sample(now) {
                    tracing::info!(
                        outcome = result,
                        kind = kind.map(Kind::as_str),
                        client = %self.client_tag(client),
                        refusals_not_logged = left_out,
                        "captcha verify (refusals in the next 10 s are counted in metrics, not logged)"
                    );
                }
            }
            Err(VerifyError::Wrong { attempts_left }) => tracing::info!(
                outcome = result,
                kind = kind.map(Kind::as_str),
                attempts_left,
                client = %self.client_tag(client),
                "captcha verify"
            ),
            _ => tracing::info!(
                outcome = result,
                kind = kind.map(Kind::as_str),
                client = %self.client_tag(client),
                "captcha verify"
            ),
        }
        outcome
    }

    /// [`settle`](Self::settle) without the log line; with `expect`, a challenge of another
    /// kind is unknown (and untouched).
    /// `opened` is set to the challenge's kind once its seal is open.
    async fn settle_inner(
        &self,
        id: &str,
        solution: Solution,
        expect: Option<Kind>,
        client: Option<ClientKey>,
        now: u64,
        opened: &mut Option<Kind>,
    ) -> Result<(Sealed, Option<String>), VerifyError> {
        let store = &*self.inner.store;
        let limiter = &self.inner.limiter;
        let opened_seal = self.inner.sealer.open(id);
        // An id that does not open is counted in buckets of its own (junk), never in the
        // budget of its network's real verifies.
        let action = if opened_seal.is_some() {
            Action::Verify
        } else {
            Action::Junk
        };
        let admitted = limiter.admit(store, action, client, now).await;
        admitted.map_err(|Refused(retry_after)| VerifyError::RateLimited { retry_after })?;
        limiter
            .locked_out(store, client, now)
            .await
            .map_err(|Refused(retry_after)| VerifyError::LockedOut { retry_after })?;
        let (store_id, sealed) = opened_seal.ok_or(VerifyError::Unknown)?;
        if expect.is_some_and(|kind| kind != sealed.kind) {
            return Err(VerifyError::Unknown);
        }
        *opened = Some(sealed.kind);
        if sealed.expires_at <= now {
            return Err(VerifyError::Expired);
        }
        // A kind this engine does not offer (another instance's configuration).
        let kind = self.kind(sealed.kind).ok_or(VerifyError::Unknown)?;
        let (passed, plaintext) = match solution.open(sealed.secret_key.as_deref()) {
            Some((solution, plaintext)) => (kind.check(&sealed.answer, &solution, id), plaintext),
            None => (false, None),
        };
        if !passed {
            limiter.failed(store, client, now).await;
        }
        if !passed && !kind.counts_wrong() {
            // Nothing reaches the store: a wrong payload cannot burn a real one.
            return Err(VerifyError::Wrong {
                attempts_left: kind.max_attempts(),
            });
        }
        let settled = crate::metrics::store_op(
            "settle",
            store.settle(
                store_id,
                passed,
                kind.max_attempts(),
                sealed.expires_at,
                now,
            ),
        )
        .await
        .map_err(|e| store_failed("verify", e))
        .map_err(VerifyError::Busy)?;
        match settled {
            Settled::Passed => Ok((sealed, plaintext)),
            Settled::Wrong { attempts_left } => Err(VerifyError::Wrong { attempts_left }),
            Settled::Used => Err(VerifyError::Used),
            Settled::Locked => Err(VerifyError::Locked),
        }
    }

    /// Redeems a credential once: a pass token (signature, expiry, then its id is spent) or
    /// a second-stage ticket (taken from the store). When `scope` is given, only a
    /// credential minted for that scope is accepted, and one of another scope (or of none)
    /// is refused without being spent. A credential bound to a client
    /// ([`bind_passes_to_clients`](CaptchaBuilder::bind_passes_to_clients)) is refused here:
    /// use [`redeem_by`](Self::redeem_by).
    pub async fn redeem(
        &self,
        credential: &str,
        scope: Option<&str>,
    ) -> Result<PassClaims, RedeemError> {
        self.redeem_by(credential, scope, None).await
    }

    /// Like [`redeem`](Self::redeem), presented by `client`: a credential bound to a client
    /// is accepted only from that client. What the guard calls.
    pub async fn redeem_by(
        &self,
        credential: &str,
        scope: Option<&str>,
        client: Option<ClientKey>,
    ) -> Result<PassClaims, RedeemError> {
        let result = self.redeem_inner(credential.trim(), scope, client).await;
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(RedeemError::Missing) => "missing",
            Err(RedeemError::Invalid) => "invalid",
            Err(RedeemError::Expired) => "expired",
            Err(RedeemError::Used) => "used",
            Err(RedeemError::ScopeMismatch | RedeemError::NoScope) => "scope_mismatch",
            Err(RedeemError::ClientMismatch) => "client_mismatch",
            Err(RedeemError::RateLimited { .. }) => "rate_limited",
            Err(RedeemError::Busy(_)) => "busy",
        };
        crate::metrics::redeemed(outcome);
        tracing::debug!(outcome, client = %self.client_tag(client), "captcha redeem");
        result
    }

    /// Whether `client` may present a secret (siteverify), counting a `wrong` one first:
    /// after 10 wrong secrets in 10 minutes a caller is refused whatever it sends until the
    /// window ends; how long to wait when refused.
    pub(crate) async fn secret_guess(
        &self,
        client: Option<ClientKey>,
        wrong: bool,
    ) -> Result<(), Duration> {
        let limiter = &self.inner.limiter;
        let checked = limiter.secret_guess(&*self.inner.store, client, wrong, self.now());
        checked.await.map_err(|Refused(retry_after)| retry_after)
    }

    /// Like [`redeem_by`](Self::redeem_by), with `client` counted against the redeem rate
    /// limit: for routes that redeem on a client's behalf (AJ-Captcha's `/captcha/verify`).
    pub async fn redeem_from(
        &self,
        credential: &str,
        scope: Option<&str>,
        client: Option<ClientKey>,
    ) -> Result<PassClaims, RedeemError> {
        let result = self
            .inner
            .limiter
            .admit(&*self.inner.store, Action::Redeem, client, self.now())
            .await;
        if let Err(Refused(retry_after)) = result {
            crate::metrics::redeemed("rate_limited");
            return Err(RedeemError::RateLimited { retry_after });
        }
        self.redeem_by(credential, scope, client).await
    }

    async fn redeem_inner(
        &self,
        credential: &str,
        scope: Option<&str>,
        client: Option<ClientKey>,
    ) -> Result<PassClaims, RedeemError> {
        if credential.is_empty() {
            return Err(RedeemError::Missing);
        }
        let now = self.now();
        #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
        if self.inner.test_mode.is_some() && credential == test_mode::TEST_PASS {
            return Ok(test_mode::claims(scope, now / 1000));
        }
        let claims = match Credential::parse(credential).ok_or(RedeemError::Invalid)? {
            Credential::Pass(token) => self.redeem_pass(token, scope, client, now).await?,
            Credential::Ticket(id) => self.redeem_ticket(id, scope, client, now).await?,
        };
        Ok(claims)
    }

    /// Whether `claims` are ours to accept now, from `client`, before anything is spent:
    /// issued by this configuration (issuer, audience), not in the future, for no longer
    /// than a pass lives, not expired, and from the client they are bound to.
    fn claims_acceptable(
        &self,
        claims: &PassClaims,
        client: Option<ClientKey>,
        now: u64,
    ) -> Result<(), RedeemError> {
        if claims.iss != self.inner.issuer || claims.aud != self.inner.audience {
            return Err(RedeemError::Invalid);
        }
        let longest = self.inner.pass_ttl.max(self.inner.ticket_ttl).as_secs();
        if claims.iat.saturating_mul(1000) > now.saturating_add(CLOCK_SKEW_MS)
            || claims.exp.saturating_sub(claims.iat) > longest
        {
            return Err(RedeemError::Invalid);
        }
        if claims.exp.saturating_mul(1000) <= now {
            return Err(RedeemError::Expired);
        }
        if let Some(bound) = &claims.cid {
            let presented = client.map(|c| self.binding(c));
            let same = presented.is_some_and(|p| {
                bool::from(subtle::ConstantTimeEq::ct_eq(
                    p.as_bytes(),
                    bound.as_bytes(),
                ))
            });
            if !same {
                return Err(RedeemError::ClientMismatch);
            }
        }
        Ok(())
    }

    async fn redeem_pass(
        &self,
        token: &str,
        scope: Option<&str>,
        client: Option<ClientKey>,
        now: u64,
    ) -> Result<PassClaims, RedeemError> {
        let claims = self.inner.signer.check(token).ok_or(RedeemError::Invalid)?;
        let jti = Id::parse(&claims.jti).ok_or(RedeemError::Invalid)?;
        self.claims_acceptable(&claims, client, now)?;
        if let Some(required) = scope {
            match claims.scope.as_deref() {
                None => return Err(RedeemError::NoScope),
                Some(s) if s != required => return Err(RedeemError::ScopeMismatch),
                Some(_) => {}
            }
        }
        // Remember the spent id a while past `exp`, so that a clock stepped back (here or on
        // another instance) cannot make it look fresh and unspent.
        let remember_until = claims
            .exp
            .saturating_mul(1000)
            .saturating_add(SPENT_PASS_GRACE_MS);
        let spent = crate::metrics::store_op(
            "spend_pass",
            self.inner.store.spend_pass(jti, remember_until, now),
        )
        .await;
        match spent {
            Ok(true) => Ok(claims),
            Ok(false) => Err(RedeemError::Used),
            Err(e) => Err(RedeemError::Busy(store_failed("redeem", e))),
        }
    }

    /// A ticket is taken (spent) first, then its claims are checked: one presented by
    /// another client than the one it is bound to is refused, and spent.
    async fn redeem_ticket(
        &self,
        id: Id,
        scope: Option<&str>,
        client: Option<ClientKey>,
        now: u64,
    ) -> Result<PassClaims, RedeemError> {
        let taken =
            crate::metrics::store_op("take_ticket", self.inner.store.take_ticket(id, scope, now))
                .await
                .map_err(|e| RedeemError::Busy(store_failed("redeem", e)))?;
        match taken {
            TicketTake::Taken(record) => {
                // Claims written by an instance of another version may not parse: invalid.
                let claims: PassClaims =
                    serde_json::from_str(&record.payload).map_err(|_| RedeemError::Invalid)?;
                self.claims_acceptable(&claims, client, now)?;
                Ok(claims)
            }
            TicketTake::Used => Err(RedeemError::Used),
            TicketTake::ScopeMismatch { unscoped: true } => Err(RedeemError::NoScope),
            TicketTake::ScopeMismatch { unscoped: false } => Err(RedeemError::ScopeMismatch),
            TicketTake::Unknown => Err(RedeemError::Invalid),
        }
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

    /// The answer sealed into challenge `id`, so that tests can solve challenges; `None`
    /// for an id this engine cannot open. Available with the `test-util` feature only.
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    pub fn answer_of(&self, id: &str) -> Option<Answer> {
        self.inner.sealer.open(id).map(|(_, sealed)| sealed.answer)
    }

    /// A challenge id of `kind` with a chosen `answer`, sealed like any other but without
    /// drawing or rate limits: for tests and benchmarks that need many challenges. Available
    /// with the `test-util` feature only.
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    pub fn seal_known(&self, kind: Kind, answer: Answer, scope: Option<&str>) -> String {
        let sealed = Sealed {
            kind,
            expires_at: self.now().saturating_add(millis(self.inner.challenge_ttl)),
            scope: scope.map(str::to_owned),
            secret_key: None,
            answer,
        };
        self.with_rng(|rng| self.inner.sealer.seal(&sealed, rng)).1
    }
}

/// An issue refused because the drawing line is full, counted.
fn overloaded(kind: Kind) -> IssueError {
    crate::metrics::draw_overloaded(kind);
    IssueError::Overloaded
}

fn store_failed(during: &'static str, e: StoreError) -> StoreError {
    tracing::error!(error = %e, during, "captcha store failed");
    e
}

/// How long after its `exp` a spent pass id is still remembered (ms).
const SPENT_PASS_GRACE_MS: u64 = 60_000;

/// How far in the future a pass's `iat` may be (another instance's clock a little ahead).
const CLOCK_SKEW_MS: u64 = 5_000;

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
    use super::*;
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
        let a = block_on(captcha.issue(Kind::Text).scope("login").into_future()).unwrap();
        let b = block_on(captcha.issue(Kind::Text).into_future()).unwrap();
        assert!(store.is_empty(), "issue touched the store");
        assert_ne!(a.id, b.id);
        assert!((80..=100).contains(&a.id.len()), "{}", a.id.len());
        assert!(a.secret_key.is_none());
        let keyed = block_on(captcha.issue(Kind::Text).with_secret_key().into_future()).unwrap();
        assert_eq!(keyed.secret_key.as_ref().map(String::len), Some(16));
        // Nothing of the answer is in the id: the same answer sealed twice looks unrelated.
        let (_, sealed) = captcha.inner.sealer.open(&a.id).unwrap();
        let again = captcha.inner.sealer.seal(&sealed, &mut rand::rng()).1;
        assert_ne!(again, a.id);
        // Answering is what creates state.
        block_on(captcha.verify(&a.id, "nope", None)).unwrap_err();
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let secret = "a very secret signing key of 32+ bytes";
        let captcha = Captcha::builder().secret(secret).build().unwrap();
        let challenge =
            block_on(captcha.issue(Kind::Text).with_secret_key().into_future()).unwrap();
        let err = block_on(captcha.verify(&challenge.id, "WRONG", None)).unwrap_err();
        let debug = format!(
            "{captcha:?} {challenge:?} {err:?} {:?}",
            Captcha::builder().secret(secret)
        );
        assert!(!debug.contains("secret signing"), "{debug}");
        assert!(!debug.contains(&challenge.id), "{debug}");
        assert!(
            !debug.contains(challenge.secret_key.as_deref().unwrap()),
            "{debug}"
        );
    }

    #[test]
    fn bad_issue_requests_are_refused_before_any_work() {
        let captcha = Captcha::builder()
            .secret([1u8; 32].to_vec())
            .build()
            .unwrap();
        assert!(matches!(
            block_on(captcha.issue(Kind::Text).scope("a b").into_future()),
            Err(IssueError::InvalidScope)
        ));
        assert!(matches!(
            block_on(
                captcha
                    .issue(Kind::Text)
                    .size(Size::new(10, 10))
                    .into_future()
            ),
            Err(IssueError::InvalidSize(10, 10))
        ));
        assert!(
            captcha
                .draw(
                    Kind::Text,
                    &Answer::Text("ABCD".into()),
                    Some(Size::new(5, 5))
                )
                .is_none()
        );
    }
}
