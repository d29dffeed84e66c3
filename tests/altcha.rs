//! ALTCHA's own clients against this crate's ALTCHA routes, unchanged: the `altcha` web
//! component from npm (major version 3, installed into the test's temp dir, never into the
//! repository) in headless Chromium, on a form pointed at our challenge route; and the
//! `altcha` package from PyPI (installed into a virtual environment in the temp dir) as an
//! independent solver. Each pass they earn is then taken by the guard.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use axum::Router;
use axum::response::Html;
use axum::routing::{get, post};
use common::loopback::{Server, loopback, request};
use common::programs;
use common::webdriver::Driver;
use serde_json::Value;
use tower_captcha::protocol::Altcha;
use tower_captcha::{CaptchaLayer, ChallengeKind, PowKdfOptions, PowOptions, VerifiedCaptcha};

/// The app: ALTCHA's routes, a login route guarded for scope `login`, and (when given) a
/// page with ALTCHA's own widget on a form that posts to our verify route.
fn app(h: &common::Harness, widget_js: Option<(String, String)>, altcha: Altcha) -> Router {
    let layer = CaptchaLayer::builder(h.captcha.clone())
        .mount(altcha)
        .build()
        .unwrap();
    let mut app = Router::new()
        .route(
            "/login",
            post(|pass: VerifiedCaptcha| async move { format!("welcome, {}", pass.claims().kind) }),
        )
        .route_layer(h.captcha.require_scope("login"));
    if let Some((js, argon2id)) = widget_js {
        app = app
            .route("/", get(|| async { Html(PAGE) }))
            .route(
                "/altcha.js",
                get(move || async move { ([("content-type", "text/javascript")], js) }),
            )
            .route(
                "/argon2id.js",
                get(move || async move { ([("content-type", "text/javascript")], argon2id) }),
            );
    }
    app.layer(layer)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ALTCHA's widget</title>
<script type="module" src="/altcha.js"></script>
<script type="module">
  // The widget ships Argon2id as a worker of its own, which the page registers.
  globalThis.$altcha.algorithms.set("ARGON2ID", () => new Worker("/argon2id.js"));
</script></head>
<body>
<form method="post" action="/altcha/verify">
  <altcha-widget challenge="/altcha/challenge?scope=login"></altcha-widget>
  <button type="submit" id="send">Send</button>
</form>
</body></html>"#;

fn temp_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// ALTCHA's widget script from npm (`altcha@3`) and its Argon2id worker, installed once into
/// the temp dir.
fn altcha_widget(test: &str) -> Option<(String, String)> {
    let dir = programs::npm_package("altcha@3", "altcha-npm", test)?;
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    println!("altcha widget from npm: version {}", manifest["version"]);
    Some((
        std::fs::read_to_string(dir.join("dist/main/altcha.js")).unwrap(),
        std::fs::read_to_string(dir.join("dist/workers/argon2id.js")).unwrap(),
    ))
}

/// A Python with the `altcha` package from PyPI, in a virtual environment in the temp dir.
fn altcha_python(test: &str) -> Option<PathBuf> {
    let python = programs::find("python3", test)?;
    let dir = temp_dir("altcha-venv");
    let venv_python = dir.join("bin/python");
    if !venv_python.is_file() {
        programs::run(
            Command::new(python).args(["-m", "venv"]).arg(&dir),
            "python3 -m venv",
        );
        programs::run(
            Command::new(&venv_python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "altcha>=1,<3",
            ]),
            "pip install altcha",
        );
    }
    Some(venv_python)
}

/// ALTCHA's widget, on a page served with `altcha`'s routes, solves `runs` challenges in a
/// row (the page reloaded each time); the last payload goes to our verify route through the
/// form, and the guard must take the pass once. Returns the widget's own solve times (ms).
async fn the_widget_solves(test: &str, h: common::Harness, altcha: Altcha, kind: &str) -> Vec<f64> {
    let Some(widget) = altcha_widget(test) else {
        return Vec::new();
    };
    let Some(driver) = Driver::start(test) else {
        return Vec::new();
    };
    let server = Server::start(app(&h, Some(widget), altcha)).await;
    let addr = server.addr;
    let runs: usize = std::env::var("TC_MEASURE_LOADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let (response, times) = tokio::task::spawn_blocking(move || {
        let b = driver.open(&format!("http://{addr}/"), false);
        let mut times = Vec::new();
        let mut payload = Value::Null;
        for run in 0..runs {
            if run > 0 {
                b.go(&format!("http://{addr}/"));
            }
            b.wait_for(
                "ALTCHA's widget",
                "return document.querySelector('altcha-widget .altcha-checkbox') && true;",
            );
            // Nothing but the checkbox to tick; the widget fetches our challenge and solves it.
            b.click("altcha-widget .altcha-checkbox");
            b.wait_for(
                "the widget's verified state",
                "return document.querySelector('altcha-widget .altcha').dataset.state === 'verified';",
            );
            payload = b.script(
                "return document.querySelector('altcha-widget input[type=hidden][name=altcha]').value;",
            );
            let json: Value = serde_json::from_slice(
                &base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    payload.as_str().unwrap(),
                )
                .unwrap(),
            )
            .unwrap();
            // v1 reports `took`, v2 `solution.time`.
            let took = json["took"].as_f64().or_else(|| json["solution"]["time"].as_f64());
            times.push(took.unwrap_or(f64::NAN));
            if run == 0 {
                println!("the widget's payload: {json}");
            }
        }
        // The form posts the last payload (field `altcha`) to our verify route.
        b.click("#send");
        let body = b.wait_for(
            "our verify route's answer",
            "return document.body && document.body.innerText.includes('captcha_token') && document.body.innerText;",
        );
        assert_eq!(b.errors(), serde_json::json!([]), "console errors");
        let _ = payload;
        (body.as_str().unwrap().to_owned(), times)
    })
    .await
    .unwrap();
    println!("our verify route answered the form: {response}");
    let answer: Value = serde_json::from_str(&response).unwrap();
    assert_eq!(answer["verified"], true);
    let pass = answer["captcha_token"].as_str().unwrap();
    let from = loopback(0, 0, 1);
    let (status, body) = request(
        from,
        addr,
        "POST",
        "/login",
        &[("x-captcha-token", pass)],
        "",
    )
    .await
    .unwrap();
    println!("the guard: {status} {body}");
    assert_eq!(
        (status, body.as_str()),
        (200, Some(format!("welcome, {kind}").as_str()))
    );
    let (status, _) = request(
        from,
        addr,
        "POST",
        "/login",
        &[("x-captcha-token", pass)],
        "",
    )
    .await
    .unwrap();
    assert_eq!(status, 401, "spent once");
    times
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altchas_own_widget_solves_our_challenge_and_the_guard_takes_the_pass() {
    let test = "altcha::altchas_own_widget_solves_our_challenge_and_the_guard_takes_the_pass";
    let times = the_widget_solves(test, common::Harness::new(), Altcha::new(), "pow").await;
    println!(
        "ALTCHA's widget, SHA-256 (v1), maxnumber 100000: median solve {:.0} ms over {} runs",
        median(times.clone()),
        times.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altchas_own_widget_solves_our_pbkdf2_challenge_and_the_guard_takes_the_pass() {
    let test =
        "altcha::altchas_own_widget_solves_our_pbkdf2_challenge_and_the_guard_takes_the_pass";
    let h = common::Harness::with(|b| b.kind(PowKdfOptions::default()));
    let altcha = Altcha::new().kind(PowKdfOptions::KIND);
    let times = the_widget_solves(test, h, altcha, "pow_kdf").await;
    println!(
        "ALTCHA's widget, PBKDF2/SHA-256 (v2), cost 2000, max_counter 1000: median solve {:.0} ms over {} runs",
        median(times.clone()),
        times.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altchas_own_widget_solves_our_argon2id_challenge_and_the_guard_takes_the_pass() {
    let test =
        "altcha::altchas_own_widget_solves_our_argon2id_challenge_and_the_guard_takes_the_pass";
    let h = common::Harness::with(|b| b.kind(PowKdfOptions::argon2id()));
    let altcha = Altcha::new().kind(PowKdfOptions::KIND);
    let times = the_widget_solves(test, h, altcha, "pow_kdf").await;
    println!(
        "ALTCHA's widget, ARGON2ID (v2), 1 pass over 4 MiB, max_counter 100: median solve {:.0} ms over {} runs",
        median(times.clone()),
        times.len()
    );
}

#[tokio::test]
async fn the_pypi_altcha_package_solves_our_challenge() {
    let test = "altcha::the_pypi_altcha_package_solves_our_challenge";
    let Some(python) = altcha_python(test) else {
        return;
    };
    let h = common::Harness::with(|b| b.kind(PowOptions::default().with_max_number(20_000)));
    let server = Server::start(app(&h, None, Altcha::new())).await;
    let from = loopback(0, 0, 2);
    for round in 0..3 {
        let (status, challenge) = request(
            from,
            server.addr,
            "GET",
            "/altcha/challenge?scope=login",
            &[],
            "",
        )
        .await
        .unwrap();
        assert_eq!(status, 200);
        let mut child = Command::new(&python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/clients/altcha_solve.py"
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(
            child.stdin.as_mut().unwrap(),
            challenge.to_string().as_bytes(),
        )
        .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let payload = String::from_utf8(out.stdout).unwrap();
        let body = serde_json::json!({"payload": payload.trim()}).to_string();
        let (status, answer) = request(
            from,
            server.addr,
            "POST",
            "/altcha/verify",
            &[("content-type", "application/json")],
            &body,
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "{answer}");
        let pass = answer["captcha_token"].as_str().unwrap();
        let (status, _) = request(
            from,
            server.addr,
            "POST",
            "/login",
            &[("x-captcha-token", pass)],
            "",
        )
        .await
        .unwrap();
        assert_eq!(status, 200);
        println!("round {round}: solved by PyPI's altcha, verified, the guard took the pass");
    }
}
