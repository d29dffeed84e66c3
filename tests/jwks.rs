//! Passes signed with Ed25519 (feature `eddsa`), checked by another service with nothing but
//! the published JWK Set: here `jsonwebtoken`, an implementation that is not ours, reads
//! `/.well-known/jwks.json` and verifies a pass the guard also accepts.

mod common;

use axum::Router;
use common::*;
use http::StatusCode;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use tower_captcha::protocol::{AuthV1, Jwks};
use tower_captcha::{CaptchaLayer, PassClaims};

#[tokio::test]
async fn another_service_checks_passes_with_the_published_key_alone() {
    let h = Harness::with(|b| b.eddsa_signing_key("2026-11", [42u8; 32]));
    let app = Router::new()
        .route("/any", axum::routing::post(|| async { "any" }))
        .route_layer(h.captcha.require())
        .layer(
            CaptchaLayer::builder(h.captcha.clone())
                .mount(AuthV1::new())
                .mount(Jwks::new(&h.captcha))
                .build()
                .unwrap(),
        );
    let (status, headers, jwks) = send(&app, get_req("/.well-known/jwks.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "public, max-age=300");
    println!("{jwks}");
    assert!(
        !jwks.to_string().contains("\"d\""),
        "no private part in the published key"
    );

    let pass = h.pass(Some("login")).await;
    let set: JwkSet = serde_json::from_value(jwks).unwrap();
    let kid = decode_header(&pass).unwrap().kid.unwrap();
    let jwk = set.find(&kid).expect("the pass names a published key");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false; // the test's clock is not the verifier's
    validation.required_spec_claims.clear();
    let claims = decode::<PassClaims>(&pass, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("verified with the public key")
        .claims;
    assert_eq!(claims.scope.as_deref(), Some("login"));
    // A pass whose payload was changed fails there too.
    let mut parts: Vec<&str> = pass.split('.').collect();
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::to_vec(&serde_json::json!({"jti": claims.jti, "iat": claims.iat, "exp": claims.exp, "kind": "text"})).unwrap(),
    );
    parts[1] = &forged_payload;
    let forged = parts.join(".");
    assert!(
        decode::<PassClaims>(&forged, &DecodingKey::from_jwk(jwk).unwrap(), &validation).is_err()
    );
    // And the guard takes the pass once.
    assert_eq!(
        send(&app, post_with_token("/any", &pass)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, post_with_token("/any", &forged)).await.0,
        StatusCode::UNAUTHORIZED
    );
}
