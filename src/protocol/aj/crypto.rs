//! AJ-Captcha's cryptography: the per-challenge `secretKey` (derived from the app's secret,
//! so nothing is sealed or stored for it), the AES-128-ECB/PKCS#7 of `pointJson` and of the
//! ticket, and the ticket's format, `token---pointJson`. ECB is AJ's choice and part of its
//! wire format: the key is shown to the client, so it protects nothing against that client.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::Captcha;
use crate::kind::{Solution, points_from_json};

/// Challenge `id`'s `secretKey`: 16 characters of `[A-Za-z0-9]` from its challenge key (the
/// small bias of `% 62` does not matter: the key is shown to the client).
pub(crate) fn secret_key(captcha: &Captcha, id: &str) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    captcha.challenge_key(id, "aj secretKey")[..16]
        .iter()
        .map(|b| char::from(CHARS[usize::from(b % 62)]))
        .collect()
}

/// Reads `pointJson` of challenge `id`: a point or points as JSON (`{"x":109.275,"y":5}`,
/// `[{"x":85,"y":34}, ...]`), plain or as base64 AES-128-ECB-PKCS7 under the challenge's
/// `secretKey`; numbers are truncated to whole pixels. Also returns AJ's ticket,
/// `AES(secretKey, id + "---" + the JSON exactly as received)`, which AJ's widgets compute
/// themselves. Anything that does not decrypt or parse is a solution no challenge accepts
/// (a wrong answer), and earns no ticket.
pub(crate) fn open_point_json(
    captcha: &Captcha,
    id: &str,
    point_json: &str,
) -> (Solution, Option<String>) {
    let key = secret_key(captcha, id);
    let text = point_json.trim();
    let plain = if text.starts_with(['{', '[']) {
        Some(text.to_owned())
    } else {
        aes_ecb_decrypt(&key, text)
    };
    let read = plain.as_deref().and_then(|plain| {
        let value = serde_json::from_str(plain).ok()?;
        Some((points_from_json(&value)?, plain))
    });
    match read {
        Some((solution, plain)) => (solution, aes_ecb_encrypt(&key, &format!("{id}---{plain}"))),
        None => (Solution::Points(Vec::new()), None),
    }
}

type Aes128EcbEnc = ecb::Encryptor<aes::Aes128>;
type Aes128EcbDec = ecb::Decryptor<aes::Aes128>;

/// base64(AES-128-ECB-PKCS7(`key`, `plaintext`)), as AJ computes it. `key` must be 16 bytes;
/// `None` otherwise.
fn aes_ecb_encrypt(key: &str, plaintext: &str) -> Option<String> {
    let cipher = Aes128EcbEnc::new_from_slice(key.as_bytes()).ok()?;
    Some(STANDARD.encode(cipher.encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes())))
}

/// The UTF-8 plaintext of base64 `ciphertext` under `key`; `None` if anything is off.
fn aes_ecb_decrypt(key: &str, ciphertext: &str) -> Option<String> {
    let cipher = Aes128EcbDec::new_from_slice(key.as_bytes()).ok()?;
    let bytes = STANDARD.decode(ciphertext.trim()).ok()?;
    let plain = cipher.decrypt_padded_vec_mut::<Pkcs7>(&bytes).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Point;

    /// The AES test vectors of the protocol documents (key `XwKsGlMcdPMEhR1B`).
    #[test]
    fn aj_aes_test_vectors() {
        let key = "XwKsGlMcdPMEhR1B";
        let vectors = [
            (r#"{"x":205,"y":5}"#, "a5StZg8JbrTwLtn46Xiang=="),
            (
                r#"{"x":205.48387096774192,"y":5}"#,
                "S6Q9HP2/HTbxo3ePSFeKbxo7HwlpQbd2DiS2EEZPgbs=",
            ),
            (
                r#"71dd26999e314f9abb0c635336976635---{"x":205,"y":5}"#,
                "G9SZygOxPyG0IeLT0t3AYuAvIWVTh9WAN5L7dAQCf8W/WjaQrg+BsRazH2v5gpqatH5tYuGSg0d62stK9A+PUA==",
            ),
            (
                r#"[{"x":85,"y":34},{"x":129,"y":56},{"x":233,"y":27}]"#,
                "lEqMck+1hJxwM1DFfBeMSDmeM2MLmW6FMFv9NvoLBVdrYob0MYAgN6OS3X4+Z1gXHGT4ZrScm2tL/Qp9L2OYvw==",
            ),
        ];
        for (plain, cipher) in vectors {
            assert_eq!(aes_ecb_encrypt(key, plain).as_deref(), Some(cipher));
            assert_eq!(aes_ecb_decrypt(key, cipher).as_deref(), Some(plain));
        }
        assert_eq!(aes_ecb_encrypt("short", "x"), None);
        assert_eq!(aes_ecb_decrypt(key, "not base64!"), None);
        assert_eq!(aes_ecb_decrypt(key, "AAAA"), None, "not a whole block");
    }

    #[test]
    fn point_json_is_read_plain_or_under_the_challenges_key_and_makes_ajs_ticket() {
        let captcha = Captcha::builder()
            .secret([3u8; 32].to_vec())
            .build()
            .unwrap();
        let key = secret_key(&captcha, "tok");
        assert_eq!(key.len(), 16);
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(key, secret_key(&captcha, "tok2"));
        let json = r#"{"x":109.275,"y":5}"#;
        let (plain, ticket) = open_point_json(&captcha, "tok", json);
        assert_eq!(plain, Solution::Point(Point::new(109, 5)));
        let ticket = ticket.unwrap();
        assert_eq!(
            aes_ecb_decrypt(&key, &ticket).as_deref(),
            Some(r#"tok---{"x":109.275,"y":5}"#)
        );
        let sealed = aes_ecb_encrypt(&key, json).unwrap();
        assert_eq!(
            open_point_json(&captcha, "tok", &sealed),
            (Solution::Point(Point::new(109, 5)), Some(ticket))
        );
        // Under another challenge's key, or garbage: a wrong answer, no ticket.
        assert_eq!(
            open_point_json(&captcha, "tok2", &sealed),
            (Solution::Points(Vec::new()), None)
        );
        for bad in ["", "{", "[1,2]", "not base64 and no key"] {
            assert_eq!(open_point_json(&captcha, "tok", bad).1, None, "{bad:?}");
        }
    }
}
