//! The widget's files as `CaptchaLayer` serves them: content-hashed paths cached for a year,
//! plain paths revalidated, the right types, and the tags that load them. (The widget
//! itself is driven in a real browser by `tests/browser.rs`.)

mod common;

use axum::body::Body;
use common::*;
use http::{Request, StatusCode};
use tower_captcha::CaptchaLayer;
use tower_captcha::widget::{SCRIPT, STYLESHEET, Widget};

#[tokio::test]
async fn the_files_are_served_with_hashed_paths_and_long_caching() {
    let h = Harness::new();
    let widget = Widget::new().prefix("/assets/captcha/");
    let tags = widget.tags();
    let (script, style) = (widget.script_path(), widget.stylesheet_path());
    assert!(tags.contains(&script) && tags.contains(&style), "{tags}");
    assert!(script.starts_with("/assets/captcha/captcha.") && script.ends_with(".js"));
    let app = axum::Router::new().layer(
        CaptchaLayer::builder(h.captcha.clone())
            .mount(widget)
            .build()
            .unwrap(),
    );
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    for (path, body, kind, cache) in [
        (script.as_str(), SCRIPT, "text/javascript", "immutable"),
        (
            "/assets/captcha/captcha.js",
            SCRIPT,
            "text/javascript",
            "no-cache",
        ),
        (style.as_str(), STYLESHEET, "text/css", "immutable"),
        (
            "/assets/captcha/captcha.css",
            STYLESHEET,
            "text/css",
            "no-cache",
        ),
    ] {
        let res = app.clone().oneshot(get_req(path)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let headers = res.headers().clone();
        assert!(
            headers["content-type"].to_str().unwrap().starts_with(kind),
            "{path}"
        );
        assert!(
            headers["cache-control"].to_str().unwrap().contains(cache),
            "{path}"
        );
        assert!(headers.contains_key("etag"));
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(bytes, body.as_bytes(), "{path}");
        let head = Request::head(path).body(Body::empty()).unwrap();
        assert_eq!(
            app.clone().oneshot(head).await.unwrap().status(),
            StatusCode::OK
        );
    }
    // A stale hash is not served.
    let (status, _, _) = send(&app, get_req("/assets/captcha/captcha.0000000000.js")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn the_widget_stays_small() {
    use std::io::Write;
    let gzipped = |s: &str| {
        // A deflate estimate is enough to guard the budget: the files as served are
        // measured in the README with gzip -9.
        let mut e = flate2_like::Encoder::default();
        e.write_all(s.as_bytes()).unwrap();
        e.len()
    };
    // The code and the stylesheet keep their budget; the strings of the eleven languages
    // have their own (about 0.6 KiB compressed per language).
    let (begin, end) = ("/* strings: begin */", "/* strings: end */");
    let (b, e) = (SCRIPT.find(begin).unwrap(), SCRIPT.find(end).unwrap());
    let code = format!("{}{}", &SCRIPT[..b], &SCRIPT[e..]);
    let total = gzipped(&code) + gzipped(STYLESHEET);
    assert!(
        total < 15 * 1024,
        "the widget's code is {total} bytes compressed"
    );
    let strings = gzipped(&SCRIPT[b..e]);
    assert!(
        strings < 8 * 1024,
        "the widget's strings are {strings} bytes compressed"
    );
}

/// A minimal DEFLATE-size estimate without a compression crate: the number of bytes the
/// `png` crate's zlib encoder writes (it is a dependency already).
mod flate2_like {
    #[derive(Default)]
    pub(crate) struct Encoder(Vec<u8>);

    impl std::io::Write for Encoder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Encoder {
        pub(crate) fn len(&self) -> usize {
            // Encode the bytes as a 1-row grey PNG: its IDAT is zlib of the data.
            let mut out = Vec::new();
            let mut enc = png::Encoder::new(&mut out, self.0.len() as u32, 1);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_compression(png::Compression::High);
            enc.set_filter(png::Filter::NoFilter);
            enc.write_header()
                .unwrap()
                .write_image_data(&self.0)
                .unwrap();
            out.len()
        }
    }
}
