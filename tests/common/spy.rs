//! A store that remembers every answer it was given, then delegates to another store.
//! Shared by the tests (to answer right) and `examples/sample.rs` (to list the answers).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tower_captcha::store::{BoxFuture, ChallengeRecord, Check, VerifyOutcome};
use tower_captcha::{Id, Store, StoreError};

/// Wraps `inner`, recording each challenge's answer by id.
pub struct Spy<S> {
    pub inner: S,
    answers: Mutex<HashMap<String, String>>,
}

impl<S: Store> Spy<S> {
    pub fn new(inner: S) -> Arc<Self> {
        Arc::new(Self {
            inner,
            answers: Mutex::new(HashMap::new()),
        })
    }

    pub fn answer(&self, id: &str) -> String {
        self.answers
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .expect("an issued id")
    }
}

impl<S: Store> Store for Spy<S> {
    fn insert(
        &self,
        id: Id,
        record: ChallengeRecord,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        self.answers.lock().unwrap().insert(
            id.to_string(),
            String::from_utf8(record.answer.to_vec()).unwrap(),
        );
        self.inner.insert(id, record, expires_at, now)
    }

    fn verify<'a>(
        &'a self,
        id: Id,
        check: Check<'a>,
        max: u32,
        now: u64,
    ) -> BoxFuture<'a, Result<VerifyOutcome, StoreError>> {
        self.inner.verify(id, check, max, now)
    }

    fn spend_pass(
        &self,
        jti: Id,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.inner.spend_pass(jti, expires_at, now)
    }
}
