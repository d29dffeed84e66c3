//! Writes sample text captchas as PNG files, for looking at what people will see:
//! `cargo run --example sample -- DIR [COUNT]`.
//!
//! The answers go to `DIR/answers.txt` (one `file answer` per line), captured by a small
//! wrapping [`Store`] — also an example of implementing the trait.

use std::sync::Mutex;

use tower_captcha::store::{BoxFuture, ChallengeRecord, Check, VerifyOutcome};
use tower_captcha::{Captcha, Id, Kind, MemoryStore, Store, StoreError};

/// A store that remembers the last answer it was given, then delegates to `MemoryStore`.
struct Recording {
    inner: MemoryStore,
    last: Mutex<String>,
}

impl Store for Recording {
    fn insert(
        &self,
        id: Id,
        record: ChallengeRecord,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        *self.last.lock().unwrap() = String::from_utf8_lossy(&record.answer).into_owned();
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "captcha-samples".into());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(8);
    std::fs::create_dir_all(&dir)?;
    let store = std::sync::Arc::new(Recording {
        inner: MemoryStore::new(),
        last: Mutex::new(String::new()),
    });
    let captcha = Captcha::builder()
        .secret([0u8; 32].to_vec())
        .issue_rate_limit(None)
        .shared_store(store.clone())
        .build()?;
    let mut answers = String::new();
    for i in 0..count {
        let c = captcha.issue(Kind::Text, None, None).await?;
        let file = format!("sample-{i}.png");
        std::fs::write(format!("{dir}/{file}"), &c.png)?;
        answers.push_str(&format!("{file} {}\n", store.last.lock().unwrap()));
        println!("{dir}/{file} ({} bytes)", c.png.len());
    }
    std::fs::write(format!("{dir}/answers.txt"), answers)?;
    Ok(())
}
