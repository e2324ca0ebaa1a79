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
    /// `"2h"` (or `"2h working"`): when two hours of working time are left; `"2h
    /// calendar"`: two hours of calendar time before the deadline; `"75%"`: when three
    /// quarters of the target have passed. A lead of zero (`"0m"`, `"100%"`) warns at
    /// the breach itself.
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
    /// When this much working time (ms) is left: `"2h"` or `"2h working"`.
    Left(i64),
    /// When this share (0–1) of the target has passed: `"75%"`.
    Share(f64),
    /// This much calendar time (ms) before the deadline, at that absolute instant even
    /// outside business hours: `"2h calendar"`.
    Before(i64),
}

impl Warning {
    /// The lead it gives before the breach: working or calendar time (ms).
    pub fn lead(self, target: i64) -> i64 {
        match self {
            Warning::Left(ms) | Warning::Before(ms) => ms,
            Warning::Share(share) => target - (target as f64 * share).round() as i64,
        }
    }

    /// Whether it applies to a target: not when it would be due from the start (a
    /// warning "1 day before" on a 4-hour target does not apply). A calendar-time lead
    /// shorter than the target always falls after the clock's start, since a target's
    /// working time takes at least as long in calendar time.
    pub fn applies(self, target: i64) -> bool {
        self.lead(target) < target
    }

    /// Whether it is due at the breach itself.
    pub fn at_breach(self, target: i64) -> bool {
        self.lead(target) <= 0
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

/// Something wrong in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: a JSON Pointer (RFC 6901) into the configuration, empty for the whole.
    pub path: String,
    /// What, naming the value.
    pub message: String,
}

/// `name` as one segment of a JSON Pointer (RFC 6901, section 3: `~` is written
/// `~0` and `/` is written `~1`).
fn segment(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The ticket statuses a configuration may name, as guichet's JSON spells them.
pub const STATUSES: [&str; 8] = [
    "new",
    "open",
    "waiting_on_requester",
    "waiting_on_agent",
    "on_hold",
    "solved",
    "closed",
    "merged",
];
/// The priorities a configuration may name.
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
/// The channels a configuration may name.
pub const CHANNELS: [&str; 9] = [
    "email",
    "chat",
    "whatsapp",
    "messenger",
    "phone",
    "app_store_review",
    "sms",
    "web_form",
    "api",
];

/// Adds a problem for each of `values` that is not among `known`.
fn check_names(
    problems: &mut Vec<Problem>,
    path: &str,
    what: &str,
    values: &[String],
    known: &[&str],
) {
    for (n, value) in values.iter().enumerate() {
        if !known.contains(&value.as_str()) {
            problems.push(Problem {
                path: format!("{path}/{n}"),
                message: format!(
                    "unknown {what} `{value}`; expected one of {}",
                    known.join(", ")
                ),
            });
        }
    }
}

impl Config {
    /// Reads the configuration. `Err` holds every problem that stops it from being
    /// used (not only the first), each with its place, then the unknown names; `Ok`
    /// comes with the names it
    /// does not know (a status, priority or channel that does not exist), which
    /// `check-config` refuses when the configuration is set but which an event does
    /// not fail on: a name that matches nothing was ignored before configurations were
    /// checked, and a configuration set then keeps working (the plugin logs them).
    pub fn parse(text: &str) -> Result<(Config, Vec<Problem>), Vec<Problem>> {
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| {
            vec![Problem {
                path: String::new(),
                message: format!("sla configuration: {e}"),
            }]
        })?;
        let mut problems = Vec::new();
        let mut unknown_names = Vec::new();
        check_names(
            &mut unknown_names,
            "/pause_on",
            "status",
            &raw.pause_on,
            &STATUSES,
        );
        // Each calendar is read once, and a bad one is named once, used or not.
        let mut calendars = BTreeMap::new();
        for (name, config) in &raw.calendars {
            match Calendar::from_config(config) {
                Ok(calendar) => {
                    calendars.insert(name.clone(), (calendar, config.time_zone.clone()));
                }
                Err(e) => problems.push(Problem {
                    path: format!("/calendars/{}", segment(name)),
                    message: format!("calendar `{name}`: {e}"),
                }),
            }
        }
        let mut policies = Vec::new();
        for (n, p) in raw.policies.into_iter().enumerate() {
            let at = format!("/policies/{n}");
            let known = problems.len();
            let mut skip = false;
            let mut problem = |path: String, message: String| {
                problems.push(Problem {
                    path,
                    message: format!("sla policy `{}`: {message}", p.name),
                })
            };
            let (calendar, zone) = match &p.calendar {
                None => (Calendar::Always, "UTC".to_string()),
                Some(name) => match calendars.get(name) {
                    Some(found) => found.clone(),
                    None => {
                        if !raw.calendars.contains_key(name) {
                            problem(
                                format!("{at}/calendar"),
                                format!("no calendar `{name}` in `calendars`"),
                            );
                        }
                        // A bad calendar is named above, once.
                        skip = true;
                        (Calendar::Always, "UTC".to_string())
                    }
                },
            };
            let mut targets = BTreeMap::new();
            for (metric, text) in [
                (Metric::FirstReply, &p.first_reply),
                (Metric::NextReply, &p.next_reply),
                (Metric::Resolution, &p.resolution),
            ] {
                if let Some(text) = text {
                    match parse_duration(text) {
                        Ok(ms) => {
                            targets.insert(metric, ms);
                        }
                        Err(e) => problem(format!("{at}/{}", metric.name()), e),
                    }
                }
            }
            let mut internal = BTreeMap::new();
            for (name, text) in &p.internal {
                match Metric::ALL.into_iter().find(|m| m.name() == name) {
                    None => problem(
                        format!("{at}/internal/{}", segment(name)),
                        format!("`internal.{name}`: use first_reply, next_reply or resolution"),
                    ),
                    Some(metric) => match parse_duration(text) {
                        Ok(ms) => {
                            internal.insert(metric, ms);
                        }
                        Err(e) => problem(format!("{at}/internal/{}", segment(name)), e),
                    },
                }
            }
            let mut warnings = Vec::new();
            for (i, text) in p.warnings.iter().enumerate() {
                match parse_warning(text) {
                    Ok(w) => warnings.push(w),
                    Err(e) => problem(format!("{at}/warnings/{i}"), e),
                }
            }
            let mut names = Vec::new();
            if let Some(level) = &p.on_breach.raise_priority
                && !PRIORITIES.contains(&level.as_str())
            {
                names.push(Problem {
                    path: format!("{at}/on_breach/raise_priority"),
                    message: format!(
                        "unknown priority `{level}`; expected one of {}",
                        PRIORITIES.join(", ")
                    ),
                });
            }
            let m = &p.matches;
            check_names(
                &mut names,
                &format!("{at}/match/priorities"),
                "priority",
                &m.priorities,
                &PRIORITIES,
            );
            check_names(
                &mut names,
                &format!("{at}/match/channels"),
                "channel",
                &m.channels,
                &CHANNELS,
            );
            unknown_names.extend(names.into_iter().map(|found| Problem {
                path: found.path,
                message: format!("sla policy `{}`: {}", p.name, found.message),
            }));
            if skip || problems.len() > known {
                continue;
            }
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
        if !problems.is_empty() {
            problems.extend(unknown_names);
            return Err(problems);
        }
        Ok((
            Config {
                pause_on: raw.pause_on,
                policies,
            },
            unknown_names,
        ))
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

/// Reads a warning: `"2h"` or `"2h working"` (working time left), `"2h calendar"`
/// (calendar time before the deadline) or `"75%"` (share of the target passed). A lead
/// of zero (`"0m"`, `"0m calendar"`, `"100%"`) is a warning at the breach.
fn parse_warning(text: &str) -> Result<Warning, String> {
    let trimmed = text.trim();
    if let Some(share) = trimmed.strip_suffix('%') {
        let share: f64 = share
            .trim()
            .parse()
            .map_err(|_| format!("warning `{text}`: a share is like `75%`"))?;
        if !(0.0..=100.0).contains(&share) {
            return Err(format!("warning `{text}`: a share is between 0% and 100%"));
        }
        return Ok(Warning::Share(share / 100.0));
    }
    let (lead, calendar) = match trimmed.rsplit_once(char::is_whitespace) {
        Some((lead, "calendar")) => (lead.trim(), true),
        Some((lead, "working")) => (lead.trim(), false),
        Some((_, other)) => {
            return Err(format!(
                "warning `{text}`: `{other}` is not a kind of time; write `2h` or `2h working` \
                 (working time left), `2h calendar` (calendar time before the deadline) or `75%`"
            ));
        }
        None => (trimmed, false),
    };
    let (number, unit) = lead.split_at(
        lead.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(lead.len()),
    );
    let zero = !number.is_empty()
        && number.chars().all(|c| c == '0')
        && ["", "d", "h", "m", "s"].contains(&unit);
    let ms = if zero {
        0
    } else {
        parse_duration(lead).map_err(|e| format!("warning `{text}`: {e}"))?
    };
    Ok(if calendar {
        Warning::Before(ms)
    } else {
        Warning::Left(ms)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name that matches nothing is refused when the configuration is set (it is
    /// among the problems `check-config` gives), but a configuration stored before
    /// configurations were checked still reads: events do not fail on it.
    #[test]
    fn unknown_names_are_problems_to_check_but_do_not_stop_events() {
        let (config, unknown) = Config::parse(
            r#"{"pause_on": ["waiting_on_customer"],
                "policies": [{"name": "a/b", "match": {"priorities": ["urgnet"]},
                              "first_reply": "1h"}]}"#,
        )
        .unwrap();
        assert_eq!(config.policies.len(), 1);
        let places: Vec<&str> = unknown.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(places, ["/pause_on/0", "/policies/0/match/priorities/0"]);
        // A name in a pointer is escaped (RFC 6901): `/` is `~1`, `~` is `~0`.
        let problems = Config::parse(
            r#"{"calendars": {"Europe/Paris~x": {"time_zone": "Mars", "hours": {}}},
                "policies": [{"name": "p", "calendar": "Europe/Paris~x", "first_reply": "1h"}]}"#,
        )
        .unwrap_err();
        assert_eq!(problems[0].path, "/calendars/Europe~1Paris~0x");
    }

    #[test]
    fn warnings_read_working_calendar_share_and_zero_leads() {
        const HOUR: i64 = 3_600_000;
        for (text, warning) in [
            ("2h", Warning::Left(2 * HOUR)),
            ("2h working", Warning::Left(2 * HOUR)),
            ("2h calendar", Warning::Before(2 * HOUR)),
            ("1d2h calendar", Warning::Before(26 * HOUR)),
            ("0m", Warning::Left(0)),
            ("0s", Warning::Left(0)),
            ("0", Warning::Left(0)),
            ("0h calendar", Warning::Before(0)),
            ("75%", Warning::Share(0.75)),
            ("100%", Warning::Share(1.0)),
        ] {
            assert_eq!(parse_warning(text), Ok(warning), "{text}");
        }
        for (text, why) in [
            ("2h wall", "not a kind of time"),
            ("101%", "between 0% and 100%"),
            ("-5%", "between 0% and 100%"),
            ("x calendar", "not a duration"),
            ("0x", "not a duration"),
        ] {
            let error = parse_warning(text).unwrap_err();
            assert!(error.contains(why), "{text}: {error}");
        }
        assert!(Warning::Left(0).at_breach(4 * HOUR) && Warning::Share(1.0).at_breach(HOUR));
        assert!(
            Warning::Before(HOUR).applies(4 * HOUR) && !Warning::Before(4 * HOUR).applies(4 * HOUR)
        );
    }
}
