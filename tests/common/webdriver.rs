//! A small WebDriver client (W3C, over plain HTTP/1.1) for the browser tests: start
//! ChromeDriver and headless Chromium, open sessions, script pages, send input actions.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::programs::{self, KillOnDrop};

/// A running ChromeDriver and the Chromium it drives.
pub struct Driver {
    pub port: u16,
    pub chromium: PathBuf,
    _process: KillOnDrop,
}

impl Driver {
    /// Starts ChromeDriver on a free port, or returns `None` after a skip line when it or
    /// Chromium is missing (outside CI; under `CI=true` that fails the test).
    pub fn start(test: &str) -> Option<Self> {
        let driver = programs::find("chromedriver", test)?;
        let chromium =
            programs::find_any(&["chromium", "chromium-browser", "google-chrome"], test)?;
        let port = programs::free_port();
        let process = KillOnDrop(
            std::process::Command::new(driver)
                .arg(format!("--port={port}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self {
            port,
            chromium,
            _process: process,
        })
    }

    /// A fresh headless session on `url` (a phone's 390 px touch viewport when `phone`),
    /// with console errors collected into `window.__errors`.
    pub fn open(&self, url: &str, phone: bool) -> Browser {
        open_session(self.port, &self.chromium, url, phone)
    }
}

/// One WebDriver call over a fresh HTTP/1.1 connection that closes at the end.
pub fn wd(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // Read the head, then exactly the body its Content-Length announces (or, chunked, up to
    // the last chunk): the driver may keep the connection open.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).unwrap();
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let head = head.to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let done = match length {
                Some(len) => body.len() >= len,
                None => body.ends_with("0\r\n\r\n") || n == 0,
            };
            if done {
                let json = if length.is_some() {
                    body.to_owned()
                } else {
                    dechunk(body)
                };
                return serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
            }
        }
        assert!(n > 0, "connection closed mid-response");
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&tail[..n]);
        rest = &tail[n + 2..];
    }
    out
}

pub struct Browser {
    pub port: u16,
    pub session: String,
}

impl Browser {
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = wd(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        );
        assert!(v["value"].get("error").is_none(), "webdriver {path}: {v}");
        v["value"].clone()
    }

    pub fn script(&self, js: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
    }

    pub fn element(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.element(css);
        self.call("POST", &format!("/element/{el}/clear"), Some(json!({})));
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        );
    }

    /// Runs W3C input actions.
    pub fn actions(&self, actions: Value) {
        self.call("POST", "/actions", Some(json!({ "actions": actions })));
        self.call("DELETE", "/actions", None);
    }

    /// Presses `key` (a WebDriver key code such as `\u{E004}` for Tab) `times` times.
    pub fn press(&self, key: &str, times: usize) {
        let mut steps = Vec::new();
        for _ in 0..times {
            steps.push(json!({"type": "keyDown", "value": key}));
            steps.push(json!({"type": "keyUp", "value": key}));
        }
        self.actions(json!([{"type": "key", "id": "keyboard", "actions": steps}]));
    }

    /// A Chrome DevTools command.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
    }

    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.call("GET", "/screenshot", None);
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            png.as_str().unwrap(),
        )
        .unwrap();
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&out, png).unwrap();
        out
    }

    /// Loads `url` in this session.
    pub fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn click(&self, css: &str) {
        let el = self.element(css);
        self.call("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    /// The console errors the page logged so far.
    pub fn errors(&self) -> Value {
        self.script("return window.__errors;")
    }

    /// Polls `js` until it returns something other than `null`/`false`.
    pub fn wait_for(&self, what: &str, js: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.script(js);
            if !(v.is_null() || v == json!(false)) {
                return v;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn open_session(port: u16, chromium: &Path, url: &str, phone: bool) -> Browser {
    let profile = std::env::temp_dir().join(format!(
        "tower-captcha-browser-{port}-{}",
        rand::random::<u32>()
    ));
    let mut options = json!({
        "binary": chromium,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=820,900", format!("--user-data-dir={}", profile.display())]
    });
    if phone {
        options["mobileEmulation"] = json!({
            "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3, "touch": true},
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36"
        });
    }
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
    let session = wd(port, "POST", "/session", Some(&caps));
    let id = session["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {session}"));
    let b = Browser {
        port,
        session: id.to_owned(),
    };
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "window.__errors = []; addEventListener('error', e => __errors.push(String(e.message))); \
                          addEventListener('unhandledrejection', e => __errors.push(String(e.reason))); \
                          const ce = console.error; console.error = (...a) => { __errors.push(a.join(' ')); ce(...a); };"}),
    );
    b.call("POST", "/url", Some(json!({"url": url})));
    b
}

impl Drop for Browser {
    fn drop(&mut self) {
        wd(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}
