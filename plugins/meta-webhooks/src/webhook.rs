//! What every Meta webhook request goes through before its content is read: the
//! verification handshake (`GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`)
//! and the `X-Hub-Signature-256` of a notification (`sha256=` then the hex HMAC-SHA256
//! of the raw body, keyed by the app secret).
//!
//! See <https://developers.facebook.com/docs/graph-api/webhooks/getting-started>.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Config;

/// The content type of the answer to a verification request (its body is the
/// challenge, status 200).
pub const CHALLENGE_CONTENT_TYPE: &str = "text/plain";

/// A request that passed [`accept`].
#[derive(Debug, PartialEq)]
pub enum Incoming<'a> {
    /// A verification request with the right token: answer `challenge`, as
    /// [`CHALLENGE_CONTENT_TYPE`], with status 200.
    Verification { challenge: String },
    /// A notification whose signature is the app's: `body` is to be read.
    Notification { body: &'a [u8] },
}

/// Reads a request: a handshake (GET) or a signed notification (POST); anything else
/// is refused, with why (for a `rejected` error). `headers` are (name, value), names in
/// lower case.
pub fn accept<'a, 'h>(
    method: &str,
    path: &str,
    headers: impl IntoIterator<Item = (&'h str, &'h str)>,
    body: &'a [u8],
    config: &Config,
) -> Result<Incoming<'a>, String> {
    match method {
        "GET" => handshake(path, &config.verify_token)
            .map(|challenge| Incoming::Verification { challenge }),
        "POST" => {
            verify_signature(headers, body, &config.app_secret)?;
            Ok(Incoming::Notification { body })
        }
        other => Err(format!("{other} is not a method Meta's webhooks use")),
    }
}

/// The challenge to answer a verification request with, when the mode is `subscribe`
/// and the verify token is the configured one.
pub fn handshake(path: &str, verify_token: &str) -> Result<String, String> {
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
        return Err("a GET request is only a verification request with hub.mode=subscribe".into());
    }
    if !token.is_some_and(|token| same(token.as_bytes(), verify_token.as_bytes())) {
        return Err("hub.verify_token is not the configured verify_token".into());
    }
    challenge
        .filter(|challenge| !challenge.is_empty())
        .ok_or_else(|| "the verification request has no hub.challenge".into())
}

/// Checks `X-Hub-Signature-256` (among `headers`, names in lower case) against the
/// body, in constant time.
pub fn verify_signature<'h>(
    headers: impl IntoIterator<Item = (&'h str, &'h str)>,
    body: &[u8],
    app_secret: &str,
) -> Result<(), String> {
    let (_, value) = headers
        .into_iter()
        .find(|(name, _)| *name == "x-hub-signature-256")
        .ok_or("no X-Hub-Signature-256 header")?;
    let signature = value
        .trim()
        .strip_prefix("sha256=")
        .and_then(hex)
        .ok_or("X-Hub-Signature-256 is not `sha256=` and a hex digest")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| "X-Hub-Signature-256 does not match the body".into())
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
    use crate::config::Keys;

    fn header(value: &str) -> [(&str, &str); 1] {
        [("x-hub-signature-256", value)]
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
        let challenge = handshake(
            "/?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock",
            "meatyhamhock",
        )
        .unwrap();
        assert_eq!(challenge, "1158201444");
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
            "/?hub.mode=subscribe&hub.challenge=&hub.verify_token=tok",
            "/",
        ] {
            assert!(handshake(path, "tok").is_err(), "{path}");
        }
    }

    #[test]
    fn a_signature_of_the_body_passes_in_either_case() {
        for body in [
            &br#"{"object":"whatsapp_business_account","entry":[]}"#[..],
            br#"{"object":"page","entry":[]}"#,
        ] {
            let signature = sign(body, "secret");
            assert!(verify_signature(header(&signature), body, "secret").is_ok());
            let upper = format!("sha256={}", signature[7..].to_uppercase());
            assert!(verify_signature(header(&upper), body, "secret").is_ok());
        }
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
            assert!(verify_signature(header(value), body, "secret").is_err());
        }
        assert!(verify_signature([], body, "secret").is_err());
    }

    #[test]
    fn accept_tells_a_handshake_from_a_notification() {
        let keys = Keys {
            adapter: "test",
            access_token: "access_token",
            node_id: "node_id",
            node_id_is: "a node id",
        };
        let config = Config::parse(
            r#"{"app_secret":"secret","verify_token":"tok","access_token":"t","node_id":"1"}"#,
            &keys,
        )
        .unwrap();
        let handshake = "/?hub.mode=subscribe&hub.challenge=42&hub.verify_token=tok";
        assert_eq!(
            accept("GET", handshake, [], b"", &config),
            Ok(Incoming::Verification {
                challenge: "42".into()
            })
        );
        let body = br#"{"object":"page","entry":[]}"#;
        let signature = sign(body, "secret");
        let headers = [
            ("content-type", "application/json"),
            ("x-hub-signature-256", &signature),
        ];
        assert_eq!(
            accept("POST", "/", headers, body, &config),
            Ok(Incoming::Notification { body })
        );
        assert!(accept("POST", "/", [], body, &config).is_err());
        assert_eq!(
            accept("PUT", handshake, headers, body, &config),
            Err("PUT is not a method Meta's webhooks use".into())
        );
    }
}
