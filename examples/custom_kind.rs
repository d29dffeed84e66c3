//! A kind of your own: a picture of a small sum to type. `cargo run --example custom_kind`,
//! then open <http://127.0.0.1:3000> (port from `PORT`).
//!
//! The kind is one type implementing [`ChallengeKind`]: its name, its answer (and the two
//! bytes it is sealed as), its picture, its check and its options. One line registers it
//! (`.kind(Sum::default())`); from there the engine does the rest as for any kind: the native
//! route issues it (`GET /auth/v1/captcha/data?kind=sum`) and verifies it, the widget shows
//! it (a picture and a typed answer, as for the text kind), the pass is redeemed once by the
//! guard, rate limits and attempts apply.
//!
//! This engine serves the sum, the text kind and the proof of work (the slider and
//! click-word kinds are turned off): the widget offers exactly those.
//!
//! The sum shows the mechanism, not a strong puzzle: any OCR reads its picture, and there
//! are only 64 answers' worth of pictures. A kind of your own is as strong as its picture.

#[path = "support/serve.rs"]
mod serve;

use ab_glyph::{Font, FontArc, PxScale, ScaleFont};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router};
use image::{ImageEncoder, Rgb, RgbImage};
use rand::RngCore;
use serde_json::json;
use tower_captcha::kind::text::BUNDLED_FONT;
use tower_captcha::protocol::AuthV1;
use tower_captcha::widget::Widget;
use tower_captcha::{
    Captcha, CaptchaLayer, ChallengeKind, DrawError, Issued, Kind, KindSetup, Puzzle, Size,
    Solution, VerifiedCaptcha,
};

/// Type the sum of two digits shown in a picture (`3 + 4 = ?` → `7`).
#[derive(Clone, Debug, Default)]
pub struct Sum {
    font: Option<FontArc>,
}

impl ChallengeKind for Sum {
    /// The two terms, each 2 to 9.
    type Answer = (u8, u8);
    const KIND: Kind = Kind::new("sum");

    fn prepare(&mut self, _: &KindSetup<'_>) -> Result<(), String> {
        let font = FontArc::try_from_slice(BUNDLED_FONT).map_err(|e| e.to_string())?;
        self.font = Some(font);
        Ok(())
    }

    fn default_size(&self) -> Size {
        Size::new(200, 70)
    }

    fn max_attempts(&self) -> u32 {
        3
    }

    fn answer(&self, rng: &mut dyn RngCore, _pressure: u32) -> (u8, u8) {
        let digit = |rng: &mut dyn RngCore| 2 + (rng.next_u32() % 8) as u8;
        (digit(rng), digit(rng))
    }

    fn encode(answer: &(u8, u8)) -> Vec<u8> {
        vec![answer.0, answer.1]
    }

    fn decode(bytes: &[u8]) -> Option<(u8, u8)> {
        match *bytes {
            [a, b] if (2..=9).contains(&a) && (2..=9).contains(&b) => Some((a, b)),
            _ => None,
        }
    }

    fn draw(
        &self,
        &(a, b): &(u8, u8),
        size: Size,
        _: &Issued<'_>,
        rng: &mut dyn RngCore,
    ) -> Result<Puzzle, DrawError> {
        let font = self.font.as_ref().ok_or(DrawError("not prepared".into()))?;
        let mut img = RgbImage::from_pixel(size.width, size.height, Rgb([246, 244, 238]));
        // A few faint lines behind the text.
        for _ in 0..6 {
            let y = (rng.next_u32() % size.height) as f32;
            let slope = (rng.next_u32() % 41) as f32 / 100.0 - 0.2;
            for x in 0..size.width {
                let yy = (y + slope * x as f32) as u32;
                if yy < size.height {
                    img.put_pixel(x, yy, Rgb([200, 196, 186]));
                }
            }
        }
        let scale = PxScale::from(size.height as f32 * 0.6);
        let scaled = font.as_scaled(scale);
        let text = format!("{a} + {b} =");
        let width: f32 = text
            .chars()
            .map(|c| scaled.h_advance(font.glyph_id(c)))
            .sum();
        let mut x = (size.width as f32 - width).max(0.0) / 2.0;
        let baseline = (size.height as f32 + scaled.ascent() + scaled.descent()) / 2.0;
        for c in text.chars() {
            let glyph = font
                .glyph_id(c)
                .with_scale_and_position(scale, ab_glyph::point(x, baseline));
            x += scaled.h_advance(font.glyph_id(c));
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // a space
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let (px, py) = (
                    bounds.min.x as i32 + gx as i32,
                    bounds.min.y as i32 + gy as i32,
                );
                if let Some(p) = img.get_pixel_mut_checked(px as u32, py as u32) {
                    for (channel, ink) in p.0.iter_mut().zip([30u8, 41, 59]) {
                        let (old, ink) = (f32::from(*channel), f32::from(ink));
                        *channel = (old + (ink - old) * coverage.min(1.0)) as u8;
                    }
                }
            });
        }
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(
                img.as_raw(),
                size.width,
                size.height,
                image::ExtendedColorType::Rgb8,
            )
            .map_err(|e| DrawError(e.to_string()))?;
        Ok(Puzzle::Image { png })
    }

    /// The typed sum, surrounding white space ignored.
    fn check(&self, &(a, b): &(u8, u8), solution: &Solution, _: &Issued<'_>) -> bool {
        let Solution::Text(typed) = solution else {
            return false;
        };
        typed.trim().parse::<u32>() == Ok(u32::from(a) + u32::from(b))
    }
}

/// The engine: the built-ins minus the slider and click-word, plus the sum.
pub fn engine(
    builder: tower_captcha::CaptchaBuilder,
) -> Result<Captcha, tower_captcha::ConfigError> {
    builder
        .kind(Sum::default())
        .without_kind(Kind::SLIDER)
        .without_kind(Kind::CLICK_WORD)
        .build()
}

/// The app: a page with the widget on the sum, and a route only a solved captcha reaches.
pub fn app(captcha: Captcha) -> Router {
    let widget = Widget::new();
    let page = PAGE.replace("{head}", &widget.tags());
    let layer = CaptchaLayer::builder(captcha.clone())
        .mount(AuthV1::new())
        .mount(widget)
        .build()
        .expect("the default paths do not clash");
    Router::new()
        .route("/", get(move || async move { Html(page) }))
        .route(
            "/order",
            post(|pass: VerifiedCaptcha| async move {
                Json(json!({"ok": true, "message": format!("ordered (a {} captcha)", pass.claims().kind)}))
            })
            .route_layer(captcha.require_scope("order")),
        )
        .layer(layer)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A kind of your own</title>
{head}
</head>
<body>
<h1>Order</h1>
<div id="captcha" data-captcha="sum" data-scope="order"></div>
<button id="order">Order</button>
<p id="message" role="status"></p>
<script>
document.getElementById("order").addEventListener("click", async () => {
  const res = await TowerCaptcha.fetch("/order", { method: "POST" });
  const body = await res.json();
  document.getElementById("message").textContent = body.message || body.error_description;
});
</script>
</body>
</html>
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Captcha::builder();
    if let Ok(secret) = std::env::var("CAPTCHA_SECRET") {
        builder = builder.secret(secret);
    }
    let captcha = engine(builder)?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "custom kind example on http://{}/ (kinds served: {:?})",
        listener.local_addr()?,
        captcha.kinds().map(|k| k.to_string()).collect::<Vec<_>>()
    );
    serve::serve(listener, app(captcha)).await?;
    Ok(())
}
