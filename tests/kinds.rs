//! The slider and click-word kinds through the engine: puzzle shapes, answers in range,
//! one attempt by default, decoys never accepted, every bad solution shape a wrong answer.

mod common;

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
    assert_eq!(all.len(), 4, "three to click and a decoy");
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
