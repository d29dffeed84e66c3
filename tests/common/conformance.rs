//! The store conformance suite, written once and run against every store.

use std::sync::Arc;

use tower_captcha::store::{ChallengeRecord, VerifyOutcome};
use tower_captcha::{Id, Kind, Store};

const NOW: u64 = 1_800_000_000_000;

fn record(answer: &str) -> ChallengeRecord {
    ChallengeRecord {
        kind: Kind::Text,
        answer: answer.as_bytes().into(),
        scope: Some("login".into()),
    }
}

fn new_id() -> Id {
    Id::random(&mut rand::rng())
}

fn right(r: &ChallengeRecord) -> bool {
    &*r.answer == b"ABCDE"
}

fn wrong(_: &ChallengeRecord) -> bool {
    false
}

/// Runs every case against `store`. Each case uses fresh ids, so one store serves all.
pub async fn run<S: Store>(store: Arc<S>) {
    right_answer_spends(&*store).await;
    wrong_answers_count_then_lock(&*store).await;
    unknown_and_expired(&*store).await;
    pass_ids_spend_once(&*store).await;
    concurrent_verifies_one_winner(store.clone()).await;
    concurrent_wrong_answers_respect_the_limit(store.clone()).await;
    concurrent_spends_one_winner(store).await;
}

async fn right_answer_spends(store: &dyn Store) {
    let id = new_id();
    store
        .insert(id, record("ABCDE"), NOW + 60_000, NOW)
        .await
        .unwrap();
    match store.verify(id, &right, 5, NOW).await.unwrap() {
        VerifyOutcome::Passed(r) => assert_eq!(r, record("ABCDE")),
        other => panic!("expected a pass, got {other:?}"),
    }
    assert_eq!(
        store.verify(id, &right, 5, NOW).await.unwrap(),
        VerifyOutcome::Spent
    );
}

async fn wrong_answers_count_then_lock(store: &dyn Store) {
    let id = new_id();
    store
        .insert(id, record("ABCDE"), NOW + 60_000, NOW)
        .await
        .unwrap();
    for left in (1..3).rev() {
        assert_eq!(
            store.verify(id, &wrong, 3, NOW).await.unwrap(),
            VerifyOutcome::Failed {
                attempts_left: left
            }
        );
    }
    // The challenge stayed valid through wrong answers: a right one still passes...
    let id2 = new_id();
    store
        .insert(id2, record("ABCDE"), NOW + 60_000, NOW)
        .await
        .unwrap();
    assert_eq!(
        store.verify(id2, &wrong, 3, NOW).await.unwrap(),
        VerifyOutcome::Failed { attempts_left: 2 }
    );
    assert!(matches!(
        store.verify(id2, &right, 3, NOW).await.unwrap(),
        VerifyOutcome::Passed(_)
    ));
    // ...but the last allowed wrong answer spends it, and then even the right one is refused.
    assert_eq!(
        store.verify(id, &wrong, 3, NOW).await.unwrap(),
        VerifyOutcome::Failed { attempts_left: 0 }
    );
    assert_eq!(
        store.verify(id, &right, 3, NOW).await.unwrap(),
        VerifyOutcome::Spent
    );
}

async fn unknown_and_expired(store: &dyn Store) {
    assert_eq!(
        store.verify(new_id(), &right, 5, NOW).await.unwrap(),
        VerifyOutcome::Unknown
    );
    // A 50 ms challenge, read 100 ms later: by the clock handed in (memory) and by the
    // store's own expiry (Redis) alike.
    let id = new_id();
    store
        .insert(id, record("ABCDE"), NOW + 50, NOW)
        .await
        .unwrap();
    let live = new_id();
    store
        .insert(live, record("ABCDE"), NOW + 60_000, NOW)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        store.verify(id, &right, 5, NOW + 100).await.unwrap(),
        VerifyOutcome::Unknown,
        "expiry is checked on read"
    );
    assert!(matches!(
        store.verify(live, &right, 5, NOW + 100).await.unwrap(),
        VerifyOutcome::Passed(_)
    ));
}

async fn pass_ids_spend_once(store: &dyn Store) {
    let jti = new_id();
    assert!(store.spend_pass(jti, NOW + 60_000, NOW).await.unwrap());
    assert!(!store.spend_pass(jti, NOW + 60_000, NOW).await.unwrap());
    assert!(store.spend_pass(new_id(), NOW + 60_000, NOW).await.unwrap());
}

/// Runs `op` on the store from 50 tasks at once; their results, in any order.
async fn race<S, T, F, Fut>(store: &Arc<S>, op: F) -> Vec<T>
where
    S: Store,
    T: Send + 'static,
    F: Fn(Arc<S>) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..50).map(|_| tokio::spawn(op(store.clone()))).collect();
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await.unwrap());
    }
    results
}

async fn concurrent_verifies_one_winner<S: Store>(store: Arc<S>) {
    let id = new_id();
    store
        .insert(id, record("ABCDE"), NOW + 60_000, NOW)
        .await
        .unwrap();
    let outcomes = race(&store, |s| async move {
        s.verify(id, &right, 5, NOW).await.unwrap()
    })
    .await;
    let passed = outcomes
        .iter()
        .filter(|o| matches!(o, VerifyOutcome::Passed(_)))
        .count();
    let spent = outcomes
        .iter()
        .filter(|o| **o == VerifyOutcome::Spent)
        .count();
    assert_eq!(
        (passed, spent),
        (1, 49),
        "exactly one of 50 concurrent right answers passes"
    );
}

async fn concurrent_wrong_answers_respect_the_limit<S: Store>(store: Arc<S>) {
    let id = new_id();
    store
        .insert(id, record("ABCDE"), NOW + 60_000, NOW)
        .await
        .unwrap();
    let outcomes = race(&store, |s| async move {
        s.verify(id, &wrong, 5, NOW).await.unwrap()
    })
    .await;
    let mut left: Vec<u32> = outcomes
        .iter()
        .filter_map(|o| match o {
            VerifyOutcome::Failed { attempts_left } => Some(*attempts_left),
            _ => None,
        })
        .collect();
    left.sort_unstable();
    assert_eq!(
        left,
        vec![0, 1, 2, 3, 4],
        "exactly 5 attempts counted, each once"
    );
    let spent = outcomes
        .iter()
        .filter(|o| **o == VerifyOutcome::Spent)
        .count();
    assert_eq!(spent, 45, "the rest find the challenge spent");
}

async fn concurrent_spends_one_winner<S: Store>(store: Arc<S>) {
    let jti = new_id();
    let spends = race(&store, |s| async move {
        s.spend_pass(jti, NOW + 60_000, NOW).await.unwrap()
    })
    .await;
    assert_eq!(
        spends.iter().filter(|&&won| won).count(),
        1,
        "exactly one of 50 concurrent spends succeeds"
    );
}
