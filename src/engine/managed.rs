//! Server-chosen escalation ("managed"): the engine picks the challenge from what it knows of
//! the client, so that most people see no puzzle at all.
//!
//! | the client | it gets |
//! |---|---|
//! | calm | the proof of work (the widget solves it unseen) |
//! | asking often (its issue budget partly used) | the proof of work, harder as the budget goes (with `PowOptions::with_adaptive`) |
//! | over [`Managed::with_picture_at_pressure`], or after a wrong answer, or after failed attempts ([`Captcha::record_failure`](crate::Captcha::record_failure)) | a picture ([`Managed::with_picture`], text by default) that costs a proof of work first |
//! | locked out | refused until the lockout ends |

use super::{Attempt, Captcha};
use crate::client::ClientKey;
use crate::error::IssueError;
use crate::kind::Kind;
use crate::rate_limit::Refused;

/// How [`Captcha::issue_managed`] chooses (see the module's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Managed {
    picture: Kind,
    picture_at_pressure: u32,
}

impl Default for Managed {
    /// A text picture once a client has used three quarters of its issue budget.
    fn default() -> Self {
        Self {
            picture: Kind::TEXT,
            picture_at_pressure: 3,
        }
    }
}

impl Managed {
    /// The kind shown to a client that earned a picture (default text); the engine must offer
    /// it (checked when it is built).
    pub fn with_picture(mut self, kind: Kind) -> Self {
        self.picture = kind;
        self
    }

    /// How much of its issue budget a client may use before it gets a picture, in quarters:
    /// 1 to 4 (default 3; 4 means only after wrong answers or failed attempts).
    pub fn with_picture_at_pressure(mut self, quarters: u32) -> Self {
        self.picture_at_pressure = quarters;
        self
    }

    pub(crate) fn picture(&self) -> Kind {
        self.picture
    }

    /// What is wrong with this setting, if anything.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        (!(1..=4).contains(&self.picture_at_pressure))
            .then_some("picture_at_pressure must be 1 to 4 quarters")
    }
}

impl Captcha {
    /// The managed choice for `client`, whose issue was admitted at `pressure`: the kind, and
    /// whether it costs a proof of work first.
    pub(super) async fn managed_choice(
        &self,
        client: Option<ClientKey>,
        pressure: u32,
        now: u64,
    ) -> Result<(Kind, bool), IssueError> {
        let (store, limiter) = (&*self.inner.store, &self.inner.limiter);
        limiter
            .locked_out(store, client, now)
            .await
            .map_err(|Refused(retry_after)| IssueError::RateLimited { retry_after })?;
        let policy = self.inner.managed;
        let escalate = pressure >= policy.picture_at_pressure
            || limiter.wrong_answers(store, client, now).await > 0
            || self.pass_required(Attempt::client_key(client)).await;
        Ok(if escalate {
            (policy.picture, true)
        } else {
            (Kind::POW, false)
        })
    }
}
