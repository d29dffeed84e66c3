//! Issuing: a challenge of any kind, sealed into its id (nothing is written anywhere).

use std::fmt;
use std::future::IntoFuture;

use super::{BoxFuture, Captcha, Challenge, Unmade, made, valid_scope};
use crate::client::ClientKey;
use crate::clock::millis;
use crate::error::{IssueError, VerifyError};
use crate::kind::{Issued, Kind, Size, Solution, pow};
use crate::rate_limit::{Action, Refused};
use crate::seal::Sealed;

/// An issue request, made by [`Captcha::issue`]: set what you need, then `.await` it.
#[must_use = "an issue request does nothing until awaited"]
pub struct Issue<'a> {
    captcha: &'a Captcha,
    kind: Kind,
    scope: Option<&'a str>,
    client: Option<ClientKey>,
    size: Option<Size>,
    work: Option<&'a str>,
    /// The engine picks the kind ([`Captcha::issue_managed`]).
    managed: bool,
}

impl<'a> Issue<'a> {
    /// A solved proof of work (the payload ALTCHA's widget submits), spent by this issue
    /// when the engine puts a price on pictures
    /// ([`require_work_for_pictures`](crate::CaptchaBuilder::require_work_for_pictures));
    /// ignored otherwise.
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
    pub fn client(self, client: impl Into<ClientKey>) -> Self {
        self.client_key(Some(client.into()))
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
}

impl fmt::Debug for Issue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issue")
            .field("kind", &self.kind)
            .field("scope", &self.scope)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl<'a> IntoFuture for Issue<'a> {
    type Output = Result<Challenge, IssueError>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.captcha.issue_now(self))
    }
}

impl Captcha {
    /// Starts issuing a challenge of `kind`; set a scope, client or size on the request,
    /// then `.await` it. Issuing writes nothing to the store: the challenge is sealed into
    /// its id.
    pub fn issue(&self, kind: Kind) -> Issue<'_> {
        Issue {
            captcha: self,
            kind,
            scope: None,
            client: None,
            size: None,
            work: None,
            managed: false,
        }
    }

    /// Starts issuing a challenge whose kind the engine picks from what it knows of the
    /// client ([`Managed`](super::Managed)): the proof of work for a calm client (its
    /// difficulty rising with the client's rate, with
    /// [`PowOptions::with_adaptive`](crate::PowOptions::with_adaptive)); a picture that costs
    /// a proof of work (answered [`IssueError::WorkRequired`] until one is paid, as with
    /// [`work`](Issue::work)) for a client over its threshold, after wrong answers or after
    /// failed attempts ([`Captcha::record_failure`]); refused while it is locked out.
    pub fn issue_managed(&self) -> Issue<'_> {
        Issue {
            managed: true,
            ..self.issue(Kind::POW)
        }
    }

    async fn issue_now(&self, request: Issue<'_>) -> Result<Challenge, IssueError> {
        let Issue {
            kind,
            scope,
            client,
            size,
            work,
            managed,
            ..
        } = request;
        // Validate before counting: a bad request costs no one's budget.
        if scope.is_some_and(|s| !valid_scope(s)) {
            return Err(IssueError::InvalidScope);
        }
        if let Some(s) = size.filter(|s| !s.is_drawable()) {
            return Err(IssueError::InvalidSize(s.width, s.height));
        }
        let now = self.now();
        let admit = || async {
            let admitted = self
                .inner
                .limiter
                .admit(&*self.inner.store, Action::Issue, client, now);
            admitted
                .await
                .map_err(|Refused(retry_after)| IssueError::RateLimited { retry_after })
        };
        let (kind, pressure, work) = if managed {
            // Counted first: the choice depends on how hard the client has been asking.
            let pressure = admit().await?;
            let (kind, priced) = self.managed_choice(client, pressure, now).await?;
            let priced = priced || self.inner.work_for_pictures && kind != Kind::POW;
            (kind, pressure, priced.then_some(work))
        } else {
            let kind_impl = self.kind(kind).ok_or(IssueError::UnsupportedKind)?;
            let priced = self.inner.work_for_pictures && kind_impl.policy().picture;
            // The price of a picture: read before counting, spent only once the issue is
            // admitted, so that a refused issue does not cost the client its work.
            if priced {
                let payload = work.ok_or(IssueError::WorkRequired)?;
                pow::read_payload(payload).ok_or(IssueError::WorkRefused)?;
            }
            (kind, admit().await?, priced.then_some(work))
        };
        let kind_impl = self.kind(kind).ok_or(IssueError::UnsupportedKind)?.clone();
        let size = size.unwrap_or_else(|| kind_impl.default_size());
        let inline = kind_impl.policy().draws_inline;
        if let Some(payload) = work {
            let payload = payload.ok_or(IssueError::WorkRequired)?;
            let (id, solution) = pow::read_payload(payload).ok_or(IssueError::WorkRefused)?;
            // Not spent on an issue that would only be told "busy" (a hint: the line may
            // still fill up meanwhile).
            if self.inner.pool.is_full() {
                return Err(overloaded(kind));
            }
            self.spend_work(&id, solution, client, now).await?;
        }
        let expires_at = now.saturating_add(millis(self.inner.challenge_ttl));
        let sealed = Sealed {
            kind,
            expires_at,
            scope: scope.map(str::to_owned),
            answer: self.with_rng(|rng| kind_impl.answer(rng, pressure)),
        };
        let (_, id) = self.with_rng(|rng| self.inner.sealer.seal(&sealed, rng));
        let answer = sealed.answer;
        let puzzle = if inline {
            Ok(self
                .with_rng(|rng| kind_impl.draw(&answer, size, &Issued::new(&id, expires_at), rng)))
        } else {
            let this = self.clone();
            let id = id.clone();
            self.inner
                .pool
                .run(move || {
                    let issued = Issued::new(&id, expires_at);
                    this.with_rng(|rng| kind_impl.draw(&answer, size, &issued, rng))
                })
                .await
        };
        let puzzle = made(kind, "picture", puzzle).map_err(|e| match e {
            Unmade::Overloaded => IssueError::Overloaded,
            Unmade::Failed => IssueError::Draw,
        })?;
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
            .settle_inner(id, solution, Some(Kind::POW), client, now, &mut kind)
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

    /// Draws the puzzle of kind `K` for `answer` at `size` (the kind's default when `None`),
    /// without issuing a challenge: for previews, reading tests and benchmarks. Runs on the
    /// calling thread. Feature `test-util`.
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    pub fn draw<K: crate::kind::ChallengeKind>(
        &self,
        answer: &K::Answer,
        size: Option<Size>,
    ) -> Result<crate::Puzzle, IssueError> {
        let kind = self.kind(K::KIND).ok_or(IssueError::UnsupportedKind)?;
        let size = size.unwrap_or_else(|| kind.default_size());
        if !size.is_drawable() {
            return Err(IssueError::InvalidSize(size.width, size.height));
        }
        let issued = Issued::new("", self.now());
        self.with_rng(|rng| kind.draw(&K::encode(answer), size, &issued, rng))
            .map_err(|_| IssueError::Draw)
    }

    /// The answer sealed into challenge `id`, if it is a challenge of kind `K` this engine
    /// can open, so that tests can solve challenges. Feature `test-util`.
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    pub fn answer_of<K: crate::kind::ChallengeKind>(&self, id: &str) -> Option<K::Answer> {
        let (_, sealed) = self.inner.sealer.open(id)?;
        (sealed.kind == K::KIND)
            .then(|| K::decode(&sealed.answer))
            .flatten()
    }

    /// A challenge id of kind `K` with a chosen `answer`, sealed like any other but without
    /// drawing or rate limits: for tests and benchmarks that need many challenges. Feature
    /// `test-util`.
    #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
    pub fn seal_known<K: crate::kind::ChallengeKind>(
        &self,
        answer: &K::Answer,
        scope: Option<&str>,
    ) -> String {
        let sealed = Sealed {
            kind: K::KIND,
            expires_at: self.now().saturating_add(millis(self.inner.challenge_ttl)),
            scope: scope.map(str::to_owned),
            answer: K::encode(answer),
        };
        self.with_rng(|rng| self.inner.sealer.seal(&sealed, rng)).1
    }
}

/// An issue refused because the drawing line is full, counted.
fn overloaded(kind: Kind) -> IssueError {
    crate::metrics::draw_overloaded(kind);
    IssueError::Overloaded
}
