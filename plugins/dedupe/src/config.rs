//! The dedupe configuration, read and checked on every call (each call runs in a fresh
//! instance). Every bad value is reported, each with its JSON Pointer, not only the
//! first.

use serde_json::{Map, Value};

use crate::guichet::plugin::types::Channel;
use crate::phone::Region;

/// The region national phone numbers are read in when the configuration names none.
pub const DEFAULT_REGION: &str = "FR";
/// How long after a ticket another one can still be its duplicate, by default.
pub const DEFAULT_WINDOW_HOURS: u32 = 72;
/// The text similarity a same-person ticket needs to be merged, by default.
pub const DEFAULT_THRESHOLD: f64 = 0.3;
/// The text similarity two store reviews need to be merged, by default.
pub const DEFAULT_REVIEW_THRESHOLD: f64 = 0.8;
/// The tag put on a merged ticket, by default.
pub const DEFAULT_TAG: &str = "duplicate";

/// The configuration keys, for the message about an unknown one.
const KEYS: [&str; 6] = [
    "default_region",
    "window_hours",
    "threshold",
    "review_threshold",
    "channels",
    "tag",
];

/// Every channel, by its name in the events JSON.
pub const CHANNELS: [(&str, Channel); 9] = [
    ("email", Channel::Email),
    ("chat", Channel::Chat),
    ("whatsapp", Channel::Whatsapp),
    ("messenger", Channel::Messenger),
    ("phone", Channel::Phone),
    ("app_store_review", Channel::AppStoreReview),
    ("sms", Channel::Sms),
    ("web_form", Channel::WebForm),
    ("api", Channel::Api),
];

/// The name of a channel in the events JSON (`app_store_review`).
pub fn channel_name(channel: Channel) -> &'static str {
    CHANNELS
        .iter()
        .find(|(_, c)| *c == channel)
        .map_or("unknown", |(name, _)| name)
}

/// A problem found in a configuration: a JSON Pointer and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

fn problem(path: &str, message: impl Into<String>) -> Problem {
    Problem {
        path: path.to_string(),
        message: message.into(),
    }
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where national phone numbers (`06 39 98 12 34`) are read.
    pub region: &'static Region,
    /// How long after a ticket, in milliseconds, another can be its duplicate.
    pub window_ms: i64,
    /// The text similarity a same-person ticket needs, 0 to 1.
    pub threshold: f64,
    /// The text similarity two store reviews need, 0 to 1, at least `threshold`.
    pub review_threshold: f64,
    /// The channels considered (a ticket on another channel is neither merged nor a
    /// target).
    pub channels: Vec<Channel>,
    /// The tag added to a merged ticket, lower case.
    pub tag: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            region: Region::find(DEFAULT_REGION).expect("the default region is known"),
            window_ms: i64::from(DEFAULT_WINDOW_HOURS) * 3_600_000,
            threshold: DEFAULT_THRESHOLD,
            review_threshold: DEFAULT_REVIEW_THRESHOLD,
            channels: CHANNELS.iter().map(|(_, c)| *c).collect(),
            tag: DEFAULT_TAG.to_string(),
        }
    }
}

impl Config {
    /// Whether tickets of `channel` are considered.
    pub fn considers(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }

    /// Reads a configuration, or says every problem it has.
    pub fn check(json: &str) -> Result<Config, Vec<Problem>> {
        let value: Value = serde_json::from_str(json).map_err(|e| {
            vec![problem(
                "",
                format!("invalid dedupe configuration: not JSON ({e})"),
            )]
        })?;
        let Value::Object(map) = value else {
            return Err(vec![problem(
                "",
                format!("invalid dedupe configuration: expected a JSON object, got `{value}`"),
            )]);
        };
        let mut config = Config::default();
        let mut problems = Vec::new();
        for key in map.keys() {
            if !KEYS.contains(&key.as_str()) {
                problems.push(problem(
                    &format!("/{}", pointer_token(key)),
                    format!("unknown key `{key}`; expected one of {}", KEYS.join(", ")),
                ));
            }
        }
        read_region(&map, &mut config, &mut problems);
        read_window(&map, &mut config, &mut problems);
        let threshold = read_fraction(&map, "threshold", &mut problems);
        let review_threshold = read_fraction(&map, "review_threshold", &mut problems);
        if let Some(t) = threshold {
            config.threshold = t;
        }
        if let Some(t) = review_threshold {
            config.review_threshold = t;
        }
        if review_threshold.is_none() {
            // Left out: at least as strict as `threshold`.
            config.review_threshold = config.review_threshold.max(config.threshold);
        } else if config.review_threshold < config.threshold {
            problems.push(problem(
                "/review_threshold",
                format!(
                    "review_threshold {} is below threshold {}: store reviews, compared on \
                     text alone, need at least the similarity of same-person tickets",
                    config.review_threshold, config.threshold
                ),
            ));
        }
        read_channels(&map, &mut config, &mut problems);
        read_tag(&map, &mut config, &mut problems);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Reads a configuration for an event: the problems, joined, as the call's error.
    pub fn parse(json: &str) -> Result<Config, String> {
        Config::check(json).map_err(|problems| {
            let all: Vec<String> = problems
                .iter()
                .map(|p| {
                    if p.path.is_empty() {
                        p.message.clone()
                    } else {
                        format!("{}: {}", p.path, p.message)
                    }
                })
                .collect();
            format!("invalid dedupe configuration: {}", all.join("; "))
        })
    }
}

/// A JSON Pointer token (RFC 6901 escaping).
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn read_region(map: &Map<String, Value>, config: &mut Config, problems: &mut Vec<Problem>) {
    let Some(value) = map.get("default_region") else {
        return;
    };
    match value.as_str() {
        Some(code) => match Region::find(code) {
            Some(region) => config.region = region,
            None => problems.push(problem(
                "/default_region",
                format!(
                    "unknown region `{code}`; expected an ISO 3166 alpha-2 code among {}",
                    Region::codes().join(", ")
                ),
            )),
        },
        None => problems.push(problem(
            "/default_region",
            format!("`{value}` is not a region; expected a string such as \"FR\""),
        )),
    }
}

fn read_window(map: &Map<String, Value>, config: &mut Config, problems: &mut Vec<Problem>) {
    let Some(value) = map.get("window_hours") else {
        return;
    };
    match value.as_u64() {
        Some(hours @ 1..=720) => config.window_ms = hours as i64 * 3_600_000,
        _ => problems.push(problem(
            "/window_hours",
            format!(
                "window_hours `{value}` is out of range; expected a whole number from 1 to 720"
            ),
        )),
    }
}

fn read_fraction(map: &Map<String, Value>, key: &str, problems: &mut Vec<Problem>) -> Option<f64> {
    let value = map.get(key)?;
    match value.as_f64() {
        Some(x) if (0.0..=1.0).contains(&x) => Some(x),
        _ => {
            problems.push(problem(
                &format!("/{key}"),
                format!("{key} `{value}` is out of range; expected a number from 0 to 1"),
            ));
            None
        }
    }
}

fn read_channels(map: &Map<String, Value>, config: &mut Config, problems: &mut Vec<Problem>) {
    let Some(value) = map.get("channels") else {
        return;
    };
    let Some(items) = value.as_array() else {
        problems.push(problem(
            "/channels",
            format!("`{value}` is not a list of channels; expected e.g. [\"email\", \"chat\"]"),
        ));
        return;
    };
    let names: Vec<&str> = CHANNELS.iter().map(|(n, _)| *n).collect();
    let mut channels = Vec::new();
    for (n, item) in items.iter().enumerate() {
        match item
            .as_str()
            .and_then(|s| CHANNELS.iter().find(|(name, _)| *name == s))
        {
            Some((_, channel)) => {
                if !channels.contains(channel) {
                    channels.push(*channel);
                }
            }
            None => problems.push(problem(
                &format!("/channels/{n}"),
                format!(
                    "unknown channel `{item}`; expected one of {}",
                    names.join(", ")
                ),
            )),
        }
    }
    if items.is_empty() {
        problems.push(problem(
            "/channels",
            "an empty list of channels would consider no ticket; leave `channels` out to \
             consider every channel",
        ));
    }
    config.channels = channels;
}

fn read_tag(map: &Map<String, Value>, config: &mut Config, problems: &mut Vec<Problem>) {
    let Some(value) = map.get("tag") else {
        return;
    };
    match value.as_str().map(|s| s.trim().to_lowercase()) {
        Some(tag) if !tag.is_empty() => config.tag = tag,
        _ => problems.push(problem(
            "/tag",
            format!(
                "tag `{value}` is not a tag; expected a non-empty string such as \"duplicate\""
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_to_an_empty_configuration() {
        let config = Config::check("{}").unwrap();
        assert_eq!(config.region.code, "FR");
        assert_eq!(config.window_ms, 72 * 3_600_000);
        assert_eq!(config.tag, "duplicate");
        assert_eq!(config.channels.len(), 9);
    }

    #[test]
    fn reads_every_key() {
        let config = Config::check(
            r#"{"default_region":"gb","window_hours":24,"threshold":0.4,
                "review_threshold":0.9,"channels":["email","chat"],"tag":"Doublon"}"#,
        )
        .unwrap();
        assert_eq!(config.region.code, "GB");
        assert_eq!(config.window_ms, 24 * 3_600_000);
        assert_eq!(config.channels, vec![Channel::Email, Channel::Chat]);
        assert_eq!(config.tag, "doublon");
        assert!(config.considers(Channel::Chat) && !config.considers(Channel::Sms));
    }

    #[test]
    fn reports_every_problem_with_its_pointer() {
        let problems = Config::check(
            r#"{"default_region":"XX","window_hours":0,"threshold":1.5,
                "channels":["email","fax"],"tag":"","windw":1}"#,
        )
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/windw",
                "/default_region",
                "/window_hours",
                "/threshold",
                "/channels/1",
                "/tag"
            ]
        );
        assert!(problems[1].message.contains("`XX`"));
        assert!(problems[4].message.contains("`\"fax\"`"));
    }

    #[test]
    fn review_threshold_may_not_be_below_threshold() {
        let problems = Config::check(r#"{"threshold":0.6,"review_threshold":0.5}"#).unwrap_err();
        assert_eq!(problems[0].path, "/review_threshold");
        assert!(
            Config::parse("[]")
                .unwrap_err()
                .contains("expected a JSON object")
        );
    }
}
