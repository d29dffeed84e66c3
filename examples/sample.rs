//! Writes sample text captchas as PNG files, for looking at what people will see:
//! `cargo run --example sample -- DIR [COUNT]`.
//!
//! The answers go to `DIR/answers.txt` (one `file answer` per line), read from each sealed
//! challenge with `Captcha::answer_of` — a `test-util` helper, which examples get through
//! the crate's dev-dependencies; never enable it in production.

use tower_captcha::{Answer, Captcha, Kind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "captcha-samples".into());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(8);
    std::fs::create_dir_all(&dir)?;
    let captcha = Captcha::builder()
        .secret([0u8; 32].to_vec())
        .issue_rate_limit(None)
        .build()?;
    let mut answers = String::new();
    for i in 0..count {
        let c = captcha.issue(Kind::Text).await?;
        let file = format!("sample-{i}.png");
        let png = c.puzzle.image();
        std::fs::write(format!("{dir}/{file}"), png)?;
        if let Some(Answer::Text(answer)) = captcha.answer_of(&c.id) {
            answers.push_str(&format!("{file} {answer}\n"));
        }
        println!("{dir}/{file} ({} bytes)", png.len());
    }
    std::fs::write(format!("{dir}/answers.txt"), answers)?;
    Ok(())
}
