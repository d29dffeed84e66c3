//! Writes sample challenges with their answers, for looking at what people will see and for
//! the measurement scripts: `cargo run --example sample -- [--kind text|slider|click_word]
//! [--size WIDTHxHEIGHT] DIR [COUNT]` (the size is the text kind's: 160x60 by default,
//! 240x76 as AnQiCMS asks).
//!
//! - text: `sample-N.png`; `answers.txt` lines are `file answer`. With `--audio`, also
//!   `sample-N.wav` (the challenge spoken, as the audio route serves it) and
//!   `sample-N-voice.wav` (the same voice without its noise, for measuring intelligibility).
//! - slider: `sample-N-bg.png`, `sample-N-piece.png` and `sample-N-clean.png` (a fresh
//!   landscape like the backgrounds, for reference cuts); lines are `N hole_x y decoy_x...`.
//! - click_word: `sample-N.png`; lines are `N word x y word x y ...` — the words to click in
//!   order with their centres, then the decoys — plus `sample-N-clean.png`.
//!
//! Answers are read from each sealed challenge with `Captcha::answer_of`, a `test-util`
//! helper that examples get through the crate's dev-dependencies; never enable it in
//! production.

use std::fmt::Write as _;

use tower_captcha::{Captcha, Kind, Puzzle};
use tower_captcha::{ClickWordOptions, Hole, SliderOptions, TextOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let kind = match args.iter().position(|a| a == "--kind") {
        Some(i) => {
            let name = args.get(i + 1).cloned().unwrap_or_default();
            args.drain(i..=(i + 1).min(args.len() - 1));
            Kind::parse(&name).ok_or(format!("unknown kind {name:?}"))?
        }
        None => Kind::TEXT,
    };
    let size = match args.iter().position(|a| a == "--size") {
        Some(i) => {
            let text = args.get(i + 1).cloned().unwrap_or_default();
            args.drain(i..=(i + 1).min(args.len() - 1));
            let (w, h) = text
                .split_once('x')
                .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                .ok_or(format!("size {text:?} is not WIDTHxHEIGHT"))?;
            Some(tower_captcha::Size::new(w, h))
        }
        None => None,
    };
    let audio = match args.iter().position(|a| a == "--audio") {
        Some(i) => {
            args.remove(i);
            true
        }
        None => false,
    };
    let dir = args
        .first()
        .cloned()
        .unwrap_or_else(|| "captcha-samples".into());
    let count: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(8);
    std::fs::create_dir_all(&dir)?;
    let captcha = Captcha::builder()
        .secret([0u8; 32].to_vec())
        .issue_rate_limit(None)
        .build()?;
    let mut answers = String::new();
    for i in 0..count {
        let c = captcha.issue(kind).size(size).await?;
        let clean = || tower_captcha::testing::landscape_png(310, 155, rand::random());
        let text = captcha.answer_of::<TextOptions>(&c.id);
        let hole = captcha.answer_of::<SliderOptions>(&c.id);
        let words = captcha.answer_of::<ClickWordOptions>(&c.id);
        match (&c.puzzle, text, hole, words) {
            (Puzzle::Image { png }, Some(text), _, _) => {
                std::fs::write(format!("{dir}/sample-{i}.png"), png)?;
                writeln!(answers, "sample-{i}.png {text}")?;
                if audio {
                    let seed = rand::random();
                    let spoken = |noise| tower_captcha::testing::spoken_wav(&text, seed, noise);
                    std::fs::write(
                        format!("{dir}/sample-{i}.wav"),
                        spoken(true).ok_or("no voice")?,
                    )?;
                    std::fs::write(
                        format!("{dir}/sample-{i}-voice.wav"),
                        spoken(false).ok_or("no voice")?,
                    )?;
                }
                if count <= 100 {
                    println!("{dir}/sample-{i}.png ({} bytes)", png.len());
                }
            }
            (Puzzle::Slider { background, piece }, _, Some(Hole { at: p, decoys }), _) => {
                std::fs::write(format!("{dir}/sample-{i}-bg.png"), background)?;
                std::fs::write(format!("{dir}/sample-{i}-piece.png"), piece)?;
                std::fs::write(format!("{dir}/sample-{i}-clean.png"), clean())?;
                let decoys: Vec<String> = decoys.iter().map(|d| d.x.to_string()).collect();
                writeln!(answers, "{i} {} {} {}", p.x, p.y, decoys.join(" "))?;
                println!(
                    "{dir}/sample-{i}-bg.png ({} bytes), piece ({} bytes)",
                    background.len(),
                    piece.len()
                );
            }
            (Puzzle::ClickWord { image, .. }, _, _, Some(words)) => {
                std::fs::write(format!("{dir}/sample-{i}.png"), image)?;
                std::fs::write(format!("{dir}/sample-{i}-clean.png"), clean())?;
                let line: Vec<String> = words
                    .iter()
                    .map(|(w, p)| format!("{w} {} {}", p.x, p.y))
                    .collect();
                writeln!(answers, "{i} {}", line.join(" "))?;
                println!("{dir}/sample-{i}.png ({} bytes)", image.len());
            }
            _ => return Err("unexpected puzzle".into()),
        }
    }
    std::fs::write(format!("{dir}/answers.txt"), answers)?;
    println!("{count} samples and their answers in {dir}");
    Ok(())
}
