//! Connecting: one server (a reconnecting connection manager) or a Redis Cluster (a
//! cluster connection that follows the slot map through failovers), behind one type.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use super::{Durability, RedisStore, unavailable};

/// Connections of their own for durable spends (`WAIT` holds the connection it runs on).
const SPEND_CONNECTIONS: usize = 4;
use crate::error::StoreError;

/// The connection of a [`RedisStore`]: to one server or to a cluster. Cheap to clone;
/// clones share the connections underneath.
#[derive(Clone)]
pub struct RedisConnection(Inner);

#[derive(Clone)]
enum Inner {
    Server(ConnectionManager),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Inner::Server(_) => "RedisConnection(server)",
            Inner::Cluster(_) => "RedisConnection(cluster)",
        })
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.0 {
            Inner::Server(c) => c.req_packed_command(cmd),
            Inner::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.0 {
            Inner::Server(c) => c.req_packed_commands(cmd, offset, count),
            Inner::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.0 {
            Inner::Server(c) => c.get_db(),
            Inner::Cluster(c) => c.get_db(),
        }
    }
}

/// Where a [`RedisStoreBuilder`] connects.
#[derive(Debug, Clone)]
enum Target {
    Server(String),
    Cluster(Vec<String>),
}

/// Options of a [`RedisStore`]; start with [`RedisStore::builder`] (one server) or
/// [`RedisStore::cluster_builder`] (Redis Cluster).
#[derive(Debug, Clone)]
#[must_use]
pub struct RedisStoreBuilder {
    target: Target,
    prefix: String,
    op_timeout: Duration,
    connect_timeout: Duration,
    durability: Option<Durability>,
}

impl RedisStoreBuilder {
    pub(super) fn new(target_is_cluster: bool, urls: Vec<String>) -> Self {
        let target = match (target_is_cluster, urls.first()) {
            (false, Some(url)) => Target::Server(url.clone()),
            _ => Target::Cluster(urls),
        };
        Self {
            target,
            prefix: "tower-captcha".into(),
            op_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            durability: None,
        }
    }

    /// Key prefix (default `tower-captcha`): give apps that share a server their own.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Longest time one round trip to Redis may take, reconnecting and (on a cluster)
    /// following redirections included (default 1 s). A verify makes three or four round
    /// trips (rate decision, lockout read, settle, and a failure count when wrong), every
    /// other call one or two.
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    /// Longest time one connection attempt may take (default 1 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Durable spends: every write that spends something (a challenge answered, a pass
    /// redeemed, a ticket taken) is followed, in the same round trip, by Redis's `WAIT` for
    /// `replicas` replicas to acknowledge it within `timeout`. A spend that fewer replicas
    /// acknowledged in time is answered as the store being unavailable (fail closed: the
    /// request is refused, the credential stays spent on the primary). With it, a replica
    /// promoted after its primary died has every spend the primary acknowledged, so no pass
    /// is accepted twice across a failover; without it (the default), spends made in the
    /// last moments before a crash can be lost with it. Costs one replication round trip per
    /// spend (see the README's "Know" list for the measured cost). Pick a `timeout` well
    /// under [`op_timeout`](Self::op_timeout).
    pub fn wait_for_replicas(mut self, replicas: u32, timeout: Duration) -> Self {
        self.durability = Some(Durability { replicas, timeout });
        self
    }

    /// Connects. Fails with [`StoreError::Unavailable`] if a URL is invalid or no server
    /// can be reached, and [`StoreError::Timeout`] if that takes too long.
    pub async fn connect(self) -> Result<RedisStore, StoreError> {
        let conn = self.open().await?;
        let mut store = RedisStore::from_connection(conn)
            .with_prefix(self.prefix.clone())
            .with_op_timeout(self.op_timeout);
        if let Some(d) = self.durability {
            // `WAIT` holds the connection it runs on: durable spends get connections of
            // their own, so that reads and rate decisions never queue behind them.
            let mut spenders = Vec::with_capacity(SPEND_CONNECTIONS);
            for _ in 0..SPEND_CONNECTIONS {
                spenders.push(self.open().await?);
            }
            store = store
                .with_replicas_waited_for(d.replicas, d.timeout)
                .with_spend_connections(spenders);
        }
        Ok(store)
    }

    /// One connection to the target.
    async fn open(&self) -> Result<RedisConnection, StoreError> {
        let wait = self.connect_timeout + self.op_timeout;
        let conn = match &self.target {
            Target::Server(url) => {
                let client = redis::Client::open(url.as_str()).map_err(unavailable)?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.connect_timeout))
                    .set_response_timeout(Some(self.op_timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(200));
                let manager = ConnectionManager::new_with_config(client, config);
                let manager = tokio::time::timeout(wait, manager)
                    .await
                    .map_err(|_| StoreError::Timeout)?
                    .map_err(unavailable)?;
                Inner::Server(manager)
            }
            Target::Cluster(nodes) => {
                if nodes.is_empty() {
                    return Err(unavailable(redis::RedisError::from((
                        redis::ErrorKind::InvalidClientConfig,
                        "a cluster needs at least one node URL",
                    ))));
                }
                let client = ClusterClientBuilder::new(nodes.iter().map(String::as_str))
                    .connection_timeout(self.connect_timeout)
                    .response_timeout(self.op_timeout)
                    .retries(3)
                    .min_retry_wait(20)
                    .max_retry_wait(200)
                    .build()
                    .map_err(unavailable)?;
                let cluster = tokio::time::timeout(wait, client.get_async_connection())
                    .await
                    .map_err(|_| StoreError::Timeout)?
                    .map_err(unavailable)?;
                Inner::Cluster(cluster)
            }
        };
        Ok(RedisConnection(conn))
    }
}
