//! The adapter's configuration, as the admin sets it (JSON), and the mappings between
//! Zammad's states and priorities and guichet's.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::guichet::plugin::types::{Priority, TicketStatus};

/// The configuration as written. Unknown keys are refused so that a typo
/// (`signature_tokn`) is reported when the configuration is set, not discovered when
/// every delivery is refused. `signature_token` is read as optional only so that its
/// absence is reported with the other problems, at its own path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base_url: String,
    api_token: String,
    #[serde(default)]
    signature_token: Option<String>,
    #[serde(default)]
    api_user: Option<String>,
    #[serde(default)]
    inbox_groups: Vec<String>,
    #[serde(default)]
    state_map: BTreeMap<String, String>,
    #[serde(default)]
    status_map: BTreeMap<String, Option<String>>,
    #[serde(default)]
    priority_map: BTreeMap<String, String>,
}

/// The configuration, read and checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// Zammad's address without a trailing slash, e.g. `https://helpdesk.example.com`.
    pub base_url: String,
    /// The API access token requests are sent with (`Authorization: Token token=…`).
    pub api_token: String,
    /// The webhook's HMAC-SHA1 signature token (never empty): every delivery must carry
    /// a valid `X-Hub-Signature`.
    pub signature_token: String,
    /// The login of the user the API token belongs to: articles it wrote are guichet's
    /// own replies and notes, not read back.
    pub api_user: Option<String>,
    /// Groups where Zammad puts tickets nobody routed yet (e.g. `Users`): a ticket in
    /// one is reported without a group.
    pub inbox_groups: Vec<String>,
    /// Zammad state name -> guichet status (inbound).
    states_in: BTreeMap<String, TicketStatus>,
    /// guichet status -> Zammad state name, `None` to leave the status out (outbound).
    states_out: Vec<(TicketStatus, Option<String>)>,
    /// guichet priority -> Zammad priority name (outbound; read backwards inbound).
    priorities: Vec<(Priority, String)>,
}

/// Every guichet status, in the contract's order.
pub const STATUSES: [TicketStatus; 8] = [
    TicketStatus::New,
    TicketStatus::Open,
    TicketStatus::WaitingOnRequester,
    TicketStatus::WaitingOnAgent,
    TicketStatus::OnHold,
    TicketStatus::Solved,
    TicketStatus::Closed,
    TicketStatus::Merged,
];

/// Every guichet priority, lowest first.
pub const PRIORITIES: [Priority; 4] = [
    Priority::Low,
    Priority::Normal,
    Priority::High,
    Priority::Urgent,
];

pub fn status_name(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::New => "new",
        TicketStatus::Open => "open",
        TicketStatus::WaitingOnRequester => "waiting_on_requester",
        TicketStatus::WaitingOnAgent => "waiting_on_agent",
        TicketStatus::OnHold => "on_hold",
        TicketStatus::Solved => "solved",
        TicketStatus::Closed => "closed",
        TicketStatus::Merged => "merged",
    }
}

pub fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "low",
        Priority::Normal => "normal",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

fn parse_status(name: &str) -> Option<TicketStatus> {
    STATUSES.into_iter().find(|s| status_name(*s) == name)
}

fn parse_priority(name: &str) -> Option<Priority> {
    PRIORITIES.into_iter().find(|p| priority_name(*p) == name)
}

/// Zammad's default states (`new`, `open`, `pending reminder`, `pending close`,
/// `closed`, `merged`, `removed`) as guichet reads them. Zammad's `closed` reopens when
/// the customer writes again (a follow-up), which is guichet's `solved`.
const DEFAULT_STATES_IN: [(&str, TicketStatus); 7] = [
    ("new", TicketStatus::New),
    ("open", TicketStatus::Open),
    ("pending reminder", TicketStatus::OnHold),
    ("pending close", TicketStatus::WaitingOnRequester),
    ("closed", TicketStatus::Solved),
    ("merged", TicketStatus::Merged),
    ("removed", TicketStatus::Closed),
];

/// guichet statuses as Zammad states. The pending states need a `pending_time` that
/// guichet does not have, so `waiting_on_requester` and `on_hold` are left out unless
/// the admin names a state for them; `merged` is what `merge-into` does.
fn default_state_out(status: TicketStatus) -> Option<&'static str> {
    match status {
        TicketStatus::New => Some("new"),
        TicketStatus::Open | TicketStatus::WaitingOnAgent => Some("open"),
        TicketStatus::Solved | TicketStatus::Closed => Some("closed"),
        TicketStatus::WaitingOnRequester | TicketStatus::OnHold | TicketStatus::Merged => None,
    }
}

/// Zammad's default priorities; guichet's `urgent` has none of its own.
fn default_priority_out(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "1 low",
        Priority::Normal => "2 normal",
        Priority::High | Priority::Urgent => "3 high",
    }
}

/// What is wrong with a configuration: a JSON Pointer to the key (empty for the
/// whole document) and a message naming the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    fn new(path: &str, message: impl Into<String>) -> Problem {
        Problem {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

impl From<String> for Problem {
    /// A problem with the configuration as a whole.
    fn from(message: String) -> Problem {
        Problem::new("", message)
    }
}

impl Config {
    /// Reads the configuration JSON; the error names what is wrong, and where.
    pub fn parse(text: &str) -> Result<Config, Problem> {
        let raw: RawConfig =
            serde_json::from_str(text).map_err(|e| format!("invalid zammad configuration: {e}"))?;
        let base_url = raw.base_url.trim().trim_end_matches('/').to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://"))
            || base_url.len() <= "https://".len()
        {
            return Err(format!(
                "invalid zammad configuration: base_url `{}` must be an http(s) URL such as https://helpdesk.example.com",
                raw.base_url
            )
            .into());
        }
        let api_token = raw.api_token.trim().to_string();
        if api_token.is_empty() {
            return Err(Problem::from(
                "invalid zammad configuration: api_token is empty; create an access token in Zammad (Profile > Token Access) with ticket.agent".to_string(),
            ));
        }
        let signature_token = match raw.signature_token {
            Some(token) if !token.trim().is_empty() => token,
            _ => {
                return Err(Problem::new(
                    "/signature_token",
                    "invalid zammad configuration: signature_token is missing or empty; set it to the webhook's \"HMAC SHA1 Signature Token\" in Zammad (Manage > Webhook > the webhook), without which deliveries are refused",
                ));
            }
        };

        let mut states_in: BTreeMap<String, TicketStatus> = DEFAULT_STATES_IN
            .iter()
            .map(|(name, status)| (name.to_string(), *status))
            .collect();
        for (state, status) in raw.state_map {
            let status = parse_status(&status).ok_or_else(|| {
                format!(
                    "invalid zammad configuration: state_map: unknown status `{status}` for state `{state}`; expected one of {}",
                    STATUSES.map(status_name).join(", ")
                )
            })?;
            states_in.insert(state, status);
        }

        let mut states_out: Vec<(TicketStatus, Option<String>)> = STATUSES
            .iter()
            .map(|s| (*s, default_state_out(*s).map(str::to_string)))
            .collect();
        for (status, state) in raw.status_map {
            let parsed = parse_status(&status).ok_or_else(|| {
                format!(
                    "invalid zammad configuration: status_map: unknown status `{status}`; expected one of {}",
                    STATUSES.map(status_name).join(", ")
                )
            })?;
            if let Some(entry) = states_out.iter_mut().find(|(s, _)| *s == parsed) {
                entry.1 = state.filter(|s| !s.is_empty());
            }
        }

        let mut priorities: Vec<(Priority, String)> = PRIORITIES
            .iter()
            .map(|p| (*p, default_priority_out(*p).to_string()))
            .collect();
        for (priority, name) in raw.priority_map {
            let parsed = parse_priority(&priority).ok_or_else(|| {
                format!(
                    "invalid zammad configuration: priority_map: unknown priority `{priority}`; expected one of low, normal, high, urgent"
                )
            })?;
            if name.is_empty() {
                return Err(format!(
                    "invalid zammad configuration: priority_map: empty Zammad priority for `{priority}`"
                )
                .into());
            }
            if let Some(entry) = priorities.iter_mut().find(|(p, _)| *p == parsed) {
                entry.1 = name;
            }
        }

        Ok(Config {
            base_url,
            api_token,
            signature_token,
            api_user: raw
                .api_user
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty()),
            inbox_groups: raw.inbox_groups,
            states_in,
            states_out,
            priorities,
        })
    }

    /// The guichet status a Zammad state name stands for, if known.
    pub fn status_of(&self, state: &str) -> Option<TicketStatus> {
        self.states_in.get(state).copied()
    }

    /// The Zammad state a guichet status is sent as, if any.
    pub fn state_for(&self, status: TicketStatus) -> Option<&str> {
        self.states_out
            .iter()
            .find(|(s, _)| *s == status)
            .and_then(|(_, state)| state.as_deref())
    }

    /// The guichet priority a Zammad priority name stands for: the lowest guichet
    /// priority sent as that name (`3 high` reads as `high`, not `urgent`).
    pub fn priority_of(&self, name: &str) -> Option<Priority> {
        self.priorities
            .iter()
            .find(|(_, n)| n == name)
            .map(|(p, _)| *p)
    }

    /// The Zammad priority name a guichet priority is sent as.
    pub fn priority_for(&self, priority: Priority) -> &str {
        self.priorities
            .iter()
            .find(|(p, _)| *p == priority)
            .map(|(_, n)| n.as_str())
            .unwrap_or("2 normal")
    }

    /// Whether `group` is an inbox group (reported as no group).
    pub fn is_inbox(&self, group: &str) -> bool {
        self.inbox_groups.iter().any(|g| g == group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_map_zammad_states_and_priorities() {
        let config =
            Config::parse(r#"{"base_url": "https://helpdesk.example.com/", "api_token": "t", "signature_token": "s"}"#)
                .unwrap();
        assert_eq!(config.base_url, "https://helpdesk.example.com");
        assert_eq!(config.status_of("closed"), Some(TicketStatus::Solved));
        assert_eq!(
            config.status_of("pending close"),
            Some(TicketStatus::WaitingOnRequester)
        );
        assert_eq!(config.status_of("waiting"), None);
        assert_eq!(config.state_for(TicketStatus::Solved), Some("closed"));
        assert_eq!(config.state_for(TicketStatus::OnHold), None);
        assert_eq!(config.priority_for(Priority::Urgent), "3 high");
        assert_eq!(config.priority_of("3 high"), Some(Priority::High));
        assert_eq!(config.priority_of("1 low"), Some(Priority::Low));
        assert_eq!(config.signature_token, "s");
    }

    #[test]
    fn admin_maps_override_defaults() {
        let config = Config::parse(
            r#"{"base_url": "https://z.example.com", "api_token": "t", "signature_token": "s",
                "state_map": {"waiting for customer": "waiting_on_requester"},
                "status_map": {"waiting_on_requester": "waiting for customer", "new": null},
                "priority_map": {"urgent": "4 urgent"}}"#,
        )
        .unwrap();
        assert_eq!(
            config.status_of("waiting for customer"),
            Some(TicketStatus::WaitingOnRequester)
        );
        assert_eq!(
            config.state_for(TicketStatus::WaitingOnRequester),
            Some("waiting for customer")
        );
        assert_eq!(config.state_for(TicketStatus::New), None);
        assert_eq!(config.priority_for(Priority::Urgent), "4 urgent");
        assert_eq!(config.priority_of("4 urgent"), Some(Priority::Urgent));
    }

    #[test]
    fn mistakes_are_named() {
        let err = Config::parse(
            r#"{"base_url": "https://z.example.com", "api_token": "t", "signature_tokn": "x"}"#,
        )
        .unwrap_err();
        assert!(err.message.contains("signature_tokn"), "{err:?}");
        let err = Config::parse(r#"{"base_url": "z.example.com", "api_token": "t"}"#).unwrap_err();
        assert!(err.message.contains("base_url"), "{err:?}");
        let err = Config::parse(
            r#"{"base_url": "https://z", "api_token": "t", "signature_token": "s", "priority_map": {"urgnet": "4"}}"#,
        )
        .unwrap_err();
        assert!(err.message.contains("urgnet"), "{err:?}");
        let err = Config::parse(
            r#"{"base_url": "https://z", "api_token": "t", "signature_token": "s", "state_map": {"x": "pending"}}"#,
        )
        .unwrap_err();
        assert!(err.message.contains("pending"), "{err:?}");
        let err = Config::parse("{}").unwrap_err();
        assert!(err.message.contains("base_url"), "{err:?}");
        let err = Config::parse(r#"{"base_url": "https://z", "api_token": " "}"#).unwrap_err();
        assert!(err.message.contains("api_token"), "{err:?}");
    }

    #[test]
    fn the_signature_token_is_required() {
        for config in [
            r#"{"base_url": "https://z", "api_token": "t"}"#,
            r#"{"base_url": "https://z", "api_token": "t", "signature_token": null}"#,
            r#"{"base_url": "https://z", "api_token": "t", "signature_token": ""}"#,
            r#"{"base_url": "https://z", "api_token": "t", "signature_token": "  "}"#,
        ] {
            let err = Config::parse(config).unwrap_err();
            assert_eq!(err.path, "/signature_token", "{config}");
            assert!(
                err.message.contains("HMAC SHA1 Signature Token"),
                "{}",
                err.message
            );
        }
    }
}
