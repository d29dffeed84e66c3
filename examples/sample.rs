//! Writes sample text captchas as PNG files, for looking at what people will see:
//! `cargo run --example sample -- DIR [COUNT]`.
//!
//! The answers go to `DIR/answers.txt` (one `file answer` per line), captured by a small
//! wrapping store (`tests/common/spy.rs`) — also an example of implementing `Store`.

#[allow(dead_code, unreachable_pub)]
#[path = "../tests/common/spy.rs"]
mod spy;

use tower_captcha::{Captcha, Kind, MemoryStore};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "captcha-samples".into());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(8);
    std::fs::create_dir_all(&dir)?;
    let store = spy::Spy::new(MemoryStore::new());
    let captcha = Captcha::builder()
        .secret([0u8; 32].to_vec())
        .issue_rate_limit(None)
        .shared_store(store.clone())
        .build()?;
    let mut answers = String::new();
    for i in 0..count {
        let c = captcha.issue(Kind::Text, None, None).await?;
        let file = format!("sample-{i}.png");
        std::fs::write(format!("{dir}/{file}"), &c.png)?;
        answers.push_str(&format!("{file} {}\n", store.answer(&c.id)));
        println!("{dir}/{file} ({} bytes)", c.png.len());
    }
    std::fs::write(format!("{dir}/answers.txt"), answers)?;
    Ok(())
}
