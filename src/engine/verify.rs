//! Verifying and checking: a solution settled in one atomic store step, for a pass
//! ([`Verify`]) or a single-use second-stage ticket ([`Check`]).

use std::fmt;
use std::future::IntoFuture;

use super::{BoxFuture, Captcha, store_failed};
use crate::client::ClientKey;
use crate::clock::millis;
use crate::error::VerifyError;
use crate::id::Id;
use crate::kind::{Issued, Kind, Solution};
use crate::pass::{Pass, Ticket, ticket_id};
use crate::rate_limit::{Action, Refused};
use crate::seal::Sealed;
use crate::store::{Settled, TicketRecord};

/// A verify request, made by [`Captcha::verify`]: name the client, then `.await` it for a
/// [`Pass`].
#[must_use = "a verify request does nothing until awaited"]
pub struct Verify<'a> {
    captcha: &'a Captcha,
    id: &'a str,
    solution: Solution,
    client: Option<ClientKey>,
}

/// A check request, made by [`Captcha::check`]: like [`Verify`], but a right solution
/// earns a single-use [`Ticket`] (a second stage a backend redeems) instead of a pass.
#[must_use = "a check request does nothing until awaited"]
pub struct Check<'a> {
    verify: Verify<'a>,
    ticket: Option<String>,
}

impl Verify<'_> {
    /// The client, which rate limits and the lockout count against (and which the pass is
    /// bound to, with [`bind_passes_to_clients`](crate::CaptchaBuilder::bind_passes_to_clients)).
    pub fn client(self, client: impl Into<ClientKey>) -> Self {
        self.client_key(Some(client.into()))
    }

    /// Like [`client`](Self::client), for a client that may be unknown.
    pub fn client_key(mut self, client: Option<ClientKey>) -> Self {
        self.client = client;
        self
    }
}

impl Check<'_> {
    /// The client, as for [`Verify::client`].
    pub fn client(self, client: impl Into<ClientKey>) -> Self {
        self.client_key(Some(client.into()))
    }

    /// Like [`client`](Self::client), for a client that may be unknown.
    pub fn client_key(mut self, client: Option<ClientKey>) -> Self {
        self.verify.client = client;
        self
    }

    /// The ticket's value, when the wire format fixes it (AJ-Captcha's widgets compute
    /// theirs from the challenge and the solution); a random one by default. Only a hash of
    /// it is stored.
    pub fn ticket(mut self, value: impl Into<String>) -> Self {
        self.ticket = Some(value.into());
        self
    }
}

impl fmt::Debug for Verify<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verify").finish_non_exhaustive()
    }
}

impl fmt::Debug for Check<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check").finish_non_exhaustive()
    }
}

impl<'a> IntoFuture for Verify<'a> {
    type Output = Result<Pass, VerifyError>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.captcha.verify_now(self.id, self.solution, self.client))
    }
}

impl<'a> IntoFuture for Check<'a> {
    type Output = Result<Ticket, VerifyError>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        let Verify {
            captcha,
            id,
            solution,
            client,
        } = self.verify;
        Box::pin(captcha.check_now(id, solution, client, self.ticket))
    }
}

impl Captcha {
    /// Starts verifying `solution` against challenge `id`; `.await` it. A right solution
    /// spends the challenge and returns a pass; a wrong one counts an attempt (the kind's
    /// limit locks it).
    pub fn verify<'a>(&'a self, id: &'a str, solution: impl Into<Solution>) -> Verify<'a> {
        Verify {
            captcha: self,
            id,
            solution: solution.into(),
            client: None,
        }
    }

    /// Like [`verify`](Self::verify), but a right solution returns a single-use second-stage
    /// [`Ticket`] instead of a pass: the client's backend redeems it once
    /// ([`redeem`](Self::redeem), siteverify), or the client sends it to a guarded route.
    pub fn check<'a>(&'a self, id: &'a str, solution: impl Into<Solution>) -> Check<'a> {
        Check {
            verify: self.verify(id, solution),
            ticket: None,
        }
    }

    async fn verify_now(
        &self,
        id: &str,
        solution: Solution,
        client: Option<ClientKey>,
    ) -> Result<Pass, VerifyError> {
        #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
        if let Some(mode) = self.inner.test_mode {
            return super::test_mode::verify(mode, self.inner.pass_ttl);
        }
        let now = self.now();
        let sealed = self.settle(id, solution, client, now).await?;
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

    async fn check_now(
        &self,
        id: &str,
        solution: Solution,
        client: Option<ClientKey>,
        ticket: Option<String>,
    ) -> Result<Ticket, VerifyError> {
        #[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
        if let Some(mode) = self.inner.test_mode {
            return super::test_mode::check(mode, self.inner.ticket_ttl);
        }
        let now = self.now();
        let sealed = self.settle(id, solution, client, now).await?;
        let value = ticket.unwrap_or_else(|| self.with_rng(|rng| Id::random(rng).to_string()));
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

    /// Opens the sealed challenge, checks the solution with its kind, and settles the
    /// outcome in the store; logs and counts the outcome.
    async fn settle(
        &self,
        id: &str,
        solution: Solution,
        client: Option<ClientKey>,
        now: u64,
    ) -> Result<Sealed, VerifyError> {
        let mut kind = None;
        let outcome = self
            .settle_inner(id, solution, None, client, now, &mut kind)
            .await;
        let result = match &outcome {
            Ok(_) => "passed",
            Err(VerifyError::Wrong { .. }) => "wrong",
            Err(VerifyError::Unknown) => "unknown",
            Err(VerifyError::UnknownKind(_)) => "unknown_kind",
            Err(VerifyError::Expired) => "expired",
            Err(VerifyError::Used) => "used",
            Err(VerifyError::Locked) => "locked",
            Err(VerifyError::LockedOut { .. }) => "locked_out",
            Err(VerifyError::RateLimited { .. }) => "rate_limited",
            Err(VerifyError::Busy(_)) => "busy",
            Err(VerifyError::Sign) => "internal",
        };
        crate::metrics::verified(kind, result);
        let name = kind.map(|k| k.to_string());
        let kind = name.as_deref();
        match &outcome {
            // Refusals are sampled: a flood of them must not become a flood of log lines.
            Err(VerifyError::RateLimited { .. } | VerifyError::LockedOut { .. }) => {
                if let Some(left_out) = self.inner.refusals.sample(now) {
                    tracing::info!(
                        outcome = result,
                        kind,
                        client = %self.client_tag(client),
                        refusals_not_logged = left_out,
                        "captcha verify (refusals in the next 10 s are counted in metrics, not logged)"
                    );
                }
            }
            Err(VerifyError::Wrong { attempts_left }) => tracing::info!(
                outcome = result,
                kind,
                attempts_left,
                client = %self.client_tag(client),
                "captcha verify"
            ),
            _ => tracing::info!(
                outcome = result,
                kind,
                client = %self.client_tag(client),
                "captcha verify"
            ),
        }
        outcome
    }

    /// [`settle`](Self::settle) without the log line; with `expect`, a challenge of another
    /// kind is unknown (and untouched). `opened` is set to the challenge's kind once its
    /// seal is open.
    pub(super) async fn settle_inner(
        &self,
        id: &str,
        solution: Solution,
        expect: Option<Kind>,
        client: Option<ClientKey>,
        now: u64,
        opened: &mut Option<Kind>,
    ) -> Result<Sealed, VerifyError> {
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
        // A kind this engine does not offer: a newer instance's, or one turned off here.
        let kind = self
            .kind(sealed.kind)
            .ok_or_else(|| VerifyError::UnknownKind(sealed.kind.to_string()))?;
        if sealed.expires_at <= now {
            return Err(VerifyError::Expired);
        }
        let issued = Issued::new(id, sealed.expires_at);
        let passed = kind.check(&sealed.answer, &solution, &issued);
        if !passed {
            limiter.failed(store, client, now).await;
        }
        if !passed && !kind.policy().counts_wrong {
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
            Settled::Passed => Ok(sealed),
            Settled::Wrong { attempts_left } => Err(VerifyError::Wrong { attempts_left }),
            Settled::Used => Err(VerifyError::Used),
            Settled::Locked => Err(VerifyError::Locked),
        }
    }
}
