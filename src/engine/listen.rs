//! Listening: the spoken version of a challenge ([`Listen`]), for people who cannot see its
//! picture. The same answer as the picture's, so one verify serves both.

use std::fmt;
use std::future::IntoFuture;

use rand::SeedableRng as _;

use super::{BoxFuture, Captcha, Unmade, made};
use crate::client::ClientKey;
use crate::error::AudioError;
use crate::rate_limit::{Action, Refused};

/// A listen request, made by [`Captcha::listen`]: name the client, then `.await` it for the
/// challenge spoken, as a WAV file.
#[must_use = "a listen request does nothing until awaited"]
pub struct Listen<'a> {
    captcha: &'a Captcha,
    id: &'a str,
    client: Option<ClientKey>,
}

impl Listen<'_> {
    /// The client, which the issue rate limit counts against (a clip costs as much as a
    /// picture).
    pub fn client(self, client: impl Into<ClientKey>) -> Self {
        self.client_key(Some(client.into()))
    }

    /// Like [`client`](Self::client), for a client that may be unknown.
    pub fn client_key(mut self, client: Option<ClientKey>) -> Self {
        self.client = client;
        self
    }
}

impl fmt::Debug for Listen<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listen").finish_non_exhaustive()
    }
}

impl<'a> IntoFuture for Listen<'a> {
    type Output = Result<Vec<u8>, AudioError>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.captcha.listen_now(self.id, self.client))
    }
}

impl Captcha {
    /// Starts speaking challenge `id` (of a kind that has a spoken form, such as text);
    /// `.await` it for a WAV file. Nothing is written: the clip is made from the sealed
    /// answer, with noise drawn from a key of the challenge, so the same challenge always
    /// sounds the same (asking again gives a listener, or a recogniser, nothing new).
    pub fn listen<'a>(&'a self, id: &'a str) -> Listen<'a> {
        Listen {
            captcha: self,
            id,
            client: None,
        }
    }

    async fn listen_now(&self, id: &str, client: Option<ClientKey>) -> Result<Vec<u8>, AudioError> {
        let (_, sealed) = self.inner.sealer.open(id).ok_or(AudioError::Unknown)?;
        let now = self.now();
        if sealed.expires_at <= now {
            return Err(AudioError::Expired);
        }
        let kind = self
            .kind(sealed.kind)
            .filter(|k| k.speaks())
            .ok_or(AudioError::NotSpoken)?
            .clone();
        self.inner
            .limiter
            .admit(&*self.inner.store, Action::Issue, client, now)
            .await
            .map_err(|Refused(retry_after)| AudioError::RateLimited { retry_after })?;
        let seed = self.challenge_key(id, "audio");
        let answer = sealed.answer;
        let spoken = self
            .inner
            .pool
            .run(move || kind.speak(&answer, &mut rand::rngs::StdRng::from_seed(seed)))
            .await;
        made(sealed.kind, "clip", spoken).map_err(|e| match e {
            Unmade::Overloaded => AudioError::Overloaded,
            Unmade::Failed => AudioError::Sound,
        })
    }
}
