//! The reassign configuration: the timeout, the cascades per group, the tag and the
//! calendar. Read and checked on every call (each call runs in a fresh instance), with
//! errors that name the key to fix.

use std::collections::{BTreeMap, BTreeSet};

use business_hours::{Calendar, CalendarConfig, parse_duration};
use serde::Deserialize;

/// The configuration as the admin writes it (JSON). Unknown keys are refused so that
/// a typo ("timout") is reported instead of silently turning a mode off.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    calendar: Option<CalendarConfig>,
    #[serde(default)]
    timeout: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    cascades: BTreeMap<String, RawCascade>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCascade {
    agents: Vec<String>,
    step: String,
    #[serde(default)]
    unavailable: Vec<String>,
}

/// The tag when the configuration names none.
pub const DEFAULT_TAG: &str = "reassigned";

/// One group's cascade: its agents in the order they are offered a new ticket.
pub struct Cascade {
    pub agents: Vec<String>,
    /// Counted milliseconds each agent has to answer before the next is offered.
    pub step: i64,
    /// Agents skipped, e.g. away today.
    pub unavailable: BTreeSet<String>,
}

impl Cascade {
    /// The position of the first available agent at or after `from`, if any.
    pub fn next_available(&self, from: usize) -> Option<usize> {
        (from..self.agents.len()).find(|&n| !self.unavailable.contains(&self.agents[n]))
    }
}

/// A validated configuration.
pub struct Config {
    /// How waiting time is counted: around the clock, or in business hours.
    pub calendar: Calendar,
    /// Whether `calendar` is a business calendar (said in notes).
    pub business_hours: bool,
    /// Timeout mode: counted milliseconds a ticket may wait on its agent. `None`
    /// turns the mode off.
    pub timeout: Option<i64>,
    /// Added to every ticket handed back to a pool, lower case.
    pub tag: String,
    /// Cascade mode, by group.
    pub cascades: BTreeMap<String, Cascade>,
}

fn invalid(what: impl std::fmt::Display) -> String {
    format!("invalid reassign configuration: {what}")
}

impl Config {
    /// Parses and checks the configuration; the error says what to fix.
    pub fn parse(json: &str) -> Result<Config, String> {
        let raw: RawConfig = serde_json::from_str(json).map_err(invalid)?;
        if raw.timeout.is_none() && raw.cascades.is_empty() {
            return Err(invalid(
                "nothing to do: set `timeout` (e.g. \"2h\"), `cascades` (agents per group), \
                 or both",
            ));
        }
        let calendar = Calendar::from_optional(raw.calendar.as_ref())
            .map_err(|e| invalid(format!("calendar: {e}")))?;
        let timeout = raw
            .timeout
            .as_deref()
            .map(|text| parse_duration(text).map_err(|e| invalid(format!("timeout: {e}"))))
            .transpose()?;
        let tag = raw
            .tag
            .as_deref()
            .unwrap_or(DEFAULT_TAG)
            .trim()
            .to_lowercase();
        if tag.is_empty() {
            return Err(invalid("tag is empty"));
        }
        let mut cascades = BTreeMap::new();
        for (group, raw) in raw.cascades {
            let key = format!("cascades.{group}");
            if raw.agents.is_empty() {
                return Err(invalid(format!("{key}.agents is empty")));
            }
            let mut seen = BTreeSet::new();
            for agent in &raw.agents {
                if agent.trim().is_empty() {
                    return Err(invalid(format!("{key}.agents holds an empty name")));
                }
                if !seen.insert(agent.as_str()) {
                    return Err(invalid(format!(
                        "{key}.agents names `{agent}` twice; each agent has one place"
                    )));
                }
            }
            // An unknown name here is almost surely a misspelt agent who would
            // otherwise keep being offered tickets while away.
            if let Some(stranger) = raw.unavailable.iter().find(|a| !seen.contains(a.as_str())) {
                return Err(invalid(format!(
                    "{key}.unavailable names `{stranger}`, who is not in {key}.agents"
                )));
            }
            let step =
                parse_duration(&raw.step).map_err(|e| invalid(format!("{key}.step: {e}")))?;
            cascades.insert(
                group,
                Cascade {
                    agents: raw.agents,
                    step,
                    unavailable: raw.unavailable.into_iter().collect(),
                },
            );
        }
        Ok(Config {
            business_hours: raw.calendar.is_some(),
            calendar,
            timeout,
            tag,
            cascades,
        })
    }

    /// " of business time" when delays count in business hours, for notes.
    pub fn counted(&self) -> &'static str {
        if self.business_hours {
            " of business time"
        } else {
            ""
        }
    }
}
