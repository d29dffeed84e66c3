//! The layers under plain tower/hyper types, no axum: bodies are `http_body_util::Full`.

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use tower::{Layer, ServiceExt, service_fn};
use tower_captcha::{CaptchaLayer, VerifiedCaptcha};

async fn json_of<B>(res: Response<B>) -> Value
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

#[tokio::test]
async fn issue_verify_and_guard_without_axum() {
    let h = common::Harness::new();
    let protected = h
        .captcha
        .require()
        .layer(service_fn(|req: Request<Full<Bytes>>| async move {
            let pass = req
                .extensions()
                .get::<VerifiedCaptcha>()
                .cloned()
                .expect("inserted by the guard");
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
                pass.claims().kind.to_string(),
            ))))
        }));
    let app = CaptchaLayer::new(h.captcha.clone()).layer(protected);

    let res = app
        .clone()
        .oneshot(
            Request::get("/auth/v1/captcha/data")
                .body(Full::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = json_of(res).await;
    let token = body["token"].as_str().unwrap();

    let verify = serde_json::json!({"token": token, "key": h.answer(token)}).to_string();
    let res = app
        .clone()
        .oneshot(
            Request::post("/auth/v1/captcha/data/verify")
                .body(Full::new(Bytes::from(verify)))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = json_of(res).await;
    let pass = body["captcha_token"].as_str().unwrap();

    let call = |token: &str| {
        Request::post("/anything")
            .header("x-captcha-token", token)
            .body(Full::default())
            .unwrap()
    };
    let res = app.clone().oneshot(call(pass)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        &res.into_body().collect().await.unwrap().to_bytes()[..],
        b"text"
    );
    let res = app.clone().oneshot(call(pass)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn inner_responses_pass_through_untouched() {
    let h = common::Harness::new();
    let inner = service_fn(|req: Request<Full<Bytes>>| async move {
        let seen = req.extensions().get::<tower_captcha::Captcha>().is_some();
        let mut res = Response::new(Full::new(Bytes::from_static(b"inner body")));
        *res.status_mut() = StatusCode::NOT_FOUND;
        res.headers_mut().insert(
            "x-inner",
            http::HeaderValue::from_static(if seen { "handle" } else { "none" }),
        );
        Ok::<_, Infallible>(res)
    });
    let app = CaptchaLayer::new(h.captcha.clone()).layer(inner);
    let res = app
        .oneshot(Request::get("/nope").body(Full::default()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.headers()["x-inner"],
        "handle",
        "the engine handle is in the extensions"
    );
    assert_eq!(
        &res.into_body().collect().await.unwrap().to_bytes()[..],
        b"inner body"
    );
}
