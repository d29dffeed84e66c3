//! Auth v1, the native protocol (PROTOCOLS.md §1):
//! `GET /auth/v1/captcha/data` and `POST /auth/v1/captcha/data/verify`.

use std::net::IpAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use serde_json::json;

use super::{BadBody, ErrorBody, Lang, error_response, png_data_url, query_param, read_fields};
use crate::{Captcha, IssueError, Kind, VerifyError};

/// Default path of the issue route.
pub const ISSUE_PATH: &str = "/auth/v1/captcha/data";
/// Default path of the verify route.
pub const VERIFY_PATH: &str = "/auth/v1/captcha/data/verify";

/// `GET` issue: `{"token", "image", "expires_in"}`; optional query `scope=<name>`.
pub(crate) async fn issue<B>(
    captcha: &Captcha,
    req: Request<B>,
    client: Option<IpAddr>,
) -> Response<Bytes> {
    let lang = Lang::from_headers(req.headers());
    let scope = query_param(req.uri().query(), "scope");
    match captcha.issue(Kind::Text, scope.as_deref(), client).await {
        Ok(c) => super::json(
            StatusCode::OK,
            &json!({
                "token": c.id,
                "image": png_data_url(&c.png),
                "expires_in": c.expires_in.as_secs(),
            }),
        ),
        Err(IssueError::InvalidScope) => invalid_request(
            lang.pick(
                "scope must be 1-32 characters of A-Z a-z 0-9 _ - .",
                "scope 须为 1-32 个字符（A-Z a-z 0-9 _ - .）",
            ),
            StatusCode::BAD_REQUEST,
        ),
        Err(IssueError::RateLimited { retry_after }) => too_many(lang, retry_after),
        Err(IssueError::Busy(_)) => busy(lang),
    }
}

/// `POST` verify: body `{"token", "key"}` → `{"captcha_token", "expires_in"}`.
pub(crate) async fn verify<B>(
    captcha: &Captcha,
    req: Request<B>,
    client: Option<IpAddr>,
) -> Response<Bytes>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let lang = Lang::from_headers(req.headers());
    let fields = match read_fields(req).await {
        Ok(f) => f,
        Err(e) => return bad_body(lang, e),
    };
    let (token, key) = match (fields.string("token"), fields.string("key")) {
        (Ok(t), Ok(k)) => (t, k),
        (Err(e), _) | (_, Err(e)) => return bad_body(lang, e),
    };
    match captcha.verify(token, key, client).await {
        Ok(pass) => super::json(
            StatusCode::OK,
            &json!({"captcha_token": pass.token, "expires_in": pass.expires_in.as_secs()}),
        ),
        Err(VerifyError::Wrong { attempts_left }) => error_response(
            StatusCode::BAD_REQUEST,
            ErrorBody {
                error: "invalid_captcha",
                error_code: 4001,
                error_description: lang.pick("Verification code error", "验证码错误"),
                attempts_left: Some(attempts_left),
            },
            None,
        ),
        Err(VerifyError::Expired) => gone(
            "captcha_expired",
            4002,
            lang.pick(
                "Verification code expired, please get new one",
                "验证码已过期，请重新获取",
            ),
        ),
        Err(VerifyError::Used) => gone(
            "captcha_used",
            4003,
            lang.pick(
                "Verification code already used, please get new one",
                "验证码已使用，请重新获取",
            ),
        ),
        Err(VerifyError::RateLimited { retry_after }) => too_many(lang, retry_after),
        Err(VerifyError::Busy(_)) => busy(lang),
    }
}

/// A request to a captcha path with the wrong method.
pub(crate) fn method_not_allowed(
    req_headers: &http::HeaderMap,
    allow: &'static str,
) -> Response<Bytes> {
    let lang = Lang::from_headers(req_headers);
    let mut res = invalid_request(
        lang.pick("method not allowed on this route", "此路由不支持该请求方法"),
        StatusCode::METHOD_NOT_ALLOWED,
    );
    res.headers_mut()
        .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    res
}

fn bad_body(lang: Lang, e: BadBody) -> Response<Bytes> {
    let (status, msg) = match e {
        BadBody::TooLarge => (
            StatusCode::BAD_REQUEST,
            lang.pick("request body larger than 16 KiB", "请求体超过 16 KiB"),
        ),
        BadBody::UnsupportedType => (
            StatusCode::BAD_REQUEST,
            lang.pick(
                "body must be application/json or application/x-www-form-urlencoded",
                "请求体须为 application/json 或 application/x-www-form-urlencoded",
            ),
        ),
        BadBody::Malformed => (
            StatusCode::BAD_REQUEST,
            lang.pick("body must be a JSON object", "请求体须为 JSON 对象"),
        ),
        BadBody::Field("token") => (
            StatusCode::BAD_REQUEST,
            lang.pick(
                "field `token` is required and must be a string",
                "字段 token 必填且须为字符串",
            ),
        ),
        BadBody::Field(_) => (
            StatusCode::BAD_REQUEST,
            lang.pick(
                "field `key` is required and must be a string",
                "字段 key 必填且须为字符串",
            ),
        ),
    };
    invalid_request(msg, status)
}

fn invalid_request(description: &'static str, status: StatusCode) -> Response<Bytes> {
    error_response(
        status,
        ErrorBody {
            error: "invalid_request",
            error_code: 4000,
            error_description: description,
            attempts_left: None,
        },
        None,
    )
}

fn gone(error: &'static str, error_code: u16, description: &'static str) -> Response<Bytes> {
    error_response(
        StatusCode::GONE,
        ErrorBody {
            error,
            error_code,
            error_description: description,
            attempts_left: None,
        },
        None,
    )
}

fn too_many(lang: Lang, retry_after: std::time::Duration) -> Response<Bytes> {
    error_response(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorBody {
            error: "too_many_requests",
            error_code: 4029,
            error_description: lang.pick(
                "Too many requests, please try again later",
                "请求过于频繁，请稍后再试",
            ),
            attempts_left: None,
        },
        Some(retry_after),
    )
}

pub(crate) fn busy(lang: Lang) -> Response<Bytes> {
    error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorBody {
            error: "server_busy",
            error_code: 5030,
            error_description: lang.pick(
                "Server busy, please try again later",
                "系统繁忙，请稍后再试",
            ),
            attempts_left: None,
        },
        None,
    )
}
