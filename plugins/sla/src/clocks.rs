//! The SLA clocks of one ticket: how working time accrues on each metric, when a
//! clock starts, pauses and stops, and what is due when a threshold is crossed.
//!
//! Every event goes through [`TicketClocks::evaluate`]: time accrued up to the event
//! is added (in the policy's calendar), the event starts or stops clocks, warnings and
//! breaches whose point has passed are reported once, and timers are asked for at the
//! next points, so that the plugin is called again exactly then. A timer event is
//! just another event: the same evaluation finds the threshold it was set for.
//! Pure: no bindings, no storage; `lib.rs` turns the [`Outcome`] into actions.

use std::collections::{BTreeMap, BTreeSet};

use business_hours::format_time;
use serde::{Deserialize, Serialize};

use crate::policy::{Metric, Policy, Warning};

/// One metric's clock.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Clock {
    /// Working time accrued while running, in ms.
    pub elapsed: i64,
    /// Running since (ms); none while paused or stopped.
    pub since: Option<i64>,
    pub stopped: bool,
    /// Indexes of the policy's warnings already given for this run.
    pub warned: BTreeSet<usize>,
    pub internal_reached: bool,
    pub breached: bool,
    /// The spans during which it ran, each `(from, to)` in ms since the Unix epoch,
    /// contiguous ones merged: a change of policy recounts `elapsed` from them in the
    /// new policy's calendar. One span per pause; past [`MAX_RUNS`] the oldest are
    /// folded into `counted`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<(i64, i64)>,
    /// Working time (ms) counted without spans: by a record kept before the spans
    /// were, or folded from the oldest spans. A recount keeps it as it is.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub counted: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Most spans a clock keeps (a ticket paused and resumed more often than this has
/// its oldest spans counted in the policy of the time).
pub const MAX_RUNS: usize = 64;

impl Clock {
    /// Records that it ran from `from` to `to`, which `calendar` counts as `worked`
    /// ms, and adds that to `elapsed`. Time counted before any span was recorded (a
    /// record of an older version) is kept in `counted`.
    fn ran(&mut self, from: i64, to: i64, worked: i64) {
        if self.runs.is_empty() && self.counted == 0 && self.elapsed > 0 {
            self.counted = self.elapsed;
        }
        self.elapsed += worked;
        match self.runs.last_mut() {
            Some(last) if last.1 == from => last.1 = to,
            _ if from < to => self.runs.push((from, to)),
            _ => {}
        }
    }

    /// Folds the oldest spans past [`MAX_RUNS`] into `counted`, in `policy`'s
    /// calendar, so that what a ticket keeps stays bounded.
    fn fold(&mut self, policy: &Policy) {
        while self.runs.len() > MAX_RUNS {
            let (from, to) = self.runs.remove(0);
            self.counted += policy.calendar.between(from, to);
        }
    }
}

/// What the plugin keeps per ticket (in plugin storage).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TicketClocks {
    pub clocks: BTreeMap<String, Clock>,
    /// The last time evaluated: events that arrive late do not take time back.
    pub evaluated_at: i64,
    /// Timers this plugin has set on the ticket, to cancel those no longer needed.
    pub timers: BTreeSet<String>,
    /// When the ticket was last reopened (solved, closed or merged, then back to an
    /// active status), if it was: the clocks count from there, not from its creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened_at: Option<i64>,
    /// The policy the clocks were last counted in: when another one applies (the
    /// priority raised, the group or channel changed), they are recounted in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// What happened, as far as the clocks care.
#[derive(Debug, Clone, PartialEq)]
pub enum Happened {
    Created,
    AgentReply,
    RequesterMessage,
    StatusChanged {
        previous: String,
        current: String,
    },
    /// A timer or anything else: time passed, nothing started or stopped.
    Tick,
}

/// The ticket as the clocks need it.
#[derive(Debug, Clone)]
pub struct TicketView<'a> {
    pub id: &'a str,
    pub status: &'a str,
    pub assignee: Option<&'a str>,
    pub group: Option<&'a str>,
    pub priority: &'a str,
    /// Whether an agent has replied publicly, ever.
    pub answered: bool,
    /// When the ticket was created (ms).
    pub created_at: i64,
}

/// What the evaluation asks for.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub tags: Vec<String>,
    /// (agent, message)
    pub tell_agent: Vec<(String, String)>,
    /// (group, message)
    pub tell_group: Vec<(String, String)>,
    /// (group, message): its lead
    pub tell_lead: Vec<(String, String)>,
    pub raise_priority: Option<String>,
    /// (timer name, due at ms)
    pub set_timers: Vec<(String, i64)>,
    pub cancel_timers: Vec<String>,
}

const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

fn timer_name(metric: Metric, what: &str) -> String {
    format!("sla:{}:{what}", metric.name())
}

/// Whether a status means the work is done: no clock runs on such a ticket.
pub fn is_done(status: &str) -> bool {
    matches!(status, "solved" | "closed" | "merged")
}

impl TicketClocks {
    /// The record of a ticket reopened at `now`: the clocks start afresh from there.
    /// The timers set before (normally none: they were cancelled when the ticket was
    /// done) are kept in the record, so that the next evaluation cancels them.
    pub fn reopened(self, now: i64) -> TicketClocks {
        TicketClocks {
            timers: self.timers,
            reopened_at: Some(now),
            ..TicketClocks::default()
        }
    }

    /// Whether there is nothing worth keeping: no clock, no timer, no reopening.
    pub fn is_empty(&self) -> bool {
        self.clocks.is_empty() && self.timers.is_empty() && self.reopened_at.is_none()
    }

    pub fn evaluate(
        &mut self,
        policy: Option<&Policy>,
        pause_on: &[String],
        ticket: &TicketView<'_>,
        happened: &Happened,
        event_time: i64,
    ) -> Outcome {
        let now = event_time.max(self.evaluated_at);
        self.evaluated_at = now;
        let mut out = Outcome::default();
        let wanted_timers = match policy {
            Some(policy) => {
                self.accrue(policy, now);
                // The last policy counted in is kept through a spell without one, so
                // that A, then none, then B still recounts in B.
                if self.policy.as_ref().is_some_and(|p| *p != policy.name) {
                    self.recount(policy);
                }
                self.policy = Some(policy.name.clone());
                self.transition(policy, ticket, happened, now);
                let paused = pause_on.iter().any(|s| s == ticket.status);
                for clock in self.clocks.values_mut() {
                    clock.since = (!clock.stopped && !paused).then_some(now);
                }
                self.thresholds(policy, ticket, now, &mut out);
                self.next_points(policy, now)
            }
            // No policy applies (any more): nothing runs, nothing is due.
            None => BTreeMap::new(),
        };
        for name in self
            .timers
            .difference(&wanted_timers.keys().cloned().collect())
        {
            out.cancel_timers.push(name.clone());
        }
        for (name, due) in &wanted_timers {
            out.set_timers.push((name.clone(), *due));
        }
        self.timers = wanted_timers.into_keys().collect();
        out
    }

    /// Adds the working time since each running clock last ran.
    fn accrue(&mut self, policy: &Policy, now: i64) {
        for clock in self.clocks.values_mut() {
            if let Some(since) = clock.since {
                clock.ran(since, now, policy.calendar.between(since, now));
                clock.fold(policy);
            }
        }
    }

    /// Counts each clock's time again in `policy`'s calendar, from the spans it ran,
    /// when the ticket changes policy: its deadlines become the new policy's, as if
    /// it had applied from the start. What was breached stays breached; the new
    /// policy's warnings and internal targets are given anew (those already past, at
    /// once). Time counted without spans (`counted`) is kept as it was counted.
    fn recount(&mut self, policy: &Policy) {
        for clock in self.clocks.values_mut() {
            clock.elapsed = clock.counted
                + clock
                    .runs
                    .iter()
                    .map(|&(from, to)| policy.calendar.between(from, to))
                    .sum::<i64>();
            clock.warned.clear();
            clock.internal_reached = false;
        }
    }

    fn clock(&mut self, metric: Metric) -> &mut Clock {
        self.clocks.entry(metric.name().to_string()).or_default()
    }

    fn transition(
        &mut self,
        policy: &Policy,
        ticket: &TicketView<'_>,
        happened: &Happened,
        now: i64,
    ) {
        let has = |m: Metric| policy.targets.contains_key(&m);
        // First reply and resolution run from the ticket's creation, or from its
        // reopening. A ticket that gets a policy later (routed to a group, its priority
        // raised, the plugin installed after it was created) starts them then, with the
        // working time since its creation (or reopening) already counted.
        let done = is_done(ticket.status);
        let origin = self.reopened_at.unwrap_or(ticket.created_at).min(now);
        for metric in [Metric::FirstReply, Metric::Resolution] {
            let applies = match metric {
                Metric::FirstReply => !ticket.answered,
                _ => !done,
            };
            if has(metric) && applies && !self.clocks.contains_key(metric.name()) {
                self.clock(metric)
                    .ran(origin, now, policy.calendar.between(origin, now));
            }
        }
        match happened {
            Happened::Created => {}
            Happened::AgentReply => {
                for metric in [Metric::FirstReply, Metric::NextReply] {
                    if let Some(clock) = self.clocks.get_mut(metric.name()) {
                        clock.stopped = true;
                    }
                }
            }
            Happened::RequesterMessage => {
                // The next-reply clock runs from the first requester message after an
                // agent's reply; further messages before the reply do not restart it.
                let first_done = self
                    .clocks
                    .get(Metric::FirstReply.name())
                    .is_none_or(|c| c.stopped);
                let next_running = self
                    .clocks
                    .get(Metric::NextReply.name())
                    .is_some_and(|c| !c.stopped);
                if has(Metric::NextReply) && ticket.answered && first_done && !next_running {
                    self.clocks
                        .insert(Metric::NextReply.name().to_string(), Clock::default());
                }
            }
            Happened::StatusChanged { previous, current } => {
                if is_done(current) {
                    for clock in self.clocks.values_mut() {
                        clock.stopped = true;
                    }
                } else if is_done(previous) && has(Metric::NextReply) && ticket.answered {
                    // Reopened: the helpdesk says the requester needs an answer again,
                    // so a next reply is owed from the reopening (first reply and
                    // resolution started afresh above).
                    self.clocks
                        .insert(Metric::NextReply.name().to_string(), Clock::default());
                }
            }
            Happened::Tick => {}
        }
    }

    /// Reports, once, each warning, internal target and breach whose point has passed.
    /// A warning due at the breach itself (a lead of zero) is reported in the same
    /// evaluation, before the breach.
    fn thresholds(
        &mut self,
        policy: &Policy,
        ticket: &TicketView<'_>,
        now: i64,
        out: &mut Outcome,
    ) {
        for metric in Metric::ALL {
            let Some(&target) = policy.targets.get(&metric) else {
                continue;
            };
            let Some(clock) = self.clocks.get_mut(metric.name()) else {
                continue;
            };
            if clock.stopped || clock.breached {
                continue;
            }
            let left = target - clock.elapsed;
            // The deadline as it stands now; unknown while the clock is paused.
            let deadline = clock
                .since
                .map(|_| policy.calendar.add(now, left.max(0)).max(now));
            let what = format!(
                "{} on ticket {} (policy `{}`, target {})",
                metric.label(),
                ticket.id,
                policy.name,
                human(target)
            );
            if left > 0
                && let Some(&internal) = policy.internal.get(&metric)
                && clock.elapsed >= internal
                && !clock.internal_reached
            {
                clock.internal_reached = true;
                out.tags.push(format!("sla-internal:{}", metric.name()));
                tell(
                    out,
                    ticket,
                    format!(
                        "internal target of {} passed: {what}; {} of working time left",
                        human(internal),
                        human(left)
                    ),
                );
            }
            let crossed: Vec<usize> = policy
                .warnings
                .iter()
                .enumerate()
                .filter(|(i, w)| !clock.warned.contains(i) && w.applies(target))
                .filter(|(_, w)| {
                    if left <= 0 {
                        // Past the breach, only the warnings that were due at it.
                        return w.at_breach(target);
                    }
                    match w {
                        Warning::Before(lead) => deadline.is_some_and(|d| d - now <= *lead),
                        _ => left <= w.lead(target),
                    }
                })
                .map(|(i, _)| i)
                .collect();
            if !crossed.is_empty() {
                // Several at once (a clock that starts late): one message says it.
                clock.warned.extend(crossed);
                out.tags.push(format!("sla-warning:{}", metric.name()));
                let status = match deadline {
                    _ if left <= 0 => "the target is reached now".to_string(),
                    Some(d) => format!(
                        "{} of working time left, breach at {}",
                        human(left),
                        format_time(d)
                    ),
                    None => format!("{} of working time left", human(left)),
                };
                tell(out, ticket, format!("SLA warning: {what}; {status}"));
            }
            if left <= 0 {
                clock.breached = true;
                out.tags.push(format!("sla-breached:{}", metric.name()));
                let message = format!("SLA breached: {what}");
                match (ticket.group, ticket.assignee) {
                    (Some(group), _) => out.tell_lead.push((group.to_string(), message)),
                    (None, Some(agent)) => out.tell_agent.push((agent.to_string(), message)),
                    (None, None) => {}
                }
                if let Some(level) = &policy.on_breach.raise_priority
                    && rank(level) > rank(ticket.priority)
                {
                    out.raise_priority = Some(level.clone());
                }
            }
        }
        out.tags.dedup();
    }

    /// The timers to have: each running clock's next warning, internal target and
    /// breach. A warning due at the breach needs no timer of its own: the breach's
    /// timer reports it.
    fn next_points(&self, policy: &Policy, now: i64) -> BTreeMap<String, i64> {
        let mut timers = BTreeMap::new();
        for metric in Metric::ALL {
            let (Some(&target), Some(clock)) =
                (policy.targets.get(&metric), self.clocks.get(metric.name()))
            else {
                continue;
            };
            if clock.stopped || clock.since.is_none() || clock.breached {
                continue;
            }
            let left = target - clock.elapsed;
            let at = |working_left: i64| policy.calendar.add(now, left - working_left);
            let breach = at(0);
            timers.insert(timer_name(metric, "breach"), breach);
            if let Some(&internal) = policy.internal.get(&metric)
                && !clock.internal_reached
            {
                timers.insert(timer_name(metric, "internal"), at(target - internal));
            }
            if let Some(next) = policy
                .warnings
                .iter()
                .enumerate()
                .filter(|(i, w)| !clock.warned.contains(i) && w.applies(target))
                .filter_map(|(_, w)| match w {
                    Warning::Before(lead) => Some(breach - lead),
                    _ => {
                        let lead = w.lead(target);
                        (lead < left).then(|| at(lead))
                    }
                })
                .filter(|due| *due > now && *due < breach)
                .min()
            {
                timers.insert(timer_name(metric, "warning"), next);
            }
        }
        timers
    }
}

/// Tells whoever holds the ticket: its agent, else its group.
fn tell(out: &mut Outcome, ticket: &TicketView<'_>, message: String) {
    match (ticket.assignee, ticket.group) {
        (Some(agent), _) => out.tell_agent.push((agent.to_string(), message)),
        (None, Some(group)) => out.tell_group.push((group.to_string(), message)),
        (None, None) => {}
    }
}

fn rank(priority: &str) -> usize {
    PRIORITIES.iter().position(|p| *p == priority).unwrap_or(0)
}

/// `4h`, `1h30m`, `2d3h`: a duration as configurations write it.
pub fn human(ms: i64) -> String {
    let minutes = ms / 60_000;
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut text = String::new();
    for (n, unit) in [(d, "d"), (h, "h"), (m, "m")] {
        if n > 0 {
            text.push_str(&format!("{n}{unit}"));
        }
    }
    if text.is_empty() {
        text = format!("{}s", ms / 1000);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Config;

    const HOUR: i64 = 3_600_000;

    fn config() -> Config {
        Config::parse(
            r#"{"policies": [
                {"name": "urgent", "match": {"priorities": ["urgent"]}, "resolution": "8h"},
                {"name": "standard", "resolution": "3d"}
            ]}"#,
        )
        .unwrap()
        .0
    }

    fn view(priority: &str) -> TicketView<'_> {
        TicketView {
            id: "t-1",
            status: "open",
            assignee: None,
            group: None,
            priority,
            answered: false,
            created_at: 0,
        }
    }

    /// A record kept before the spans were: three hours counted, running since 3h.
    /// Raised to urgent ten minutes later, it keeps those three hours.
    #[test]
    fn a_record_without_spans_keeps_its_count_when_the_policy_changes() {
        let mut clocks: TicketClocks = serde_json::from_str(
            r#"{"clocks": {"resolution": {"elapsed": 10800000, "since": 10800000,
                 "stopped": false, "warned": [], "internal_reached": false,
                 "breached": false}},
                "evaluated_at": 10800000, "timers": ["sla:resolution:breach"],
                "policy": "standard"}"#,
        )
        .unwrap();
        let config = config();
        let now = 3 * HOUR + 10 * 60_000;
        let urgent = config.policy_for("urgent", "email", None);
        let out = clocks.evaluate(urgent, &[], &view("urgent"), &Happened::Tick, now);
        assert_eq!(clocks.clocks["resolution"].elapsed, 3 * HOUR + 10 * 60_000);
        assert_eq!(
            out.set_timers,
            [("sla:resolution:breach".to_string(), 8 * HOUR)]
        );
    }

    /// Paused and resumed more often than spans are kept: what the ticket keeps stays
    /// bounded, and the count stays right in the same policy.
    #[test]
    fn spans_past_the_bound_are_folded_into_the_count() {
        let config = config();
        let standard = config.policy_for("normal", "email", None);
        let mut clocks = TicketClocks::default();
        let pause = vec!["waiting_on_requester".to_string()];
        let mut at = 0;
        clocks.evaluate(standard, &pause, &view("normal"), &Happened::Created, at);
        for _ in 0..100 {
            at += 60_000;
            let mut waiting = view("normal");
            waiting.status = "waiting_on_requester";
            clocks.evaluate(standard, &pause, &waiting, &Happened::Tick, at);
            at += 60_000;
            clocks.evaluate(standard, &pause, &view("normal"), &Happened::Tick, at);
        }
        let clock = &clocks.clocks["resolution"];
        assert!(clock.runs.len() <= MAX_RUNS, "{}", clock.runs.len());
        assert_eq!(clock.elapsed, 100 * 60_000);
        // Recounted in the same calendar (calendar hours), the count is unchanged.
        clocks.recount(standard.unwrap());
        assert_eq!(clocks.clocks["resolution"].elapsed, 100 * 60_000);
    }
}
