//! What people read: the language of a request, and every message the protocols give, in
//! one catalogue that the protocols map their faults into.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use http::HeaderMap;

use super::fault::Fault;
use super::input::BadBody;

/// A language people are answered in: every one of them has every message of the
/// catalogue (`assets/i18n/messages.json`), checked by a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    Zh,
    Es,
    Fr,
    De,
    Pt,
    It,
    Ru,
    Ja,
    Ko,
    Ar,
}

impl Lang {
    /// Every language, in the catalogue's order.
    pub(crate) const ALL: [Lang; 11] = [
        Lang::En,
        Lang::Zh,
        Lang::Es,
        Lang::Fr,
        Lang::De,
        Lang::Pt,
        Lang::It,
        Lang::Ru,
        Lang::Ja,
        Lang::Ko,
        Lang::Ar,
    ];

    /// The language's code in the catalogue (ISO 639-1).
    pub(crate) const fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Pt => "pt",
            Lang::It => "it",
            Lang::Ru => "ru",
            Lang::Ja => "ja",
            Lang::Ko => "ko",
            Lang::Ar => "ar",
        }
    }

    /// The language of a tag such as `fr`, `pt-BR` or `zh_CN` (its primary subtag).
    fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// `X-L` if present (English when it names no language of ours); else the
    /// `Accept-Language` entry of highest weight that we speak (the first of equal
    /// weights); English by default.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(x_l) = header("x-l") {
            return Lang::from_tag(x_l).unwrap_or(Lang::En);
        }
        let mut best: Option<(Lang, f32)> = None;
        for entry in header("accept-language").unwrap_or_default().split(',') {
            let mut parts = entry.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
            if weight > 0.0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((lang, weight));
            }
        }
        best.map_or(Lang::En, |(lang, _)| lang)
    }
}

/// The catalogue: every text people read, by key, in every language
/// (`{"key": {"en": …, "zh": …, …}}`). The widget's strings (`widget.*`) are copied into its
/// script from here (`crate::widget`, checked by a test).
pub(crate) const CATALOGUE: &str = include_str!("../../assets/i18n/messages.json");

static TEXTS: LazyLock<HashMap<String, HashMap<String, String>>> =
    LazyLock::new(|| serde_json::from_str(CATALOGUE).unwrap_or_default());

/// The text of `key` in `lang` (in English if it is missing there, the key itself if it is
/// missing altogether: a test makes sure neither happens).
pub(crate) fn text(key: &str, lang: Lang) -> &'static str {
    let Some(texts) = TEXTS.get(key) else {
        return "";
    };
    texts
        .get(lang.code())
        .or_else(|| texts.get("en"))
        .map_or("", String::as_str)
}

/// The text of `key` in `lang` with its `{name}` placeholders filled in.
pub(crate) fn text_with(key: &str, lang: Lang, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(text(key, lang).to_owned(), |out, (name, value)| {
            out.replace(&format!("{{{name}}}"), value)
        })
}

/// Declares the messages the protocols give, each with its key in the catalogue.
macro_rules! messages {
    ($($(#[$doc:meta])* $name:ident = $key:literal,)*) => {
        /// Every message the protocols give people, by name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Message {
            $($(#[$doc])* $name,)*
        }

        impl Message {
            /// Every message.
            #[cfg(test)]
            pub(crate) const ALL: &[Message] = &[$(Message::$name,)*];

            /// Its key in the catalogue.
            pub(crate) const fn key(self) -> &'static str {
                match self {
                    $(Message::$name => $key,)*
                }
            }
        }
    };
}

messages! {
    BodyTooLarge = "msg.body_too_large",
    BodyTooSlow = "msg.body_too_slow",
    BodyType = "msg.body_type",
    BodyNotObject = "msg.body_not_object",
    MethodNotAllowed = "msg.method_not_allowed",
    InvalidScope = "msg.invalid_scope",
    Unsupported = "msg.unsupported",
    UnknownClient = "msg.unknown_client",
    Forbidden = "msg.forbidden",
    RateLimited = "msg.rate_limited",
    Busy = "msg.busy",
    NoClient = "msg.no_client",
    /// A wrong answer (Auth v1's and AnQiCMS's wording).
    WrongCode = "msg.wrong_code",
    Expired = "msg.expired",
    Unknown = "msg.unknown",
    Used = "msg.used",
    Locked = "msg.locked",
    LockedOut = "msg.locked_out",
    Credential = "msg.credential",
    WorkRequired = "msg.work_required",
    WorkRefused = "msg.work_refused",
    // AJ-Captcha's own wording (its widgets show `repMsg`).
    AjBodyTooLarge = "msg.aj_body_too_large",
    AjUsePost = "msg.aj_use_post",
    AjCaptchaType = "msg.aj_captcha_type",
    AjWrong = "msg.aj_wrong",
    AjLockedOut = "msg.aj_locked_out",
    AjExpired = "msg.aj_expired",
    AjGetLimited = "msg.aj_get_limited",
    AjCheckLimited = "msg.aj_check_limited",
    AjVerifyLimited = "msg.aj_verify_limited",
    AjBusy = "msg.aj_busy",
    // The IDaaS SDK's own wording.
    IdaasClientIdBlank = "msg.idaas_client_id_blank",
    IdaasClientIdEmpty = "msg.idaas_client_id_empty",
    IdaasUnregistered = "msg.idaas_unregistered",
    IdaasBusy = "msg.idaas_busy",
    IdaasWorkRequired = "msg.idaas_work_required",
    IdaasWorkRefused = "msg.idaas_work_refused",
    IdaasDevice = "msg.idaas_device",
    IdaasFailed = "msg.idaas_failed",
}

impl Message {
    /// The message in `lang`.
    pub(crate) fn text(self, lang: Lang) -> &'static str {
        text(self.key(), lang)
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
    match fault {
        Fault::Field(name) => text_with("msg.field_required", lang, &[("name", name)]).into(),
        _ => Message::of(fault).text(lang).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use serde_json::{Map, Value};

    #[test]
    fn language_follows_x_l_then_accept_language() {
        let lang = |x_l: Option<&'static str>, accept: &'static str| {
            let mut h = HeaderMap::new();
            h.insert("accept-language", HeaderValue::from_static(accept));
            if let Some(v) = x_l {
                h.insert("x-l", HeaderValue::from_static(v));
            }
            Lang::from_headers(&h)
        };
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::En);
        assert_eq!(lang(None, "zh-CN,zh;q=0.9"), Lang::Zh);
        assert_eq!(lang(Some("en"), "zh-CN,zh;q=0.9"), Lang::En);
        assert_eq!(lang(Some("z"), "zh-CN"), Lang::En);
        assert_eq!(lang(Some("ar"), "en"), Lang::Ar);
        assert_eq!(lang(None, "fr-CA,fr;q=0.9,en;q=0.8"), Lang::Fr);
        // The highest weight we speak wins, wherever it stands.
        assert_eq!(lang(None, "de;q=0.5, ar;q=0.8"), Lang::Ar);
        assert_eq!(lang(None, "xx, pt_BR;q=0.2"), Lang::Pt);
        assert_eq!(lang(None, "ja;q=0, ko;q=0.1"), Lang::Ko);
        assert_eq!(lang(None, "*"), Lang::En);
        assert_eq!(lang(None, "ru;q=bad"), Lang::En);
    }

    fn catalogue() -> Map<String, Value> {
        serde_json::from_str(CATALOGUE).expect("the catalogue is a JSON object")
    }

    /// The `{name}` placeholders and `code` spans of a text, sorted.
    fn fixed_parts(text: &str) -> Vec<String> {
        let mut parts = Vec::new();
        for (open, close) in [('{', '}'), ('`', '`')] {
            let mut rest = text;
            while let Some(i) = rest.find(open) {
                let after = &rest[i + open.len_utf8()..];
                let Some(j) = after.find(close) else { break };
                parts.push(after[..j].to_owned());
                rest = &after[j + close.len_utf8()..];
            }
        }
        parts.sort();
        parts
    }

    #[test]
    fn every_message_exists_in_every_language_with_its_placeholders() {
        let catalogue = catalogue();
        assert!(catalogue.len() > 80, "{} keys", catalogue.len());
        for (key, texts) in &catalogue {
            let texts = texts.as_object().expect("an object of languages");
            assert_eq!(texts.len(), Lang::ALL.len(), "{key}: {:?}", texts.keys());
            let english = texts["en"].as_str().unwrap();
            for lang in Lang::ALL {
                let t = texts.get(lang.code()).and_then(Value::as_str);
                let t = t.unwrap_or_else(|| panic!("{key} has no {lang:?}"));
                assert!(!t.trim().is_empty(), "{key} is empty in {lang:?}");
                assert_eq!(text(key, lang), t);
                // Chinese seed wording names fields without code spans; placeholders always.
                let (a, b) = (fixed_parts(english), fixed_parts(t));
                if lang == Lang::Zh {
                    let braces = |p: &[String]| {
                        p.iter()
                            .filter(|s| english.contains(&format!("{{{s}}}")))
                            .cloned()
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(braces(&a), braces(&b), "{key} in {lang:?}: {t}");
                } else {
                    assert_eq!(a, b, "{key} in {lang:?}: {t}");
                }
                if lang != Lang::En && lang != Lang::Zh && !key.ends_with("aj_use_post") {
                    assert_ne!(t, english, "{key} is not translated into {lang:?}");
                }
            }
        }
    }

    #[test]
    fn every_key_the_code_uses_is_in_the_catalogue_and_every_key_is_used() {
        let catalogue = catalogue();
        let mut used: Vec<String> = Message::ALL.iter().map(|m| m.key().to_owned()).collect();
        // Keys named as literals in the code, and the widget's `t.<name>` strings.
        let sources = [
            include_str!("../guard/mod.rs"),
            include_str!("aj/mod.rs"),
            include_str!("messages.rs"),
        ];
        for source in sources {
            for prefix in ["\"guard.", "\"msg."] {
                for (i, _) in source.match_indices(prefix) {
                    let rest = &source[i + 1..];
                    let key = &rest[..rest.find('"').unwrap()];
                    if !key.ends_with('.') {
                        used.push(key.to_owned());
                    }
                }
            }
        }
        let script = crate::widget::SCRIPT;
        for (i, _) in script.match_indices("t.") {
            let before = script[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = script[i + 2..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            if !name.is_empty() {
                used.push(format!("widget.{name}"));
            }
        }
        used.sort();
        used.dedup();
        for key in &used {
            assert!(
                catalogue.contains_key(key),
                "{key} is used but not in the catalogue"
            );
        }
        for key in catalogue.keys() {
            assert!(
                used.contains(key),
                "{key} is in the catalogue but never used"
            );
        }
    }
}
