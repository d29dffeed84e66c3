//! Races: nothing is lost or double-spent under concurrency, through the whole stack.

mod common;

use std::sync::Arc;

use common::*;
use http::StatusCode;
use serde_json::json;
use tokio::sync::Barrier;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_right_answers_yield_exactly_one_pass() {
    let h = Harness::new();
    let app = h.app();
    let (_, _, body) = send(&app, get_req("/auth/v1/captcha/data")).await;
    let token = body["token"].as_str().unwrap().to_owned();
    let answer = h.answer(&token);
    let barrier = Arc::new(Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (app, barrier, body) = (
                app.clone(),
                barrier.clone(),
                json!({"token": token, "key": answer}),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                send(&app, post_json("/auth/v1/captcha/data/verify", &body)).await
            })
        })
        .collect();
    let (mut passes, mut used) = (0, 0);
    for t in tasks {
        let (status, _, body) = t.await.unwrap();
        match status {
            StatusCode::OK => {
                assert!(body["captcha_token"].is_string());
                passes += 1;
            }
            StatusCode::GONE => {
                assert_eq!(body["error_code"], 4003);
                used += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    println!("50 concurrent verifies: {passes} captcha_token, {used} captcha_used");
    assert_eq!((passes, used), (1, 49));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_redemptions_accept_exactly_one() {
    let h = Harness::new();
    let app = h.app();
    let pass = h.pass(None).await;
    let barrier = Arc::new(Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (app, barrier, pass) = (app.clone(), barrier.clone(), pass.clone());
            // Half through the guard, half through the bare extractor.
            let uri = if i % 2 == 0 { "/any" } else { "/extract" };
            tokio::spawn(async move {
                barrier.wait().await;
                send(&app, post_with_token(uri, &pass)).await
            })
        })
        .collect();
    let (mut accepted, mut replayed) = (0, 0);
    for t in tasks {
        let (status, _, body) = t.await.unwrap();
        match status {
            StatusCode::OK => accepted += 1,
            StatusCode::UNAUTHORIZED => {
                assert_eq!(body["error_code"], 4013);
                replayed += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    println!("50 concurrent redemptions: {accepted} accepted, {replayed} captcha_token_used");
    assert_eq!((accepted, replayed), (1, 49));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_answers_are_all_counted() {
    let h = Harness::with(|b| b.kind(tower_captcha::TextOptions::default().with_max_attempts(20)));
    let c = h.captcha.issue(tower_captcha::Kind::TEXT).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (captcha, id) = (h.captcha.clone(), c.id.clone());
            tokio::spawn(async move { captcha.verify(&id, "WRONG").await })
        })
        .collect();
    let mut left: Vec<u32> = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Err(tower_captcha::VerifyError::Wrong { attempts_left }) => left.push(attempts_left),
            other => panic!("unexpected {other:?}"),
        }
    }
    left.sort_unstable();
    assert_eq!(
        left,
        (0..20).collect::<Vec<_>>(),
        "each attempt counted exactly once"
    );
    let answer = h.answer(&c.id);
    assert!(matches!(
        h.captcha.verify(&c.id, &answer).await,
        Err(tower_captcha::VerifyError::Locked)
    ));
}
