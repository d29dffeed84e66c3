//! Writes `COUNT` pictures of each generator with their answers, for OCR and eyes:
//! `cargo run --release --example samples -- DIR [COUNT]` → `DIR/<generator>/NNN.png` and
//! `DIR/<generator>/answers.txt` (`file answer` per line). Same generators as the benchmark.

use tower_captcha_compare::{bare, captcha_crate, captcha_rs, font, ours};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "samples".into());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let engine = tower_captcha::Captcha::builder()
        .secret([1u8; 32].to_vec())
        .build()
        .unwrap();
    let font = font();
    type Generator<'a> = Box<dyn Fn() -> (String, Vec<u8>) + 'a>;
    let generators: [(&str, Generator); 4] = [
        ("tower-captcha", Box::new(|| ours(&engine))),
        ("captcha", Box::new(captcha_crate)),
        ("captcha-rs", Box::new(captcha_rs)),
        ("bare", Box::new(|| bare(&font))),
    ];
    for (name, make) in &generators {
        let sub = format!("{dir}/{name}");
        std::fs::create_dir_all(&sub).unwrap();
        let mut answers = String::new();
        for i in 0..count {
            let (answer, png) = make();
            let file = format!("{i:03}.png");
            std::fs::write(format!("{sub}/{file}"), png).unwrap();
            answers.push_str(&format!("{file} {answer}\n"));
        }
        std::fs::write(format!("{sub}/answers.txt"), answers).unwrap();
        println!("{sub}: {count} pictures");
    }
}
