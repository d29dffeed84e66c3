//! For tests (feature `test-util`): a test-mode engine (`Captcha::insecure_test_mode`, see
//! [`TestMode`]) whose guard accepts [`TEST_PASS`], for testing an app's protected routes
//! without solving anything; a clock that moves only when told to; and, with
//! `CaptchaBuilder::insecure_seeded_rng` and `Captcha::answer_of`, what a test needs to
//! solve real challenges. Never enable `test-util` in a production build.

#[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
pub use crate::engine::test_mode::{TEST_PASS, TestMode};
#[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
pub use manual::ManualClock;

#[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
mod manual {
    use std::fmt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use crate::clock::Clock;

    /// A clock that moves only when told to: for tests of expiry (feature `test-util`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_captcha::clock::Clock;
    /// use tower_captcha::testing::ManualClock;
    ///
    /// let clock = ManualClock::new(1_000);
    /// clock.advance(Duration::from_secs(2));
    /// assert_eq!(clock.now_millis(), 3_000);
    /// ```
    #[derive(Clone, Default)]
    pub struct ManualClock(Arc<AtomicU64>);

    impl ManualClock {
        /// A clock that reads `start_millis` until advanced.
        pub fn new(start_millis: u64) -> Self {
            Self(Arc::new(AtomicU64::new(start_millis)))
        }

        /// Moves the clock forward (every clone sees the change).
        pub fn advance(&self, by: Duration) {
            let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
            self.0.fetch_add(ms, Ordering::SeqCst);
        }

        /// Sets the clock to `millis`, forwards or backwards (a clock stepped by NTP).
        pub fn set(&self, millis: u64) {
            self.0.store(millis, Ordering::SeqCst);
        }
    }

    impl Clock for ManualClock {
        fn now_millis(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    impl fmt::Debug for ManualClock {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_tuple("ManualClock")
                .field(&self.now_millis())
                .finish()
        }
    }
}

/// (Feature `test-util`.) A generated landscape of `width` x `height` as PNG, the backgrounds the slider and
/// click-word kinds draw on, from a seeded generator: for measurement scripts that build
/// reference puzzles on the same backgrounds.
#[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
pub fn landscape_png(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let img = crate::render::scene::landscape(width, height, &mut rng);
    crate::render::slider::encode(img.as_raw(), width, height, false).unwrap_or_default()
}

/// Drives a future to completion on this thread, yielding between polls (unit tests).
/// `text` (ASCII letters and digits) spoken as the text kind's audio challenge speaks it, as a
/// WAV file, with its noise or (`noise: false`) the very same voice alone: for measuring how
/// well people and recognisers hear it. `None` for a character without a voice.
#[cfg(any(feature = "test-util", all(doc, not(docsrs))))]
pub fn spoken_wav(text: &str, seed: u64, noise: bool) -> Option<Vec<u8>> {
    use rand::SeedableRng as _;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    crate::render::audio::speak_over(text, &mut rng, noise).ok()
}

#[cfg(test)]
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
