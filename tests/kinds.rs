//! Kinds through the engine: the slider and click-word (puzzle shapes, answers in range,
//! one attempt by default, decoys never accepted, every bad solution shape a wrong answer),
//! a kind of the app's own (`examples/custom_kind.rs`) served, verified and redeemed like any
//! other, and a rolling upgrade (an older engine meets a newer kind).

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/custom_kind.rs"]
mod custom_kind;

use custom_kind::Sum;
use http::StatusCode;
use serde_json::json;
use tower_captcha::{Captcha, ChallengeKind, RedeemError, TextOptions};

use common::*;
use tower_captcha::{ClickWordOptions, Hole, SliderOptions};
use tower_captcha::{Kind, Point, Puzzle, Solution, VerifyError};

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    )
}

#[tokio::test]
async fn a_slider_is_a_310x155_background_and_a_47x155_piece() {
    let h = Harness::new();
    for _ in 0..10 {
        let c = h.captcha.issue(Kind::SLIDER).await.unwrap();
        let Puzzle::Slider { background, piece } = &c.puzzle else {
            panic!("{:?}", c.puzzle)
        };
        assert_eq!(png_size(background), (310, 155));
        assert_eq!(png_size(piece), (47, 155));
        let Some(Hole { at: p, .. }) = h.captcha.answer_of::<SliderOptions>(&c.id) else {
            panic!()
        };
        assert!((48..=235).contains(&p.x), "reachable: {}", p.x);
        assert_eq!(p.y, 5);
    }
}

#[tokio::test]
async fn a_slider_allows_one_attempt_and_takes_every_solution_shape() {
    let h = Harness::new();
    let c = h.captcha.issue(Kind::SLIDER).await.unwrap();
    let Some(Hole { at: p, .. }) = h.captcha.answer_of::<SliderOptions>(&c.id) else {
        panic!()
    };
    // A drop 6 px off is wrong, and the one attempt is gone.
    let off = Solution::Point(Point::new(p.x + 6, 5));
    assert!(matches!(
        h.captcha.verify(&c.id, off).await,
        Err(VerifyError::Wrong { attempts_left: 0 })
    ));
    assert!(matches!(
        h.captcha.verify(&c.id, Solution::Point(p)).await,
        Err(VerifyError::Locked)
    ));
    // The tolerance's far edge passes.
    let c = h.captcha.issue(Kind::SLIDER).await.unwrap();
    let Some(Hole { at: p, .. }) = h.captcha.answer_of::<SliderOptions>(&c.id) else {
        panic!()
    };
    let edge = Solution::Point(Point::new(p.x + 5, 5));
    assert!(h.captcha.verify(&c.id, edge).await.is_ok());
    // Every other shape is a wrong answer, never an error.
    for bad in [
        Solution::from("123"),
        Solution::Points(vec![Point::new(100, 5)]),
        Solution::Point(Point::new(-24, 5)),
        Solution::Points(Vec::new()),
    ] {
        let c = h.captcha.issue(Kind::SLIDER).await.unwrap();
        assert!(
            matches!(
                h.captcha.verify(&c.id, bad.clone()).await,
                Err(VerifyError::Wrong { .. })
            ),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn click_word_lists_three_words_and_checks_the_clicks_in_order() {
    let h = Harness::new();
    let c = h.captcha.issue(Kind::CLICK_WORD).await.unwrap();
    let Puzzle::ClickWord { image, words } = &c.puzzle else {
        panic!()
    };
    assert_eq!(png_size(image), (310, 155));
    assert_eq!(words.len(), 3);
    let Some(all) = h.captcha.answer_of::<ClickWordOptions>(&c.id) else {
        panic!()
    };
    assert_eq!(all.len(), 6, "three to click and three decoys");
    let listed: Vec<&String> = all.iter().take(3).map(|(w, _)| w).collect();
    assert_eq!(listed, words.iter().collect::<Vec<_>>());
    // Clicks in the 310x155 frame, each within the tolerance.
    let clicks: Vec<Point> = all
        .iter()
        .take(3)
        .map(|(_, p)| Point::new(p.x + 20, p.y - 20))
        .collect();
    assert!(
        h.captcha
            .verify(&c.id, Solution::Points(clicks))
            .await
            .is_ok()
    );
    // The decoy instead of the last word fails, and the one attempt is gone.
    let c = h.captcha.issue(Kind::CLICK_WORD).await.unwrap();
    let Some(all) = h.captcha.answer_of::<ClickWordOptions>(&c.id) else {
        panic!()
    };
    let wrong: Vec<Point> = [&all[0], &all[1], &all[3]]
        .iter()
        .map(|(_, p)| *p)
        .collect();
    assert!(matches!(
        h.captcha.verify(&c.id, Solution::Points(wrong)).await,
        Err(VerifyError::Wrong { attempts_left: 0 })
    ));
    let right: Vec<Point> = all.iter().take(3).map(|(_, p)| *p).collect();
    assert!(matches!(
        h.captcha.verify(&c.id, Solution::Points(right)).await,
        Err(VerifyError::Locked)
    ));
}

/// The custom kind's engine on the test harness (no rate limits, a manual clock).
fn with_sum() -> Harness {
    Harness::with(|b| {
        b.kind(Sum::default())
            .without_kind(Kind::SLIDER)
            .without_kind(Kind::CLICK_WORD)
    })
}

#[tokio::test]
async fn a_kind_of_the_apps_own_is_served_verified_and_redeemed_like_any_other() {
    let h = with_sum();
    let app = custom_kind::app(h.captcha.clone());
    // The kinds served: the built-ins left on, and the app's own.
    let (status, _, body) = send(&app, get_req("/auth/v1/captcha/data/kinds")).await;
    assert_eq!(status, StatusCode::OK);
    // Of them, only text has a spoken form (the sum does not speak).
    assert_eq!(
        body,
        json!({"kinds": ["text", "pow", "sum"], "audio": ["text"]})
    );
    // Issued by the native route, with its puzzle's JSON.
    let (status, _, c) = send(&app, get_req("/auth/v1/captcha/data?kind=sum&scope=order")).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(
        (c["kind"].as_str(), c["presentation"].as_str()),
        (Some("sum"), Some("image"))
    );
    let image = c["image"].as_str().unwrap();
    assert!(image.starts_with("data:image/png;base64,"), "{image}");
    let token = c["token"].as_str().unwrap();
    let (a, b) = h.captcha.answer_of::<Sum>(token).expect("a sum challenge");
    assert!(
        h.captcha.answer_of::<TextOptions>(token).is_none(),
        "not a text challenge"
    );
    // A wrong sum counts an attempt (three by this kind's own setting); the right one passes.
    let verify = |answer: String| {
        post_json(
            "/auth/v1/captcha/data/verify",
            &json!({"token": token, "key": answer}),
        )
    };
    let (status, _, body) = send(&app, verify(format!("{}", a + b + 1))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, 4001));
    assert_eq!(body["attempts_left"], 2);
    let (status, _, body) = send(&app, verify(format!(" {} ", a + b))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pass = body["captcha_token"].as_str().unwrap();
    // The guard redeems it once, for its scope.
    let (status, _, body) = send(&app, post_with_token("/order", pass)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "ordered (a sum captcha)");
    let (status, _, body) = send(&app, post_with_token("/order", pass)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, 4013)
    );
    // A kind this server does not serve, or a name that is no kind: refused in Auth v1's shape.
    for kind in ["slider", "no-such-kind", "hologram"] {
        let (status, _, body) =
            send(&app, get_req(&format!("/auth/v1/captcha/data?kind={kind}"))).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::BAD_REQUEST, 4000),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn an_older_engine_answers_a_newer_kinds_challenge_and_pass_as_not_its_version() {
    // A rolling upgrade: the newer instance offers the sum, the older one (same secret and
    // store) does not know it.
    let newer = with_sum();
    let older = Captcha::builder()
        .secret(SECRET.to_vec())
        .shared_store(newer.store.clone())
        .clock(newer.clock.clone())
        .issue_rate_limit(None)
        .verify_rate_limit(None)
        .redeem_rate_limit(None)
        .build()
        .unwrap();
    let c = newer.captcha.issue(Sum::KIND).scope("login").await.unwrap();
    let (a, b) = newer.captcha.answer_of::<Sum>(&c.id).unwrap();
    let sum = (a + b).to_string();
    // Its challenge, answered at the older instance: not this version's, nothing spent...
    assert!(matches!(
        older.verify(&c.id, sum.as_str()).await,
        Err(VerifyError::UnknownKind(kind)) if kind == "sum"
    ));
    // ... and in Auth v1's shape, "not recognised, get a new one".
    let old_app = common::app(&older);
    let (status, _, body) = send(&old_app, verify_req(&c.id, &sum)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::GONE, 4002),
        "{body}"
    );
    // Its pass, shown to the older instance's guard: its own clear code, not "invalid".
    let pass = newer
        .captcha
        .verify(&c.id, sum.as_str())
        .await
        .unwrap()
        .token;
    let (status, _, body) = send(&old_app, post_with_token("/login", &pass)).await;
    assert_eq!(
        (status, error_code(&body), body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, 4016, Some("captcha_kind_unknown")),
        "{body}"
    );
    assert!(matches!(
        older.redeem(&pass).await,
        Err(RedeemError::UnknownKind(kind)) if kind == "sum"
    ));
    // Not spent there: the newer instance still accepts it, once.
    let claims = newer.captcha.redeem(&pass).scope("login").await.unwrap();
    assert_eq!(claims.kind, Sum::KIND);
    assert!(matches!(
        newer.captcha.redeem(&pass).await,
        Err(RedeemError::Used)
    ));
}

#[test]
fn a_kinds_options_are_checked_when_the_engine_is_built_and_errors_name_the_kind() {
    let err = Captcha::builder()
        .secret(SECRET.to_vec())
        .kind(TextOptions::default().with_length(9))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "text: length must be 4 to 6 characters, got 9"
    );
}
