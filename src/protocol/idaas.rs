//! The IDaaS SDK captcha API (Huawei OneAccess, EIAM and CIAM): `GET /api/v2/sdk/captcha`
//! with device headers → a bare AJ `CaptchaVO` (the slider kind, 15 fields in order, unused
//! ones `null`), and `POST /api/v2/sdk/captcha/verify` `{"point_json", "token",
//! "sender"?}` → `{"captcha_token"}` (our pass). Errors are HTTP 400
//! `{"error_code", "error_msg"}`, in the language `X-L` asks for (eleven; English by default).

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde::Serialize;

use super::aj::{CaptchaVo, open_point_json};
use super::driver::{Call, Done, json};
use super::messages::Message;
use super::{Adapter, Endpoint, Fault, Input, Lang, Route};
use crate::kind::{Kind, Size};

const ISSUE: Endpoint = Endpoint("issue");
const VERIFY: Endpoint = Endpoint("verify");

/// The device headers every issue request must carry (besides `X-client-id`).
const DEVICE_HEADERS: [&str; 3] = ["x-operating-sys-version", "x-device-fingerprint", "x-agent"];

/// The IDaaS SDK routes, at `/api/v2/sdk/captcha` and `/api/v2/sdk/captcha/verify` unless
/// moved with [`Idaas::paths`]. `X-device-ip` and `X-tenant-id` are accepted and not
/// required.
#[derive(Debug, Clone)]
#[must_use]
pub struct Idaas {
    issue: String,
    verify: String,
    clients: Option<Arc<HashSet<String>>>,
    eiam: bool,
}

impl Default for Idaas {
    fn default() -> Self {
        Self::new()
    }
}

impl Idaas {
    /// The IDaaS SDK API at its default paths, any client id accepted.
    pub fn new() -> Self {
        Self {
            issue: "/api/v2/sdk/captcha".into(),
            verify: "/api/v2/sdk/captcha/verify".into(),
            clients: None,
            eiam: false,
        }
    }

    /// At other paths.
    pub fn paths(mut self, issue: impl Into<String>, verify: impl Into<String>) -> Self {
        self.issue = issue.into();
        self.verify = verify.into();
        self
    }

    /// Only these client ids may ask for a captcha; others get `IDAAS.SDK.PARAM.0003`
    /// ("The app is not registered").
    pub fn registered_clients<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.clients = Some(Arc::new(ids.into_iter().map(Into::into).collect()));
        self
    }

    /// The EIAM spelling for a missing client id: `SDK.COMMON.1001` "Parameter
    /// X-client-id cannot be left blank." instead of `IDAAS.SDK.PARAM.0002`.
    pub fn eiam_spelling(mut self) -> Self {
        self.eiam = true;
        self
    }
}

#[derive(Serialize)]
struct IdaasError {
    error_code: &'static str,
    error_msg: &'static str,
}

#[derive(Serialize)]
struct Token {
    captcha_token: String,
}

fn present(input: &Input, header: &str) -> bool {
    input.header(header).is_some_and(|v| !v.trim().is_empty())
}

impl Adapter for Idaas {
    fn name(&self) -> &'static str {
        "idaas"
    }

    fn routes(&self) -> Vec<Route> {
        vec![
            Route::new(Method::GET, &self.issue, ISSUE),
            Route::new(Method::POST, &self.verify, VERIFY),
        ]
    }

    fn parse(&self, endpoint: Endpoint, input: &Input) -> Result<Call, Fault> {
        if endpoint == ISSUE {
            if !present(input, "x-client-id") {
                return Err(Fault::Field("X-client-id"));
            }
            if !DEVICE_HEADERS.iter().all(|h| present(input, h)) {
                return Err(Fault::Field("device"));
            }
            let client = input.header("x-client-id").unwrap_or_default().trim();
            if self
                .clients
                .as_ref()
                .is_some_and(|ids| !ids.contains(client))
            {
                return Err(Fault::UnknownClient);
            }
            return Ok(Call::Issue {
                kind: Kind::SLIDER,
                scope: None,
                size: Some(Size::AJ_FRAME),
                managed: false,
            });
        }
        let id = input.string("token")?.to_owned();
        let (solution, _) = open_point_json(&input.captcha, &id, input.string("point_json")?);
        Ok(Call::Verify { id, solution })
    }

    fn success(&self, _: Endpoint, done: Done, input: &Input, _: Lang) -> Response<Bytes> {
        match done {
            Done::Issued(c) => json(StatusCode::OK, &CaptchaVo::issued(c, &input.captcha)),
            Done::Passed(pass) => json(
                StatusCode::OK,
                &Token {
                    captcha_token: pass.token,
                },
            ),
            Done::Cached(reply) => reply,
            Done::Checked(_) | Done::Redeemed(_) => json(StatusCode::OK, &()),
        }
    }

    fn failure(&self, endpoint: Endpoint, fault: &Fault, lang: Lang) -> Response<Bytes> {
        let (error_code, message) = match fault {
            Fault::Field("X-client-id") if self.eiam => {
                ("SDK.COMMON.1001", Message::IdaasClientIdBlank)
            }
            Fault::Field("X-client-id") => ("IDAAS.SDK.PARAM.0002", Message::IdaasClientIdEmpty),
            Fault::UnknownClient => ("IDAAS.SDK.PARAM.0003", Message::IdaasUnregistered),
            Fault::Busy | Fault::NoClient | Fault::RateLimited { .. } | Fault::LockedOut { .. } => {
                ("IDAAS.SDK.COM.0002", Message::IdaasBusy)
            }
            Fault::Work { required: true } => ("IDAAS.SDK.COM.0002", Message::IdaasWorkRequired),
            Fault::Work { required: false } => ("IDAAS.SDK.COM.0002", Message::IdaasWorkRefused),
            _ if endpoint == ISSUE => ("IDAAS.SDK.PARAM.0001", Message::IdaasDevice),
            _ => ("IDAAS.SDK.CAPTCHA.0002", Message::IdaasFailed),
        };
        json(
            StatusCode::BAD_REQUEST,
            &IdaasError {
                error_code,
                error_msg: message.text(lang),
            },
        )
    }
}
