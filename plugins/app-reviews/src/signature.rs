//! `X-Relay-Signature: sha256=<hex>`: the HMAC-SHA256 of the exact body, keyed by the
//! configured `relay_secret`, as the team's relay computes it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature header is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not `sha256=` followed by 64 hex digits.
    Unreadable,
    /// Well formed, but not the body's.
    Mismatch,
}

/// Checks `header` against `body`, in constant time.
pub fn verify(secret: &str, body: &[u8], header: &str) -> Result<(), Refusal> {
    let hex = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(Refusal::Unreadable)?;
    let expected = decode_hex(hex).ok_or(Refusal::Unreadable)?;
    if expected.len() != 32 {
        return Err(Refusal::Unreadable);
    }
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| Refusal::Mismatch)
}

/// The header value for `body`, as the relay sends it.
#[cfg(test)]
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let body = b"what do ya want for nothing?";
        let header = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(sign("Jefe", body), header);
        assert_eq!(verify("Jefe", body, header), Ok(()));
        assert_eq!(
            verify(
                "Jefe",
                body,
                &header.to_uppercase().replace("SHA256", "sha256")
            ),
            Ok(())
        );
    }

    #[test]
    fn refusals() {
        let body = br#"{"data": []}"#;
        let good = sign("secret", body);
        assert_eq!(verify("secret", body, &good), Ok(()));
        assert_eq!(verify("other", body, &good), Err(Refusal::Mismatch));
        assert_eq!(
            verify("secret", br#"{"data":[]}"#, &good),
            Err(Refusal::Mismatch)
        );
        assert_eq!(verify("secret", body, &good[7..]), Err(Refusal::Unreadable));
        assert_eq!(
            verify("secret", body, "sha256=zz"),
            Err(Refusal::Unreadable)
        );
        assert_eq!(
            verify("secret", body, "sha256=abcd"),
            Err(Refusal::Unreadable)
        );
        assert_eq!(verify("secret", body, ""), Err(Refusal::Unreadable));
    }
}
