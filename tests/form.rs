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
