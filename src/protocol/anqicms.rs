//! AnQiCMS: `GET /api/captcha` → `{"code": 0, "msg": "", "data": {"captcha": <data URL>,
//! "captcha_id"}}` (a 240x76 text picture, the size of AnQiCMS's own), and ours,
//! `POST /api/captcha/verify` `{"captcha_id", "captcha"}` → `{"code": 0, "msg": "", "data":
//! {"captcha_token", "expires_in"}}`. Errors are `{"code": -1, "msg": <reason>}` with HTTP
//! 200, as AnQiCMS answers.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde::Serialize;
use serde_json::json;

use super::driver::{Call, Done, json, png_data_url};
use super::messages::common_message;
use super::{Adapter, Endpoint, Fault, Input, Lang, Route};
use crate::kind::{Kind, Size, Solution};

const ISSUE: Endpoint = Endpoint("issue");
const VERIFY: Endpoint = Endpoint("verify");

/// AnQiCMS's routes, at `/api/captcha` and `/api/captcha/verify` unless moved with
/// [`AnQiCms::paths`]. An optional `?scope=` on the issue route binds the pass, as on Auth
/// v1.
#[derive(Debug, Clone)]
#[must_use]
pub struct AnQiCms {
    issue: String,
    verify: String,
}

impl Default for AnQiCms {
    fn default() -> Self {
        Self::new()
    }
}

impl AnQiCms {
    /// AnQiCMS at its default paths.
    pub fn new() -> Self {
        Self {
            issue: "/api/captcha".into(),
            verify: "/api/captcha/verify".into(),
        }
    }

    /// AnQiCMS at other paths.
    pub fn paths(mut self, issue: impl Into<String>, verify: impl Into<String>) -> Self {
        self.issue = issue.into();
        self.verify = verify.into();
        self
    }
}

#[derive(Serialize)]
struct Reply<T> {
    code: i32,
    msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
}

impl Adapter for AnQiCms {
    fn name(&self) -> &'static str {
        "anqicms"
    }

    fn routes(&self) -> Vec<Route> {
        vec![
            Route::new(Method::GET, &self.issue, ISSUE),
            Route::new(Method::POST, &self.verify, VERIFY),
        ]
    }

    fn parse(&self, endpoint: Endpoint, input: &Input) -> Result<Call, Fault> {
        if endpoint == ISSUE {
            return Ok(Call::Issue {
                kind: Kind::TEXT,
                scope: input.query("scope"),
                size: Some(Size::ANQICMS),
                managed: false,
            });
        }
        let id = input.string("captcha_id")?.to_owned();
        let typed = input.string("captcha")?;
        Ok(Call::Verify {
            id,
            solution: Solution::from(typed),
        })
    }

    fn success(&self, _: Endpoint, done: Done, _: &Input, _: Lang) -> Response<Bytes> {
        let data = match done {
            Done::Issued(c) => json!({
                "captcha": png_data_url(c.puzzle.image()),
                "captcha_id": c.id,
            }),
            Done::Passed(pass) => {
                json!({"captcha_token": pass.token, "expires_in": pass.expires_in.as_secs()})
            }
            Done::Cached(reply) => return reply,
            Done::Checked(_) | Done::Redeemed(_) => json!({}),
        };
        json(
            StatusCode::OK,
            &Reply {
                code: 0,
                msg: String::new(),
                data: Some(data),
            },
        )
    }

    fn failure(&self, _: Endpoint, fault: &Fault, lang: Lang) -> Response<Bytes> {
        let msg = common_message(fault, lang);
        json(
            StatusCode::OK,
            &Reply::<()> {
                code: -1,
                msg: msg.into_owned(),
                data: None,
            },
        )
    }
}
