//! An engine for apps' own tests, like hosted captchas' test keys (feature `test-util`).
//!
//! `Captcha::insecure_test_mode(mode)` makes an engine whose verify always passes, always
//! fails, or always answers "already used", and whose guard accepts the fixed pass
//! [`TEST_PASS`] as often as it is shown, for any scope. It cannot be switched on by a
//! setting: only this constructor makes one, only with the `test-util` feature, and it says
//! so loudly when made and on every use.

use std::time::Duration;

use crate::Captcha;
use crate::error::VerifyError;
use crate::kind::Kind;
use crate::pass::{Pass, PassClaims, Ticket};

/// What a test-mode engine answers to every verify and check (feature `test-util`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TestMode {
    /// Every solution is right: the pass is [`TEST_PASS`].
    AlwaysPass,
    /// Every solution is wrong (no attempts left).
    AlwaysFail,
    /// Every challenge was already used.
    AlreadyUsed,
}

/// The pass a test-mode engine hands out, and its guard accepts for any scope (feature
/// `test-util`).
pub const TEST_PASS: &str = "tower-captcha-test-pass";

impl Captcha {
    /// **For tests only** (feature `test-util`). An engine that checks nothing: see
    /// [`TestMode`]. Issuing works as usual (pictures and all); verifying answers as `mode`
    /// says; the guard and the extractor accept [`TEST_PASS`] (and real passes, which a
    /// test-mode engine never mints). It has no rate limits or lockout, so requests sent
    /// without a client address (`oneshot`) are served.
    ///
    /// ```
    /// # #[cfg(feature = "axum")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use axum::{Router, body::Body, routing::post};
    /// use http::{Request, StatusCode};
    /// use tower::ServiceExt;
    /// use tower_captcha::testing::{TEST_PASS, TestMode};
    /// use tower_captcha::{Captcha, CaptchaLayer, VerifiedCaptcha};
    ///
    /// // Your app, as it is built in production, given the test-mode engine.
    /// fn app(captcha: Captcha) -> Router {
    ///     Router::new()
    ///         .route("/login", post(|_: VerifiedCaptcha| async { "welcome" }))
    ///         .route_layer(captcha.require_scope("login"))
    ///         .layer(CaptchaLayer::new(captcha))
    /// }
    ///
    /// let app = app(Captcha::insecure_test_mode(TestMode::AlwaysPass));
    /// let login = |token: &str| {
    ///     Request::post("/login").header("x-captcha-token", token).body(Body::empty()).unwrap()
    /// };
    /// assert_eq!(app.clone().oneshot(login(TEST_PASS)).await.unwrap().status(), StatusCode::OK);
    /// assert_eq!(app.oneshot(login("anything else")).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    /// # }
    /// # #[cfg(not(feature = "axum"))]
    /// # fn main() {}
    /// ```
    pub fn insecure_test_mode(mode: TestMode) -> Captcha {
        warn("made");
        // No per-client budgets: an app's tests send requests without client addresses.
        let mut builder = Captcha::builder()
            .secret(random_secret())
            .issue_rate_limit(None)
            .verify_rate_limit(None)
            .redeem_rate_limit(None)
            .lockout(None);
        builder.test_mode = Some(mode);
        builder
            .build()
            .expect("the default settings with a fresh secret are valid")
    }
}

fn random_secret() -> Vec<u8> {
    let mut key = vec![0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
    key
}

/// The loud warning, on making a test-mode engine and on every use of one.
pub(crate) fn warn(what: &str) {
    tracing::warn!(
        "tower-captcha: INSECURE TEST MODE ({what}): captchas are not checked. \
         This must never run in production."
    );
}

/// What a verify answers in `mode`.
pub(crate) fn verify(mode: TestMode, ttl: Duration) -> Result<Pass, VerifyError> {
    warn("verify");
    match mode {
        TestMode::AlwaysPass => Ok(Pass {
            token: TEST_PASS.to_owned(),
            expires_in: ttl,
        }),
        TestMode::AlwaysFail => Err(VerifyError::Wrong { attempts_left: 0 }),
        TestMode::AlreadyUsed => Err(VerifyError::Used),
    }
}

/// What a check answers in `mode`.
pub(crate) fn check(mode: TestMode, ttl: Duration) -> Result<Ticket, VerifyError> {
    verify(mode, ttl).map(|pass| Ticket {
        value: pass.token,
        expires_in: ttl,
    })
}

/// The claims [`TEST_PASS`] redeems to: whatever scope is asked for.
pub(crate) fn claims(scope: Option<&str>, now_secs: u64) -> PassClaims {
    warn("redeem");
    PassClaims {
        jti: "test".into(),
        iat: now_secs,
        exp: now_secs + 300,
        kind: Kind::TEXT,
        scope: scope.map(str::to_owned),
        cid: None,
        iss: None,
        aud: None,
    }
}
