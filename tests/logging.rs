//! Every admitted verify outcome is logged with its reason, refusals are sampled (one line per
//! 10 s), and no answer, id, token or key ever
//! appears in the logs.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use http::StatusCode;
use tower_captcha::{Kind, RateLimit};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn outcomes_are_logged_without_secrets() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::with(|b| {
        b.verify_rate_limit(Some(RateLimit::new(100, std::time::Duration::from_secs(1))))
            .kind(tower_captcha::TextOptions::default().with_max_attempts(2))
    });
    let address: std::net::IpAddr = "192.0.2.1".parse().unwrap();
    let client = Some(tower_captcha::ClientKey::from(address));
    let c = h
        .captcha
        .issue(Kind::TEXT)
        .scope("login")
        .client_key(client)
        .await
        .unwrap();
    let answer = h.answer(&c.id);
    let _ = h.captcha.verify(&c.id, "WRONG").client_key(client).await;
    let pass = h
        .captcha
        .verify(&c.id, &answer)
        .client_key(client)
        .await
        .unwrap();
    let _ = h.captcha.verify(&c.id, &answer).client_key(client).await;
    let _ = h
        .captcha
        .verify("not an id", &answer)
        .client_key(client)
        .await;
    let _ = h
        .captcha
        .verify("AAAAAAAAAAAAAAAAAAAAAA", &answer)
        .client_key(client)
        .await;
    let locked = h.captcha.issue(Kind::TEXT).await.unwrap();
    let _ = h
        .captcha
        .verify(&locked.id, "WRONG")
        .client_key(client)
        .await;
    let _ = h
        .captcha
        .verify(&locked.id, "WRONG")
        .client_key(client)
        .await;
    let _ = h
        .captcha
        .verify(&locked.id, "WRONG")
        .client_key(client)
        .await;
    let (status, _, _) = send(&h.app(), post_with_token("/any", &pass.token)).await;
    assert_eq!(status, StatusCode::OK);
    let _ = send(&h.app(), post_with_token("/any", &pass.token)).await;
    let late = h.captcha.issue(Kind::TEXT).await.unwrap();
    h.clock.advance(std::time::Duration::from_secs(301));
    let _ = h.captcha.verify(&late.id, "WRONG").client_key(client).await;
    // Over the verify limit.
    let limited = Harness::with(|b| {
        b.verify_rate_limit(Some(RateLimit::new(1, std::time::Duration::from_secs(60))))
    });
    let _ = limited.captcha.verify("x", "y").client_key(client).await;
    let _ = limited.captcha.verify("x", "y").client_key(client).await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for outcome in [
        "outcome=\"passed\"",
        "outcome=\"wrong\"",
        "outcome=\"used\"",
        "outcome=\"expired\"",
        "outcome=\"unknown\"",
        "outcome=\"locked\"",
        "outcome=\"rate_limited\"",
    ] {
        assert!(text.contains(outcome), "{outcome} missing from:\n{text}");
    }
    assert!(
        text.contains("client="),
        "verify lines name the client by a keyed hash:\n{text}"
    );
    for outcome in ["accepted", "used"] {
        let line = format!("captcha redeem outcome=\"{outcome}\"");
        assert!(text.contains(&line), "{line} missing:\n{text}");
    }
    let secrets = [
        answer.as_str(),
        h.answer(&locked.id).leak(),
        c.id.as_str(),
        locked.id.as_str(),
        late.id.as_str(),
        pass.token.as_str(),
        pass.token.split('.').nth(1).unwrap(),
        std::str::from_utf8(SECRET).unwrap(),
        "192.0.2.1",
    ];
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "a secret ({secret}) was logged:\n{text}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_flood_of_refused_verifies_writes_one_line_per_ten_seconds() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let h = Harness::with(|b| {
        b.verify_rate_limit(Some(RateLimit::new(2, std::time::Duration::from_secs(60))))
    });
    let client = Some(tower_captcha::ClientKey::from(std::net::IpAddr::from([
        192, 0, 2, 9,
    ])));
    // 2 admitted garbage verifies, then 1 000 refused, all in the same instant; 10 s later,
    // 1 000 more.
    for _ in 0..1_002 {
        let _ = h.captcha.verify("garbage", "x").client_key(client).await;
    }
    h.clock.advance(std::time::Duration::from_secs(10));
    for _ in 0..1_000 {
        let _ = h.captcha.verify("garbage", "x").client_key(client).await;
    }
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("captcha verify"))
        .collect();
    let refused: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("outcome=\"rate_limited\""))
        .collect();
    println!(
        "2 000 refused and 2 admitted verifies wrote {} lines:\n{}",
        lines.len(),
        lines.join("\n")
    );
    assert_eq!(
        lines.len() - refused.len(),
        2,
        "every admitted verify is logged"
    );
    assert_eq!(refused.len(), 2, "one refusal line per 10 s window");
    assert!(
        refused[0].contains("refusals_not_logged=0"),
        "{}",
        refused[0]
    );
    assert!(
        refused[1].contains("refusals_not_logged=999"),
        "{}",
        refused[1]
    );
}
