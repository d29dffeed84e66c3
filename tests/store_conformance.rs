//! The store conformance suite (`tests/common/conformance.rs`), one test per case, against
//! `MemoryStore` and against `RedisStore` on a real `redis-server` started per test (the same
//! cases run on a real Redis Cluster in `tests/redis.rs`).

#[macro_use]
mod common;

mod memory {
    use std::sync::Arc;

    use tower_captcha::MemoryStore;

    async fn make(_case: &str) -> Option<(Arc<MemoryStore>, ())> {
        Some((Arc::new(MemoryStore::new()), ()))
    }

    store_conformance!(make);
}

#[cfg(feature = "redis")]
mod redis {
    use std::sync::Arc;

    use crate::common::redis_server::RedisServer;
    use tower_captcha::store::RedisStore;

    async fn make(case: &str) -> Option<(Arc<RedisStore>, RedisServer)> {
        let server = RedisServer::start(&format!("store_conformance::redis::{case}"))?;
        let store = RedisStore::connect(&server.url())
            .await
            .expect("redis reachable");
        Some((Arc::new(store), server))
    }

    store_conformance!(make);
}
