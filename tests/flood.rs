//! An issue flood from many source addresses on loopback (127.x.y.z) cannot lock anyone
//! out: challenges are sealed into their ids, so issuing writes nothing, and a store far
//! smaller than the flood stays empty while legitimate clients keep being served.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::loopback::{Server, loopback, request};
use common::*;
use serde_json::json;
use tower_captcha::{Captcha, MemoryStore};

const FLOOD_ADDRESSES: u8 = 200;
/// Each flooding address sends its whole default burst.
const PER_ADDRESS: usize = 20;
const LEGIT_FLOWS: u8 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_flood_from_many_addresses_leaves_legitimate_clients_served() {
    // Default rate limits; a store with room for 100 answered challenges, against a flood
    // of 4 000 issued ones.
    let store = Arc::new(MemoryStore::with_capacity(100));
    let captcha = Captcha::builder()
        .secret(SECRET.to_vec())
        .shared_store(store.clone())
        .build()
        .unwrap();
    let server = Server::start(app(&captcha)).await;
    let to = server.addr;

    let issued = Arc::new(AtomicUsize::new(0));
    let flood: Vec<_> = (0..8u8)
        .map(|worker| {
            let issued = issued.clone();
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for a in (0..FLOOD_ADDRESSES).filter(|a| a % 8 == worker) {
                    for _ in 0..PER_ADDRESS {
                        let from = loopback(1, a, 1);
                        let (status, _) =
                            request(from, to, "GET", "/auth/v1/captcha/data", &[], "")
                                .await
                                .unwrap();
                        if status == 200 {
                            issued.fetch_add(1, Ordering::Relaxed);
                        }
                        statuses.push(status);
                    }
                }
                statuses
            })
        })
        .collect();

    // Meanwhile, legitimate clients solve and log in, each from an address of its own.
    let mut legit = Vec::new();
    for i in 0..LEGIT_FLOWS {
        let from = loopback(2, 0, i + 1);
        let (status, body) = request(
            from,
            to,
            "GET",
            "/auth/v1/captcha/data?scope=login",
            &[],
            "",
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "issue during the flood: {body}");
        let token = body["token"].as_str().unwrap();
        let key = text_answer(&captcha, token);
        let verify = json!({"token": token, "key": key}).to_string();
        let (status, body) = request(
            from,
            to,
            "POST",
            "/auth/v1/captcha/data/verify",
            &[("content-type", "application/json")],
            &verify,
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "verify during the flood: {body}");
        let pass = body["captcha_token"].as_str().unwrap();
        let (status, body) = request(from, to, "POST", "/login", &[("x-captcha-token", pass)], "")
            .await
            .unwrap();
        assert_eq!(status, 200, "login during the flood: {body}");
        legit.push(issued.load(Ordering::Relaxed));
    }

    let mut statuses = Vec::new();
    for task in flood {
        statuses.extend(task.await.unwrap());
    }
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    println!(
        "flood: {} issue requests from {FLOOD_ADDRESSES} addresses: {ok} issued, {limited} rate limited; \
         legitimate flows: {LEGIT_FLOWS}/{LEGIT_FLOWS} served (flood progress at each: {legit:?}); \
         store entries: {}",
        statuses.len(),
        store.len()
    );
    assert_eq!(statuses.len(), usize::from(FLOOD_ADDRESSES) * PER_ADDRESS);
    assert!(
        ok > 100 * 4,
        "the flood really issued far more than the store holds: {ok}"
    );
    assert!(
        legit.first().is_some_and(|&n| n < ok),
        "the legitimate flows ran while the flood did"
    );
    assert_eq!(
        store.len(),
        2 * usize::from(LEGIT_FLOWS),
        "only answered challenges and spent passes take room"
    );
}
