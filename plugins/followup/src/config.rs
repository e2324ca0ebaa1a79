//! The follow-up configuration: when to remind, what to say, how to close. Read and
//! checked on every call (each call runs in a fresh instance), with errors that name
//! the key to fix.

use business_hours::{Calendar, CalendarConfig, parse_duration};
use serde::Deserialize;

/// The configuration as the admin writes it (JSON). Unknown keys are refused so that
/// a typo ("frist_reminder") is reported instead of silently ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    calendar: Option<CalendarConfig>,
    first_reminder: RawReminder,
    second_reminder: RawReminder,
    close: RawClose,
    #[serde(default)]
    requester_fallback: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReminder {
    after: String,
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClose {
    after: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// A reminder: sent `after` counted milliseconds, saying `message`.
pub struct Reminder {
    pub after: i64,
    pub message: Template,
}

/// A validated configuration.
pub struct Config {
    /// How waiting time is counted: around the clock, or in business hours.
    pub calendar: Calendar,
    /// Whether `calendar` is a business calendar (said in the closing note).
    pub business_hours: bool,
    pub first: Reminder,
    pub second: Reminder,
    /// Counted milliseconds from the second reminder to the close.
    pub close_after: i64,
    pub close_message: Option<Template>,
    /// Tags added when the ticket is closed, lower case.
    pub close_tags: Vec<String>,
    /// What `{requester}` becomes when the requester's name is not known.
    pub requester_fallback: String,
}

impl Config {
    /// Parses and checks the configuration; the error says what to fix.
    pub fn parse(json: &str) -> Result<Config, String> {
        let raw: RawConfig = serde_json::from_str(json)
            .map_err(|e| format!("invalid followup configuration: {e}"))?;
        let calendar = Calendar::from_optional(raw.calendar.as_ref())
            .map_err(|e| format!("invalid followup configuration: calendar: {e}"))?;
        let reminder = |key: &str, raw: &RawReminder| -> Result<Reminder, String> {
            Ok(Reminder {
                after: duration(&format!("{key}.after"), &raw.after)?,
                message: Template::parse(&format!("{key}.message"), &raw.message)?,
            })
        };
        let mut close_tags = Vec::new();
        for tag in &raw.close.tags {
            let tag = tag.trim().to_lowercase();
            if tag.is_empty() {
                return Err(
                    "invalid followup configuration: close.tags holds an empty tag".to_string(),
                );
            }
            close_tags.push(tag);
        }
        Ok(Config {
            business_hours: raw.calendar.is_some(),
            calendar,
            first: reminder("first_reminder", &raw.first_reminder)?,
            second: reminder("second_reminder", &raw.second_reminder)?,
            close_after: duration("close.after", &raw.close.after)?,
            close_message: raw
                .close
                .message
                .as_deref()
                .map(|text| Template::parse("close.message", text))
                .transpose()?,
            close_tags,
            requester_fallback: raw
                .requester_fallback
                .unwrap_or_else(|| DEFAULT_REQUESTER.to_string()),
        })
    }
}

fn duration(key: &str, text: &str) -> Result<i64, String> {
    parse_duration(text).map_err(|e| format!("invalid followup configuration: {key}: {e}"))
}

/// What `{requester}` becomes when the name is not known, unless configured: "Hello
/// there,".
const DEFAULT_REQUESTER: &str = "there";

/// A message with placeholders. The only one is `{requester}`: the requester's name,
/// or the configured fallback when the helpdesk does not know it.
pub struct Template {
    text: String,
}

/// The placeholders a message may use.
const PLACEHOLDERS: [&str; 1] = ["requester"];

impl Template {
    /// Checks `text` (found under `key`): not blank, and no placeholder but the known
    /// ones, so that a misspelt `{requestor}` is refused rather than sent as is.
    fn parse(key: &str, text: &str) -> Result<Template, String> {
        if text.trim().is_empty() {
            return Err(format!("invalid followup configuration: {key} is empty"));
        }
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            let name = &after[..close];
            if !PLACEHOLDERS.contains(&name) {
                return Err(format!(
                    "invalid followup configuration: {key}: unknown placeholder `{{{name}}}`; \
                     the only one is `{{requester}}`"
                ));
            }
            rest = &after[close + 1..];
        }
        Ok(Template {
            text: text.to_string(),
        })
    }

    /// The message for a requester called `name`, or `fallback` when the name is
    /// not known.
    pub fn render(&self, name: Option<&str>, fallback: &str) -> String {
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(fallback);
        self.text.replace("{requester}", name)
    }
}
