//! The Redis store, for apps that run more than one instance (feature `redis`).
//!
//! Works with Redis and Valkey. Every instance that points at the same server (and key
//! prefix) shares challenges, attempt counts and spent pass ids.
//!
//! # Keys
//!
//! - `<prefix>:c:{<challenge id>}` — the state of an answered challenge, a hash: `n` wrong
//!   answers so far, `x` set to `p` once passed or `l` once locked. Created by the first
//!   verify, expires with the challenge. Challenges themselves (kind, answer, scope) are
//!   sealed into their ids and never reach Redis.
//! - `<prefix>:p:{<pass id>}` — set once a pass token is redeemed; expires with the token.
//! - `<prefix>:t:{<ticket id>}` — a second-stage ticket, a hash: `s` scope, `d` the engine's
//!   claims, `x` set once taken. Expires with the ticket.
//! - `<prefix>:r:{<network>}:<bucket>` — a rate-limit bucket's theoretical arrival time
//!   (ms); expires when it carries no more information. The client's network (action,
//!   address family, /24 or /48) is the hash tag, so both buckets of one decision (the
//!   address and its network) live in one slot and one script decides them together.
//! - `<prefix>:f:{<client>}` — a client's failures in the current lockout window; expires
//!   with the window.
//!
//! The id sits in a hash tag (`{…}`), so on Redis Cluster the keys spread over the cluster
//! while each script touches one slot.
//!
//! # Atomicity
//!
//! The engine checks the answer against the sealed challenge first; the store then settles
//! in one Lua script: spend on a right answer, count the attempt on a wrong one and lock at
//! the limit, refusing if it was spent or locked meanwhile. Spending a pass id is one
//! `SET NX`; taking a ticket is one script (check the scope, mark it taken).
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

use super::{
    BoxFuture, Bucket, RateDecision, Settled, Store, StoreError, TicketRecord, TicketTake,
};
use crate::id::Id;
use crate::seal::hex;

/// Settles a verify. `ARGV`: passed (`1`/`0`), attempt limit, TTL in ms. Reply: `{1}` used,
/// `{2}` passed, `{3, attempts_left}` wrong, `{4}` locked.
const SETTLE: &str = r"
local state = redis.call('HGET', KEYS[1], 'x')
if state == 'p' then return {1} end
if state == 'l' then return {4} end
if ARGV[1] == '1' then
  redis.call('HSET', KEYS[1], 'x', 'p')
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {2}
end
local left = tonumber(ARGV[2]) - redis.call('HINCRBY', KEYS[1], 'n', 1)
if left <= 0 then
  redis.call('HSET', KEYS[1], 'x', 'l')
  left = 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {3, left}
";

/// Takes a ticket. `ARGV`: `1` and the scope when one is required, else `0`. Reply: `{0}`
/// unknown, `{1}` used, `{2, scope}` scope mismatch, `{3, scope, payload}` taken.
const TAKE_TICKET: &str = r"
local t = redis.call('HMGET', KEYS[1], 's', 'd', 'x')
if t[3] then return {1} end
if not t[2] then return {0} end
if ARGV[1] == '1' and t[1] ~= ARGV[2] then return {2, t[1]} end
redis.call('HSET', KEYS[1], 'x', '1')
redis.call('HDEL', KEYS[1], 'd')
return {3, t[1], t[2]}
";

/// Decides one request against one or two GCRA buckets, all or none. `ARGV`: now (ms),
/// then interval and tolerance (ms) per key. Reply: `{1, load per mille}` admitted, `{0,
/// retry after ms}` limited.
const RATE: &str = r"
local now = tonumber(ARGV[1])
local next, wait, load = {}, 0, 0
for i, key in ipairs(KEYS) do
  local interval = math.max(1, tonumber(ARGV[2 * i]))
  local tolerance = tonumber(ARGV[2 * i + 1])
  local tat = math.max(tonumber(redis.call('GET', key) or now), now)
  if tat - now > tolerance then
    wait = math.max(wait, tat - now - tolerance)
  end
  next[i] = tat + interval
  load = math.max(load, math.floor((next[i] - now) * 1000 / (tolerance + interval)))
end
if wait > 0 then return {0, wait} end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%.0f', next[i]), 'PX', string.format('%.0f', next[i] - now))
end
return {1, math.min(load, 1000)}
";

/// Counts a client's failures in fixed windows, on the engine's clock. `ARGV`: add
/// (`1`/`0`), window (ms), now (ms). Reply: `{count, window end (ms, as text)}`.
const FAILURES: &str = r"
local now = tonumber(ARGV[3])
local t = redis.call('HMGET', KEYS[1], 'n', 'e')
local n, e = tonumber(t[1] or '0'), tonumber(t[2] or '0')
if e <= now then n, e = 0, 0 end
if ARGV[1] == '1' then
  if n == 0 then e = now + tonumber(ARGV[2]) end
  n = n + 1
  redis.call('HSET', KEYS[1], 'n', n, 'e', string.format('%.0f', e))
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', e - now))
end
return {n, string.format('%.0f', e)}
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
    take_ticket: Script,
    rate: Script,
    failures: Script,
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
            take_ticket: Script::new(TAKE_TICKET),
            rate: Script::new(RATE),
            failures: Script::new(FAILURES),
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

    fn key(&self, space: char, id: Id) -> String {
        format!("{}:{space}:{{{id}}}", self.prefix)
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

    async fn settle_now(
        &self,
        id: Id,
        passed: bool,
        max_attempts: u32,
        ttl_ms: u64,
    ) -> Result<Settled, StoreError> {
        let mut conn = self.conn.clone();
        let mut invocation = self.settle.key(self.key('c', id));
        invocation
            .arg(if passed { "1" } else { "0" })
            .arg(max_attempts)
            .arg(ttl_ms.max(1));
        let reply: Vec<i64> = self.bounded(invocation.invoke_async(&mut conn)).await?;
        Ok(match reply.as_slice() {
            [1] => Settled::Used,
            [2] => Settled::Passed,
            [3, left] => Settled::Wrong {
                attempts_left: u32::try_from(*left).unwrap_or(0),
            },
            [4] => Settled::Locked,
            _ => return Err(unexpected("settle script reply")),
        })
    }

    async fn spend_now(&self, jti: Id, ttl_ms: u64) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let options = SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(SetExpiry::PX(ttl_ms.max(1)));
        let set: Option<String> = self
            .bounded(conn.set_options(self.key('p', jti), 1, options))
            .await?;
        Ok(set.is_some())
    }

    async fn put_ticket_now(
        &self,
        id: Id,
        record: TicketRecord,
        ttl_ms: u64,
    ) -> Result<(), StoreError> {
        let key = self.key('t', id);
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(
                &key,
                &[
                    ("s", record.scope.as_deref().unwrap_or("")),
                    ("d", &record.payload),
                ],
            )
            .ignore()
            .pexpire(&key, i64::try_from(ttl_ms.max(1)).unwrap_or(i64::MAX))
            .ignore();
        self.bounded(pipe.query_async::<()>(&mut conn)).await
    }

    async fn take_ticket_now(&self, id: Id, scope: Option<&str>) -> Result<TicketTake, StoreError> {
        let mut conn = self.conn.clone();
        let mut invocation = self.take_ticket.key(self.key('t', id));
        match scope {
            Some(scope) => invocation.arg("1").arg(scope),
            None => invocation.arg("0").arg(""),
        };
        let items: Vec<redis::Value> = self.bounded(invocation.invoke_async(&mut conn)).await?;
        let code: i64 = items
            .first()
            .and_then(|v| redis::from_redis_value_ref(v).ok())
            .ok_or_else(|| unexpected("ticket script reply"))?;
        let text = |i: usize| -> Result<String, StoreError> {
            items
                .get(i)
                .and_then(|v| redis::from_redis_value_ref(v).ok())
                .ok_or_else(|| unexpected("ticket script reply"))
        };
        Ok(match code {
            0 => TicketTake::Unknown,
            1 => TicketTake::Used,
            2 => TicketTake::ScopeMismatch {
                unscoped: text(1)?.is_empty(),
            },
            3 => TicketTake::Taken(TicketRecord {
                scope: Some(text(1)?).filter(|s| !s.is_empty()).map(Into::into),
                payload: text(2)?.into(),
            }),
            _ => return Err(unexpected("ticket script reply")),
        })
    }
}

impl<C> RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    async fn rate_now(&self, buckets: &[Bucket], now: u64) -> Result<RateDecision, StoreError> {
        let Some(first) = buckets.first() else {
            return Ok(RateDecision::Admitted { load_per_mille: 0 });
        };
        let tag = hex(&first.key[..8]);
        let mut invocation = self.rate.prepare_invoke();
        invocation.arg(now);
        for bucket in buckets {
            invocation
                .key(format!(
                    "{}:r:{{{tag}}}:{}",
                    self.prefix,
                    hex(&bucket.key[8..])
                ))
                .arg(bucket.interval_ms)
                .arg(bucket.tolerance_ms);
        }
        let mut conn = self.conn.clone();
        let reply: Vec<i64> = self.bounded(invocation.invoke_async(&mut conn)).await?;
        let value = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(match reply.as_slice() {
            [1, load] => RateDecision::Admitted {
                load_per_mille: u32::try_from(*load).unwrap_or(1000),
            },
            [0, wait] => RateDecision::Limited {
                retry_after_ms: value(*wait).max(1),
            },
            _ => return Err(unexpected("rate script reply")),
        })
    }

    async fn failures_now(
        &self,
        key: [u8; 16],
        add: bool,
        window_ms: u64,
        now: u64,
    ) -> Result<(u32, u64), StoreError> {
        let mut invocation = self
            .failures
            .key(format!("{}:f:{{{}}}", self.prefix, hex(&key)));
        invocation
            .arg(if add { "1" } else { "0" })
            .arg(window_ms.max(1))
            .arg(now);
        let mut conn = self.conn.clone();
        let (count, ends): (u32, String) = self.bounded(invocation.invoke_async(&mut conn)).await?;
        let ends = ends
            .parse()
            .map_err(|_| unexpected("failures script reply"))?;
        Ok((count, ends))
    }
}

fn unexpected(what: &'static str) -> StoreError {
    unavailable(redis::RedisError::from((
        redis::ErrorKind::UnexpectedReturnType,
        what,
    )))
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

impl<C> Store for RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    fn settle(
        &self,
        id: Id,
        passed: bool,
        max_attempts: u32,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<Settled, StoreError>> {
        Box::pin(self.settle_now(id, passed, max_attempts, expires_at.saturating_sub(now)))
    }

    fn spend_pass(
        &self,
        jti: Id,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(self.spend_now(jti, expires_at.saturating_sub(now)))
    }

    fn put_ticket(
        &self,
        id: Id,
        record: TicketRecord,
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.put_ticket_now(id, record, expires_at.saturating_sub(now)))
    }

    fn take_ticket<'a>(
        &'a self,
        id: Id,
        scope: Option<&'a str>,
        _now: u64,
    ) -> BoxFuture<'a, Result<TicketTake, StoreError>> {
        Box::pin(self.take_ticket_now(id, scope))
    }

    fn rate<'a>(
        &'a self,
        buckets: &'a [Bucket],
        now: u64,
    ) -> BoxFuture<'a, Result<RateDecision, StoreError>> {
        Box::pin(self.rate_now(buckets, now))
    }

    fn failures(
        &self,
        key: [u8; 16],
        add: bool,
        window_ms: u64,
        now: u64,
    ) -> BoxFuture<'_, Result<(u32, u64), StoreError>> {
        Box::pin(self.failures_now(key, add, window_ms, now))
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
