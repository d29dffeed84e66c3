//! The Redis store, for apps that run more than one instance (feature `redis`).
//!
//! Works with Redis and Valkey. Every instance that points at the same server (and key
//! prefix) shares challenges, attempt counts and spent pass ids.
//!
//! # Keys
//!
//! - `<prefix>:c:{<challenge id>}` — a hash per challenge: `k` kind, `a` answer, `s` scope,
//!   `n` wrong attempts, `x` set once spent. Expires with the challenge (`PEXPIRE`).
//! - `<prefix>:p:{<pass id>}` — set once a pass token is redeemed; expires with the token.
//!
//! The id sits in a hash tag (`{…}`), so on Redis Cluster every key of one challenge lands in
//! one slot while different challenges spread over the cluster; each script touches one key.
//!
//! # Atomicity
//!
//! Verify reads the challenge (its kind, answer and scope never change), checks the
//! response in Rust, then settles in one Lua script: spend on a right answer, count the
//! attempt on a wrong one and spend at the limit — refusing if the challenge expired or was
//! spent in between. Spending a pass id is one `SET NX`.
//!
//! # Failures
//!
//! [`RedisStore::connect`] fails with [`StoreError::Unavailable`] when the server cannot be
//! reached at start-up. Later, every round trip is bounded by the operation timeout: a server that
//! is down or slow gives [`StoreError::Unavailable`] or [`StoreError::Timeout`], which the
//! routes answer with their "busy" error (503 for Auth v1) and the guard with 503 (fail
//! closed). The connection is re-established on its own once the server is back.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script, SetExpiry, SetOptions};

use super::{BoxFuture, ChallengeRecord, Check, Store, StoreError, VerifyOutcome};
use crate::id::Id;
use crate::kind::Kind;

/// Settles a verify: `{0}` unknown, `{1}` spent, `{2}` passed, `{3, attempts_left}` wrong.
const SETTLE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if redis.call('HEXISTS', KEYS[1], 'x') == 1 then return {1} end
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'x', '1')
  redis.call('HDEL', KEYS[1], 'a')
  return {2}
end
local left = tonumber(ARGV[2]) - redis.call('HINCRBY', KEYS[1], 'n', 1)
if left <= 0 then
  redis.call('HSET', KEYS[1], 'x', '1')
  redis.call('HDEL', KEYS[1], 'a')
  left = 0
end
return {3, left}
";

/// Options of a [`RedisStore`]; start with [`RedisStore::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    op_timeout: Duration,
    connect_timeout: Duration,
}

impl RedisStoreBuilder {
    /// Key prefix (default `tower-captcha`): give apps that share a server their own.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Longest time one round trip to Redis may take, reconnecting included (default 1 s).
    /// A verify makes two round trips, every other call one.
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    /// Longest time one connection attempt may take (default 1 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Connects. Fails with [`StoreError::Unavailable`] if the URL is invalid or the server
    /// cannot be reached.
    pub async fn connect(self) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(self.url.as_str()).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.op_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = tokio::time::timeout(
            self.connect_timeout + self.op_timeout,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| StoreError::Timeout)?
        .map_err(unavailable)?;
        Ok(RedisStore::from_connection(conn)
            .with_prefix(self.prefix)
            .with_op_timeout(self.op_timeout))
    }
}

/// A [`Store`] on Redis or Valkey: keys, atomicity and failure behaviour are described in
/// the crate README's "Redis" section.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_captcha::{Captcha, store::RedisStore};
///
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// let captcha = Captcha::builder()
///     .secret(std::env::var("CAPTCHA_SECRET")?) // the same on every instance
///     .store(store)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore<C = ConnectionManager> {
    conn: C,
    prefix: String,
    op_timeout: Duration,
    settle: Script,
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port[/db]`, `rediss://…`) with the default options.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::builder(url).connect().await
    }

    /// Options for connecting to `url`.
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            prefix: "tower-captcha".into(),
            op_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
        }
    }
}

impl<C> RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    /// A store over a connection you made, e.g. a cluster connection (enable the `redis`
    /// crate's `cluster-async` feature in your own `Cargo.toml`).
    pub fn from_connection(conn: C) -> Self {
        Self {
            conn,
            prefix: "tower-captcha".into(),
            op_timeout: Duration::from_secs(1),
            settle: Script::new(SETTLE),
        }
    }

    /// Sets the key prefix (default `tower-captcha`).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the longest time one round trip may take (default 1 s); see
    /// [`RedisStoreBuilder::op_timeout`].
    pub fn with_op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    fn challenge_key(&self, id: Id) -> String {
        format!("{}:c:{{{id}}}", self.prefix)
    }

    fn pass_key(&self, jti: Id) -> String {
        format!("{}:p:{{{jti}}}", self.prefix)
    }

    /// Runs `op` within the operation timeout, mapping Redis errors.
    async fn bounded<T>(
        &self,
        op: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.op_timeout, op).await {
            Ok(result) => result.map_err(unavailable),
            Err(_) => Err(StoreError::Timeout),
        }
    }

    async fn insert_now(
        &self,
        id: Id,
        record: ChallengeRecord,
        ttl_ms: u64,
    ) -> Result<(), StoreError> {
        let key = self.challenge_key(id);
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(
                &key,
                &[
                    ("k", record.kind.as_str().as_bytes()),
                    ("a", &record.answer[..]),
                    ("s", record.scope.as_deref().unwrap_or("").as_bytes()),
                ],
            )
            .ignore()
            .pexpire(&key, i64::try_from(ttl_ms).unwrap_or(i64::MAX))
            .ignore();
        self.bounded(pipe.query_async::<()>(&mut conn)).await
    }

    async fn verify_now(
        &self,
        id: Id,
        check: Check<'_>,
        max_attempts: u32,
    ) -> Result<VerifyOutcome, StoreError> {
        let key = self.challenge_key(id);
        let mut conn = self.conn.clone();
        let fields: (
            Option<String>,
            Option<Vec<u8>>,
            Option<String>,
            Option<String>,
        ) = self
            .bounded(
                redis::cmd("HMGET")
                    .arg(&key)
                    .arg(&["k", "a", "s", "x"])
                    .query_async(&mut conn),
            )
            .await?;
        let record = match fields {
            (None, ..) => return Ok(VerifyOutcome::Unknown),
            (Some(_), _, _, Some(_)) | (Some(_), None, _, None) => return Ok(VerifyOutcome::Spent),
            (Some(kind), Some(answer), scope, None) => ChallengeRecord {
                kind: parse_kind(&kind)?,
                answer: answer.into(),
                scope: scope.filter(|s| !s.is_empty()).map(Into::into),
            },
        };
        let passed = check(&record);
        let mut invocation = self.settle.key(&key);
        invocation
            .arg(if passed { "1" } else { "0" })
            .arg(max_attempts);
        let reply: Vec<i64> = self.bounded(invocation.invoke_async(&mut conn)).await?;
        Ok(match reply.as_slice() {
            [0] => VerifyOutcome::Unknown,
            [1] => VerifyOutcome::Spent,
            [2] => VerifyOutcome::Passed(record),
            [3, left] => VerifyOutcome::Failed {
                attempts_left: u32::try_from(*left).unwrap_or(0),
            },
            _ => {
                return Err(unavailable(redis::RedisError::from((
                    redis::ErrorKind::UnexpectedReturnType,
                    "settle script reply",
                ))));
            }
        })
    }

    async fn spend_now(&self, jti: Id, ttl_ms: u64) -> Result<bool, StoreError> {
        let key = self.pass_key(jti);
        let mut conn = self.conn.clone();
        let options = SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(SetExpiry::PX(ttl_ms.max(1)));
        let set: Option<String> = self.bounded(conn.set_options(&key, 1, options)).await?;
        Ok(set.is_some())
    }
}

fn parse_kind(s: &str) -> Result<Kind, StoreError> {
    match s {
        "text" => Ok(Kind::Text),
        other => Err(unavailable(redis::RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "unknown challenge kind in store",
            other.to_owned(),
        )))),
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

impl<C> Store for RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    fn insert(
        &self,
        id: Id,
        record: ChallengeRecord,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.insert_now(id, record, expires_at.saturating_sub(now).max(1)))
    }

    fn verify<'a>(
        &'a self,
        id: Id,
        check: Check<'a>,
        max_attempts: u32,
        _now: u64,
    ) -> BoxFuture<'a, Result<VerifyOutcome, StoreError>> {
        Box::pin(self.verify_now(id, check, max_attempts))
    }

    fn spend_pass(
        &self,
        jti: Id,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(self.spend_now(jti, expires_at.saturating_sub(now)))
    }
}

impl<C> fmt::Debug for RedisStore<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("op_timeout", &self.op_timeout)
            .finish_non_exhaustive()
    }
}
