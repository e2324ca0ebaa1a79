//! `X-Twilio-Signature`: Twilio's request signature, checked the way Twilio documents
//! it (<https://www.twilio.com/docs/usage/webhooks/webhooks-security>): take the full
//! URL configured in Twilio, query string included and left as it is; append each
//! POST parameter's name then value, parameters sorted by name (values of a repeated
//! name sorted too), without separators; HMAC-SHA1 keyed by the account's auth token;
//! base64. Twilio's helper libraries also accept the URL with the scheme's default
//! port added or removed (Twilio may sign either form), and so does this check.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The string Twilio signs: `url` then every parameter's name and value, sorted.
pub fn signed_string(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut out = String::from(url);
    for (name, value) in sorted {
        out.push_str(name);
        out.push_str(value);
    }
    out
}

/// The base64 signature Twilio computes for `url` and `params` with `auth_token`.
#[cfg(test)]
pub fn compute(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(signed_string(url, params).as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (the header's value) is Twilio's for this request, compared in
/// constant time.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    let signed_tail = signed_string("", params);
    url_variants(url).iter().any(|candidate| {
        let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
        mac.update(candidate.as_bytes());
        mac.update(signed_tail.as_bytes());
        mac.verify_slice(&expected).is_ok()
    })
}

/// `url` as given, without its port, and with the scheme's default port: the forms
/// Twilio's own validators try.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return variants;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return variants,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((user, hostport)) => (format!("{user}@"), hostport),
        None => (String::new(), authority),
    };
    // An IPv6 literal's colons are not a port's.
    let port_at = match hostport.rfind(']') {
        Some(close) => hostport[close..].find(':').map(|i| close + i),
        None => hostport.rfind(':'),
    };
    let host = port_at.map_or(hostport, |at| &hostport[..at]);
    for candidate in [
        format!("{scheme}://{userinfo}{host}{tail}"),
        format!("{scheme}://{userinfo}{host}:{default_port}{tail}"),
    ] {
        if !variants.contains(&candidate) {
            variants.push(candidate);
        }
    }
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The example of Twilio's security documentation: the query string stays in the
    /// URL as configured, the POST parameters are sorted and appended.
    #[test]
    fn twilio_documented_example() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let p = params(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        assert_eq!(compute("12345", url, &p), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify("12345", url, &p, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    }

    #[test]
    fn order_of_parameters_in_the_body_does_not_matter() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let p = params(&[
            ("To", "+18005551212"),
            ("Digits", "1234"),
            ("CallSid", "CA1234567890ABCDE"),
            ("From", "+12349013030"),
            ("Caller", "+12349013030"),
        ]);
        assert!(verify("12345", url, &p, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    }

    #[test]
    fn a_wrong_token_url_parameter_or_garbage_fails() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let p = params(&[("CallSid", "CA1"), ("From", "+1")]);
        let good = compute("12345", url, &p);
        assert!(verify("12345", url, &p, &good));
        assert!(!verify("54321", url, &p, &good));
        assert!(!verify(
            "12345",
            "https://mycompany.com/myapp.php",
            &p,
            &good
        ));
        assert!(!verify(
            "12345",
            url,
            &params(&[("CallSid", "CA2"), ("From", "+1")]),
            &good
        ));
        assert!(!verify("12345", url, &p, "not base64!"));
        assert!(!verify("12345", url, &p, ""));
    }

    #[test]
    fn default_port_added_or_removed_still_verifies() {
        let p = params(&[("CallSid", "CA1")]);
        let with_port = compute("t", "https://g.example:443/v1/inbound/x?a=1", &p);
        assert!(verify(
            "t",
            "https://g.example/v1/inbound/x?a=1",
            &p,
            &with_port
        ));
        let without = compute("t", "https://g.example/v1/inbound/x", &p);
        assert!(verify(
            "t",
            "https://g.example:443/v1/inbound/x",
            &p,
            &without
        ));
        assert_eq!(
            url_variants("http://[::1]:8080/h"),
            ["http://[::1]:8080/h", "http://[::1]/h", "http://[::1]:80/h"]
        );
    }
}
