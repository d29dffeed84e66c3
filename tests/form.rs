//! `examples/form.rs`: a classic HTML form that posts the typed characters with the login
//! fields, verified by the handler with the engine directly.

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/form.rs"]
mod form;

use axum::body::Body;
use common::*;
use http::{Request, StatusCode};

fn connected(mut req: Request<Body>) -> Request<Body> {
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, 1],
            4000,
        ))));
    req
}

/// The challenge id in the page's hidden field.
fn challenge_id(html: &str) -> String {
    let at = html
        .find(r#"name="captcha_id" value=""#)
        .expect("the hidden field");
    let rest = &html[at + r#"name="captcha_id" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn post(app: &axum::Router, id: &str, typed: &str) -> String {
    let body = format!("username=demo&password=demo&captcha_id={id}&captcha={typed}");
    let req = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (status, _, page) = send(app, connected(req)).await;
    assert_eq!(status, StatusCode::OK);
    page.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_form_signs_in_with_the_right_characters_only() {
    let h = Harness::new();
    let app = form::app(h.captcha.clone());
    let (status, _, page) = send(&app, connected(get_req("/"))).await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().unwrap();
    assert!(
        page.contains("data:image/png;base64,"),
        "the picture is in the page"
    );
    let id = challenge_id(page);

    // Wrong characters: a new picture, and no sign-in.
    let again = post(&app, &id, "WRONG").await;
    assert!(again.contains("did not match"), "{again}");
    let fresh = challenge_id(&again);
    assert_ne!(fresh, id);

    // The right ones (any case) sign in; the same challenge cannot be used twice.
    let answer = h.answer(&fresh).to_lowercase();
    assert_eq!(post(&app, &fresh, &answer).await, "<p>Welcome, demo!</p>");
    let replay = post(&app, &fresh, &answer).await;
    assert!(
        !replay.contains("Welcome"),
        "a used challenge does not sign in twice"
    );
}

/// How long after `start` the server closed `stream` (it read to the end).
async fn closed_after(
    mut stream: tokio::net::TcpStream,
    start: std::time::Instant,
) -> std::time::Duration {
    use tokio::io::AsyncReadExt;
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut sink),
    )
    .await;
    start.elapsed()
}

#[tokio::test]
async fn the_examples_close_idle_and_slow_connections() {
    use tokio::io::AsyncWriteExt;
    // The examples' server (examples/support/serve.rs), serving the form example.
    let h = Harness::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(form::serve::serve(listener, form::app(h.captcha.clone())));
    let start = std::time::Instant::now();
    // One connection sends nothing; one sends half a request head and stops; one is served.
    let idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut served = tokio::net::TcpStream::connect(addr).await.unwrap();
    served
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (idle, slow, served) = tokio::join!(
        closed_after(idle, start),
        closed_after(slow, start),
        closed_after(served, start)
    );
    server.abort();
    println!("closed after: idle {idle:.1?}, slow head {slow:.1?}, a served request {served:.1?}");
    let limit = form::serve::FIRST_BYTE;
    for (what, took) in [("idle", idle), ("slow head", slow)] {
        assert!(
            took >= limit - std::time::Duration::from_millis(500)
                && took < limit + std::time::Duration::from_secs(5),
            "{what}: closed after {took:?}"
        );
    }
    assert!(served < std::time::Duration::from_secs(5), "{served:?}");
}
