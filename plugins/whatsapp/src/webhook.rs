//! What every Meta webhook request goes through before its content is read: the
//! verification handshake (`GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`)
//! and the `X-Hub-Signature-256` of a notification (`sha256=` then the hex HMAC-SHA256
//! of the raw body, keyed by the app secret).
//!
//! See <https://developers.facebook.com/docs/graph-api/webhooks/getting-started>.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::exports::guichet::plugin::adapter::{AdapterError, Header, HttpAnswer};

/// The answer to a verification request: the challenge, as plain text, when the mode
/// is `subscribe` and the verify token is the configured one.
pub fn handshake(path: &str, verify_token: &str) -> Result<HttpAnswer, AdapterError> {
    let query = path.split_once('?').map_or("", |(_, query)| query);
    let (mut mode, mut challenge, mut token) = (None, None, None);
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "hub.mode" => mode = Some(value.into_owned()),
            "hub.challenge" => challenge = Some(value.into_owned()),
            "hub.verify_token" => token = Some(value.into_owned()),
            _ => {}
        }
    }
    if mode.as_deref() != Some("subscribe") {
        return Err(AdapterError::Rejected(
            "a GET request is only a verification request with hub.mode=subscribe".into(),
        ));
    }
    if !token.is_some_and(|token| same(token.as_bytes(), verify_token.as_bytes())) {
        return Err(AdapterError::Rejected(
            "hub.verify_token is not the configured verify_token".into(),
        ));
    }
    let challenge = challenge
        .filter(|challenge| !challenge.is_empty())
        .ok_or_else(|| {
            AdapterError::Rejected("the verification request has no hub.challenge".into())
        })?;
    Ok(HttpAnswer {
        status: 200,
        headers: vec![Header {
            name: "content-type".into(),
            value: "text/plain".into(),
        }],
        body: challenge.into_bytes(),
    })
}

/// Checks `X-Hub-Signature-256` against the body, in constant time.
pub fn verify_signature(
    headers: &[Header],
    body: &[u8],
    app_secret: &str,
) -> Result<(), AdapterError> {
    let header = headers
        .iter()
        .find(|header| header.name == "x-hub-signature-256")
        .ok_or_else(|| AdapterError::Rejected("no X-Hub-Signature-256 header".into()))?;
    let signature = header
        .value
        .trim()
        .strip_prefix("sha256=")
        .and_then(hex)
        .ok_or_else(|| {
            AdapterError::Rejected("X-Hub-Signature-256 is not `sha256=` and a hex digest".into())
        })?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| AdapterError::Rejected("X-Hub-Signature-256 does not match the body".into()))
}

/// The bytes of a hex string (either case), if it is one.
fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}

/// Equality that takes as long whatever the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(value: &str) -> Vec<Header> {
        vec![Header {
            name: "x-hub-signature-256".into(),
            value: value.into(),
        }]
    }

    fn sign(body: &[u8], secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        let digest = mac.finalize().into_bytes();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256={hex}")
    }

    #[test]
    fn the_challenge_is_echoed_for_the_right_token() {
        let answer = handshake(
            "/?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock",
            "meatyhamhock",
        )
        .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, b"1158201444");
        assert_eq!(answer.headers[0].value, "text/plain");
    }

    #[test]
    fn the_token_is_percent_decoded() {
        let answer = handshake(
            "/?hub.mode=subscribe&hub.challenge=7&hub.verify_token=a%20b%2Bc",
            "a b+c",
        );
        assert!(answer.is_ok());
    }

    #[test]
    fn a_wrong_token_a_wrong_mode_or_no_challenge_is_rejected() {
        for path in [
            "/?hub.mode=subscribe&hub.challenge=1&hub.verify_token=other",
            "/?hub.mode=subscribe&hub.challenge=1",
            "/?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=tok",
            "/?hub.mode=subscribe&hub.verify_token=tok",
            "/",
        ] {
            assert!(
                matches!(handshake(path, "tok"), Err(AdapterError::Rejected(_))),
                "{path}"
            );
        }
    }

    #[test]
    fn a_signature_of_the_body_passes_in_either_case() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let signature = sign(body, "secret");
        assert!(verify_signature(&header(&signature), body, "secret").is_ok());
        let upper = format!("sha256={}", signature[7..].to_uppercase());
        assert!(verify_signature(&header(&upper), body, "secret").is_ok());
    }

    #[test]
    fn a_wrong_missing_or_garbled_signature_is_rejected() {
        let body = b"{}";
        let other_key = sign(body, "other");
        let other_body = sign(b"{ }", "secret");
        let sha1_form = format!("sha1={}", &sign(body, "secret")[7..]);
        for value in [
            other_key.as_str(),
            other_body.as_str(),
            &sha1_form,
            "sha256=zz",
            "sha256=abc",
            "sha256=+f",
        ] {
            assert!(matches!(
                verify_signature(&header(value), body, "secret"),
                Err(AdapterError::Rejected(_))
            ));
        }
        assert!(matches!(
            verify_signature(&[], body, "secret"),
            Err(AdapterError::Rejected(_))
        ));
    }
}
