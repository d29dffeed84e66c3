//! A captcha only after failures: the app reports the attempts it judges (a sign-in whose
//! password was wrong, a reset for an unknown address), counted per client and per account
//! in the store, for a window. While both counts are under the threshold a request needs no
//! pass; from the threshold on it does, until the window ends or an attempt succeeds.
//!
//! An account is counted under a keyed hash of its name (trimmed, lower case), never the
//! name; names that exist and names that do not are counted alike, so the answers say
//! nothing of which accounts exist.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use super::Captcha;
use crate::client::ClientKey;
use crate::clock::millis;

/// How many failures make a pass necessary, and how long they count (see
/// [`CaptchaBuilder::pass_after_failures`](crate::CaptchaBuilder::pass_after_failures)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterFailures {
    failures: u32,
    window: Duration,
}

impl AfterFailures {
    /// A pass is needed once a client or an account has `failures` failures (1 to 1 000)
    /// within `window` (1 s to a day): checked when the engine is built.
    pub fn new(failures: u32, window: Duration) -> Self {
        Self { failures, window }
    }

    /// What is absurd about this setting, if anything.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        if !(1..=1_000).contains(&self.failures) {
            return Some("failures must be 1 to 1 000");
        }
        let ok = Duration::from_secs(1)..=Duration::from_secs(86_400);
        (!ok.contains(&self.window)).then_some("the window must be 1 s to 24 hours")
    }
}

impl Default for AfterFailures {
    /// Three failures within 15 minutes.
    fn default() -> Self {
        Self::new(3, Duration::from_secs(15 * 60))
    }
}

/// Whose attempt it was: the client, the account name it tried, or both.
#[derive(Clone, Copy, Default)]
pub struct Attempt<'a> {
    client: Option<ClientKey>,
    account: Option<&'a str>,
}

impl<'a> Attempt<'a> {
    /// An attempt of `client` (an address, or a key of your own).
    pub fn client(client: impl Into<ClientKey>) -> Self {
        Self::client_key(Some(client.into()))
    }

    /// Like [`client`](Self::client), for a client that may be unknown.
    pub fn client_key(client: Option<ClientKey>) -> Self {
        Self {
            client,
            account: None,
        }
    }

    /// The account name tried (a user name, an email address): counted under a keyed hash.
    pub fn account(mut self, name: &'a str) -> Self {
        self.account = Some(name);
        self
    }
}

impl fmt::Debug for Attempt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attempt")
            .field("client", &self.client.is_some())
            .field("account", &self.account.is_some())
            .finish()
    }
}

impl Captcha {
    /// Counts a failed attempt of its client and of its account. A store failure is logged
    /// (the attempt failed either way).
    pub async fn record_failure(&self, attempt: Attempt<'_>) {
        let policy = self.inner.after_failures;
        for key in self.failure_keys(attempt) {
            let counted = self
                .inner
                .store
                .failures(key, true, millis(policy.window), self.now());
            if let Err(e) = crate::metrics::store_op("sign_in_failures", counted).await {
                tracing::warn!(error = %e, "captcha store failed (counting a failed attempt)");
            }
        }
    }

    /// Forgets failures: the attempt succeeded. With an account, only the account's count
    /// is cleared (a client that signs in to its own account must not wipe the failures it
    /// piled up on others'); without one, the client's.
    pub async fn record_success(&self, attempt: Attempt<'_>) {
        let keys = self.failure_keys(attempt);
        let cleared = match attempt.account {
            Some(_) => keys.last().copied(),
            None => keys.first().copied(),
        };
        if let Some(key) = cleared {
            let cleared = self.inner.store.clear_failures(key, self.now());
            if let Err(e) = crate::metrics::store_op("sign_in_failures", cleared).await {
                tracing::warn!(error = %e, "captcha store failed (clearing failures)");
            }
        }
    }

    /// Whether an attempt needs a pass: its client or its account has reached the
    /// threshold of [`AfterFailures`]. When the store cannot be asked, it does (fail closed).
    pub async fn pass_required(&self, attempt: Attempt<'_>) -> bool {
        let policy = self.inner.after_failures;
        for key in self.failure_keys(attempt) {
            let count = self
                .inner
                .store
                .failures(key, false, millis(policy.window), self.now());
            match crate::metrics::store_op("sign_in_failures", count).await {
                Ok((n, _)) if n < policy.failures => {}
                Ok(_) => return true,
                Err(e) => {
                    tracing::warn!(error = %e, "captcha store failed (failures): a pass is required");
                    return true;
                }
            }
        }
        false
    }

    /// The store keys an attempt is counted under: keyed hashes of its client and of its
    /// account name (trimmed, lower case), never the name.
    /// An IPv6 client is counted by its /64, as the rate limits count it (one host has a
    /// whole /64 to pick addresses from); a request whose client is unknown, under one key
    /// shared by all such requests (never under none: it would never need a pass).
    fn failure_keys(&self, attempt: Attempt<'_>) -> Vec<[u8; 16]> {
        let client_bytes = match attempt.client {
            Some(ClientKey::Ip(IpAddr::V6(ip))) => ip.octets()[..8].to_vec(),
            Some(c) => c.bytes(),
            None => b"an unknown client".to_vec(),
        };
        let client = Some(self.keyed_hash(b"failures of a client", &client_bytes));
        let account = attempt.account.map(|name| {
            let name = name.trim().to_lowercase();
            self.keyed_hash(b"failures of an account", name.as_bytes())
        });
        [client, account]
            .into_iter()
            .flatten()
            .map(|h| h[..16].try_into().unwrap_or([0; 16]))
            .collect()
    }
}
