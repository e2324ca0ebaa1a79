//! The `sla` plugin's configuration: calendars, and policies chosen by the ticket's
//! priority, channel and group, each with its targets, warnings and breach actions.
//! Reading only: what the clocks do with a policy is in `clocks`.

use std::collections::BTreeMap;

use business_hours::{Calendar, CalendarConfig, parse_duration};
use serde::Deserialize;

/// The three clocks an SLA can put on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// From the ticket's creation to the first public agent reply.
    FirstReply,
    /// From a requester message (after the first reply) to the next public agent reply.
    NextReply,
    /// From the ticket's creation to solved or closed.
    Resolution,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::FirstReply, Metric::NextReply, Metric::Resolution];

    pub fn name(self) -> &'static str {
        match self {
            Metric::FirstReply => "first_reply",
            Metric::NextReply => "next_reply",
            Metric::Resolution => "resolution",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::FirstReply => "first reply",
            Metric::NextReply => "next reply",
            Metric::Resolution => "resolution",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    calendars: BTreeMap<String, CalendarConfig>,
    /// Statuses in which the clocks stop running.
    #[serde(default = "default_pause")]
    pause_on: Vec<String>,
    policies: Vec<RawPolicy>,
}

fn default_pause() -> Vec<String> {
    vec!["waiting_on_requester".to_string()]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    #[serde(default, rename = "match")]
    matches: Match,
    /// A name from `calendars`; calendar hours when absent.
    #[serde(default)]
    calendar: Option<String>,
    #[serde(default)]
    first_reply: Option<String>,
    #[serde(default)]
    next_reply: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
    /// Earlier, internal targets: reaching one tags the ticket and tells the assignee.
    #[serde(default)]
    internal: BTreeMap<String, String>,
    /// `"2h"`: when two hours of working time are left; `"75%"`: when three quarters
    /// of the target have passed.
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    on_breach: OnBreach,
}

/// Which tickets a policy is for; an empty list matches everything.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default)]
    pub priorities: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnBreach {
    /// Raise the priority to this level (never lowers it).
    #[serde(default)]
    pub raise_priority: Option<String>,
}

/// A warning point before a breach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Warning {
    /// When this much working time (ms) is left.
    Left(i64),
    /// When this share (0–1) of the target has passed.
    Share(f64),
}

impl Warning {
    /// The working time left at which it is due, for a target; none when it would be
    /// due from the start (a warning "1 day before" on a 4-hour target does not apply).
    pub fn left_for(self, target: i64) -> Option<i64> {
        let left = match self {
            Warning::Left(ms) => ms,
            Warning::Share(share) => target - (target as f64 * share).round() as i64,
        };
        (left < target).then_some(left)
    }
}

#[derive(Debug)]
pub struct Policy {
    pub name: String,
    pub matches: Match,
    pub calendar: Calendar,
    /// The calendar's time zone, for the times in messages.
    pub zone: String,
    pub targets: BTreeMap<Metric, i64>,
    pub internal: BTreeMap<Metric, i64>,
    pub warnings: Vec<Warning>,
    pub on_breach: OnBreach,
}

#[derive(Debug)]
pub struct Config {
    pub pause_on: Vec<String>,
    pub policies: Vec<Policy>,
}

impl Config {
    pub fn parse(text: &str) -> Result<Config, String> {
        let raw: RawConfig =
            serde_json::from_str(text).map_err(|e| format!("sla configuration: {e}"))?;
        let mut policies = Vec::new();
        for p in raw.policies {
            let context = |e: String| format!("sla policy `{}`: {e}", p.name);
            let (calendar, zone) = match &p.calendar {
                None => (Calendar::Always, "UTC".to_string()),
                Some(name) => {
                    let config = raw
                        .calendars
                        .get(name)
                        .ok_or_else(|| context(format!("no calendar `{name}` in `calendars`")))?;
                    (
                        Calendar::from_config(config)
                            .map_err(|e| context(format!("calendar `{name}`: {e}")))?,
                        config.time_zone.clone(),
                    )
                }
            };
            let mut targets = BTreeMap::new();
            for (metric, text) in [
                (Metric::FirstReply, &p.first_reply),
                (Metric::NextReply, &p.next_reply),
                (Metric::Resolution, &p.resolution),
            ] {
                if let Some(text) = text {
                    targets.insert(metric, parse_duration(text).map_err(context)?);
                }
            }
            let mut internal = BTreeMap::new();
            for (name, text) in &p.internal {
                let metric = Metric::ALL
                    .into_iter()
                    .find(|m| m.name() == name)
                    .ok_or_else(|| {
                        context(format!(
                            "`internal.{name}`: use first_reply, next_reply or resolution"
                        ))
                    })?;
                internal.insert(metric, parse_duration(text).map_err(context)?);
            }
            let warnings = p
                .warnings
                .iter()
                .map(|w| parse_warning(w).map_err(context))
                .collect::<Result<_, _>>()?;
            policies.push(Policy {
                name: p.name,
                matches: p.matches,
                calendar,
                zone,
                targets,
                internal,
                warnings,
                on_breach: p.on_breach,
            });
        }
        Ok(Config {
            pause_on: raw.pause_on,
            policies,
        })
    }

    /// The first policy that matches the ticket.
    pub fn policy_for(
        &self,
        priority: &str,
        channel: &str,
        group: Option<&str>,
    ) -> Option<&Policy> {
        self.policies.iter().find(|p| {
            let m = &p.matches;
            (m.priorities.is_empty() || m.priorities.iter().any(|x| x == priority))
                && (m.channels.is_empty() || m.channels.iter().any(|x| x == channel))
                && (m.groups.is_empty() || group.is_some_and(|g| m.groups.iter().any(|x| x == g)))
        })
    }
}

fn parse_warning(text: &str) -> Result<Warning, String> {
    match text.strip_suffix('%') {
        Some(share) => {
            let share: f64 = share
                .trim()
                .parse()
                .map_err(|_| format!("warning `{text}`: a share is like `75%`"))?;
            if !(0.0..100.0).contains(&share) {
                return Err(format!("warning `{text}`: a share is between 0% and 100%"));
            }
            Ok(Warning::Share(share / 100.0))
        }
        None => parse_duration(text).map(Warning::Left),
    }
}
