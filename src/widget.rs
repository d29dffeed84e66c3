//! The web widget: a small dependency-free script and stylesheet for every kind (the
//! built-ins and an app's own, shown by their puzzle's presentation: a picture to answer, a
//! slider, a picture to click, a proof of work), served by
//! [`CaptchaLayer`](crate::CaptchaLayer) when mounted. It talks only to the native protocol
//! ([`AuthV1`](crate::protocol::AuthV1)), and offers only the kinds the engine serves.
//!
//! ```
//! use tower_captcha::{Captcha, CaptchaLayer, widget::Widget};
//! use tower_captcha::protocol::AuthV1;
//!
//! let captcha = Captcha::builder().secret([1u8; 32].to_vec()).build()?;
//! let widget = Widget::new(); // at /captcha-widget/
//! let head = widget.tags();   // <link …captcha.<hash>.css> <script …captcha.<hash>.js>
//! let layer = CaptchaLayer::builder(captcha)
//!     .mount(AuthV1::new()) // every kind: ?kind=text|slider|click_word|pow|<your own>
//!     .mount(widget)
//!     .build()?;
//! // A page then needs `head` and one element: <div data-captcha="slider" data-scope="login"></div>
//! # let _ = (head, layer); Ok::<(), tower_captcha::ConfigError>(())
//! ```
//!
//! The files are served at `<prefix>/captcha.<hash>.js` and `<prefix>/captcha.<hash>.css`
//! (the hash is the content's, so they are cached for a year, immutable) and at
//! `<prefix>/captcha.js` and `<prefix>/captcha.css` (revalidated every time). They are also
//! plain files in the crate (`assets/widget/`), usable from any static server.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderValue, Method, Response, StatusCode};
use sha2::Digest as _;

use crate::protocol::driver::{Call, Done};
use crate::protocol::{Adapter, Endpoint, Fault, Input, Lang, Route};

/// The widget's script.
pub const SCRIPT: &str = include_str!("../assets/widget/captcha.js");
/// The widget's stylesheet.
pub const STYLESHEET: &str = include_str!("../assets/widget/captcha.css");

/// The widget's files, mounted like a protocol; at `/captcha-widget` unless moved with
/// [`Widget::prefix`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Widget {
    prefix: String,
    files: Arc<[File; 2]>,
}

#[derive(Debug)]
struct File {
    hash: String,
    content_type: &'static str,
    extension: &'static str,
    body: Bytes,
}

impl File {
    fn new(body: &'static str, content_type: &'static str, extension: &'static str) -> Self {
        let digest = sha2::Sha256::digest(body.as_bytes());
        let hash = crate::keys::hex(&digest[..5]);
        Self {
            hash,
            content_type,
            extension,
            body: Bytes::from_static(body.as_bytes()),
        }
    }
}

impl Default for Widget {
    fn default() -> Self {
        Self::new()
    }
}

impl Widget {
    /// The widget at `/captcha-widget`.
    pub fn new() -> Self {
        Self {
            prefix: "/captcha-widget".into(),
            files: Arc::new([
                File::new(SCRIPT, "text/javascript; charset=utf-8", "js"),
                File::new(STYLESHEET, "text/css; charset=utf-8", "css"),
            ]),
        }
    }

    /// Serves the files under another path prefix (no trailing slash).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().trim_end_matches('/').to_owned();
        self
    }

    /// The path of the script, with its content hash.
    pub fn script_path(&self) -> String {
        self.path(&self.files[0], true)
    }

    /// The path of the stylesheet, with its content hash.
    pub fn stylesheet_path(&self) -> String {
        self.path(&self.files[1], true)
    }

    /// The tags to put in a page's `<head>`: the stylesheet and the deferred script.
    pub fn tags(&self) -> String {
        format!(
            r#"<link rel="stylesheet" href="{}"><script src="{}" defer></script>"#,
            self.stylesheet_path(),
            self.script_path()
        )
    }

    fn path(&self, file: &File, hashed: bool) -> String {
        if hashed {
            format!("{}/captcha.{}.{}", self.prefix, file.hash, file.extension)
        } else {
            format!("{}/captcha.{}", self.prefix, file.extension)
        }
    }
}

/// The endpoints: each file (the script, the stylesheet) at its plain and its hashed path.
const ENDPOINTS: [(Endpoint, usize, bool); 4] = [
    (Endpoint("script"), 0, false),
    (Endpoint("script, hashed"), 0, true),
    (Endpoint("stylesheet"), 1, false),
    (Endpoint("stylesheet, hashed"), 1, true),
];

impl Adapter for Widget {
    fn counts_clients(&self) -> bool {
        false
    }

    fn name(&self) -> &'static str {
        "widget"
    }

    fn routes(&self) -> Vec<Route> {
        let mut routes = Vec::new();
        for (endpoint, file, hashed) in ENDPOINTS {
            for method in [Method::GET, Method::HEAD] {
                let path = self.path(&self.files[file], hashed);
                routes.push(Route::new(method, &path, endpoint));
            }
        }
        routes
    }

    fn parse(&self, endpoint: Endpoint, _: &Input) -> Result<Call, Fault> {
        let (file, hashed) = ENDPOINTS
            .iter()
            .find(|(e, ..)| *e == endpoint)
            .map_or((0, false), |&(_, file, hashed)| (file, hashed));
        let file = &self.files[file];
        let mut res = Response::new(file.body.clone());
        let headers = res.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static(if hashed {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }),
        );
        if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", file.hash)) {
            headers.insert(ETAG, tag);
        }
        Ok(Call::Cached(res))
    }

    fn success(&self, _: Endpoint, done: Done, _: &Input, _: Lang) -> Response<Bytes> {
        match done {
            Done::Cached(res) => res,
            _ => self.failure(ENDPOINTS[0].0, &Fault::Busy, Lang::En),
        }
    }

    fn failure(&self, _: Endpoint, _: &Fault, _: Lang) -> Response<Bytes> {
        let mut res = Response::new(Bytes::from_static(b"method not allowed"));
        *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::CATALOGUE;
    use serde_json::{Map, Value};

    /// The script's strings as the catalogue has them: every `widget.*` text, by language.
    fn strings_from_catalogue() -> String {
        let catalogue: Map<String, Value> = serde_json::from_str(CATALOGUE).unwrap();
        let languages: Vec<String> = Lang::ALL
            .iter()
            .map(|lang| {
                let strings: Map<String, Value> = catalogue
                    .iter()
                    .filter_map(|(key, texts)| {
                        let name = key.strip_prefix("widget.")?;
                        Some((name.to_owned(), texts[lang.code()].clone()))
                    })
                    .collect();
                format!("    {}: {}", lang.code(), Value::Object(strings))
            })
            .collect();
        format!("  var TEXT = {{\n{}\n  }};\n", languages.join(",\n"))
    }

    /// The widget's strings are the catalogue's. After editing the catalogue, copy them with
    /// `UPDATE_WIDGET_STRINGS=1 cargo test --lib widget_strings`.
    #[test]
    fn widget_strings_are_the_catalogues() {
        let (begin, end) = ("/* strings: begin */\n", "  /* strings: end */");
        let start = SCRIPT.find(begin).unwrap() + begin.len();
        let stop = SCRIPT.find(end).unwrap();
        let expected = strings_from_catalogue();
        if std::env::var_os("UPDATE_WIDGET_STRINGS").is_some() {
            let script = format!("{}{}{}", &SCRIPT[..start], expected, &SCRIPT[stop..]);
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/widget/captcha.js");
            std::fs::write(path, script).unwrap();
            return;
        }
        assert!(
            SCRIPT[start..stop] == expected,
            "the widget's strings differ from assets/i18n/messages.json: run `UPDATE_WIDGET_STRINGS=1 cargo test --lib widget_strings`"
        );
    }
}
