//! The login example in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver`). Loads the page, checks the captcha picture is shown and refreshes,
//! answers wrong then right, and signs in through the guarded `POST /login`.

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/login.rs"]
mod login;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::programs::{self, KillOnDrop};
use serde_json::{Value, json};

/// One WebDriver call over a fresh HTTP/1.1 connection that closes at the end.
fn wd(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
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

struct Browser {
    port: u16,
    session: String,
}

impl Browser {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = wd(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        );
        assert!(v["value"].get("error").is_none(), "webdriver {path}: {v}");
        v["value"].clone()
    }

    fn script(&self, js: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
    }

    fn element(&self, css: &str) -> String {
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

    fn type_into(&self, css: &str, text: &str) {
        let el = self.element(css);
        self.call("POST", &format!("/element/{el}/clear"), Some(json!({})));
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        );
    }

    fn click(&self, css: &str) {
        let el = self.element(css);
        self.call("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    /// Polls `js` until it returns something other than `null`/`false`.
    fn wait_for(&self, what: &str, js: &str) -> Value {
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

#[test]
fn a_browser_is_looked_for_under_every_name_before_failing() {
    // Under CI a missing program fails the test, but only once no name is found.
    let found = programs::find_any_in(&["no-such-browser-here", "sh"], "names", true);
    assert!(found.is_some_and(|p| p.ends_with("sh")));
    let missing = std::panic::catch_unwind(|| {
        programs::find_any_in(&["no-such-browser-here"], "names", true)
    });
    assert!(missing.is_err(), "under CI a missing program fails");
    assert_eq!(
        programs::find_any_in(&["no-such-browser-here"], "names", false),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_page_works_in_a_real_browser() {
    let test = "browser::login_page_works_in_a_real_browser";
    let Some(driver) = programs::find("chromedriver", test) else {
        return;
    };
    let Some(chromium) =
        programs::find_any(&["chromium", "chromium-browser", "google-chrome"], test)
    else {
        return;
    };

    // The example's own app; the test reads answers through the `test-util` helpers.
    let h = common::Harness::new();
    let app = login::app(h.captcha.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let port = programs::free_port();
    let _driver = KillOnDrop(
        std::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = std::env::temp_dir().join(format!("tower-captcha-browser-{port}"));
    let captcha = h.captcha.clone();
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=800,700", format!("--user-data-dir={}", profile.display())]
        }}}});
        let session = wd(port, "POST", "/session", Some(&caps));
        let id = session["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {session}"));
        let b = Browser { port, session: id.to_owned() };

        b.call("POST", "/url", Some(json!({"url": format!("http://{addr}/")})));
        let width = b.wait_for("the captcha picture", "const i = document.getElementById('captcha-image'); return i.complete && i.naturalWidth > 0 && i.naturalWidth;");
        assert_eq!(width, 160);

        // Refresh shows another challenge.
        let first = b.script("return token;");
        b.click("#refresh");
        b.wait_for("a new challenge", &format!("return token !== {first} && token;"));

        // A wrong answer: told so, and the same picture stays.
        let token = b.script("return token;").as_str().unwrap().to_owned();
        b.type_into("#captcha-key", "WRONG");
        b.click("#submit");
        let message = b.wait_for("the wrong-answer message", "const m = document.getElementById('message').textContent; return m.length > 0 && m;");
        assert!(message.as_str().unwrap().contains("4 attempts left"), "{message}");
        assert_eq!(b.script("return token;"), token.as_str());

        // The right answer, then the guarded login.
        b.type_into("#captcha-key", &common::text_answer(&captcha, &token).to_lowercase());
        b.click("#submit");
        let message = b.wait_for("the welcome message", "const m = document.getElementById('message').textContent; return m.startsWith('Welcome') && m;");
        assert_eq!(message, "Welcome, demo!");

        let png = b.call("GET", "/screenshot", None);
        let png = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, png.as_str().unwrap()).unwrap();
        let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("login-page.png");
        std::fs::write(&out, png).unwrap();
        println!("screenshot of the signed-in page: {}", out.display());
        wd(port, "DELETE", &format!("/session/{id}"), None);
        let _ = std::fs::remove_dir_all(profile);
    })
    .await
    .unwrap();
    server.abort();
}
