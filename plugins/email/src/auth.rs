//! The webhook's authentication. Postmark does not sign inbound webhooks; the admin
//! puts HTTP basic-auth credentials in the webhook URL
//! (`https://user:password@guichet.example/v1/inbound/<address>`) and Postmark sends
//! them in an `Authorization: Basic …` header (RFC 7617).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The key of the tags the credentials are compared by; any constant does: the tags
/// only make the comparison take the same time whatever the credentials' lengths and
/// contents.
const TAG_KEY: &[u8] = b"guichet email adapter: basic auth";

/// Checks an `Authorization` header value against the configured credentials, in
/// constant time. `Err` explains a missing, unreadable or wrong header (without
/// repeating what was sent).
pub fn check_basic(
    authorization: Option<&str>,
    username: &str,
    password: &str,
) -> Result<(), String> {
    let Some(value) = authorization else {
        return Err("no Authorization header: the webhook URL carries no credentials".into());
    };
    let value = value.trim();
    let (scheme, credentials) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err("the Authorization header is not of the Basic scheme".into());
    }
    let Ok(given) = STANDARD.decode(credentials.trim()) else {
        return Err("the Basic credentials are not base64".into());
    };
    let expected = tag(format!("{username}:{password}").as_bytes());
    let mut mac = HmacSha256::new_from_slice(TAG_KEY).expect("HMAC takes any key length");
    mac.update(&given);
    mac.verify_slice(&expected)
        .map_err(|_| "wrong basic-auth credentials".to_string())
}

fn tag(bytes: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(TAG_KEY).expect("HMAC takes any key length");
    mac.update(bytes);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(credentials: &str) -> String {
        format!("Basic {}", STANDARD.encode(credentials))
    }

    #[test]
    fn the_right_credentials_pass() {
        assert_eq!(
            check_basic(Some(&basic("postmark:s3cret")), "postmark", "s3cret"),
            Ok(())
        );
        // The scheme is case-insensitive (RFC 7235); spaces around are ignored.
        let lower = format!("  basic   {}  ", STANDARD.encode("postmark:s3cret"));
        assert_eq!(check_basic(Some(&lower), "postmark", "s3cret"), Ok(()));
        // A password may hold `:`: only the first one separates (RFC 7617).
        assert_eq!(check_basic(Some(&basic("u:a:b")), "u", "a:b"), Ok(()));
    }

    #[test]
    fn wrong_or_missing_credentials_are_refused() {
        for header in [
            basic("postmark:wrong"),
            basic("other:s3cret"),
            basic("postmark:s3cret "),
            basic("postmark"),
            basic(""),
            "Basic".to_string(),
            "Basic !!!not-base64".to_string(),
            "Bearer s3cret".to_string(),
            STANDARD.encode("postmark:s3cret"),
        ] {
            assert!(
                check_basic(Some(&header), "postmark", "s3cret").is_err(),
                "{header}"
            );
        }
        let err = check_basic(None, "postmark", "s3cret").unwrap_err();
        assert!(err.contains("no Authorization header"), "{err}");
        let err = check_basic(Some(&basic("postmark:nope")), "postmark", "s3cret").unwrap_err();
        assert_eq!(err, "wrong basic-auth credentials");
    }
}
