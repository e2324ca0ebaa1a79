//! Replies as the stores' reply requests:
//! - App Store: `POST {app_store_base_url}/v1/customerReviewResponses`, JSON:API body
//!   (<https://developer.apple.com/documentation/appstoreconnectapi/post-v1-customerreviewresponses>);
//! - Google Play: `POST {google_play_base_url}/androidpublisher/v3/applications/{package}/reviews/{reviewId}:reply`,
//!   body `{"replyText": …}` (<https://developers.google.com/android-publisher/api-ref/rest/v3/reviews/reply>).
//!
//! Both stores keep one reply per review and replace it on each request, so only the
//! last public reply of a batch is sent.

use serde_json::json;

use crate::config::Config;
use crate::reviews::Store;

/// A request for the host to send, before conversion to the WIT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Reads a ticket's `external-id` (`app-store:<id>`, `google-play:<id>`).
pub fn review_of(external_id: Option<&str>) -> Result<(Store, &str), String> {
    let external_id = external_id.ok_or("the ticket has no store review id (external id)")?;
    let (store, id) = external_id
        .split_once(':')
        .ok_or_else(|| format!("external id `{external_id}` is not `<store>:<review id>`"))?;
    let store = Store::from_header(store)
        .ok_or_else(|| format!("external id `{external_id}` names no store this adapter knows"))?;
    if id.is_empty() {
        return Err(format!("external id `{external_id}` has no review id"));
    }
    Ok((store, id))
}

/// The reply request for the last of `replies` (the texts of the public replies meant
/// for the review), none when there is none.
pub fn render(
    config: &Config,
    external_id: Option<&str>,
    replies: &[String],
) -> Result<Vec<Request>, String> {
    let Some(reply) = replies.last() else {
        return Ok(Vec::new());
    };
    let (store, id) = review_of(external_id)?;
    let (url, body, auth) = match store {
        Store::AppStore => (
            format!("{}/v1/customerReviewResponses", config.app_store_base_url),
            json!({
                "data": {
                    "type": "customerReviewResponses",
                    "attributes": { "responseBody": reply },
                    "relationships": {
                        "review": { "data": { "type": "customerReviews", "id": id } }
                    }
                }
            }),
            config.app_store_auth(),
        ),
        Store::GooglePlay => {
            let package = config
                .package_name
                .as_deref()
                .ok_or("replying on Google Play needs `package_name` in the configuration")?;
            (
                format!(
                    "{}/androidpublisher/v3/applications/{}/reviews/{}:reply",
                    config.google_play_base_url,
                    path_segment(package),
                    path_segment(id)
                ),
                json!({ "replyText": reply }),
                config.google_play_auth(),
            )
        }
    };
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if let Some(auth) = auth {
        headers.push(("authorization".to_string(), auth.to_string()));
    }
    Ok(vec![Request {
        method: "POST".to_string(),
        url,
        headers,
        body: body.to_string(),
    }])
}

/// `text` as one URL path segment: unreserved characters and `:` as they are (Google
/// Play review ids look like `gp:AOqpTO…`), everything else percent-encoded.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn config(extra: &str) -> Config {
        Config::parse(&format!(r#"{{"relay_secret": "s"{extra}}}"#)).unwrap()
    }

    #[test]
    fn app_store_reply() {
        let requests = render(
            &config(r#", "app_store_authorization": "Bearer jwt""#),
            Some("app-store:00000028-b08c-0014-729e-fbd500000000"),
            &["first draft".into(), "Thanks! Fixed in 2.1.".into()],
        )
        .unwrap();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!(
            r.url,
            "https://api.appstoreconnect.apple.com/v1/customerReviewResponses"
        );
        assert!(
            r.headers
                .contains(&("authorization".into(), "Bearer jwt".into()))
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"data": {"type": "customerReviewResponses",
                "attributes": {"responseBody": "Thanks! Fixed in 2.1."},
                "relationships": {"review": {"data": {"type": "customerReviews",
                    "id": "00000028-b08c-0014-729e-fbd500000000"}}}}})
        );
    }

    #[test]
    fn google_play_reply_through_a_relay_without_credentials() {
        let requests = render(
            &config(r#", "package_name": "com.example.app", "google_play_base_url": "https://relay.example/play""#),
            Some("google-play:gp:AOqpTO/x y"),
            &["Merci !".into()],
        )
        .unwrap();
        let r = &requests[0];
        assert_eq!(
            r.url,
            "https://relay.example/play/androidpublisher/v3/applications/com.example.app/reviews/gp:AOqpTO%2Fx%20y:reply"
        );
        assert_eq!(
            r.headers,
            [("content-type".to_string(), "application/json".to_string())]
        );
        assert_eq!(r.body, r#"{"replyText":"Merci !"}"#);
    }

    #[test]
    fn refusals_and_nothing_to_send() {
        assert!(render(&config(""), None, &[]).unwrap().is_empty());
        assert!(render(&config(""), None, &["x".into()]).is_err());
        assert!(render(&config(""), Some("itunes:1"), &["x".into()]).is_err());
        assert!(render(&config(""), Some("app-store:"), &["x".into()]).is_err());
        let err = render(&config(""), Some("google-play:gp:1"), &["x".into()]).unwrap_err();
        assert!(err.contains("package_name"), "{err}");
    }
}
