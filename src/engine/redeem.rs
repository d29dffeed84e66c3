//! Redeeming: a pass token or a second-stage ticket, spent once.

use std::fmt;
use std::future::IntoFuture;
use std::time::Duration;

use super::{BoxFuture, Captcha, store_failed};
use crate::client::ClientKey;
use crate::error::RedeemError;
use crate::id::Id;
use crate::pass::{Credential, PassClaims};
use crate::rate_limit::{Action, Refused};
use crate::store::TicketTake;

/// How long after its `exp` a spent pass id is still remembered (ms).
const SPENT_PASS_GRACE_MS: u64 = 60_000;

/// A redeem request, made by [`Captcha::redeem`]: set a scope, the client, then `.await` it.
#[must_use = "a redeem request does nothing until awaited"]
pub struct Redeem<'a> {
    captcha: &'a Captcha,
    credential: &'a str,
    scope: Option<&'a str>,
    client: Option<ClientKey>,
    rate_limited: bool,
}

impl<'a> Redeem<'a> {
    /// Accept only a credential minted for `scope`; one of another scope (or of none) is
    /// refused without being spent. `None`: any scope.
    pub fn scope(mut self, scope: impl Into<Option<&'a str>>) -> Self {
        self.scope = scope.into();
        self
    }

    /// The client presenting the credential: one bound to a client
    /// ([`bind_passes_to_clients`](crate::CaptchaBuilder::bind_passes_to_clients)) is
    /// accepted only from that client (and refused when none is named).
    pub fn client(self, client: impl Into<ClientKey>) -> Self {
        self.client_key(Some(client.into()))
    }

    /// Like [`client`](Self::client), for a client that may be unknown.
    pub fn client_key(mut self, client: Option<ClientKey>) -> Self {
        self.client = client;
        self
    }

    /// Count the client against the redeem rate limit first: for routes that redeem on a
    /// client's behalf (AJ-Captcha's `/captcha/verify`). The guard does not.
    pub fn rate_limited(mut self) -> Self {
        self.rate_limited = true;
        self
    }
}

impl fmt::Debug for Redeem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redeem")
            .field("scope", &self.scope)
            .field("rate_limited", &self.rate_limited)
            .finish_non_exhaustive()
    }
}

impl<'a> IntoFuture for Redeem<'a> {
    type Output = Result<PassClaims, RedeemError>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.captcha.redeem_now(self))
    }
}

impl Captcha {
    /// Starts redeeming a credential once: a pass token (signature, expiry, then its id is
    /// spent) or a second-stage ticket (taken from the store); `.await` it for the pass's
    /// claims.
    pub fn redeem<'a>(&'a self, credential: &'a str) -> Redeem<'a> {
        Redeem {
            captcha: self,
            credential,
            scope: None,
            client: None,
            rate_limited: false,
        }
    }

    async fn redeem_now(&self, request: Redeem<'_>) -> Result<PassClaims, RedeemError> {
        let Redeem {
            credential,
            scope,
            client,
            rate_limited,
            ..
        } = request;
        if rate_limited {
            let limiter = &self.inner.limiter;
            let admitted = limiter.admit(&*self.inner.store, Action::Redeem, client, self.now());
            if let Err(Refused(retry_after)) = admitted.await {
                crate::metrics::redeemed("rate_limited");
                return Err(RedeemError::RateLimited { retry_after });
            }
        }
        let result = self.redeem_inner(credential.trim(), scope, client).await;
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(RedeemError::Missing) => "missing",
            Err(RedeemError::Invalid) => "invalid",
            Err(RedeemError::Expired) => "expired",
            Err(RedeemError::Used) => "used",
            Err(RedeemError::ScopeMismatch | RedeemError::NoScope) => "scope_mismatch",
            Err(RedeemError::UnknownKind(_)) => "unknown_kind",
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
        if self.inner.test_mode.is_some() && credential == super::test_mode::TEST_PASS {
            return Ok(super::test_mode::claims(scope, now / 1000));
        }
        match Credential::parse(credential).ok_or(RedeemError::Invalid)? {
            Credential::Pass(token) => self.redeem_pass(token, scope, client, now).await,
            Credential::Ticket(id) => self.redeem_ticket(id, scope, client, now).await,
        }
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
}
