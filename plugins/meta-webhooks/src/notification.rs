//! The envelope of every Meta webhook notification: `{"object":<what it is about>,
//! "entry":[…]}`, each platform with its own object (`whatsapp_business_account`,
//! `page`) and its own entries.

use serde::Deserialize;
use serde::de::DeserializeOwned;

#[derive(Deserialize)]
#[serde(bound = "E: DeserializeOwned")]
struct Notification<E> {
    object: String,
    entry: Vec<E>,
}

/// The entries of a notification about `object`, or why the body is not one (for a
/// `malformed` error). `platform` names the notification in that message, e.g.
/// `WhatsApp`.
pub fn entries<E: DeserializeOwned>(
    body: &[u8],
    object: &str,
    platform: &str,
) -> Result<Vec<E>, String> {
    let notification: Notification<E> =
        serde_json::from_slice(body).map_err(|e| format!("not a {platform} notification: {e}"))?;
    if notification.object != object {
        return Err(format!("object `{}` is not {object}", notification.object));
    }
    Ok(notification.entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Entry {
        id: String,
    }

    #[test]
    fn the_entries_of_the_right_object_are_read() {
        let entries: Vec<Entry> = entries(
            br#"{"object":"page","entry":[{"id":"1"},{"id":"2"}]}"#,
            "page",
            "Messenger",
        )
        .unwrap();
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn another_object_or_no_entries_is_refused() {
        let wrong = entries::<Entry>(
            br#"{"object":"whatsapp_business_account","entry":[]}"#,
            "page",
            "Messenger",
        );
        assert_eq!(
            wrong.err().unwrap(),
            "object `whatsapp_business_account` is not page"
        );
        for body in [
            &b"{"[..],
            br#"{"object":"page"}"#,
            br#"{"object":"page","entry":[{}]}"#,
        ] {
            let error = entries::<Entry>(body, "page", "Messenger").err().unwrap();
            assert!(
                error.starts_with("not a Messenger notification: "),
                "{error}"
            );
        }
    }
}
