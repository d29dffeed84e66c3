//! The store conformance suite, written once: every case is a function here, and
//! `store_conformance!` turns each into its own test for a given store, so a failing case
//! names itself and a new store gets the whole suite from one line.

use std::sync::Arc;
use std::time::Duration;

use tower_captcha::store::{Bucket, RateDecision, Settled, TicketRecord, TicketTake};
use tower_captcha::{Id, Store};

pub const NOW: u64 = 1_800_000_000_000;
const LATER: u64 = NOW + 60_000;

fn new_id() -> Id {
    Id::random(&mut rand::rng())
}

fn ticket(scope: Option<&str>) -> TicketRecord {
    TicketRecord {
        scope: scope.map(Into::into),
        payload: r#"{"claims":"opaque"}"#.into(),
    }
}

/// Calls `$callback!($($arg)*; case, case, …,)` with every case of the suite: the one list
/// of cases, for both ways of running them.
#[macro_export]
macro_rules! with_conformance_cases {
    ($callback:ident!($($arg:tt)*)) => {
        $callback! {$($arg)*;
            right_answer_spends,
            wrong_answers_count_then_lock,
            a_right_answer_after_wrong_ones_passes,
            state_is_forgotten_after_expiry,
            challenges_are_independent,
            pass_ids_spend_once,
            spent_pass_ids_expire,
            tickets_are_taken_once,
            a_ticket_scope_mismatch_does_not_spend_it,
            unscoped_tickets_need_no_scope,
            tickets_expire,
            concurrent_right_answers_have_one_winner,
            concurrent_wrong_answers_are_each_counted,
            concurrent_pass_spends_have_one_winner,
            concurrent_ticket_takes_have_one_winner,
            a_bucket_admits_its_burst_then_one_per_interval,
            buckets_decide_all_or_none,
            idle_buckets_start_afresh,
            concurrent_requests_never_exceed_a_budget,
            failures_count_within_a_window,
            concurrent_failures_are_each_counted,
            cleared_failures_start_afresh,
            replies_are_kept_once_and_expire,
            every_operation_works_on_keys_all_over_the_key_space,
        }
    };
}

/// Generates one `#[tokio::test]` per case for the store made by `$make`, an async fn
/// taking the test's name and returning `Option<(Arc<S>, guard)>` (`None`: skipped).
#[macro_export]
macro_rules! store_conformance {
    ($make:path) => {
        with_conformance_cases!(store_conformance!(@cases $make));
    };
    (@cases $make:path; $($case:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some((store, _guard)) = $make(stringify!($case)).await else {
                    return;
                };
                $crate::common::conformance::$case(store).await;
            }
        )*
    };
}

/// Runs every case, one after another, each on a store made by `$make` (a closure taking
/// the case's name and returning a future of `Arc<S>`): for a store whose server is costly
/// to start (a cluster), shared by all cases. Evaluates to the cases' names with each one's
/// outcome (`Err` with the panic's message), all run even when one fails.
#[macro_export]
macro_rules! run_conformance {
    ($make:expr) => {
        with_conformance_cases!(run_conformance!(@cases $make))
    };
    (@cases $make:expr; $($case:ident,)*) => {{
        let mut outcomes: Vec<(&'static str, Result<(), String>)> = Vec::new();
        $(
            let store = $make(stringify!($case)).await;
            let outcome = tokio::spawn($crate::common::conformance::$case(store))
                .await
                .map_err(|e| match e.try_into_panic() {
                    Ok(panic) => panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default(),
                    Err(e) => e.to_string(),
                });
            outcomes.push((stringify!($case), outcome));
        )*
        outcomes
    }};
}

pub async fn right_answer_spends<S: Store>(store: Arc<S>) {
    let id = new_id();
    assert_eq!(
        store.settle(id, true, 5, LATER, NOW).await.unwrap(),
        Settled::Passed
    );
    assert_eq!(
        store.settle(id, true, 5, LATER, NOW).await.unwrap(),
        Settled::Used
    );
    assert_eq!(
        store.settle(id, false, 5, LATER, NOW).await.unwrap(),
        Settled::Used,
        "a wrong answer to a spent challenge is not counted"
    );
}

pub async fn wrong_answers_count_then_lock<S: Store>(store: Arc<S>) {
    let id = new_id();
    for left in [2, 1, 0] {
        assert_eq!(
            store.settle(id, false, 3, LATER, NOW).await.unwrap(),
            Settled::Wrong {
                attempts_left: left
            }
        );
    }
    assert_eq!(
        store.settle(id, true, 3, LATER, NOW).await.unwrap(),
        Settled::Locked,
        "locked, told apart from used"
    );
    assert_eq!(
        store.settle(id, false, 3, LATER, NOW).await.unwrap(),
        Settled::Locked
    );
}

pub async fn a_right_answer_after_wrong_ones_passes<S: Store>(store: Arc<S>) {
    let id = new_id();
    store.settle(id, false, 3, LATER, NOW).await.unwrap();
    store.settle(id, false, 3, LATER, NOW).await.unwrap();
    assert_eq!(
        store.settle(id, true, 3, LATER, NOW).await.unwrap(),
        Settled::Passed
    );
    // One attempt allowed: the first wrong answer locks.
    let once = new_id();
    assert_eq!(
        store.settle(once, false, 1, LATER, NOW).await.unwrap(),
        Settled::Wrong { attempts_left: 0 }
    );
    assert_eq!(
        store.settle(once, true, 1, LATER, NOW).await.unwrap(),
        Settled::Locked
    );
}

pub async fn state_is_forgotten_after_expiry<S: Store>(store: Arc<S>) {
    // State kept until the challenge's own expiry (50 ms here), read 100 ms later: by the
    // clock handed in (memory) and by the store's own expiry (Redis) alike.
    let id = new_id();
    assert_eq!(
        store.settle(id, true, 5, NOW + 50, NOW).await.unwrap(),
        Settled::Passed
    );
    let live = new_id();
    store.settle(live, true, 5, LATER, NOW).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        store.settle(id, true, 5, LATER, NOW + 100).await.unwrap(),
        Settled::Passed,
        "expired state is gone (the engine refuses expired challenges before asking)"
    );
    assert_eq!(
        store.settle(live, true, 5, LATER, NOW + 100).await.unwrap(),
        Settled::Used,
        "live state is kept"
    );
}

pub async fn challenges_are_independent<S: Store>(store: Arc<S>) {
    let (a, b) = (new_id(), new_id());
    store.settle(a, false, 2, LATER, NOW).await.unwrap();
    assert_eq!(
        store.settle(b, false, 2, LATER, NOW).await.unwrap(),
        Settled::Wrong { attempts_left: 1 }
    );
    assert_eq!(
        store.settle(a, true, 2, LATER, NOW).await.unwrap(),
        Settled::Passed
    );
    assert_eq!(
        store.settle(b, true, 2, LATER, NOW).await.unwrap(),
        Settled::Passed
    );
}

pub async fn pass_ids_spend_once<S: Store>(store: Arc<S>) {
    let jti = new_id();
    assert!(store.spend_pass(jti, LATER, NOW).await.unwrap());
    assert!(!store.spend_pass(jti, LATER, NOW).await.unwrap());
    assert!(store.spend_pass(new_id(), LATER, NOW).await.unwrap());
}

pub async fn spent_pass_ids_expire<S: Store>(store: Arc<S>) {
    let jti = new_id();
    assert!(store.spend_pass(jti, NOW + 50, NOW).await.unwrap());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        store.spend_pass(jti, LATER, NOW + 100).await.unwrap(),
        "memory of a spent pass is bounded by its expiry"
    );
}

pub async fn tickets_are_taken_once<S: Store>(store: Arc<S>) {
    let id = new_id();
    store
        .put_ticket(id, ticket(Some("login")), LATER, NOW)
        .await
        .unwrap();
    assert_eq!(
        store.take_ticket(id, Some("login"), NOW).await.unwrap(),
        TicketTake::Taken(ticket(Some("login")))
    );
    assert_eq!(
        store.take_ticket(id, Some("login"), NOW).await.unwrap(),
        TicketTake::Used
    );
    assert_eq!(
        store.take_ticket(id, None, NOW).await.unwrap(),
        TicketTake::Used
    );
    assert_eq!(
        store.take_ticket(new_id(), None, NOW).await.unwrap(),
        TicketTake::Unknown
    );
}

pub async fn a_ticket_scope_mismatch_does_not_spend_it<S: Store>(store: Arc<S>) {
    let id = new_id();
    store
        .put_ticket(id, ticket(Some("login")), LATER, NOW)
        .await
        .unwrap();
    assert_eq!(
        store.take_ticket(id, Some("reset"), NOW).await.unwrap(),
        TicketTake::ScopeMismatch { unscoped: false }
    );
    assert_eq!(
        store.take_ticket(id, None, NOW).await.unwrap(),
        TicketTake::Taken(ticket(Some("login"))),
        "no scope required: any ticket"
    );
}

pub async fn unscoped_tickets_need_no_scope<S: Store>(store: Arc<S>) {
    let id = new_id();
    store
        .put_ticket(id, ticket(None), LATER, NOW)
        .await
        .unwrap();
    assert_eq!(
        store.take_ticket(id, Some("login"), NOW).await.unwrap(),
        TicketTake::ScopeMismatch { unscoped: true },
        "a ticket of no scope does not pass for a scope"
    );
    assert_eq!(
        store.take_ticket(id, None, NOW).await.unwrap(),
        TicketTake::Taken(ticket(None))
    );
}

pub async fn tickets_expire<S: Store>(store: Arc<S>) {
    let id = new_id();
    store
        .put_ticket(id, ticket(None), NOW + 50, NOW)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        store.take_ticket(id, None, NOW + 100).await.unwrap(),
        TicketTake::Unknown
    );
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

pub async fn concurrent_right_answers_have_one_winner<S: Store>(store: Arc<S>) {
    let id = new_id();
    let outcomes = race(&store, |s| async move {
        s.settle(id, true, 5, LATER, NOW).await.unwrap()
    })
    .await;
    let passed = outcomes.iter().filter(|o| **o == Settled::Passed).count();
    let used = outcomes.iter().filter(|o| **o == Settled::Used).count();
    assert_eq!(
        (passed, used),
        (1, 49),
        "exactly one of 50 concurrent right answers passes"
    );
}

pub async fn concurrent_wrong_answers_are_each_counted<S: Store>(store: Arc<S>) {
    // A limit above the number of racers: every one of the 50 is counted, each once.
    let id = new_id();
    let outcomes = race(&store, |s| async move {
        s.settle(id, false, 60, LATER, NOW).await.unwrap()
    })
    .await;
    let mut left: Vec<u32> = outcomes
        .iter()
        .map(|o| match o {
            Settled::Wrong { attempts_left } => *attempts_left,
            other => panic!("{other:?}"),
        })
        .collect();
    left.sort_unstable();
    assert_eq!(
        left,
        (10..60).collect::<Vec<u32>>(),
        "50 attempts, each once"
    );
    // And at a limit of 5: exactly 5 counted, the rest find it locked.
    let id = new_id();
    let outcomes = race(&store, |s| async move {
        s.settle(id, false, 5, LATER, NOW).await.unwrap()
    })
    .await;
    let mut left: Vec<u32> = outcomes
        .iter()
        .filter_map(|o| match o {
            Settled::Wrong { attempts_left } => Some(*attempts_left),
            _ => None,
        })
        .collect();
    left.sort_unstable();
    assert_eq!(left, vec![0, 1, 2, 3, 4]);
    let locked = outcomes.iter().filter(|o| **o == Settled::Locked).count();
    assert_eq!(locked, 45);
}

pub async fn concurrent_pass_spends_have_one_winner<S: Store>(store: Arc<S>) {
    let jti = new_id();
    let spends = race(&store, |s| async move {
        s.spend_pass(jti, LATER, NOW).await.unwrap()
    })
    .await;
    assert_eq!(
        spends.iter().filter(|&&won| won).count(),
        1,
        "exactly one of 50 concurrent spends succeeds"
    );
}

pub async fn concurrent_ticket_takes_have_one_winner<S: Store>(store: Arc<S>) {
    let id = new_id();
    store
        .put_ticket(id, ticket(None), LATER, NOW)
        .await
        .unwrap();
    let takes = race(&store, |s| async move {
        s.take_ticket(id, None, NOW).await.unwrap()
    })
    .await;
    let taken = takes
        .iter()
        .filter(|t| matches!(t, TicketTake::Taken(_)))
        .count();
    let used = takes.iter().filter(|t| **t == TicketTake::Used).count();
    assert_eq!((taken, used), (1, 49), "exactly one of 50 takes wins");
}

fn bucket(key: u8, burst: u64, interval_ms: u64) -> Bucket {
    let mut k = [key; 16];
    // Keys of one decision share their first 8 bytes (one network).
    k[..8].copy_from_slice(&[9; 8]);
    Bucket {
        key: k,
        interval_ms,
        tolerance_ms: interval_ms * (burst - 1),
    }
}

fn fresh_key() -> u8 {
    use std::sync::atomic::{AtomicU8, Ordering};
    static NEXT: AtomicU8 = AtomicU8::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

pub async fn a_bucket_admits_its_burst_then_one_per_interval<S: Store>(store: Arc<S>) {
    let b = [bucket(fresh_key(), 3, 1_000)];
    for _ in 0..3 {
        assert!(matches!(
            store.rate(&b, NOW).await.unwrap(),
            RateDecision::Admitted { .. }
        ));
    }
    assert_eq!(
        store.rate(&b, NOW).await.unwrap(),
        RateDecision::Limited {
            retry_after_ms: 1_000
        }
    );
    assert_eq!(
        store.rate(&b, NOW + 400).await.unwrap(),
        RateDecision::Limited {
            retry_after_ms: 600
        }
    );
    assert_eq!(
        store.rate(&b, NOW + 1_000).await.unwrap(),
        RateDecision::Admitted {
            load_per_mille: 1000
        }
    );
}

pub async fn buckets_decide_all_or_none<S: Store>(store: Arc<S>) {
    let wide = bucket(fresh_key(), 10, 1_000);
    let narrow = bucket(fresh_key(), 1, 1_000);
    let both = [wide, narrow];
    assert!(matches!(
        store.rate(&both, NOW).await.unwrap(),
        RateDecision::Admitted { .. }
    ));
    // The narrow one refuses; the wide one must not have been charged for it.
    for _ in 0..5 {
        assert!(matches!(
            store.rate(&both, NOW).await.unwrap(),
            RateDecision::Limited { .. }
        ));
    }
    let mut admitted = 0;
    while matches!(
        store.rate(&[wide], NOW).await.unwrap(),
        RateDecision::Admitted { .. }
    ) {
        admitted += 1;
    }
    assert_eq!(admitted, 9, "the wide bucket spent one, not six");
}

pub async fn idle_buckets_start_afresh<S: Store>(store: Arc<S>) {
    let b = [bucket(fresh_key(), 2, 1_000)];
    store.rate(&b, NOW).await.unwrap();
    store.rate(&b, NOW).await.unwrap();
    assert!(matches!(
        store.rate(&b, NOW).await.unwrap(),
        RateDecision::Limited { .. }
    ));
    assert_eq!(
        store.rate(&b, NOW + 60_000).await.unwrap(),
        RateDecision::Admitted {
            load_per_mille: 500
        },
        "a full burst again, as if never seen"
    );
}

pub async fn concurrent_requests_never_exceed_a_budget<S: Store>(store: Arc<S>) {
    let b = [
        bucket(fresh_key(), 50, 10_000),
        bucket(fresh_key(), 20, 10_000),
    ];
    let outcomes = race(
        &store,
        move |s| async move { s.rate(&b, NOW).await.unwrap() },
    )
    .await;
    let admitted = outcomes
        .iter()
        .filter(|o| matches!(o, RateDecision::Admitted { .. }))
        .count();
    assert_eq!(admitted, 20, "exactly the narrower budget of 50 racers");
    let mut rest = 0;
    while matches!(
        store.rate(&b[..1], NOW).await.unwrap(),
        RateDecision::Admitted { .. }
    ) {
        rest += 1;
    }
    assert_eq!(rest, 30, "the refused 30 cost the wider bucket nothing");
}

pub async fn failures_count_within_a_window<S: Store>(store: Arc<S>) {
    let key = [fresh_key(); 16];
    assert_eq!(
        store.failures(key, false, 60_000, NOW).await.unwrap(),
        (0, 0)
    );
    assert_eq!(
        store.failures(key, true, 60_000, NOW).await.unwrap(),
        (1, NOW + 60_000)
    );
    assert_eq!(
        store
            .failures(key, true, 60_000, NOW + 10_000)
            .await
            .unwrap(),
        (2, NOW + 60_000),
        "the window runs from the first failure"
    );
    assert_eq!(
        store
            .failures(key, false, 60_000, NOW + 20_000)
            .await
            .unwrap(),
        (2, NOW + 60_000)
    );
    assert_eq!(
        store
            .failures(key, false, 60_000, NOW + 60_000)
            .await
            .unwrap(),
        (0, 0),
        "forgotten when the window ends"
    );
}

pub async fn concurrent_failures_are_each_counted<S: Store>(store: Arc<S>) {
    let key = [fresh_key(); 16];
    race(&store, move |s| async move {
        s.failures(key, true, 60_000, NOW).await.unwrap()
    })
    .await;
    assert_eq!(store.failures(key, false, 60_000, NOW).await.unwrap().0, 50);
}

pub async fn cleared_failures_start_afresh<S: Store>(store: Arc<S>) {
    let (key, other) = ([fresh_key(); 16], [fresh_key(); 16]);
    for _ in 0..3 {
        store.failures(key, true, 60_000, NOW).await.unwrap();
    }
    store.failures(other, true, 60_000, NOW).await.unwrap();
    store.clear_failures(key, NOW + 1_000).await.unwrap();
    assert_eq!(
        store
            .failures(key, false, 60_000, NOW + 1_000)
            .await
            .unwrap(),
        (0, 0),
        "cleared"
    );
    assert_eq!(
        store
            .failures(key, true, 60_000, NOW + 2_000)
            .await
            .unwrap(),
        (1, NOW + 62_000),
        "a new window from the next failure"
    );
    assert_eq!(
        store
            .failures(other, false, 60_000, NOW + 2_000)
            .await
            .unwrap()
            .0,
        1,
        "another key is untouched"
    );
    // Clearing a key that counts nothing is fine.
    store.clear_failures([fresh_key(); 16], NOW).await.unwrap();
}

pub async fn replies_are_kept_once_and_expire<S: Store>(store: Arc<S>) {
    let (key, other) = (*new_id().as_bytes(), *new_id().as_bytes());
    store.remember(key, b"first", NOW + 50, NOW).await.unwrap();
    store.remember(key, b"second", LATER, NOW).await.unwrap();
    assert_eq!(
        store.recall(key, NOW).await.unwrap().as_deref(),
        Some(&b"first"[..]),
        "the first reply kept stays"
    );
    assert_eq!(store.recall(other, NOW).await.unwrap(), None);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        store.recall(key, NOW + 100).await.unwrap(),
        None,
        "a reply is forgotten at its expiry"
    );
}

/// Every operation on 300 random ids and networks: on a cluster these fall on every slot
/// range, so a script or pipeline whose keys spanned two slots would fail here.
pub async fn every_operation_works_on_keys_all_over_the_key_space<S: Store>(store: Arc<S>) {
    for i in 0..300u32 {
        let id = new_id();
        assert_eq!(
            store.settle(id, false, 2, LATER, NOW).await.unwrap(),
            Settled::Wrong { attempts_left: 1 }
        );
        assert_eq!(
            store.settle(id, true, 2, LATER, NOW).await.unwrap(),
            Settled::Passed
        );
        assert!(store.spend_pass(id, LATER, NOW).await.unwrap());
        store
            .put_ticket(id, ticket(None), LATER, NOW)
            .await
            .unwrap();
        assert!(matches!(
            store.take_ticket(id, None, NOW).await.unwrap(),
            TicketTake::Taken(_)
        ));
        let network = *new_id().as_bytes();
        let mut address = network;
        address[8..].copy_from_slice(&i.to_be_bytes().repeat(2));
        let buckets = [
            Bucket {
                key: address,
                interval_ms: 1_000,
                tolerance_ms: 1_000,
            },
            Bucket {
                key: network,
                interval_ms: 1_000,
                tolerance_ms: 1_000,
            },
        ];
        assert!(matches!(
            store.rate(&buckets, NOW).await.unwrap(),
            RateDecision::Admitted { .. }
        ));
        assert_eq!(
            store.failures(network, true, 60_000, NOW).await.unwrap().0,
            1
        );
        store.remember(network, b"reply", LATER, NOW).await.unwrap();
        assert!(store.recall(network, NOW).await.unwrap().is_some());
    }
}
