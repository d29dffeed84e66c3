//! The widget in a real browser: headless Chromium driven over WebDriver (`chromedriver`)
//! against the login example served in-process. Answers come from the `test-util` helpers
//! (the challenge id is on the widget's `data-token`), never from weaker checks.
//!
//! Scenarios: sign in with each kind (text typed, slider dragged along a person-like path,
//! click-word clicked on the characters); a wrong drop shows the retry state with a new
//! challenge; an expired challenge refreshes; a straight constant-speed drag is refused by
//! the trail check; the slider solved with the keyboard alone; a keyboard user switches a
//! click-word challenge to another kind; a 390 px phone viewport with touch; dark mode;
//! no console errors; a screenshot of each kind, light and dark, kept as test artifacts.

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/login.rs"]
mod login;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::programs::{self, KillOnDrop};
use serde_json::{Value, json};
use tower_captcha::Answer;

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

    /// Runs W3C input actions.
    fn actions(&self, actions: Value) {
        self.call("POST", "/actions", Some(json!({ "actions": actions })));
        self.call("DELETE", "/actions", None);
    }

    /// Presses `key` (a WebDriver key code such as `\u{E004}` for Tab) `times` times.
    fn press(&self, key: &str, times: usize) {
        let mut steps = Vec::new();
        for _ in 0..times {
            steps.push(json!({"type": "keyDown", "value": key}));
            steps.push(json!({"type": "keyUp", "value": key}));
        }
        self.actions(json!([{"type": "key", "id": "keyboard", "actions": steps}]));
    }

    /// A Chrome DevTools command.
    fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
    }

    fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let png = self.call("GET", "/screenshot", None);
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            png.as_str().unwrap(),
        )
        .unwrap();
        let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&out, png).unwrap();
        out
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
    assert!(found.is_ok_and(|p| p.is_some_and(|p| p.ends_with("sh"))));
    let missing = programs::find_any_in(&["no-such-browser-here"], "names", true);
    assert!(missing.is_err(), "under CI a missing program fails");
    assert_eq!(
        programs::find_any_in(&["no-such-browser-here"], "names", false),
        Ok(None)
    );
}

/// A fresh browser session on the login page (a phone's 390 px touch viewport when
/// `phone`), with console errors collected into `window.__errors`.
fn session(port: u16, chromium: &std::path::Path, addr: SocketAddr, phone: bool) -> Browser {
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
    b.call(
        "POST",
        "/url",
        Some(json!({"url": format!("http://{addr}/")})),
    );
    b.wait_for(
        "the widget",
        "return window.TowerCaptcha && document.querySelector('.tc') && true;",
    );
    b
}

impl Browser {
    /// Switches the page's kind selector and waits for a challenge of that kind.
    fn choose(&self, kind: &str) -> String {
        self.script(&format!(
            "const s = document.getElementById('kind'); s.value = '{kind}'; s.dispatchEvent(new Event('change'));"
        ));
        self.ready(kind)
    }

    /// Waits for a loaded challenge of `kind` (ready, or shown after a wrong or expired
    /// one); its id.
    fn ready(&self, kind: &str) -> String {
        let token = self.wait_for(
            "a challenge",
            &format!(
                "const w = document.querySelector('.tc'); const i = w && w.querySelector('.tc-bg, .tc-text-img'); \
                 return w && w.dataset.kind === '{kind}' && ['ready', 'wrong', 'expired'].includes(w.dataset.state) && i && i.complete && i.naturalWidth > 0 && w.dataset.token;"
            ),
        );
        token.as_str().unwrap().to_owned()
    }

    /// The displayed width of the widget's frame, in CSS pixels.
    fn frame_width(&self) -> f64 {
        self.script("return document.querySelector('.tc-frame').getBoundingClientRect().width;")
            .as_f64()
            .unwrap()
    }

    /// Drags the slider's knob by `dx` CSS pixels: along a person-like path (an eased
    /// motion, the hand's wobble, uneven steps) or a script's straight constant-speed line.
    fn drag(&self, dx: f64, human: bool, touch: bool) {
        let knob = self.element(".tc-knob");
        let mut moves = vec![
            json!({"type": "pointerMove", "duration": 0, "origin": {"element-6066-11e4-a52e-4f735466cecf": knob}, "x": 0, "y": 0}),
            json!({"type": "pointerDown", "button": 0}),
        ];
        let steps = 40;
        let (mut x, mut y) = (0.0f64, 0.0f64);
        for i in 1..=steps {
            let s = f64::from(i) / f64::from(steps);
            let (tx, ty, ms) = if human {
                let eased = 10.0 * s.powi(3) - 15.0 * s.powi(4) + 6.0 * s.powi(5);
                let wobble = (s * 5.0).sin() * 2.5 + if i % 3 == 0 { 1.0 } else { 0.0 };
                (
                    dx * eased,
                    if i == steps { 0.0 } else { wobble },
                    12 + (i * 7 % 13),
                )
            } else {
                (dx * s, 0.0, 16)
            };
            let (sx, sy) = ((tx - x).round(), (ty - y).round());
            x += sx;
            y += sy;
            moves.push(json!({"type": "pointerMove", "duration": ms, "origin": "pointer", "x": sx as i64, "y": sy as i64}));
        }
        moves.push(json!({"type": "pointerUp", "button": 0}));
        let kind = if touch { "touch" } else { "mouse" };
        self.actions(json!([{"type": "pointer", "id": kind, "parameters": {"pointerType": kind}, "actions": moves}]));
    }

    /// Clicks (or taps) the points of the 310x155 frame, in order.
    fn click_frame(&self, points: &[(i32, i32)], touch: bool) {
        let frame = self.element(".tc-frame");
        let (w, h) = (self.frame_width(), self.frame_width() / 2.0);
        let mut actions = Vec::new();
        for (x, y) in points {
            let (ox, oy) = (
                (f64::from(*x) * w / 310.0 - w / 2.0).round() as i64,
                (f64::from(*y) * h / 155.0 - h / 2.0).round() as i64,
            );
            actions.push(json!({"type": "pointerMove", "duration": 50, "origin": {"element-6066-11e4-a52e-4f735466cecf": frame}, "x": ox, "y": oy}));
            actions.push(json!({"type": "pointerDown", "button": 0}));
            actions.push(json!({"type": "pointerUp", "button": 0}));
            actions.push(json!({"type": "pause", "duration": 120}));
        }
        let kind = if touch { "touch" } else { "mouse" };
        self.actions(json!([{"type": "pointer", "id": kind, "parameters": {"pointerType": kind}, "actions": actions}]));
    }

    fn wait_state(&self, state: &str) {
        self.wait_for(
            state,
            &format!("return document.querySelector('.tc').dataset.state === '{state}';"),
        );
    }

    /// Submits the login form and waits for the welcome.
    fn sign_in(&self) {
        self.click("#submit");
        let message = self.wait_for(
            "the welcome message",
            "const m = document.getElementById('message').textContent; return m.length > 0 && m;",
        );
        assert_eq!(message, "Welcome, demo!");
    }

    fn errors(&self) -> Value {
        self.script("return window.__errors;")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_works_in_a_real_browser() {
    let test = "browser::the_widget_works_in_a_real_browser";
    let Some(driver) = programs::find("chromedriver", test) else {
        return;
    };
    let Some(chromium) =
        programs::find_any(&["chromium", "chromium-browser", "google-chrome"], test)
    else {
        return;
    };

    // The example's own app, on a manual clock (to expire a challenge without waiting).
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
    let (captcha, clock) = (h.captcha.clone(), h.clock.clone());
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let hole = |token: &str| match captcha.answer_of(token) {
            Some(Answer::Hole { at, .. }) => f64::from(at.x),
            other => panic!("not a slider: {other:?}"),
        };
        let words = |token: &str| match captcha.answer_of(token) {
            Some(Answer::Words(w)) => w.iter().take(3).map(|(_, p)| (p.x, p.y)).collect::<Vec<_>>(),
            other => panic!("not click-word: {other:?}"),
        };
        let timed = |name: &str, f: &dyn Fn()| {
            let t = Instant::now();
            f();
            println!("{name}: ok in {:.1?}", t.elapsed());
        };

        let b = session(port, &chromium, addr, false);
        b.ready("slider");
        let drawn = b.script(
            "const s = performance.getEntriesByType('resource').find(e => /captcha\\.[0-9a-f]+\\.js$/.test(e.name)); \
             const d = performance.getEntriesByName('tc:drawn')[0]; return [s.startTime, d.startTime];",
        );
        println!(
            "from the script tag's request to a drawn slider: {:.0} ms",
            drawn[1].as_f64().unwrap() - drawn[0].as_f64().unwrap()
        );
        timed("slider, dragged like a person, then sign in", &|| {
            let token = b.ready("slider");
            b.screenshot("widget-slider-light.png");
            b.drag(hole(&token) * b.frame_width() / 310.0, true, false);
            b.wait_state("passed");
            b.sign_in();
        });
        timed("a wrong drop shows the retry state and a new challenge", &|| {
            let token = b.choose("slider");
            let x = hole(&token);
            let wrong = if x > 150.0 { x - 60.0 } else { x + 60.0 };
            b.drag(wrong * b.frame_width() / 310.0, true, false);
            b.wait_state("wrong");
            let fresh = b.script("return document.querySelector('.tc').dataset.token;");
            assert_ne!(fresh, token.as_str(), "a new challenge after a wrong drop");
        });
        timed("a straight constant-speed drag is refused by the trail check", &|| {
            let token = b.choose("slider");
            b.drag(hole(&token) * b.frame_width() / 310.0, false, false);
            b.wait_state("wrong");
        });
        timed("an expired challenge refreshes by itself", &|| {
            let token = b.choose("slider");
            clock.advance(Duration::from_secs(301));
            b.drag(hole(&token) * b.frame_width() / 310.0, true, false);
            b.wait_state("expired");
            let fresh = b.ready("slider");
            assert_ne!(fresh, token);
            let text = b.script("return document.querySelector('.tc-status').textContent;");
            assert!(text.as_str().unwrap().contains("expired"), "{text}");
            b.drag(hole(&fresh) * b.frame_width() / 310.0, true, false);
            b.wait_state("passed");
        });
        timed("click-word, clicked on the characters, then sign in", &|| {
            let token = b.choose("click-word");
            b.screenshot("widget-click-word-light.png");
            let points: Vec<(i32, i32)> = words(&token);
            b.click_frame(&points, false);
            b.wait_state("passed");
            b.sign_in();
        });
        timed("text, typed (Enter submits), then sign in", &|| {
            let token = b.choose("text");
            b.screenshot("widget-text-light.png");
            let answer = common::text_answer(&captcha, &token);
            b.type_into(".tc-input", &answer.to_lowercase());
            b.press("\u{E007}", 1);
            b.wait_state("passed");
            b.sign_in();
        });
        timed("the slider solved with the keyboard alone", &|| {
            let token = b.choose("slider");
            b.script("document.activeElement && document.activeElement.blur(); document.getElementById('kind').focus();");
            b.press("\u{E004}", 1); // Tab: from the selector to the knob
            let focused = b.script("return document.activeElement.className;");
            assert_eq!(focused, "tc-knob", "the knob takes the focus");
            let steps = hole(&token) as usize;
            b.press("\u{E014}", steps); // ArrowRight, one pixel of the frame each
            b.press("\u{E007}", 1); // Enter
            b.wait_state("passed");
        });
        timed("a keyboard user switches a click-word challenge to another kind", &|| {
            b.choose("click-word");
            b.script("document.querySelector('.tc-switch').focus();");
            b.press("\u{E007}", 1);
            b.wait_for(
                "another kind",
                "return document.querySelector('.tc').dataset.kind !== 'click-word';",
            );
        });
        timed("dark mode renders dark", &|| {
            b.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}));
            for kind in ["slider", "click-word", "text"] {
                b.choose(kind);
                b.screenshot(&format!("widget-{kind}-dark.png"));
            }
            let bg = b.script("return getComputedStyle(document.querySelector('.tc')).backgroundColor;");
            assert_eq!(bg, "rgb(17, 24, 39)", "the dark theme's background");
        });
        assert_eq!(b.errors(), json!([]), "console errors on the page");
        wd(port, "DELETE", &format!("/session/{}", b.session), None);

        let phone = session(port, &chromium, addr, true);
        timed("a 390 px phone, by touch: slider and click-word", &|| {
            let width = phone.script("return document.querySelector('.tc').getBoundingClientRect().width;");
            assert!(width.as_f64().unwrap() <= 390.0, "fits the phone: {width}");
            let token = phone.ready("slider");
            phone.screenshot("widget-slider-phone.png");
            phone.drag(hole(&token) * phone.frame_width() / 310.0, true, true);
            phone.wait_state("passed");
            let token = phone.choose("click-word");
            phone.click_frame(&words(&token), true);
            phone.wait_state("passed");
            phone.sign_in();
        });
        assert_eq!(phone.errors(), json!([]), "console errors on the phone");
        wd(port, "DELETE", &format!("/session/{}", phone.session), None);
        println!(
            "screenshots in {}",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).display()
        );
    })
    .await
    .unwrap();
    server.abort();
}
