//! Chatwoot's webhook signature.
//!
//! `Webhooks::Trigger#request_headers` (lib/webhooks/trigger.rb) signs a delivery
//! when the webhook has a secret:
//!
//! ```ruby
//! headers['X-Chatwoot-Delivery'] = @delivery_id if @delivery_id.present?
//! if @secret.present?
//!   ts = Time.now.to_i.to_s
//!   headers['X-Chatwoot-Timestamp'] = ts
//!   headers['X-Chatwoot-Signature'] = "sha256=#{OpenSSL::HMAC.hexdigest('SHA256', @secret, "#{ts}.#{body}")}"
//! end
//! ```
//!
//! HMAC-SHA256 keyed with the secret, over `{timestamp}.{raw body}`, lower-case hex,
//! prefixed `sha256=`. A retry keeps the delivery id and the body but is signed again
//! with a fresh timestamp. Chatwoot documents no freshness window, so none is
//! enforced here: a replay is caught by its delivery id instead.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header with the signature.
pub const SIGNATURE_HEADER: &str = "x-chatwoot-signature";
/// The header with the Unix time the signature covers.
pub const TIMESTAMP_HEADER: &str = "x-chatwoot-timestamp";
/// The header with the delivery's id (a UUID, the same on retries).
pub const DELIVERY_HEADER: &str = "x-chatwoot-delivery";

/// The value of header `name` (lower case), the first if repeated.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    hex.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// Checks the delivery's signature with `secret`, in constant time. `Err` explains a
/// missing or wrong one.
pub fn verify(secret: &str, headers: &[(String, String)], body: &[u8]) -> Result<(), String> {
    let signature = header(headers, SIGNATURE_HEADER)
        .filter(|v| !v.is_empty())
        .ok_or("no X-Chatwoot-Signature header: is the webhook's secret set in Chatwoot?")?;
    let timestamp = header(headers, TIMESTAMP_HEADER)
        .filter(|v| !v.is_empty())
        .ok_or("no X-Chatwoot-Timestamp header")?;
    let hex = signature
        .strip_prefix("sha256=")
        .ok_or("X-Chatwoot-Signature does not start with `sha256=`")?;
    let expected = hex_decode(hex).ok_or("X-Chatwoot-Signature is not hexadecimal")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| "the webhook secret cannot key an HMAC".to_string())?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| "X-Chatwoot-Signature does not match the body".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn sign(secret: &str, ts: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(ts.as_bytes());
        mac.update(b".");
        mac.update(body);
        let bytes = mac.finalize().into_bytes();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256={hex}")
    }

    #[test]
    fn accepts_chatwoots_signature() {
        let body = br#"{"event":"message_created"}"#;
        let sig = sign("secret", "1773134100", body);
        let h = headers(&[
            ("x-chatwoot-timestamp", "1773134100"),
            ("x-chatwoot-signature", &sig),
        ]);
        assert_eq!(verify("secret", &h, body), Ok(()));
    }

    #[test]
    fn matches_an_independent_computation() {
        let body = br#"{"event":"message_created"}"#;
        assert_eq!(sign("secret", "1773134100", body), SIG_FROM_PYTHON);
        let h = headers(&[
            ("x-chatwoot-timestamp", "1773134100"),
            ("x-chatwoot-signature", SIG_FROM_PYTHON),
        ]);
        assert_eq!(verify("secret", &h, body), Ok(()));
    }

    // python3 -c "import hmac,hashlib;print(hmac.new(b'secret',
    //   b'1773134100.{\"event\":\"message_created\"}', hashlib.sha256).hexdigest())"
    const SIG_FROM_PYTHON: &str =
        "sha256=3a48341f0826acf9222754be32ae75e9ef2ac4059c4d0747f89a3b4907853d15";

    #[test]
    fn refuses_a_wrong_or_missing_signature() {
        let body = br#"{"event":"message_created"}"#;
        let sig = sign("other", "1773134100", body);
        let h = headers(&[
            ("x-chatwoot-timestamp", "1773134100"),
            ("x-chatwoot-signature", &sig),
        ]);
        assert!(verify("secret", &h, body).is_err());

        // The timestamp is signed too.
        let sig = sign("secret", "1773134100", body);
        let h = headers(&[
            ("x-chatwoot-timestamp", "1773134101"),
            ("x-chatwoot-signature", &sig),
        ]);
        assert!(verify("secret", &h, body).is_err());

        let h = headers(&[("x-chatwoot-timestamp", "1773134100")]);
        assert!(
            verify("secret", &h, body)
                .unwrap_err()
                .contains("no X-Chatwoot-Signature")
        );
        let h = headers(&[("x-chatwoot-signature", &sig)]);
        assert!(verify("secret", &h, body).is_err());
        let h = headers(&[
            ("x-chatwoot-timestamp", "1773134100"),
            ("x-chatwoot-signature", "sha256=zz"),
        ]);
        assert!(verify("secret", &h, body).is_err());
        let h = headers(&[
            ("x-chatwoot-timestamp", "1773134100"),
            ("x-chatwoot-signature", &sig[7..]),
        ]);
        assert!(verify("secret", &h, body).is_err());
    }
}
