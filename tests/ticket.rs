//! Second-stage tickets through the engine: minted by a successful check (random, or of the
//! protocol's making, such as AJ-Captcha's `captchaVerification`), accepted once by the guard
//! or by `redeem`, scope-bound, and raced.

mod common;

use std::sync::Arc;

use common::*;
use http::StatusCode;
use tower_captcha::{Kind, RedeemError, VerifyError};

async fn ticket(h: &Harness, scope: Option<&str>) -> String {
    let c = h.captcha.issue(Kind::TEXT).scope(scope).await.unwrap();
    let answer = h.answer(&c.id);
    h.captcha.check(&c.id, answer).await.unwrap().value
}

#[tokio::test]
async fn a_ticket_is_accepted_once_by_the_guard() {
    let h = Harness::new();
    let t = ticket(&h, None).await;
    let (status, _, body) = send(&h.app(), post_with_token("/any", &t)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = send(&h.app(), post_with_token("/any", &t)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4013)
    );
}

#[tokio::test]
async fn a_ticket_is_random_or_the_protocols_own_and_spends_the_challenge() {
    let h = Harness::new();
    let c = h.captcha.issue(Kind::TEXT).await.unwrap();
    let answer = h.answer(&c.id);
    let t = h.captcha.check(&c.id, answer).await.unwrap();
    assert_eq!(t.expires_in.as_secs(), 180);
    // 128 random bits, never the id in the clear.
    assert_eq!(t.value.len(), 22, "{}", t.value);
    assert!(!t.value.contains(&c.id));
    // A protocol's own ticket value is kept as given, and redeemed once.
    let c2 = h.captcha.issue(Kind::TEXT).await.unwrap();
    let answer2 = h.answer(&c2.id);
    let own = h
        .captcha
        .check(&c2.id, answer2)
        .ticket("a-protocols-own-ticket-value")
        .await
        .unwrap();
    assert_eq!(own.value, "a-protocols-own-ticket-value");
    assert!(h.captcha.redeem(&own.value).await.is_ok());
    assert!(matches!(
        h.captcha.redeem(&own.value).await,
        Err(RedeemError::Used)
    ));
    // A checked challenge is spent like a verified one.
    let answer = h.answer(&c.id);
    assert!(matches!(
        h.captcha.verify(&c.id, answer).await,
        Err(VerifyError::Used)
    ));
}

#[tokio::test]
async fn a_ticket_of_another_scope_is_refused_and_not_spent() {
    let h = Harness::new();
    let t = ticket(&h, Some("login")).await;
    assert!(matches!(
        h.captcha.redeem(&t).scope("password_reset").await,
        Err(RedeemError::ScopeMismatch)
    ));
    let claims = h.captcha.redeem(&t).scope("login").await.unwrap();
    assert_eq!(claims.scope.as_deref(), Some("login"));
    assert_eq!(claims.kind, Kind::TEXT);
    assert_eq!(claims.exp - claims.iat, 180);
    assert!(matches!(
        h.captcha.redeem(&t).scope("login").await,
        Err(RedeemError::Used)
    ));
}

#[tokio::test]
async fn tickets_expire_and_unknown_ones_are_invalid() {
    let h = Harness::new();
    let t = ticket(&h, None).await;
    h.clock.advance(std::time::Duration::from_secs(180));
    assert!(matches!(
        h.captcha.redeem(&t).await,
        Err(RedeemError::Invalid)
    ));
    // A well-formed ticket that was never minted.
    let forged =
        "G9SZygOxPyG0IeLT0t3AYuAvIWVTh9WAN5L7dAQCf8W/WjaQrg+BsRazH2v5gpqatH5tYuGSg0d62stK9A+PUA==";
    assert!(matches!(
        h.captcha.redeem(forged).await,
        Err(RedeemError::Invalid)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_redemptions_of_one_ticket_have_one_winner() {
    let h = Arc::new(Harness::new());
    let t = ticket(&h, None).await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (h, t) = (h.clone(), t.clone());
            tokio::spawn(async move {
                if i % 2 == 0 {
                    send(&h.app(), post_with_token("/any", &t)).await.0 == StatusCode::OK
                } else {
                    h.captcha.redeem(&t).await.is_ok()
                }
            })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        wins += usize::from(task.await.unwrap());
    }
    assert_eq!(
        wins, 1,
        "exactly one of 50 guard and engine redemptions wins"
    );
}
