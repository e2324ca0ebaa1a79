//! The KPI report of a time range: the facts of the range (see `super::fact`)
//! aggregated per group, with the tenant's business calendar and time zone. Pure: the
//! caller reads the facts and the backlog at the range's start from the store.
//!
//! Definitions (the README's "KPIs" section says the same for admins):
//! - **first response time**: from the ticket's creation to its first public reply by
//!   an agent; **next reply time**: from the first requester message after an agent
//!   reply to the next public agent reply; **resolution time**: from creation to the
//!   moment the ticket is solved or closed (again from creation after a reopening).
//!   Each is counted in the range where its clock stopped, in calendar time and in
//!   business time (the working time of the tenant's business calendar between start
//!   and stop; null without a calendar). Median and p90 are nearest-rank: the value at
//!   rank ⌈p·n⌉ of the n sorted values.
//! - **SLA attainment** per policy (the ticket's `sla_policy` field when the clock
//!   stopped) and metric (`first_reply`, `next_reply`, `resolution`, those of the
//!   ticket's `sla_targets` field): the clocks stopped in the range without a breach
//!   of that metric between their start and stop, over the clocks stopped. **Breaches**: the breaches marked in the range.
//! - **missed-call rate**: missed calls over calls, counting only calls during
//!   business hours (all calls without a calendar).
//! - **reopen rate**: reopenings over resolutions, both in the range.
//! - **backlog** at a day's end: unsolved tickets; an **inbox-zero day** is a local day
//!   on which the team emptied its inbox: a change that day left no ticket waiting on
//!   the team (new, open, waiting on an agent), or none waited all day.
//! - **actions**: plugins' applied actions on tickets (not timers or notifications)
//!   and agents' changes (one per event); the plugins' share of their sum.
//! - **merged**: tickets merged into another; **reassigned**: tickets whose assignee or
//!   group changed after they had one.
//!
//! Cost: O(f log f) for the f facts of the range, plus O(w) business-calendar steps
//! per duration for a clock that spans w working intervals.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use business_hours::Calendar;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::fact::{Actor, Fact, FactKind, ReplyClock};
use crate::model::{Channel, Priority};

/// How a report's facts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Totals only.
    #[default]
    None,
    Channel,
    /// The ticket's group (`(none)` when it has none).
    Group,
    /// The ticket's assignee (`(unassigned)` when it has none).
    Agent,
    Priority,
    /// The local date in the tenant's time zone (`2026-03-29`).
    Day,
}

/// Unsolved tickets and tickets waiting on the team at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backlog {
    pub unsolved: i64,
    pub awaiting: i64,
}

/// What a report is computed with besides the facts.
pub struct Settings<'a> {
    /// The tenant's time zone: days are its local days.
    pub zone: Tz,
    /// The tenant's business calendar; none: business times are null and every call
    /// counts.
    pub calendar: Option<&'a Calendar>,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub group_by: GroupBy,
    /// Unsolved and awaiting tickets at `from`.
    pub backlog_at_start: Backlog,
    /// Breaches marked before `from` of the clocks that stop in the range but started
    /// before it: (ticket, metric, when). They decide those clocks' attainment and
    /// are not counted as breaches of the range.
    pub earlier_breaches: Vec<(Arc<str>, &'static str, DateTime<Utc>)>,
}

/// Median and p90 of durations, in milliseconds; null when there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stats {
    pub median_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

/// One clock's durations: how many stopped in the range, in calendar and business
/// time (business null without a business calendar).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Durations {
    pub count: u64,
    pub calendar: Stats,
    pub business: Option<Stats>,
}

/// SLA attainment and breaches of one policy and metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SlaKpi {
    pub policy: String,
    /// `first_reply`, `next_reply` or `resolution`.
    pub metric: String,
    /// Clocks stopped in the range.
    pub completed: u64,
    /// Of those, the ones not breached.
    pub attained: u64,
    /// `attained / completed`, 0 to 1; null when none completed.
    pub attainment: Option<f64>,
    /// Breaches marked in the range.
    pub breaches: u64,
}

/// Calls during business hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Calls {
    pub calls: u64,
    pub missed: u64,
    /// `missed / calls`; null without calls.
    pub missed_rate: Option<f64>,
}

/// Resolutions and reopenings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reopens {
    pub resolved: u64,
    pub reopened: u64,
    /// `reopened / resolved`; null without resolutions.
    pub reopen_rate: Option<f64>,
}

/// Actions on tickets by plugins and by agents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actions {
    pub by_plugins: u64,
    pub by_agents: u64,
    /// `by_plugins / (by_plugins + by_agents)`; null without actions.
    pub plugin_share: Option<f64>,
}

/// The KPIs of a set of facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Kpis {
    pub tickets_created: u64,
    pub first_response: Durations,
    pub next_reply: Durations,
    pub resolution: Durations,
    /// Per policy and metric, sorted by policy then metric.
    pub sla: Vec<SlaKpi>,
    pub calls: Calls,
    pub reopens: Reopens,
    pub actions: Actions,
    /// Tickets merged into another.
    pub merged: u64,
    pub reassigned: u64,
}

/// One group's KPIs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Group {
    pub key: String,
    pub kpis: Kpis,
}

/// The backlog of one local day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Day {
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Unsolved tickets at the day's end (or at `until`).
    pub backlog: i64,
    /// Whether a change that day left no ticket waiting on the team, or none waited
    /// all day.
    pub inbox_zero: bool,
}

/// A tenant's KPIs over `[from, until)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub time_zone: String,
    pub group_by: GroupBy,
    /// Whether business times were computed (the tenant has a business calendar).
    pub business_calendar: bool,
    pub totals: Kpis,
    /// One per key, sorted by key; empty with `group_by=none`.
    pub groups: Vec<Group>,
    /// Each local day of the range, in order.
    pub days: Vec<Day>,
    /// Days of `days` with `inbox_zero`.
    pub inbox_zero_days: u64,
}

/// The report of `facts` (those of `[from, until)`, in time order).
pub fn report(facts: &[Fact], settings: &Settings<'_>) -> Report {
    let breaches = breach_index(facts, &settings.earlier_breaches);
    let mut totals = Tally::default();
    let mut groups: HashMap<Key<'_>, Tally<'_>> = HashMap::new();
    for fact in facts {
        totals.add(fact, settings, &breaches);
        if let Some(key) = group_key(fact, settings) {
            groups
                .entry(key)
                .or_default()
                .add(fact, settings, &breaches);
        }
    }
    let mut groups: Vec<(String, Tally<'_>)> = groups
        .into_iter()
        .map(|(key, tally)| (key.to_string(), tally))
        .collect();
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let days = days(facts, settings);
    let business = settings.calendar.is_some();
    Report {
        from: settings.from,
        until: settings.until,
        time_zone: settings.zone.name().to_string(),
        group_by: settings.group_by,
        business_calendar: business,
        totals: totals.kpis(business),
        groups: groups
            .into_iter()
            .map(|(key, tally)| Group {
                key,
                kpis: tally.kpis(business),
            })
            .collect(),
        inbox_zero_days: days.iter().filter(|d| d.inbox_zero).count() as u64,
        days,
    }
}

/// The local date of `at` in `zone`.
pub fn local_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// A group's key while facts are read: borrowed or copied, made text at the end.
#[derive(PartialEq, Eq, Hash)]
enum Key<'a> {
    Text(&'a str),
    Channel(Channel),
    Priority(Priority),
    Day(NaiveDate),
}

impl std::fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Text(text) => f.write_str(text),
            Key::Channel(channel) => f.write_str(&json_name(channel)),
            Key::Priority(priority) => f.write_str(&json_name(priority)),
            Key::Day(date) => write!(f, "{date}"),
        }
    }
}

fn group_key<'a>(fact: &'a Fact, settings: &Settings<'_>) -> Option<Key<'a>> {
    Some(match settings.group_by {
        GroupBy::None => return None,
        GroupBy::Channel => Key::Channel(fact.channel),
        GroupBy::Group => Key::Text(fact.group.as_deref().unwrap_or("(none)")),
        GroupBy::Agent => Key::Text(fact.agent.as_deref().unwrap_or("(unassigned)")),
        GroupBy::Priority => Key::Priority(fact.priority),
        GroupBy::Day => Key::Day(local_date(fact.at, settings.zone)),
    })
}

/// A value's name in JSON (`app_store_review`).
fn json_name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => format!("{other:?}"),
    }
}

type BreachIndex<'a> = HashMap<(&'a str, &'a str), Vec<DateTime<Utc>>>;

/// When each (ticket, metric) was breached: in the range, and before it.
fn breach_index<'a>(
    facts: &'a [Fact],
    earlier: &'a [(Arc<str>, &'static str, DateTime<Utc>)],
) -> BreachIndex<'a> {
    let mut index: BreachIndex<'a> = HashMap::new();
    for (ticket, metric, at) in earlier {
        index.entry((&**ticket, *metric)).or_default().push(*at);
    }
    for fact in facts {
        if let FactKind::SlaBreach { metric } = &fact.kind {
            index
                .entry((&*fact.ticket, metric.as_str()))
                .or_default()
                .push(fact.at);
        }
    }
    index
}

/// The SLA metric a fact's clock is, and when it started.
pub(super) fn metric_of(kind: &FactKind) -> Option<(&'static str, DateTime<Utc>)> {
    match kind {
        FactKind::Reply {
            clock: ReplyClock::FirstResponse,
            since,
        } => Some(("first_reply", *since)),
        FactKind::Reply {
            clock: ReplyClock::NextReply,
            since,
        } => Some(("next_reply", *since)),
        FactKind::Resolved { since } => Some(("resolution", *since)),
        _ => None,
    }
}

#[derive(Default)]
struct Clock {
    calendar: Vec<i64>,
    business: Vec<i64>,
}

#[derive(Default)]
struct SlaTally {
    completed: u64,
    attained: u64,
    breaches: u64,
}

#[derive(Default)]
struct Tally<'a> {
    created: u64,
    first_response: Clock,
    next_reply: Clock,
    resolution: Clock,
    /// By (policy, metric), borrowed from the facts.
    sla: HashMap<(&'a str, &'a str), SlaTally>,
    calls: u64,
    missed: u64,
    resolved: u64,
    reopened: u64,
    by_plugins: u64,
    by_agents: u64,
    merged: u64,
    reassigned: u64,
}

impl<'a> Tally<'a> {
    fn add(&mut self, fact: &'a Fact, settings: &Settings<'_>, breaches: &BreachIndex<'_>) {
        let ms = |at: DateTime<Utc>| at.timestamp_millis();
        match &fact.kind {
            FactKind::Created => self.created += 1,
            FactKind::Reply { .. } | FactKind::Resolved { .. } => {
                let (metric, since) = metric_of(&fact.kind).expect("a clock");
                let clock = match &fact.kind {
                    FactKind::Reply {
                        clock: ReplyClock::FirstResponse,
                        ..
                    } => &mut self.first_response,
                    FactKind::Reply {
                        clock: ReplyClock::NextReply,
                        ..
                    } => &mut self.next_reply,
                    _ => {
                        self.resolved += 1;
                        &mut self.resolution
                    }
                };
                clock.calendar.push((ms(fact.at) - ms(since)).max(0));
                if let Some(calendar) = settings.calendar {
                    clock
                        .business
                        .push(calendar.between(ms(since), ms(fact.at)));
                }
                if let Some(policy) = &fact.sla_policy
                    && fact.sla_targets.has(metric)
                {
                    let breached = breaches
                        .get(&(&*fact.ticket, metric))
                        .is_some_and(|at| at.iter().any(|b| *b >= since && *b <= fact.at));
                    let tally = self.sla.entry((&**policy, metric)).or_default();
                    tally.completed += 1;
                    tally.attained += u64::from(!breached);
                }
            }
            FactKind::Reopened => self.reopened += 1,
            FactKind::Call { missed } => {
                let open = settings
                    .calendar
                    .is_none_or(|c| c.between(ms(fact.at), ms(fact.at) + 1) == 1);
                if open {
                    self.calls += 1;
                    self.missed += u64::from(*missed);
                }
            }
            FactKind::SlaBreach { metric } => {
                let policy = fact.sla_policy.as_deref().unwrap_or("(none)");
                self.sla
                    .entry((policy, metric.as_str()))
                    .or_default()
                    .breaches += 1;
            }
            FactKind::Backlog { .. } => {}
            FactKind::Actions {
                by: Actor::Plugin,
                count,
            } => self.by_plugins += u64::from(*count),
            FactKind::Actions {
                by: Actor::Agent,
                count,
            } => self.by_agents += u64::from(*count),
            FactKind::Merged { .. } => self.merged += 1,
            FactKind::Reassigned { .. } => self.reassigned += 1,
        }
    }

    fn kpis(self, business: bool) -> Kpis {
        let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
        let durations = |clock: Clock| Durations {
            count: clock.calendar.len() as u64,
            calendar: stats(clock.calendar),
            business: business.then(|| stats(clock.business)),
        };
        Kpis {
            tickets_created: self.created,
            first_response: durations(self.first_response),
            next_reply: durations(self.next_reply),
            resolution: durations(self.resolution),
            sla: {
                let mut sla: Vec<_> = self.sla.into_iter().collect();
                sla.sort_by(|a, b| a.0.cmp(&b.0));
                sla
            }
            .into_iter()
            .map(|((policy, metric), t)| SlaKpi {
                policy: policy.to_string(),
                metric: metric.to_string(),
                completed: t.completed,
                attained: t.attained,
                attainment: ratio(t.attained, t.completed),
                breaches: t.breaches,
            })
            .collect(),
            calls: Calls {
                calls: self.calls,
                missed: self.missed,
                missed_rate: ratio(self.missed, self.calls),
            },
            reopens: Reopens {
                resolved: self.resolved,
                reopened: self.reopened,
                reopen_rate: ratio(self.reopened, self.resolved),
            },
            actions: Actions {
                by_plugins: self.by_plugins,
                by_agents: self.by_agents,
                plugin_share: ratio(self.by_plugins, self.by_plugins + self.by_agents),
            },
            merged: self.merged,
            reassigned: self.reassigned,
        }
    }
}

/// Nearest-rank median and p90.
fn stats(mut values: Vec<i64>) -> Stats {
    values.sort_unstable();
    let rank = |p: f64| {
        (!values.is_empty())
            .then(|| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1])
    };
    Stats {
        median_ms: rank(0.5),
        p90_ms: rank(0.9),
    }
}

/// The backlog of each local day of the range.
fn days(facts: &[Fact], settings: &Settings<'_>) -> Vec<Day> {
    let first = local_date(settings.from, settings.zone);
    let last = local_date(
        settings.until - chrono::TimeDelta::milliseconds(1),
        settings.zone,
    );
    let mut deltas: BTreeMap<NaiveDate, Vec<(i64, i64)>> = BTreeMap::new();
    for fact in facts {
        if let FactKind::Backlog { unsolved, awaiting } = fact.kind {
            deltas
                .entry(local_date(fact.at, settings.zone))
                .or_default()
                .push((i64::from(unsolved), i64::from(awaiting)));
        }
    }
    let Backlog {
        mut unsolved,
        mut awaiting,
    } = settings.backlog_at_start;
    let mut out = Vec::new();
    let mut date = first;
    while date <= last {
        let changes = deltas.get(&date).map_or(&[][..], Vec::as_slice);
        let mut zero = changes.is_empty() && awaiting <= 0;
        for (du, da) in changes {
            unsolved += du;
            awaiting += da;
            zero |= awaiting <= 0;
        }
        out.push(Day {
            date,
            backlog: unsolved,
            inbox_zero: zero,
        });
        date = date.succ_opt().expect("a date before the year 262143");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn fact(when: &str, ticket: &str, kind: FactKind) -> Fact {
        Fact {
            at: at(when),
            ticket: ticket.into(),
            channel: Channel::Email,
            group: None,
            agent: None,
            priority: Priority::Normal,
            sla_policy: Some("p".into()),
            sla_targets: crate::kpi::fact::SlaTargets::parse("first_reply"),
            kind,
        }
    }

    fn settings(calendar: Option<&Calendar>) -> Settings<'_> {
        Settings {
            zone: chrono_tz::Europe::Paris,
            calendar,
            from: at("2026-03-28T23:00:00Z"),
            until: at("2026-03-30T22:00:00Z"),
            group_by: GroupBy::None,
            backlog_at_start: Backlog {
                unsolved: 1,
                awaiting: 1,
            },
            earlier_breaches: Vec::new(),
        }
    }

    #[test]
    fn median_and_p90_are_nearest_rank() {
        assert_eq!(
            stats(vec![]),
            Stats {
                median_ms: None,
                p90_ms: None
            }
        );
        assert_eq!(
            stats(vec![5]),
            Stats {
                median_ms: Some(5),
                p90_ms: Some(5)
            }
        );
        let ten: Vec<i64> = (1..=10).rev().collect();
        assert_eq!(
            stats(ten),
            Stats {
                median_ms: Some(5),
                p90_ms: Some(9)
            }
        );
        assert_eq!(
            stats(vec![1, 2, 3, 4]),
            Stats {
                median_ms: Some(2),
                p90_ms: Some(4)
            }
        );
    }

    #[test]
    fn a_breach_counts_against_the_clock_it_fell_in() {
        let since = at("2026-03-30T07:00:00Z");
        let reply = |when: &str, ticket: &str| {
            fact(
                when,
                ticket,
                FactKind::Reply {
                    clock: ReplyClock::FirstResponse,
                    since,
                },
            )
        };
        let facts = vec![
            fact(
                "2026-03-30T08:00:00Z",
                "a",
                FactKind::SlaBreach {
                    metric: "first_reply".into(),
                },
            ),
            reply("2026-03-30T09:00:00Z", "a"),
            // Another ticket's breach, and a breach after the reply.
            reply("2026-03-30T09:00:00Z", "b"),
            fact(
                "2026-03-30T10:00:00Z",
                "b",
                FactKind::SlaBreach {
                    metric: "first_reply".into(),
                },
            ),
        ];
        let report = report(&facts, &settings(None));
        assert_eq!(
            report.totals.sla,
            vec![SlaKpi {
                policy: "p".into(),
                metric: "first_reply".into(),
                completed: 2,
                attained: 1,
                attainment: Some(0.5),
                breaches: 2,
            }]
        );
        // Without a calendar, business times are null.
        assert_eq!(report.totals.first_response.business, None);
    }

    /// A clock that started before the range and stops in it is breached by a
    /// breach before the range, which is not a breach of the range.
    #[test]
    fn a_breach_before_the_range_counts_against_its_clock_not_the_range() {
        let since = at("2026-03-27T09:00:00Z");
        let facts = vec![fact(
            "2026-03-30T09:00:00Z",
            "a",
            FactKind::Reply {
                clock: ReplyClock::FirstResponse,
                since,
            },
        )];
        let mut settings = settings(None);
        settings.earlier_breaches = vec![("a".into(), "first_reply", at("2026-03-27T13:00:00Z"))];
        let sla = report(&facts, &settings).totals.sla;
        assert_eq!(
            (sla[0].completed, sla[0].attained, sla[0].breaches),
            (1, 0, 0)
        );
    }

    #[test]
    fn days_are_local_and_inbox_zero_needs_the_inbox_emptied() {
        // Sunday 29 March in Paris: 23 hours. The ticket waiting since before the range
        // is solved on Monday 30 at 00:30 Paris (Sunday 22:30 UTC).
        let facts = vec![fact(
            "2026-03-29T22:30:00Z",
            "a",
            FactKind::Backlog {
                unsolved: -1,
                awaiting: -1,
            },
        )];
        let report = report(&facts, &settings(None));
        let days: Vec<(String, i64, bool)> = report
            .days
            .iter()
            .map(|d| (d.date.to_string(), d.backlog, d.inbox_zero))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-03-29".to_string(), 1, false),
                ("2026-03-30".to_string(), 0, true)
            ]
        );
        assert_eq!(report.inbox_zero_days, 1);
    }

    #[test]
    fn only_calls_in_business_hours_count() {
        let config: business_hours::CalendarConfig = serde_json::from_value(serde_json::json!(
            {"time_zone": "Europe/Paris", "hours": {"mon-fri": ["09:00-18:00"]}}
        ))
        .unwrap();
        let calendar = Calendar::from_config(&config).unwrap();
        let facts = vec![
            // Monday 08:59 and 09:00 Paris (summer time).
            fact("2026-03-30T06:59:00Z", "a", FactKind::Call { missed: true }),
            fact("2026-03-30T07:00:00Z", "a", FactKind::Call { missed: true }),
            fact(
                "2026-03-30T08:00:00Z",
                "a",
                FactKind::Call { missed: false },
            ),
        ];
        let calls = report(&facts, &settings(Some(&calendar))).totals.calls;
        assert_eq!(
            calls,
            Calls {
                calls: 2,
                missed: 1,
                missed_rate: Some(0.5)
            }
        );
    }
}
