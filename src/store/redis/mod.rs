//! The Redis store, for apps that run more than one instance (feature `redis`).
//!
//! Works with Redis and Valkey, on one server or on Redis Cluster. Every instance that
//! points at the same server or cluster (and key prefix) shares challenges, attempt counts,
//! spent pass ids, tickets, rate limits, failure counts and remembered replies.
//!
//! # Keys
//!
//! - `<prefix>:c:{<challenge id>}` — the state of an answered challenge, a hash: `n` wrong
//!   answers so far, `x` set to `p` once passed or `l` once locked. Created by the first
//!   verify, expires with the challenge. Challenges themselves (kind, answer, scope) are
//!   sealed into their ids and never reach Redis.
//! - `<prefix>:p:{<pass id>}` — set once a pass token is redeemed; expires 60 s after the
//!   token.
//! - `<prefix>:t:{<ticket id>}` — a second-stage ticket, a hash: `s` scope, `d` the engine's
//!   claims, `x` set once taken. Expires with the ticket.
//! - `<prefix>:r:{<network>}:<bucket>` — a rate-limit bucket's theoretical arrival time
//!   (ms); expires when it carries no more information. The client's network (action,
//!   address family, /24 or /48) is the hash tag, so both buckets of one decision (the
//!   address and its network) live in one slot and one script decides them together.
//! - `<prefix>:f:{<client>}` — a client's failures in the current lockout window; expires
//!   with the window.
//! - `<prefix>:i:{<key>}` — a remembered reply (siteverify's idempotency); expires with the
//!   pass it answered for.
//!
//! Every key has a hash tag (`{…}`), and every script, pipeline and command touches the keys
//! of one tag only, so on Redis Cluster the keys spread over the cluster while no call is
//! ever cross-slot (the conformance suite runs on a real six-node cluster to show it).
//!
//! # Atomicity
//!
//! The engine checks the answer against the sealed challenge first; the store then settles
//! in one Lua script: spend on a right answer, count the attempt on a wrong one and lock at
//! the limit, refusing if it was spent or locked meanwhile. Spending a pass id is one
//! `SET NX`; taking a ticket is one script (check the scope, mark it taken); keeping one is
//! one script (write and set its expiry).
//!
//! # Failures
//!
//! [`RedisStoreBuilder::connect`] fails with [`StoreError::Unavailable`] when no server can
//! be reached at start-up. Later, every round trip is bounded by the operation timeout: a
//! server that is down or slow gives [`StoreError::Unavailable`] or [`StoreError::Timeout`],
//! which the routes answer with their "busy" error (503 for Auth v1) and the guard with 503
//! (fail closed). The connection is re-established on its own once the server is back; a
//! cluster connection follows the slot map when a replica takes over from a primary.
//! Replication is asynchronous: see [`RedisStoreBuilder::wait_for_replicas`] for spends that
//! survive a failover.

mod connection;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use redis::aio::ConnectionLike;
use redis::{
    AsyncCommands, ErrorKind, FromRedisValue, RedisResult, Script, ScriptInvocation,
    ServerErrorKind, SetExpiry, SetOptions,
};

use super::{
    BoxFuture, Bucket, RateDecision, Settled, Store, StoreError, TicketRecord, TicketTake,
};
use crate::id::Id;
use crate::keys::hex;

pub use connection::{RedisConnection, RedisStoreBuilder};

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

/// Keeps a ticket. `ARGV`: scope, payload, TTL in ms.
const PUT_TICKET: &str = r"
redis.call('HSET', KEYS[1], 's', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
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

/// What [`RedisStoreBuilder::wait_for_replicas`] asks of every spend.
#[derive(Debug, Clone, Copy)]
struct Durability {
    replicas: u32,
    timeout: Duration,
}

/// A [`Store`] on Redis or Valkey, one server or a cluster: keys, atomicity and failure
/// behaviour are described in the crate README's "Redis" section.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_captcha::{Captcha, store::RedisStore};
///
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// // or, on Redis Cluster, any of its nodes (the rest are found from them):
/// // let store = RedisStore::connect_cluster(["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]).await?;
/// let captcha = Captcha::builder()
///     .secret(std::env::var("CAPTCHA_SECRET")?) // the same on every instance
///     .store(store)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore<C = RedisConnection> {
    conn: C,
    /// Connections for durable spends, taken in turn (none: the main one).
    spenders: std::sync::Arc<[C]>,
    next_spender: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    prefix: String,
    op_timeout: Duration,
    durability: Option<Durability>,
    settle: Script,
    take_ticket: Script,
    put_ticket: Script,
    rate: Script,
    failures: Script,
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port[/db]`, `rediss://…`) with the default options.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::builder(url).connect().await
    }

    /// Options for connecting to the server at `url`.
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder::new(false, vec![url.into()])
    }

    /// Connects to a Redis Cluster through any of its nodes (`redis://host:port`, with
    /// `user:password@` where ACLs ask for it), with the default options. The other nodes
    /// and the slot map are learnt from them, and followed through failovers.
    pub async fn connect_cluster(
        nodes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self, StoreError> {
        Self::cluster_builder(nodes).connect().await
    }

    /// Options for connecting to a Redis Cluster through any of its `nodes`.
    pub fn cluster_builder(
        nodes: impl IntoIterator<Item = impl Into<String>>,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder::new(true, nodes.into_iter().map(Into::into).collect())
    }
}

impl<C> RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    /// A store over a connection you made (another pooling or TLS set-up, say). The
    /// builder's connections ([`RedisStore::builder`], [`RedisStore::cluster_builder`]) need
    /// none of this.
    pub fn from_connection(conn: C) -> Self {
        Self {
            conn,
            spenders: Vec::new().into(),
            next_spender: Default::default(),
            prefix: "tower-captcha".into(),
            op_timeout: Duration::from_secs(1),
            durability: None,
            settle: Script::new(SETTLE),
            take_ticket: Script::new(TAKE_TICKET),
            put_ticket: Script::new(PUT_TICKET),
            rate: Script::new(RATE),
            failures: Script::new(FAILURES),
        }
    }

    /// Sends durable spends over these connections, in turn, rather than the main one
    /// (`WAIT` holds the connection it runs on).
    pub(crate) fn with_spend_connections(mut self, spenders: Vec<C>) -> Self {
        self.spenders = spenders.into();
        self
    }

    /// The connection for the next durable spend.
    fn spender(&self) -> C {
        if self.spenders.is_empty() {
            return self.conn.clone();
        }
        let i = self
            .next_spender
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.spenders[i % self.spenders.len()].clone()
    }

    /// Waits for `replicas` replicas to acknowledge every spend, for at most `timeout`; see
    /// [`RedisStoreBuilder::wait_for_replicas`]. On a connection you made, spends share it
    /// with every other call, and `WAIT` holds it: the builder gives spends their own.
    pub fn with_replicas_waited_for(mut self, replicas: u32, timeout: Duration) -> Self {
        self.durability = Some(Durability { replicas, timeout });
        self
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

    /// Runs a script; with `spends` and durable spends configured, in one pipeline with
    /// `WAIT` (on the same node: the script's key routes the pipeline), refusing an answer
    /// too few replicas acknowledged.
    async fn script<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
        spends: bool,
    ) -> Result<T, StoreError> {
        match self.durability.filter(|_| spends) {
            None => {
                let mut conn = self.conn.clone();
                self.bounded(invocation.invoke_async(&mut conn)).await
            }
            Some(durability) => {
                let mut conn = self.spender();
                let mut pipe = redis::pipe();
                pipe.invoke_script(invocation);
                let run = async {
                    match self.durable(&pipe, durability, &mut conn).await {
                        Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                            invocation.load_async(&mut conn).await?;
                            self.durable(&pipe, durability, &mut conn).await
                        }
                        other => other,
                    }
                };
                self.bounded(run).await?
            }
        }
    }

    /// Sends `pipe` (one write) followed by `WAIT`: the write's reply, or a refusal when
    /// fewer replicas than asked acknowledged it in time.
    async fn durable<T: FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
        durability: Durability,
        conn: &mut C,
    ) -> RedisResult<Result<T, StoreError>> {
        let mut pipe = pipe.clone();
        let timeout_ms = u64::try_from(durability.timeout.as_millis()).unwrap_or(u64::MAX);
        pipe.cmd("WAIT")
            .arg(durability.replicas)
            .arg(timeout_ms.max(1));
        let (value, acked): (T, u32) = pipe.query_async(conn).await?;
        Ok(if acked >= durability.replicas {
            Ok(value)
        } else {
            Err(StoreError::Unavailable(
                format!(
                    "a spend was acknowledged by {acked} of the {} replicas asked for within {timeout_ms} ms",
                    durability.replicas
                )
                .into(),
            ))
        })
    }

    async fn settle_now(
        &self,
        id: Id,
        passed: bool,
        max_attempts: u32,
        ttl_ms: u64,
    ) -> Result<Settled, StoreError> {
        let mut invocation = self.settle.key(self.key('c', id));
        invocation
            .arg(if passed { "1" } else { "0" })
            .arg(max_attempts)
            .arg(ttl_ms.max(1));
        let reply: Vec<i64> = self.script(&invocation, true).await?;
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
        let key = self.key('p', jti);
        let set: Option<String> = match self.durability {
            None => self.bounded(conn.set_options(key, 1, options)).await?,
            Some(durability) => {
                let mut conn = self.spender();
                let mut pipe = redis::pipe();
                pipe.set_options(key, 1, options);
                self.bounded(self.durable(&pipe, durability, &mut conn))
                    .await??
            }
        };
        Ok(set.is_some())
    }

    async fn put_ticket_now(
        &self,
        id: Id,
        record: TicketRecord,
        ttl_ms: u64,
    ) -> Result<(), StoreError> {
        let mut invocation = self.put_ticket.key(self.key('t', id));
        invocation
            .arg(record.scope.as_deref().unwrap_or(""))
            .arg(&*record.payload)
            .arg(ttl_ms.max(1));
        self.script::<()>(&invocation, false).await
    }

    async fn take_ticket_now(&self, id: Id, scope: Option<&str>) -> Result<TicketTake, StoreError> {
        let mut invocation = self.take_ticket.key(self.key('t', id));
        match scope {
            Some(scope) => invocation.arg("1").arg(scope),
            None => invocation.arg("0").arg(""),
        };
        let items: Vec<redis::Value> = self.script(&invocation, true).await?;
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
        let reply: Vec<i64> = self.script(&invocation, false).await?;
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
        let (count, ends): (u32, String) = self.script(&invocation, false).await?;
        let ends = ends
            .parse()
            .map_err(|_| unexpected("failures script reply"))?;
        Ok((count, ends))
    }
}

impl<C> RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    async fn remember_now(
        &self,
        key: [u8; 16],
        reply: &[u8],
        ttl_ms: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let options = SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(SetExpiry::PX(ttl_ms.max(1)));
        let key = format!("{}:i:{{{}}}", self.prefix, hex(&key));
        let _: Option<String> = self.bounded(conn.set_options(key, reply, options)).await?;
        Ok(())
    }

    async fn clear_failures_now(&self, key: [u8; 16]) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let key = format!("{}:f:{{{}}}", self.prefix, hex(&key));
        self.bounded(conn.del::<_, ()>(key)).await
    }

    async fn recall_now(&self, key: [u8; 16]) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.clone();
        let key = format!("{}:i:{{{}}}", self.prefix, hex(&key));
        self.bounded(conn.get(key)).await
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

    fn clear_failures(&self, key: [u8; 16], _now: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.clear_failures_now(key))
    }

    fn remember<'a>(
        &'a self,
        key: [u8; 16],
        reply: &'a [u8],
        expires_at: u64,
        now: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.remember_now(key, reply, expires_at.saturating_sub(now)))
    }

    fn recall(
        &self,
        key: [u8; 16],
        _now: u64,
    ) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(self.recall_now(key))
    }
}

impl<C> fmt::Debug for RedisStore<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("op_timeout", &self.op_timeout)
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}
