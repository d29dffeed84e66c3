//! The widget in a real browser: headless Chromium driven over WebDriver (`chromedriver`)
//! against the login example served in-process. Answers come from the `test-util` helpers
//! (the challenge id is on the widget's `data-token`), never from weaker checks.
//!
//! Scenarios: sign in with each kind (the proof-of-work checkbox ticked, text typed, slider
//! dragged along a person-like path, click-word clicked on the characters), and the proof of
//! work's solve time over 20 runs; pictures that cost a proof of work, paid by the widget
//! without a word from the page; a wrong drop shows the retry state with a new
//! challenge; an expired challenge refreshes; a straight constant-speed drag is refused by
//! the trail check; the slider solved with the keyboard alone; a keyboard user switches a
//! click-word challenge to another kind; a 390 px phone viewport with touch; dark mode;
//! no console errors; a screenshot of each kind, light and dark, kept as test artifacts.

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/login.rs"]
mod login;

// The examples bring their own copy of the serving helper.
#[allow(dead_code, unreachable_pub, missing_docs, clippy::duplicate_mod)]
#[path = "../examples/custom_kind.rs"]
mod custom_kind;

#[allow(dead_code, unreachable_pub, missing_docs, clippy::duplicate_mod)]
#[path = "../examples/sign_in.rs"]
mod sign_in;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::loopback::Server;
use common::programs;
use common::webdriver::{Browser, Driver};
use serde_json::{Value, json};
use tower_captcha::{Captcha, Kind};
use tower_captcha::{ClickWordOptions, SliderOptions};

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
                "const w = document.querySelector('.tc'); const i = w && w.querySelector('.tc-bg, .tc-text-img, .tc-check'); \
                 return w && w.dataset.kind === '{kind}' && ['ready', 'wrong', 'expired'].includes(w.dataset.state) && i && (i.tagName !== 'IMG' || (i.complete && i.naturalWidth > 0)) && w.dataset.token;"
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
    /// motion, the hand's wobble, uneven steps; 40 moves of 12–24 ms) or a script's straight
    /// constant-speed line.
    fn drag(&self, dx: f64, human: bool, touch: bool) {
        let pointer = if touch { "touch" } else { "mouse" };
        self.drag_with(dx, human, pointer, 40, None);
    }

    /// [`drag`](Self::drag) with `pointer` (`mouse`, `touch` or `pen`), `steps` moves and,
    /// when given, `step_ms` per move (a device reporting at 1000 / `step_ms` Hz).
    fn drag_with(&self, dx: f64, human: bool, pointer: &str, steps: u32, step_ms: Option<u32>) {
        let knob = self.element(".tc-knob");
        let mut moves = vec![
            json!({"type": "pointerMove", "duration": 0, "origin": {"element-6066-11e4-a52e-4f735466cecf": knob}, "x": 0, "y": 0}),
            json!({"type": "pointerDown", "button": 0}),
        ];
        let (mut x, mut y) = (0.0f64, 0.0f64);
        for i in 1..=steps {
            let s = f64::from(i) / f64::from(steps);
            let (tx, ty, ms) = if human {
                let eased = 10.0 * s.powi(3) - 15.0 * s.powi(4) + 6.0 * s.powi(5);
                let wobble = (s * 5.0).sin() * 2.5 + if i % 3 == 0 { 1.0 } else { 0.0 };
                (
                    dx * eased,
                    if i == steps { 0.0 } else { wobble },
                    step_ms.unwrap_or(12 + (i * 7 % 13)),
                )
            } else {
                (dx * s, 0.0, step_ms.unwrap_or(16))
            };
            let (sx, sy) = ((tx - x).round(), (ty - y).round());
            x += sx;
            y += sy;
            moves.push(json!({"type": "pointerMove", "duration": ms, "origin": "pointer", "x": sx as i64, "y": sy as i64}));
        }
        moves.push(json!({"type": "pointerUp", "button": 0}));
        self.actions(json!([{"type": "pointer", "id": pointer, "parameters": {"pointerType": pointer}, "actions": moves}]));
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

    /// Submits the login form and waits for the welcome (the message of an earlier attempt
    /// cleared first).
    fn sign_in(&self) {
        self.script("document.getElementById('message').textContent = '';");
        self.click("#submit");
        let message = self.wait_for(
            "the welcome message",
            "const m = document.getElementById('message').textContent; return m.length > 0 && m;",
        );
        assert_eq!(message, "Welcome, demo!");
    }
}

/// The login page in a fresh session, once the widget is on it.
fn login_page(driver: &Driver, addr: SocketAddr, phone: bool) -> Browser {
    let b = driver.open(&format!("http://{addr}/"), phone);
    b.wait_for(
        "the widget",
        "return window.TowerCaptcha && document.querySelector('.tc') && true;",
    );
    b
}

fn hole(captcha: &Captcha, token: &str) -> f64 {
    let hole = captcha.answer_of::<SliderOptions>(token);
    f64::from(hole.expect("a slider").at.x)
}

fn words(captcha: &Captcha, token: &str) -> Vec<(i32, i32)> {
    let w = captcha.answer_of::<ClickWordOptions>(token);
    let w = w.expect("a click-word challenge");
    w.iter().take(3).map(|(_, p)| (p.x, p.y)).collect()
}

fn timed(name: &str, f: &dyn Fn()) {
    let t = Instant::now();
    f();
    println!("{name}: ok in {:.1?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_works_in_a_real_browser() {
    let Some(driver) = Driver::start("browser::the_widget_works_in_a_real_browser") else {
        return;
    };
    // The example's own app, on a manual clock (to expire a challenge without waiting).
    let h = common::Harness::new();
    // Plus a classic form's target: it redeems the widget's hidden `captcha_token` field.
    let plain = axum::Router::new()
        .route(
            "/plain",
            axum::routing::post(
                |axum::extract::State(captcha): axum::extract::State<Captcha>,
                 form: axum::Form<std::collections::HashMap<String, String>>| async move {
                    let token = form.get("captcha_token").cloned().unwrap_or_default();
                    match captcha.redeem(&token).scope("login").await {
                        Ok(_) => format!("plain: ok, {}", form.get("user").map_or("", |u| u)),
                        Err(e) => format!("plain: refused ({e})"),
                    }
                },
            ),
        )
        .with_state(h.captcha.clone())
        .fallback_service(login::app(h.captcha.clone()));
    let server = Server::start(plain).await;
    let addr = server.addr;
    // Pictures that cost a proof of work: the same page on an engine that asks for it.
    let priced = common::Harness::with(|b| b.require_work_for_pictures(true));
    let priced_server = Server::start(login::app(priced.captcha.clone())).await;
    let priced_addr = priced_server.addr;
    // A kind of the app's own, on an engine without the slider and click-word.
    let own = common::Harness::with(|b| {
        b.kind(custom_kind::Sum::default())
            .without_kind(Kind::SLIDER)
            .without_kind(Kind::CLICK_WORD)
    });
    let own_server = Server::start(custom_kind::app(own.captcha.clone())).await;
    let own_addr = own_server.addr;
    // Sign-in with a captcha only after failures, and the invisible proof of work.
    let calm = common::Harness::new();
    let calm_server = Server::start(sign_in::app(calm.captcha.clone())).await;
    let calm_addr = calm_server.addr;
    // The same pages where a Content-Security-Policy forbids workers: the widget works out the
    // proof of work on the page itself, where DevTools' CPU throttling applies in full.
    let no_workers = sign_in::app(calm.captcha.clone()).layer(axum::middleware::map_response(
        |mut res: axum::response::Response| async move {
            res.headers_mut().insert(
                "content-security-policy",
                http::HeaderValue::from_static("worker-src 'none'"),
            );
            res
        },
    ));
    let no_workers_server = Server::start(no_workers).await;
    let no_workers_addr = no_workers_server.addr;
    let (captcha, clock) = (h.captcha.clone(), h.clock.clone());
    tokio::task::spawn_blocking(move || {
        let b = login_page(&driver, addr, false);
        b.ready("pow");
        let drawn = b.script(
            "const s = performance.getEntriesByType('resource').find(e => /captcha\\.[0-9a-f]+\\.js$/.test(e.name)); \
             const d = performance.getEntriesByName('tc:drawn')[0]; return [s.startTime, d.startTime];",
        );
        println!(
            "from the script tag's request to a drawn challenge: {:.0} ms",
            drawn[1].as_f64().unwrap() - drawn[0].as_f64().unwrap()
        );
        timed("proof of work, the checkbox ticked, then sign in", &|| {
            b.ready("pow");
            b.screenshot("widget-pow-light.png");
            let label = b.script("return document.querySelector('.tc-check').getAttribute('role') + ' ' + document.querySelector('.tc-check').getAttribute('aria-checked');");
            assert_eq!(label, "checkbox false");
            b.click(".tc-check");
            b.wait_state("passed");
            let checked = b.script("return document.querySelector('.tc-check').getAttribute('aria-checked');");
            assert_eq!(checked, "true");
            b.sign_in();
        });
        timed("a spent pass is never sent again: the widget re-arms after the call", &|| {
            // After the sign-in above the pass is spent: the page has none, and the widget
            // shows a new challenge by itself.
            assert_eq!(b.script("return TowerCaptcha.pass();"), Value::Null);
            b.ready("pow");
            b.wait_for(
                "the re-armed checkbox",
                "return document.querySelector('.tc-check').getAttribute('aria-checked') === 'false';",
            );
            // Signing in again before solving: the page's own check, not a spent pass (4013).
            b.script("document.getElementById('message').textContent = '';");
            b.click("#submit");
            let message = b.wait_for(
                "the message",
                "const m = document.getElementById('message').textContent; return m.length > 0 && m;",
            );
            assert_eq!(message, "Please complete the captcha first.");
            // A pass, then a reset before using it: forgotten too.
            b.click(".tc-check");
            b.wait_state("passed");
            assert!(b.script("return TowerCaptcha.pass();").is_string());
            b.script("TowerCaptcha.reset('#captcha');");
            assert_eq!(b.script("return TowerCaptcha.pass();"), Value::Null);
            assert_eq!(
                b.script("return document.querySelector('input[name=captcha_token]').value;"),
                ""
            );
        });
        timed("proof of work solved 20 times at the default difficulty", &|| {
            let mut solve_ms = Vec::new();
            for _ in 0..20 {
                b.choose("pow");
                b.script("performance.clearMarks();");
                b.click(".tc-check");
                b.wait_state("passed");
                let ms = b.script(
                    "return performance.getEntriesByName('tc:pow-done')[0].startTime - performance.getEntriesByName('tc:pow-start')[0].startTime;",
                );
                solve_ms.push(ms.as_f64().unwrap());
            }
            solve_ms.sort_by(f64::total_cmp);
            println!(
                "proof of work in the browser (maxnumber 100000, 20 runs): median {:.0} ms, min {:.0} ms, max {:.0} ms",
                (solve_ms[9] + solve_ms[10]) / 2.0,
                solve_ms[0],
                solve_ms[19]
            );
        });
        timed("slider, dragged like a person, then sign in", &|| {
            let token = b.choose("slider");
            b.screenshot("widget-slider-light.png");
            b.drag(hole(&captcha, &token) * b.frame_width() / 310.0, true, false);
            b.wait_state("passed");
            b.sign_in();
        });
        timed("a wrong drop shows the retry state and a new challenge", &|| {
            let token = b.choose("slider");
            let x = hole(&captcha, &token);
            let wrong = if x > 150.0 { x - 60.0 } else { x + 60.0 };
            b.drag(wrong * b.frame_width() / 310.0, true, false);
            b.wait_state("wrong");
            let fresh = b.script("return document.querySelector('.tc').dataset.token;");
            assert_ne!(fresh, token.as_str(), "a new challenge after a wrong drop");
        });
        timed("slow, long, fast and fine-grained drags by mouse, pen and touch pass the trail check", &|| {
            // (pointer, moves, ms per move): 1.25 s at 120 Hz, 1.2 s at 240 Hz, 1 s at 60 Hz,
            // a 150 ms flick at 60 Hz, 2 s at 60 Hz by pen, 0.8 s at 120 Hz by touch.
            for (pointer, steps, ms) in [
                ("mouse", 150, 8),
                ("mouse", 300, 4),
                ("mouse", 60, 17),
                ("mouse", 9, 17),
                ("pen", 120, 17),
                ("touch", 100, 8),
            ] {
                let token = b.choose("slider");
                let dx = hole(&captcha, &token) * b.frame_width() / 310.0;
                b.drag_with(dx, true, pointer, steps, Some(ms));
                let state = b.wait_for(
                    "the drop's outcome",
                    "const s = document.querySelector('.tc').dataset.state; return ['passed', 'wrong', 'error'].includes(s) && s;",
                );
                println!("  {pointer}, {steps} moves of {ms} ms: {state}");
                assert_eq!(state, "passed", "{pointer}, {steps} moves of {ms} ms");
            }
        });
        timed("a straight constant-speed drag is refused by the trail check", &|| {
            let token = b.choose("slider");
            b.drag(hole(&captcha, &token) * b.frame_width() / 310.0, false, false);
            b.wait_state("wrong");
        });
        timed("an expired challenge refreshes by itself", &|| {
            let token = b.choose("slider");
            clock.advance(Duration::from_secs(301));
            b.drag(hole(&captcha, &token) * b.frame_width() / 310.0, true, false);
            b.wait_state("expired");
            let fresh = b.ready("slider");
            assert_ne!(fresh, token);
            let text = b.script("return document.querySelector('.tc-status').textContent;");
            assert!(text.as_str().unwrap().contains("expired"), "{text}");
            b.drag(hole(&captcha, &fresh) * b.frame_width() / 310.0, true, false);
            b.wait_state("passed");
        });
        timed("click-word, clicked on the characters, then sign in", &|| {
            let token = b.choose("click_word");
            b.screenshot("widget-click-word-light.png");
            b.click_frame(&words(&captcha, &token), false);
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
        timed("text in submit mode: the sign-in button verifies the typed characters", &|| {
            b.script(
                "const old = document.getElementById('captcha'); const fresh = document.createElement('div'); \
                 fresh.id = 'captcha'; fresh.dataset.scope = old.dataset.scope; fresh.dataset.submit = 'form'; \
                 old.replaceWith(fresh); TowerCaptcha.render(fresh, { kind: 'text' });",
            );
            let token = b.ready("text");
            assert_eq!(
                b.script("return document.querySelector('.tc-go') === null;"),
                Value::Bool(true),
                "no Verify button of its own"
            );
            // Wrong characters: the sign-in is held and the widget says why.
            b.type_into(".tc-input", "wwwww");
            b.click("#submit");
            b.wait_state("wrong");
            let status = b.script("return document.querySelector('.tc-status').textContent;");
            assert!(
                status.as_str().unwrap().contains("did not match"),
                "{status}"
            );
            // The right ones: one click signs in.
            let answer = common::text_answer(&captcha, &token);
            b.type_into(".tc-input", &answer.to_lowercase());
            b.sign_in();
        });
        timed("text in submit mode on a classic form: one click posts the form with its pass", &|| {
            b.script(
                "const f = document.createElement('form'); f.id = 'plain'; f.method = 'post'; f.action = '/plain'; \
                 const u = document.createElement('input'); u.name = 'user'; u.value = 'demo'; \
                 const w = document.createElement('div'); w.dataset.submit = 'form'; w.dataset.scope = 'login'; \
                 const s = document.createElement('button'); s.type = 'submit'; s.id = 'plain-submit'; s.textContent = 'Send'; \
                 f.append(u, w, s); document.body.append(f); TowerCaptcha.render(w, { kind: 'text' });",
            );
            let token = b.wait_for(
                "the classic form's challenge",
                "const w = document.querySelector('#plain .tc'); const i = w && w.querySelector('.tc-text-img'); \
                 return w && w.dataset.state === 'ready' && i && i.complete && i.naturalWidth > 0 && w.dataset.token;",
            );
            let answer = common::text_answer(&captcha, token.as_str().unwrap());
            b.type_into("#plain .tc-input", &answer.to_lowercase());
            b.click("#plain-submit");
            let page = b.wait_for(
                "the form's answer",
                "return document.body && document.body.textContent.startsWith('plain:') && document.body.textContent;",
            );
            assert_eq!(page, "plain: ok, demo");
            b.go(&format!("http://{addr}/"));
            b.wait_for(
                "the widget",
                "return window.TowerCaptcha && document.querySelector('.tc') && true;",
            );
        });
        timed("the slider solved with the keyboard alone", &|| {
            let token = b.choose("slider");
            b.script("document.activeElement && document.activeElement.blur(); document.getElementById('kind').focus();");
            b.press("\u{E004}", 1); // Tab: from the selector to the knob
            let focused = b.script("return document.activeElement.className;");
            assert_eq!(focused, "tc-knob", "the knob takes the focus");
            let steps = hole(&captcha, &token) as usize;
            b.press("\u{E014}", steps); // ArrowRight, one pixel of the frame each
            b.press("\u{E007}", 1); // Enter
            b.wait_state("passed");
        });
        timed("the proof of work ticked with the keyboard alone", &|| {
            b.choose("pow");
            b.script("document.activeElement && document.activeElement.blur(); document.getElementById('kind').focus();");
            b.press("\u{E004}", 1); // Tab: from the selector to the checkbox
            let focused = b.script("return document.activeElement.className;");
            assert_eq!(focused, "tc-check", "the checkbox takes the focus");
            b.press(" ", 1);
            b.wait_state("passed");
        });
        timed("a keyboard user switches a click-word challenge to another kind", &|| {
            b.choose("click_word");
            b.script("document.querySelector('.tc-switch').focus();");
            b.press("\u{E007}", 1);
            b.wait_for(
                "another kind",
                "return document.querySelector('.tc').dataset.kind !== 'click_word';",
            );
        });
        timed("dark mode renders dark", &|| {
            b.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}));
            for kind in ["pow", "slider", "click_word", "text"] {
                b.choose(kind);
                b.screenshot(&format!("widget-{kind}-dark.png"));
            }
            let bg = b.script("return getComputedStyle(document.querySelector('.tc')).backgroundColor;");
            assert_eq!(bg, "rgb(17, 24, 39)", "the dark theme's background");
        });
        assert_eq!(b.errors(), json!([]), "console errors on the page");
        drop(b);

        let p = login_page(&driver, priced_addr, false);
        timed("pictures that cost a proof of work: the widget pays, then slider and text", &|| {
            let token = p.choose("slider");
            p.drag(hole(&priced.captcha, &token) * p.frame_width() / 310.0, true, false);
            p.wait_state("passed");
            p.sign_in();
            let token = p.choose("text");
            let answer = common::text_answer(&priced.captcha, &token);
            p.type_into(".tc-input", &answer);
            p.press("\u{E007}", 1);
            p.wait_state("passed");
            let paid = p.script(
                "return performance.getEntriesByType('resource').filter(e => e.name.includes('kind=pow')).length;",
            );
            // The first widget's own proof of work, then one paid for each picture.
            assert!(paid.as_u64().unwrap() >= 3, "one proof of work per picture: {paid}");
        });
        assert_eq!(p.errors(), json!([]), "console errors on the priced page");
        drop(p);

        let phone = login_page(&driver, addr, true);
        timed("a 390 px phone, by touch: slider and click-word", &|| {
            let width = phone.script("return document.querySelector('.tc').getBoundingClientRect().width;");
            assert!(width.as_f64().unwrap() <= 390.0, "fits the phone: {width}");
            let token = phone.choose("slider");
            phone.screenshot("widget-slider-phone.png");
            phone.drag(hole(&captcha, &token) * phone.frame_width() / 310.0, true, true);
            phone.wait_state("passed");
            let token = phone.choose("click_word");
            phone.click_frame(&words(&captcha, &token), true);
            phone.wait_state("passed");
            phone.sign_in();
        });
        assert_eq!(phone.errors(), json!([]), "console errors on the phone");
        drop(phone);

        let o = driver.open(&format!("http://{own_addr}/"), false);
        timed("a kind of the app's own, drawn as a picture to answer, then redeemed", &|| {
            o.ready("sum");
            o.screenshot("widget-custom-kind.png");
            // Only the kinds this server serves are offered: the switch cycles through them.
            let mut offered = vec!["sum".to_owned()];
            for _ in 0..3 {
                o.script("document.querySelector('.tc-switch').click();");
                let kind = o.wait_for(
                    "the next kind",
                    &format!("const k = document.querySelector('.tc').dataset.kind; return k !== '{}' && k;", offered.last().unwrap()),
                );
                offered.push(kind.as_str().unwrap().to_owned());
            }
            assert_eq!(offered, ["sum", "text", "pow", "sum"], "the kinds offered");
            // Back on the sum: a fresh challenge.
            let token = o.ready("sum");
            let (a, b) = own.captcha.answer_of::<custom_kind::Sum>(&token).expect("a sum");
            o.type_into(".tc-input", &(a + b).to_string());
            o.press("\u{E007}", 1);
            o.wait_state("passed");
            o.click("#order");
            let message = o.wait_for(
                "the order",
                "const m = document.getElementById('message').textContent; return m.length > 0 && m;",
            );
            assert_eq!(message, "ordered (a sum captcha)");
        });
        assert_eq!(o.errors(), json!([]), "console errors on the custom kind's page");
        drop(o);

        let c = driver.open(&format!("http://{calm_addr}/"), false);
        let message = |b: &Browser| {
            b.wait_for(
                "the message",
                "const m = document.getElementById('message').textContent; return m.length > 0 && m;",
            )
        };
        let submit = |b: &Browser, fields: &[(&str, &str)]| {
            for (name, value) in fields {
                b.script(&format!("document.querySelector('[name={name}]').value = '{value}';"));
            }
            b.script("document.getElementById('message').textContent = '';");
            b.click("#submit");
            message(b)
        };
        timed("a calm visitor signs in with one click and no puzzle", &|| {
            let hidden = c.script("return document.getElementById('captcha').hidden && !document.querySelector('.tc');");
            assert_eq!(hidden, json!(true), "the widget waits hidden");
            let m = submit(&c, &[("username", "demo"), ("password", "demo")]);
            assert_eq!(m, "Welcome back, demo.");
            assert_eq!(c.script("return !!document.querySelector('.tc');"), json!(false), "no puzzle shown");
        });
        timed("three failures, then the captcha appears, is solved, and the sign-in goes through", &|| {
            for _ in 0..3 {
                let m = submit(&c, &[("username", "demo"), ("password", "guess")]);
                assert_eq!(m, "Wrong user name or password.");
            }
            let m = submit(&c, &[("username", "demo"), ("password", "demo")]);
            assert_eq!(m, "Please complete the captcha, then continue again.");
            // The managed kind shows this client a picture: it failed.
            let token = c.wait_for(
                "the widget",
                "const w = document.querySelector('.tc'); return w && !document.getElementById('captcha').hidden && w.dataset.shown === 'text' && w.dataset.state === 'ready' && w.dataset.token;",
            );
            c.screenshot("sign-in-after-failures.png");
            let answer = common::text_answer(&calm.captcha, token.as_str().unwrap());
            c.type_into(".tc-input", &answer);
            c.press("\u{E007}", 1);
            c.wait_state("passed");
            let m = submit(&c, &[("username", "demo"), ("password", "demo")]);
            assert_eq!(m, "Welcome back, demo.");
        });
        timed("an invisible proof of work is ready before the person submits", &|| {
            c.go(&format!("http://{calm_addr}/invisible"));
            c.wait_state("passed");
            assert_eq!(c.script("return document.querySelector('.tc-check');"), Value::Null, "no checkbox");
            let m = submit(&c, &[("message", "hello")]);
            assert_eq!(m, "Sent.");
            // The pass is spent: a new challenge is worked out for the next message.
            c.wait_state("passed");
            assert_eq!(submit(&c, &[("message", "again")]), "Sent.");
        });
        timed("started on focus: no work before, and a submit at once waits for it", &|| {
            c.go(&format!("http://{calm_addr}/invisible?start=focus"));
            c.wait_for("the challenge", "return document.querySelector('.tc') && document.querySelector('.tc').dataset.token;");
            std::thread::sleep(Duration::from_millis(700));
            let started = c.script("return performance.getEntriesByName('tc:unseen-start').length;");
            assert_eq!(started, json!(0), "no work before the form is touched");
            c.script("document.getElementById('message').textContent = '';");
            c.click("#submit");
            assert_eq!(message(&c), "Sent.", "the early submit waited for the work");
        });
        timed("a hidden page does no work until it is shown", &|| {
            let hide = c.cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({"source": "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"}),
            );
            c.go(&format!("http://{calm_addr}/invisible"));
            c.wait_for("the challenge", "return document.querySelector('.tc') && document.querySelector('.tc').dataset.token;");
            std::thread::sleep(Duration::from_millis(1500));
            let state = c.script("return [performance.getEntriesByName('tc:unseen-start').length, document.querySelector('.tc').dataset.state];");
            assert_eq!(state, json!([0, "ready"]), "no work while hidden");
            c.script("Object.defineProperty(document, 'hidden', {configurable: true, get: () => false}); document.dispatchEvent(new Event('visibilitychange'));");
            c.wait_state("passed");
            c.cdp("Page.removeScriptToEvaluateOnNewDocument", json!({"identifier": hide["identifier"]}));
        });
        timed("page load to a ready pass, invisible mode, CPU throttled", &|| {
            let loads: usize = std::env::var("TC_MEASURE_LOADS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
            for (addr, how) in [(calm_addr, "in Web Workers"), (no_workers_addr, "on the page (workers forbidden)")] {
            for rate in [1, 4, 6] {
                c.cdp("Emulation.setCPUThrottlingRate", json!({"rate": rate}));
                let mut ms = Vec::new();
                for _ in 0..loads {
                    c.go(&format!("http://{addr}/invisible"));
                    let t = c.wait_for(
                        "a pass",
                        "const p = performance.getEntriesByName('tc:pass')[0]; return p ? p.startTime : false;",
                    );
                    ms.push(t.as_f64().unwrap());
                }
                ms.sort_by(f64::total_cmp);
                println!(
                    "invisible mode, {how}, CPU {rate}x slower: page load to a ready pass, median {:.0} ms over {loads} loads (min {:.0}, max {:.0})",
                    ms[ms.len() / 2], ms[0], ms[ms.len() - 1]
                );
            }
            }
            c.cdp("Emulation.setCPUThrottlingRate", json!({"rate": 1}));
        });
        assert_eq!(c.errors(), json!([]), "console errors on the sign-in pages");
        println!(
            "screenshots in {}",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).display()
        );
    })
    .await
    .unwrap();
}

/// Runs axe-core (from npm) over the widget on the page as it is now and fails on any
/// violation of WCAG 2.0–2.2 A and AA or of axe's best practices; the number of rules run
/// and passed, for the report.
fn audit(b: &Browser, axe: &str, state: &str) -> (u64, u64) {
    if b.script("return !!window.axe;") != json!(true) {
        b.script(axe);
    }
    b.script(
        "window.__axe = null; \
         axe.run(document.querySelector('.tc'), { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } }) \
           .then(r => { window.__axe = { rules: r.passes.length + r.violations.length + r.incomplete.length + r.inapplicable.length, \
                                          passes: r.passes.length, \
                                          violations: r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.html).join(' | ')) }; }, \
                 e => { window.__axe = { error: String(e) }; });",
    );
    let report = b.wait_for("axe's report", "return window.__axe;");
    assert_eq!(
        report["error"],
        Value::Null,
        "{state}: axe failed: {report}"
    );
    assert_eq!(
        report["violations"],
        json!([]),
        "{state}: accessibility violations"
    );
    let (rules, passes) = (
        report["rules"].as_u64().unwrap(),
        report["passes"].as_u64().unwrap(),
    );
    println!("axe: {state}: {rules} rules run, {passes} passed, 0 violations");
    (rules, passes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_is_accessible_in_every_state_and_speaks_every_language() {
    let test = "browser::the_widget_is_accessible_in_every_state_and_speaks_every_language";
    let Some(driver) = Driver::start(test) else {
        return;
    };
    let Some(axe_dir) = programs::npm_package("axe-core@4", "axe-npm", test) else {
        return;
    };
    let axe = std::fs::read_to_string(axe_dir.join("axe.min.js")).unwrap();
    let catalogue: Value =
        serde_json::from_str(include_str!("../assets/i18n/messages.json")).unwrap();
    let h = common::Harness::new();
    let server = Server::start(login::app(h.captcha.clone())).await;
    let addr = server.addr;
    // A proof of work that takes a while (about 2.5 million hashes on average): the working
    // state stays long enough to audit.
    let slow = common::Harness::with(|b| {
        b.kind(tower_captcha::PowOptions::default().with_max_number(5_000_000))
    });
    let slow_server = Server::start(login::app(slow.captcha.clone())).await;
    let slow_addr = slow_server.addr;
    let (captcha, clock) = (h.captcha.clone(), h.clock.clone());
    tokio::task::spawn_blocking(move || {
        let audited = std::cell::RefCell::new(Vec::new());
        let check = |b: &Browser, state: &str| audited.borrow_mut().push((state.to_owned(), audit(b, &axe, state)));
        let b = login_page(&driver, addr, false);
        for scheme in ["light", "dark"] {
            b.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}));
            for kind in ["pow", "text", "slider", "click_word"] {
                b.choose(kind);
                check(&b, &format!("{kind}, idle, {scheme}"));
            }
            // Wrong answers, with attempts left (text) and with a new challenge (slider, click).
            let token = b.choose("text");
            b.type_into(".tc-input", "wwwww");
            b.press("\u{E007}", 1);
            b.wait_state("wrong");
            check(&b, &format!("text, wrong answer, {scheme}"));
            let right = common::text_answer(&captcha, &token);
            b.type_into(".tc-input", &right);
            b.press("\u{E007}", 1);
            b.wait_state("passed");
            check(&b, &format!("text, passed, {scheme}"));
            let token = b.choose("slider");
            let x = hole(&captcha, &token);
            b.drag((if x > 150.0 { x - 60.0 } else { x + 60.0 }) * b.frame_width() / 310.0, true, false);
            b.wait_state("wrong");
            check(&b, &format!("slider, wrong answer, {scheme}"));
            let token = b.ready("slider");
            clock.advance(Duration::from_secs(301));
            b.drag(hole(&captcha, &token) * b.frame_width() / 310.0, true, false);
            b.wait_state("expired");
            check(&b, &format!("slider, expired, {scheme}"));
            let token = b.ready("slider");
            b.drag(hole(&captcha, &token) * b.frame_width() / 310.0, true, false);
            b.wait_state("passed");
            check(&b, &format!("slider, passed, {scheme}"));
            // Expired, for the other kinds: answered after the challenge's five minutes.
            for kind in ["text", "click_word", "pow"] {
                let token = b.choose(kind);
                clock.advance(Duration::from_secs(301));
                match kind {
                    "text" => {
                        b.type_into(".tc-input", &common::text_answer(&captcha, &token));
                        b.press("\u{E007}", 1);
                    }
                    "click_word" => b.click_frame(&words(&captcha, &token), false),
                    _ => b.click(".tc-check"),
                }
                b.wait_state("expired");
                check(&b, &format!("{kind}, expired, {scheme}"));
            }
            let token = b.choose("click_word");
            let mut points = words(&captcha, &token);
            points.reverse();
            b.click_frame(&points, false);
            b.wait_state("wrong");
            check(&b, &format!("click_word, wrong answer, {scheme}"));
            let token = b.ready("click_word");
            b.click_frame(&words(&captcha, &token), false);
            b.wait_state("passed");
            check(&b, &format!("click_word, passed, {scheme}"));
            b.choose("pow");
            b.click(".tc-check");
            b.wait_state("passed");
            check(&b, &format!("pow, passed, {scheme}"));
        }
        b.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}));

        // The text challenge spoken: the button plays it, says what to type, and the same
        // answer passes.
        let token = b.choose("text");
        b.click(".tc-listen");
        b.wait_for("the clip playing", "return document.querySelector('.tc').dataset.audio === 'played';");
        let hint = b.script("return document.querySelector('.tc-prompt').textContent;");
        assert_eq!(hint, catalogue["widget.audioHint"]["en"]);
        let replay = b.script("return document.querySelector('.tc-listen').getAttribute('aria-label');");
        assert_eq!(replay, catalogue["widget.replay"]["en"]);
        check(&b, "text, audio played, light");
        let clip = b.script(&format!(
            "return fetch('/auth/v1/captcha/data/audio?token={token}').then(r => [r.status, r.headers.get('content-type')]);"
        ));
        assert_eq!(clip, json!([200, "audio/wav"]));
        b.type_into(".tc-input", &common::text_answer(&captcha, &token));
        b.press("\u{E007}", 1);
        b.wait_state("passed");

        // Every language: the widget's prompt comes from the catalogue; Arabic is mirrored.
        let languages = ["en", "zh", "es", "fr", "de", "pt", "it", "ru", "ja", "ko", "ar"];
        for lang in languages {
            b.script(&format!("document.documentElement.lang = '{lang}';"));
            b.choose("text");
            let shown = b.script("const w = document.querySelector('.tc'); return [w.lang, w.dir, w.querySelector('.tc-prompt').textContent, w.getAttribute('aria-label')];");
            let rtl = if lang == "ar" { "rtl" } else { "ltr" };
            assert_eq!(
                shown,
                json!([lang, rtl, catalogue["widget.text"][lang], catalogue["widget.label"][lang]]),
                "{lang}"
            );
        }
        // Arabic, right to left: the tools sit left of the status, the prompt starts at the
        // right; the slider still runs left to right.
        b.script("document.documentElement.lang = 'ar';");
        b.choose("text");
        let sides = b.script(
            "const r = s => document.querySelector(s).getBoundingClientRect(); \
             return [r('.tc-tools').right <= r('.tc-status').left + 1, r('.tc-text-img').left > r('.tc-input').left];",
        );
        assert_eq!(sides, json!([true, true]), "mirrored");
        let rtl_text = b.screenshot("widget-text-rtl.png");
        check(&b, "text, idle, Arabic (right to left)");
        let token = b.choose("slider");
        let knob = b.script("const k = document.querySelector('.tc-knob').getBoundingClientRect(), t = document.querySelector('.tc-track').getBoundingClientRect(); return Math.abs(k.left - t.left) < 1;");
        assert_eq!(knob, json!(true), "the slider starts at the left in Arabic too");
        b.screenshot("widget-slider-rtl.png");
        check(&b, "slider, idle, Arabic (right to left)");
        b.drag(hole(&captcha, &token) * b.frame_width() / 310.0, true, false);
        b.wait_state("passed");
        let passed = b.script("return document.querySelector('.tc-status').textContent;");
        assert_eq!(passed, catalogue["widget.passed"]["ar"]);
        println!("right-to-left screenshot: {}", rtl_text.display());
        assert_eq!(b.errors(), json!([]), "console errors on the page");
        drop(b);

        // Working: a proof of work under way.
        let s = login_page(&driver, slow_addr, false);
        s.ready("pow");
        s.click(".tc-check");
        s.wait_state("verifying");
        check(&s, "pow, working, light");
        // (About 20 s of work on average: the session is closed before it ends.)
        drop(s);

        // A 390 px phone.
        let phone = login_page(&driver, addr, true);
        for kind in ["pow", "text", "slider", "click_word"] {
            phone.choose(kind);
            check(&phone, &format!("{kind}, idle, 390 px phone"));
        }
        assert_eq!(phone.errors(), json!([]), "console errors on the phone");
        drop(phone);
        let audited = audited.into_inner();
        let rules: u64 = audited.iter().map(|(_, (r, _))| r).max().copied().unwrap_or(0);
        println!(
            "axe-core: {} states audited, up to {rules} rules each, 0 violations",
            audited.len()
        );
        assert!(audited.len() >= 30, "{} states", audited.len());
    })
    .await
    .unwrap();
}
