//! The store API responses the relay posts, read into reviews.
//!
//! - App Store Connect, `GET /v1/apps/{id}/customerReviews` (JSON:API): `data[]` of
//!   `customerReviews` with `id` and `attributes` `rating`, `title`, `body`,
//!   `reviewerNickname`, `createdDate`, `territory`
//!   (<https://developer.apple.com/documentation/appstoreconnectapi/get-v1-apps-_id_-customerreviews>).
//!   A single review (`GET /v1/customerReviews/{id}`, `data` an object) is read too.
//! - Google Play, `GET /androidpublisher/v3/applications/{packageName}/reviews`:
//!   `reviews[]` with `reviewId`, `authorName`, `comments[]` whose `userComment` has
//!   `text`, `lastModified` `{seconds, nanos}`, `starRating`, `reviewerLanguage`,
//!   `appVersionName`, ... (<https://developers.google.com/android-publisher/api-ref/rest/v3/reviews>).
//!   A single review (`reviews.get`) is read too.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::time::parse_iso8601;

/// Which store a review is from; its name prefixes the ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    AppStore,
    GooglePlay,
}

impl Store {
    /// Reads the `X-Relay-Store` header's value.
    pub fn from_header(value: &str) -> Option<Store> {
        match value.trim() {
            "app-store" => Some(Store::AppStore),
            "google-play" => Some(Store::GooglePlay),
            _ => None,
        }
    }

    /// The name used in the header and in ids.
    pub fn name(self) -> &'static str {
        match self {
            Store::AppStore => "app-store",
            Store::GooglePlay => "google-play",
        }
    }
}

/// One review, ready to become a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub store: Store,
    /// The review's id in the store.
    pub id: String,
    /// The reviewer's nickname (App Store) or name (Google Play), if given.
    pub author: Option<String>,
    /// The title, when the store has one.
    pub title: Option<String>,
    /// The text.
    pub body: String,
    /// Stars, 1 to 5.
    pub rating: i64,
    /// When it was written or last edited, per the store.
    pub written_at_ms: i64,
    /// What changes when the reviewer edits it (see [`Review::external_message_id`]).
    pub version: String,
    /// The reviewer's language (Google Play), as a BCP 47 tag.
    pub language: Option<String>,
    /// The App Store territory (`USA`).
    pub territory: Option<String>,
    /// The app version reviewed (Google Play).
    pub app_version: Option<String>,
}

impl Review {
    /// `<store>:<review id>`: one guichet ticket per review.
    pub fn external_ticket_id(&self) -> String {
        format!("{}:{}", self.store.name(), self.id)
    }

    /// `<store>:<review id>:<version>`: a new id when the reviewer edits the review (a
    /// new message on the same ticket), the same id for an unchanged review (ignored
    /// by the host).
    pub fn external_message_id(&self) -> String {
        format!("{}:{}:{}", self.store.name(), self.id, self.version)
    }

    /// The ticket's subject: the rating in stars, then the title if any
    /// (`★★☆☆☆ Crashes at launch`).
    pub fn subject(&self) -> String {
        let filled = usize::try_from(self.rating.clamp(0, 5)).unwrap_or(0);
        let stars = "★".repeat(filled) + &"☆".repeat(5 - filled);
        match &self.title {
            Some(title) => format!("{stars} {title}"),
            None => stars,
        }
    }

    /// The `app-store` identity: the reviewer's name, or the review's own id when the
    /// store gives none (so the requester is never without an identity).
    pub fn identity(&self) -> String {
        self.author
            .clone()
            .unwrap_or_else(|| self.external_ticket_id())
    }
}

fn text(value: &Value) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A JSON integer, or a string holding one (protobuf's int64 in JSON).
fn integer(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Reads the body the relay posted for `store`.
pub fn read(store: Store, body: &[u8]) -> Result<Vec<Review>, String> {
    let json: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    if !json.is_object() {
        return Err("the body is not a JSON object".to_string());
    }
    match store {
        Store::AppStore => read_app_store(&json),
        Store::GooglePlay => read_google_play(&json),
    }
}

fn read_app_store(json: &Value) -> Result<Vec<Review>, String> {
    let resources: Vec<&Value> = match &json["data"] {
        Value::Array(items) => items.iter().collect(),
        item @ Value::Object(_) => vec![item],
        _ => {
            return Err("not an App Store Connect customerReviews response: no `data`".to_string());
        }
    };
    resources
        .into_iter()
        .filter(|r| r["type"] == "customerReviews")
        .map(app_store_review)
        .collect()
}

fn app_store_review(resource: &Value) -> Result<Review, String> {
    let id = text(&resource["id"]).ok_or("a customerReviews resource has no `id`")?;
    let attributes = &resource["attributes"];
    let rating = integer(&attributes["rating"])
        .ok_or_else(|| format!("customer review {id} has no `rating`"))?;
    let created = attributes["createdDate"].as_str().unwrap_or_default();
    let written_at_ms = parse_iso8601(created)
        .ok_or_else(|| format!("customer review {id} has no readable `createdDate`"))?;
    let title = text(&attributes["title"]);
    let body = text(&attributes["body"]).unwrap_or_default();
    // App Store Connect gives no last-modified date, and says nothing of an edit: the
    // version is the creation date and a digest of what the reviewer wrote, so an
    // edit shows whether or not Apple moves the date.
    let mut digest = Sha256::new();
    digest.update(rating.to_string());
    digest.update([0]);
    digest.update(title.as_deref().unwrap_or_default());
    digest.update([0]);
    digest.update(&body);
    let digest: String = digest.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Review {
        store: Store::AppStore,
        author: text(&attributes["reviewerNickname"]),
        title,
        body,
        rating,
        written_at_ms,
        version: format!("{created}:{digest}"),
        language: None,
        territory: text(&attributes["territory"]),
        app_version: None,
        id,
    })
}

fn read_google_play(json: &Value) -> Result<Vec<Review>, String> {
    if json.get("reviewId").is_some() {
        return google_play_review(json).map(|r| r.into_iter().collect());
    }
    match json.get("reviews") {
        // Google leaves `reviews` out when there are none.
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| google_play_review(item).transpose())
            .collect(),
        Some(_) => Err("`reviews` is not a list".to_string()),
    }
}

/// A review's user comment, or `None` for a review with only the developer's reply.
fn google_play_review(review: &Value) -> Result<Option<Review>, String> {
    let id = text(&review["reviewId"]).ok_or("a review has no `reviewId`")?;
    let Some(comment) = review["comments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| &c["userComment"])
        .find(|c| c.is_object())
    else {
        return Ok(None);
    };
    let seconds = integer(&comment["lastModified"]["seconds"])
        .ok_or_else(|| format!("review {id} has no `lastModified.seconds`"))?;
    let nanos = integer(&comment["lastModified"]["nanos"]).unwrap_or(0);
    let rating = integer(&comment["starRating"])
        .ok_or_else(|| format!("review {id} has no `starRating`"))?;
    // "In some cases users have been able to write a review with separate title and
    // body; in those cases the title and body are concatenated and separated by a tab
    // character."
    let full = comment["text"].as_str().unwrap_or_default();
    let (title, body) = match full.split_once('\t') {
        Some((title, body)) => (text(&Value::from(title)), body.trim().to_string()),
        None => (None, full.trim().to_string()),
    };
    Ok(Some(Review {
        store: Store::GooglePlay,
        author: text(&review["authorName"]),
        title,
        body,
        rating,
        written_at_ms: seconds * 1_000 + nanos / 1_000_000,
        version: if nanos == 0 {
            seconds.to_string()
        } else {
            format!("{seconds}.{nanos:09}")
        },
        language: text(&comment["reviewerLanguage"]).map(|l| l.replace('_', "-")),
        territory: None,
        app_version: text(&comment["appVersionName"]),
        id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Apple's documented example response.
    const APPLE: &str = r#"{
      "data": [{
        "type": "customerReviews",
        "id": "00000028-b08c-0014-729e-fbd500000000",
        "attributes": {
          "rating": 5,
          "title": "Awesome!!!",
          "body": "It's a really fantastic app!",
          "reviewerNickname": "Anne Johnson",
          "createdDate": "2017-11-15T08:10:34-08:00",
          "territory": "USA"
        },
        "relationships": {"response": {"links": {
          "self": "https://api.appstoreconnect.apple.com/v1/customerReviews/00000028-b08c-0014-729e-fbd500000000/relationships/response",
          "related": "https://api.appstoreconnect.apple.com/v1/customerReviews/00000028-b08c-0014-729e-fbd500000000/response"}}},
        "links": {"self": "https://api.appstoreconnect.apple.com/v1/customerReviews/00000028-b08c-0014-729e-fbd500000000"}
      }],
      "links": {"self": "https://api.appstoreconnect.apple.com/v1/apps/682658836/customerReviews?limit=1"},
      "meta": {"paging": {"total": 1, "limit": 1}}
    }"#;

    const GOOGLE: &str = r#"{
      "reviews": [{
        "reviewId": "gp:AOqpTOFmAVORqfWGcaqfF39ftwFjGkjecjvBGL5Y0jWsYQ",
        "authorName": "Priya N.",
        "comments": [
          {"userComment": {"text": "Sync broken\tSince 4.2 nothing syncs.", "lastModified": {"seconds": "1794820445", "nanos": 0},
            "starRating": 2, "reviewerLanguage": "en_GB", "appVersionName": "4.2.0", "thumbsUpCount": 3}},
          {"developerComment": {"text": "Thanks, a fix is coming.", "lastModified": {"seconds": "1794830000", "nanos": 0}}}
        ]
      }, {
        "reviewId": "gp:onlyareply",
        "authorName": "",
        "comments": [{"developerComment": {"text": "?", "lastModified": {"seconds": "1", "nanos": 0}}}]
      }],
      "tokenPagination": {"nextPageToken": "abc"},
      "pageInfo": {"totalResults": 2, "resultPerPage": 10, "startIndex": 0}
    }"#;

    #[test]
    fn reads_apples_example() {
        let reviews = read(Store::AppStore, APPLE.as_bytes()).unwrap();
        assert_eq!(reviews.len(), 1);
        let r = &reviews[0];
        assert_eq!(
            r.external_ticket_id(),
            "app-store:00000028-b08c-0014-729e-fbd500000000"
        );
        assert!(r.external_message_id().starts_with(
            "app-store:00000028-b08c-0014-729e-fbd500000000:2017-11-15T08:10:34-08:00:"
        ));
        assert_eq!(r.subject(), "★★★★★ Awesome!!!");
        assert_eq!(r.identity(), "Anne Johnson");
        assert_eq!(r.written_at_ms, 1_510_762_234_000);
        assert_eq!(r.territory.as_deref(), Some("USA"));
    }

    #[test]
    fn an_edit_changes_the_message_id_and_nothing_else_does() {
        let first = &read(Store::AppStore, APPLE.as_bytes()).unwrap()[0];
        let again = &read(Store::AppStore, APPLE.replace("  ", " ").as_bytes()).unwrap()[0];
        assert_eq!(first.external_message_id(), again.external_message_id());
        // Edited text under the same date (Apple may keep it): a new message id.
        let edited = APPLE.replace("really fantastic", "really great");
        let edited = &read(Store::AppStore, edited.as_bytes()).unwrap()[0];
        assert_eq!(first.external_ticket_id(), edited.external_ticket_id());
        assert_ne!(first.external_message_id(), edited.external_message_id());
        // A new date: a new message id too.
        let redated = APPLE.replace("08:10:34-08:00", "09:00:00-08:00");
        let redated = &read(Store::AppStore, redated.as_bytes()).unwrap()[0];
        assert_ne!(first.external_message_id(), redated.external_message_id());
    }

    #[test]
    fn a_single_app_store_review_and_an_empty_page() {
        let single = r#"{"data": {"type": "customerReviews", "id": "r1", "attributes": {"rating": 1, "createdDate": "2026-01-02T03:04:05Z", "reviewerNickname": "x"}}}"#;
        let reviews = read(Store::AppStore, single.as_bytes()).unwrap();
        assert_eq!(reviews[0].subject(), "★☆☆☆☆");
        assert_eq!(reviews[0].body, "");
        assert!(
            read(Store::AppStore, br#"{"data": [], "links": {}}"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn reads_google_play() {
        let reviews = read(Store::GooglePlay, GOOGLE.as_bytes()).unwrap();
        assert_eq!(
            reviews.len(),
            1,
            "a review with only a developer reply is skipped"
        );
        let r = &reviews[0];
        assert_eq!(
            r.external_ticket_id(),
            "google-play:gp:AOqpTOFmAVORqfWGcaqfF39ftwFjGkjecjvBGL5Y0jWsYQ"
        );
        assert_eq!(
            r.external_message_id(),
            "google-play:gp:AOqpTOFmAVORqfWGcaqfF39ftwFjGkjecjvBGL5Y0jWsYQ:1794820445"
        );
        assert_eq!(r.subject(), "★★☆☆☆ Sync broken");
        assert_eq!(r.body, "Since 4.2 nothing syncs.");
        assert_eq!(r.written_at_ms, 1_794_820_445_000);
        assert_eq!(r.language.as_deref(), Some("en-GB"));
        assert_eq!(r.app_version.as_deref(), Some("4.2.0"));
        assert!(read(Store::GooglePlay, b"{}").unwrap().is_empty());
    }

    #[test]
    fn a_nameless_author_still_has_an_identity() {
        let body = GOOGLE.replace("Priya N.", "");
        let r = &read(Store::GooglePlay, body.as_bytes()).unwrap()[0];
        assert_eq!(r.author, None);
        assert_eq!(r.identity(), r.external_ticket_id());
    }

    #[test]
    fn malformed_bodies() {
        for (store, body) in [
            (Store::AppStore, "not json"),
            (Store::AppStore, "[]"),
            (Store::AppStore, r#"{"errors": []}"#),
            (
                Store::AppStore,
                r#"{"data": [{"type": "customerReviews", "attributes": {"rating": 5}}]}"#,
            ),
            (
                Store::AppStore,
                r#"{"data": [{"type": "customerReviews", "id": "a", "attributes": {"rating": 5, "createdDate": "yesterday"}}]}"#,
            ),
            (
                Store::AppStore,
                r#"{"data": [{"type": "customerReviews", "id": "a", "attributes": {"createdDate": "2026-01-02T03:04:05Z"}}]}"#,
            ),
            (Store::GooglePlay, r#"{"reviews": {}}"#),
            (Store::GooglePlay, r#"{"reviews": [{"authorName": "x"}]}"#),
            (
                Store::GooglePlay,
                r#"{"reviews": [{"reviewId": "x", "comments": [{"userComment": {"text": "t", "starRating": 3}}]}]}"#,
            ),
        ] {
            assert!(read(store, body.as_bytes()).is_err(), "{body}");
        }
    }
}
