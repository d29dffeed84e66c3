//! What people read: the language of a request, and every message the protocols give, in
//! one catalogue that the protocols map their faults into.

use std::borrow::Cow;

use http::HeaderMap;

use super::fault::Fault;
use super::input::BadBody;

/// The language error messages are given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    Zh,
}

impl Lang {
    /// `X-L` if present, else the first `Accept-Language` entry; English by default.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let pick = |name: &str| {
            headers.get(name).and_then(|v| v.to_str().ok()).map(|v| {
                v.trim_start()
                    .get(..2)
                    .is_some_and(|p| p.eq_ignore_ascii_case("zh"))
            })
        };
        match pick("x-l").or_else(|| pick("accept-language")) {
            Some(true) => Lang::Zh,
            _ => Lang::En,
        }
    }

    pub(crate) fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

/// Every message the protocols give people, by name: one table, one column per language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Message {
    BodyTooLarge,
    BodyTooSlow,
    BodyType,
    BodyNotObject,
    MethodNotAllowed,
    InvalidScope,
    Unsupported,
    UnknownClient,
    Forbidden,
    RateLimited,
    Busy,
    NoClient,
    /// A wrong answer (Auth v1's and AnQiCMS's wording).
    WrongCode,
    Expired,
    Unknown,
    Used,
    Locked,
    LockedOut,
    Credential,
    WorkRequired,
    WorkRefused,
    // AJ-Captcha's own wording (its widgets show `repMsg`).
    AjBodyTooLarge,
    AjUsePost,
    AjCaptchaType,
    AjWrong,
    AjLockedOut,
    AjExpired,
    AjGetLimited,
    AjCheckLimited,
    AjVerifyLimited,
    AjBusy,
    // The IDaaS SDK's own wording.
    IdaasClientIdBlank,
    IdaasClientIdEmpty,
    IdaasUnregistered,
    IdaasBusy,
    IdaasWorkRequired,
    IdaasWorkRefused,
    IdaasDevice,
    IdaasFailed,
}

impl Message {
    /// The message in `lang`.
    pub(crate) fn text(self, lang: Lang) -> &'static str {
        use Message::*;
        let (en, zh) = match self {
            BodyTooLarge => ("request body larger than 16 KiB", "请求体超过 16 KiB"),
            BodyTooSlow => (
                "the request body did not arrive in time",
                "请求体未能及时送达",
            ),
            BodyType => (
                "body must be application/json or application/x-www-form-urlencoded: send a JSON body with the header `content-type: application/json`",
                "请求体须为 application/json 或 application/x-www-form-urlencoded：发送 JSON 时请带上请求头 content-type: application/json",
            ),
            BodyNotObject => ("body must be a JSON object", "请求体须为 JSON 对象"),
            MethodNotAllowed => ("method not allowed on this route", "此路由不支持该请求方法"),
            InvalidScope => (
                "scope must be 1-32 characters of A-Z a-z 0-9 _ - .",
                "scope 须为 1-32 个字符（A-Z a-z 0-9 _ - .）",
            ),
            Unsupported => (
                "this kind of captcha is not offered here",
                "此处不提供该类验证码",
            ),
            UnknownClient => ("unknown client", "未知客户端"),
            Forbidden => ("forbidden", "禁止访问"),
            RateLimited => (
                "Too many requests, please try again later",
                "请求过于频繁，请稍后再试",
            ),
            Busy => (
                "Server busy, please try again later",
                "系统繁忙，请稍后再试",
            ),
            NoClient => (
                "The captcha cannot tell clients apart on this server (no client address); the server log says how to fix it",
                "验证码服务无法区分客户端（缺少客户端地址），请查看服务器日志",
            ),
            WrongCode => ("Verification code error", "验证码错误"),
            Expired => (
                "Verification code expired, please get new one",
                "验证码已过期，请重新获取",
            ),
            // Not a challenge of ours (garbage, another app's, a kind not served): not "expired".
            Unknown => (
                "Verification code not recognised, please get new one",
                "验证码无效，请重新获取",
            ),
            Used => (
                "Verification code already used, please get new one",
                "验证码已使用，请重新获取",
            ),
            Locked => (
                "Too many failed attempts, please get a new one",
                "失败次数过多，请重新获取",
            ),
            LockedOut => (
                "Too many failed attempts, please try again later",
                "失败次数过多，请稍后再试",
            ),
            Credential => ("Invalid captcha token", "人机验证凭证无效"),
            WorkRequired => (
                "a solved proof of work is required first (header x-captcha-work)",
                "请先完成工作量证明（请求头 x-captcha-work）",
            ),
            WorkRefused => (
                "the proof of work was refused, please solve a new one",
                "工作量证明无效，请重新计算",
            ),
            AjBodyTooLarge => ("request body too large", "请求体过大"),
            AjUsePost => ("use POST", "请使用 POST 请求"),
            AjCaptchaType => (
                "captchaType must be blockPuzzle or clickWord",
                "captchaType 须为 blockPuzzle 或 clickWord",
            ),
            AjWrong => ("Verification failed", "验证失败"),
            AjLockedOut => (
                "Too many failed verifications, please try again later",
                "接口验证失败数过多，请稍后再试",
            ),
            AjExpired => (
                "The captcha has expired, please get a new one",
                "验证码已失效，请重新获取",
            ),
            AjGetLimited => (
                "Too many requests for a captcha, please try again later",
                "get接口请求次数超限，请稍后再试!",
            ),
            AjCheckLimited => (
                "Too many verification attempts, please try again later",
                "check接口请求次数超限，请稍后再试!",
            ),
            AjVerifyLimited => (
                "Too many verify requests, please try again later",
                "verify请求次数超限!",
            ),
            AjBusy => ("Server busy, please try again later", "服务器内部异常"),
            IdaasClientIdBlank => (
                "Parameter X-client-id cannot be left blank.",
                "参数X-client-id不能为空。",
            ),
            IdaasClientIdEmpty => ("clientId cannot be empty", "clientId不能为空"),
            IdaasUnregistered => (
                "The app is not registered, please register the app first",
                "应用未注册，请先注册应用",
            ),
            IdaasBusy => (
                "System busy, please try again later",
                "系统繁忙，请稍后再试",
            ),
            IdaasWorkRequired => (
                "A solved proof of work is required first",
                "请先完成工作量证明",
            ),
            IdaasWorkRefused => ("The proof of work was refused", "工作量证明无效"),
            IdaasDevice => ("Device information is incomplete", "设备信息不完整"),
            IdaasFailed => (
                "Graphic verification code verification failed",
                "图形验证码校验失败",
            ),
        };
        lang.pick(en, zh)
    }

    /// The message most protocols give for `fault`.
    pub(crate) fn of(fault: &Fault) -> Message {
        match fault {
            Fault::Body(BadBody::TooLarge) => Message::BodyTooLarge,
            Fault::Body(BadBody::TooSlow) => Message::BodyTooSlow,
            Fault::Body(BadBody::UnsupportedType) => Message::BodyType,
            Fault::Body(BadBody::Malformed) | Fault::Field(_) => Message::BodyNotObject,
            Fault::Method { .. } => Message::MethodNotAllowed,
            Fault::InvalidScope => Message::InvalidScope,
            Fault::Unsupported => Message::Unsupported,
            Fault::UnknownClient => Message::UnknownClient,
            Fault::Forbidden => Message::Forbidden,
            Fault::RateLimited { .. } => Message::RateLimited,
            Fault::Busy => Message::Busy,
            Fault::NoClient => Message::NoClient,
            Fault::Wrong { .. } => Message::WrongCode,
            Fault::Expired => Message::Expired,
            Fault::Unknown => Message::Unknown,
            Fault::Used => Message::Used,
            Fault::Locked => Message::Locked,
            Fault::LockedOut { .. } => Message::LockedOut,
            Fault::Credential(_) => Message::Credential,
            Fault::Work { required: true } => Message::WorkRequired,
            Fault::Work { required: false } => Message::WorkRefused,
        }
    }
}

/// The message most protocols give for `fault`, naming the field when one is missing.
pub(crate) fn common_message(fault: &Fault, lang: Lang) -> Cow<'static, str> {
    match (fault, lang) {
        (Fault::Field(name), Lang::En) => {
            format!("field `{name}` is required and must be a string").into()
        }
        (Fault::Field(name), Lang::Zh) => format!("字段 {name} 必填且须为字符串").into(),
        _ => Message::of(fault).text(lang).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn language_follows_x_l_then_accept_language() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_headers(&h), Lang::En);
        h.insert(
            "accept-language",
            HeaderValue::from_static("zh-CN,zh;q=0.9"),
        );
        assert_eq!(Lang::from_headers(&h), Lang::Zh);
        h.insert("x-l", HeaderValue::from_static("en"));
        assert_eq!(Lang::from_headers(&h), Lang::En);
        h.insert("x-l", HeaderValue::from_static("z"));
        assert_eq!(Lang::from_headers(&h), Lang::En);
    }
}
