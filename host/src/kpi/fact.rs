//! KPI facts: what one processed event contributes to a tenant's numbers, derived
//! when the event is committed and stored with it (see [`derive`]).
//!
//! A fact is small (about 150 bytes of JSON) and final: the report of a time range
//! reads the facts of that range and nothing else (see `super::report`), so its cost
//! is in what happened in the range, never in how many tickets the tenant has.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{
    Action, AuthorRole, Channel, EventKind, FieldValue, Priority, Ticket, TicketStatus,
};

/// The custom field an SLA plugin sets to the name of the policy that applies to the
/// ticket (the reference `sla` plugin does): SLA attainment and breaches are reported
/// per value of this field.
pub const SLA_POLICY_FIELD: &str = "sla_policy";

/// The custom field an SLA plugin sets to the metrics that policy has targets for,
/// separated by spaces (`first_reply resolution`): a clock of another metric is not
/// counted in the policy's attainment.
pub const SLA_TARGETS_FIELD: &str = "sla_targets";

/// The tag prefix an SLA plugin adds at a breach, followed by the metric
/// (`sla-breached:first_reply`, `…:next_reply`, `…:resolution`): every `add_tags`
/// action of a plugin with such a tag is one breach, even when the ticket has the tag
/// already (a second next-reply clock breached).
pub const SLA_BREACH_TAG: &str = "sla-breached:";

/// One fact, with the ticket's dimensions as they were once the event was processed.
/// The texts are shared (`Arc<str>`): the facts of one event, and those read back
/// together, point to the same ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// When it happened (the event's `occurred_at`, a reply's `created_at`).
    pub at: DateTime<Utc>,
    pub ticket: Arc<str>,
    pub channel: Channel,
    pub group: Option<Arc<str>>,
    /// The assignee.
    pub agent: Option<Arc<str>>,
    pub priority: Priority,
    /// The ticket's [`SLA_POLICY_FIELD`], when set.
    pub sla_policy: Option<Arc<str>>,
    /// The ticket's [`SLA_TARGETS_FIELD`]; kept on the facts of clocks only.
    pub sla_targets: SlaTargets,
    pub kind: FactKind,
}

/// Facts of one ticket at one instant as the store keeps them: the dimensions once,
/// then each fact's kind and SLA targets. Encoded with postcard (a compact serde
/// format: fields in order, no names), so no field is ever skipped and enums are
/// externally tagged; times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub at: DateTime<Utc>,
    pub ticket: String,
    pub channel: Channel,
    pub group: Option<String>,
    pub agent: Option<String>,
    pub priority: Priority,
    pub sla_policy: Option<String>,
    pub facts: Vec<(SlaTargets, FactKind)>,
}

impl Stored {
    /// `facts` (one ticket's, as [`derive`] makes them) in time order (a stable
    /// sort), in runs of the same instant and dimensions, each run one record.
    pub fn pack(facts: &[Fact]) -> Vec<Stored> {
        let mut sorted: Vec<&Fact> = facts.iter().collect();
        sorted.sort_by_key(|f| f.at);
        let mut out: Vec<Stored> = Vec::new();
        for fact in sorted {
            let text = |t: &Option<Arc<str>>| t.as_deref().map(str::to_string);
            match out.last_mut() {
                Some(last)
                    if last.at == fact.at
                        && *last.ticket == *fact.ticket
                        && last.channel == fact.channel
                        && last.group.as_deref() == fact.group.as_deref()
                        && last.agent.as_deref() == fact.agent.as_deref()
                        && last.priority == fact.priority
                        && last.sla_policy.as_deref() == fact.sla_policy.as_deref() =>
                {
                    last.facts.push((fact.sla_targets, fact.kind.clone()));
                }
                _ => out.push(Stored {
                    at: fact.at,
                    ticket: fact.ticket.to_string(),
                    channel: fact.channel,
                    group: text(&fact.group),
                    agent: text(&fact.agent),
                    priority: fact.priority,
                    sla_policy: text(&fact.sla_policy),
                    facts: vec![(fact.sla_targets, fact.kind.clone())],
                }),
            }
        }
        out
    }

    /// The facts of the record, sharing its texts.
    pub fn unpack(self, into: &mut Vec<Fact>) {
        let shared = |t: Option<String>| t.map(Arc::<str>::from);
        let (ticket, group, agent, sla_policy) = (
            Arc::<str>::from(self.ticket),
            shared(self.group),
            shared(self.agent),
            shared(self.sla_policy),
        );
        into.extend(self.facts.into_iter().map(|(sla_targets, kind)| Fact {
            at: self.at,
            ticket: ticket.clone(),
            channel: self.channel,
            group: group.clone(),
            agent: agent.clone(),
            priority: self.priority,
            sla_policy: sla_policy.clone(),
            sla_targets,
            kind,
        }));
    }
}

/// The SLA metrics a policy has targets for, of the three a clock fact can stop
/// (`first_reply`, `next_reply`, `resolution`): a set, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SlaTargets(u8);

impl SlaTargets {
    /// The metrics, in bit order.
    pub const METRICS: [&'static str; 3] = ["first_reply", "next_reply", "resolution"];

    /// The metrics named in `text`, separated by spaces; other names are ignored.
    pub fn parse(text: &str) -> SlaTargets {
        SlaTargets(text.split_whitespace().fold(0, |bits, name| {
            bits | Self::METRICS
                .iter()
                .position(|m| *m == name)
                .map_or(0, |i| 1 << i)
        }))
    }

    /// Whether `metric` is one of them.
    pub fn has(self, metric: &str) -> bool {
        Self::METRICS
            .iter()
            .position(|m| *m == metric)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }
}

/// Who made a change: a plugin's action, or anyone else (an agent in guichet's API or
/// in the helpdesk, a requester, the helpdesk itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Plugin,
    Agent,
}

/// Which reply clock a public agent reply stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyClock {
    /// The ticket's first public agent reply; the clock started at its creation.
    FirstResponse,
    /// A public agent reply to requester messages written after the previous agent
    /// reply; the clock started at the first of them.
    NextReply,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// The ticket was created (at its `created_at`).
    Created,
    /// A public reply by an agent (author role `agent`: replies of plugins, bots and
    /// the system are not responses) stopped a clock started at `since`.
    Reply {
        clock: ReplyClock,
        #[serde(with = "chrono::serde::ts_milliseconds")]
        since: DateTime<Utc>,
    },
    /// The ticket went from unsolved to solved or closed; `since` is its creation
    /// (full resolution time: a ticket solved again after a reopening is measured from
    /// its creation again).
    Resolved {
        #[serde(with = "chrono::serde::ts_milliseconds")]
        since: DateTime<Utc>,
    },
    /// The ticket went from solved or closed back to an unsolved status.
    Reopened,
    /// A call: a `missed_call` event, or a message of the requester on the `phone`
    /// channel (an answered call as a helpdesk logs it).
    Call { missed: bool },
    /// A plugin marked an SLA breach of `metric` ([`SLA_BREACH_TAG`]).
    SlaBreach { metric: String },
    /// The ticket joined (+1) or left (-1) the unsolved tickets (`unsolved`), and the
    /// tickets waiting on the team: new, open or waiting on an agent (`awaiting`).
    Backlog { unsolved: i32, awaiting: i32 },
    /// `count` actions on tickets: a plugin's applied actions other than timers and
    /// notifications, or an agent's change (one per event).
    Actions { by: Actor, count: u32 },
    /// The ticket was merged into another (a duplicate).
    Merged { by: Actor },
    /// The ticket's assignee changed after it had one, or its group after it had
    /// one (a first assignee for a ticket of a group is not counted).
    Reassigned { by: Actor },
}

/// What [`derive`] reads of one processed event.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub kind: &'a EventKind,
    pub occurred_at: DateTime<Utc>,
    /// 0 for an event from outside; a follow-up reports a change a plugin made.
    pub depth: u32,
    /// The stored ticket before the event (none for a new ticket).
    pub stored: Option<&'a Ticket>,
    /// The ticket with the event applied, before the plugins ran.
    pub after_event: Option<&'a Ticket>,
    /// The ticket once the plugins' actions were applied.
    pub after: Option<&'a Ticket>,
    /// The actions plugins decided and that were applied (not a macro's: an agent
    /// applied it), each list one plugin's decision.
    pub plugin_actions: &'a [&'a [Action]],
}

/// The facts of one processed event: the event's own change (by an agent) and the
/// plugins' (by a plugin), compared ticket before and after, plus calls, breaches and
/// actions. Pure; O(m) for a ticket of m messages.
pub fn derive(step: &Step<'_>) -> Vec<Fact> {
    let Some(after) = step.after else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = |at: DateTime<Utc>, kind: FactKind| out.push(fact(after, at, kind));
    let at = step.occurred_at;
    if step.stored.is_none() && step.after_event.is_some() {
        push(after.created_at, FactKind::Created);
    }
    let mut transitions = Vec::new();
    if let Some(event_after) = step.after_event {
        transitions.push((step.stored, event_after, Actor::Agent));
        transitions.push((Some(event_after), after, Actor::Plugin));
    }
    for (before, now, by) in transitions {
        for kind in changes(before, now, by) {
            push(at, kind);
        }
        for (reply_at, kind) in replies(before, now) {
            push(reply_at, kind);
        }
    }
    if step.depth == 0 {
        match step.kind {
            EventKind::MissedCall { .. } => push(at, FactKind::Call { missed: true }),
            EventKind::MessageAdded { message }
                if message.channel == Channel::Phone
                    && message.author_role == AuthorRole::Requester =>
            {
                push(message.created_at, FactKind::Call { missed: false })
            }
            _ => {}
        }
        let by_agent = match step.kind {
            EventKind::MessageAdded { message } => {
                u32::from(message.author_role == AuthorRole::Agent)
            }
            EventKind::StatusChanged { .. }
            | EventKind::AssignmentChanged { .. }
            | EventKind::TagsChanged { .. }
            | EventKind::FieldsChanged { .. }
            | EventKind::ExternalUpdate { .. } => 1,
            EventKind::MacroApplied { actions, .. } => 1 + counted(actions),
            _ => 0,
        };
        if by_agent > 0 {
            push(
                at,
                FactKind::Actions {
                    by: Actor::Agent,
                    count: by_agent,
                },
            );
        }
    }
    let by_plugins: u32 = step.plugin_actions.iter().map(|a| counted(a)).sum();
    if by_plugins > 0 {
        push(
            at,
            FactKind::Actions {
                by: Actor::Plugin,
                count: by_plugins,
            },
        );
    }
    for action in step.plugin_actions.iter().flat_map(|a| a.iter()) {
        if let Action::AddTags { tags } = action {
            for tag in tags {
                if let Some(metric) = tag.strip_prefix(SLA_BREACH_TAG) {
                    push(
                        at,
                        FactKind::SlaBreach {
                            metric: metric.to_string(),
                        },
                    );
                }
            }
        }
    }
    out
}

/// The actions that count as actions on the ticket: not timers, notifications, or
/// an SLA plugin writing down its policy ([`SLA_POLICY_FIELD`], [`SLA_TARGETS_FIELD`]).
fn counted(actions: &[Action]) -> u32 {
    actions
        .iter()
        .filter(|a| match a {
            Action::SetTimer { .. } | Action::CancelTimer { .. } | Action::Notify { .. } => false,
            Action::SetField { name, .. } => name != SLA_POLICY_FIELD && name != SLA_TARGETS_FIELD,
            _ => true,
        })
        .count() as u32
}

fn fact(ticket: &Ticket, at: DateTime<Utc>, kind: FactKind) -> Fact {
    let text = |name: &str| {
        ticket
            .fields
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| match &f.value {
                FieldValue::Text(text) => Some(text.as_str()),
                _ => None,
            })
    };
    let sla_targets = match kind {
        FactKind::Reply { .. } | FactKind::Resolved { .. } => text(SLA_TARGETS_FIELD)
            .map(SlaTargets::parse)
            .unwrap_or_default(),
        _ => SlaTargets::default(),
    };
    Fact {
        sla_targets,
        at,
        ticket: ticket.id.as_str().into(),
        channel: ticket.channel,
        group: ticket.group.as_deref().map(Arc::from),
        agent: ticket.assignee.as_deref().map(Arc::from),
        priority: ticket.priority,
        sla_policy: text(SLA_POLICY_FIELD).map(Arc::from),
        kind,
    }
}

fn solved(status: TicketStatus) -> bool {
    matches!(status, TicketStatus::Solved | TicketStatus::Closed)
}

/// Whether the ticket waits on the team: new, open or waiting on an agent.
pub fn awaiting(status: TicketStatus) -> bool {
    matches!(
        status,
        TicketStatus::New | TicketStatus::Open | TicketStatus::WaitingOnAgent
    )
}

/// Status and assignment changes from `before` (none: not yet created) to `now`.
fn changes(before: Option<&Ticket>, now: &Ticket, by: Actor) -> Vec<FactKind> {
    let mut out = Vec::new();
    let unsolved = |t: Option<&Ticket>| i32::from(t.is_some_and(|t| t.status.is_open()));
    let waiting = |t: Option<&Ticket>| i32::from(t.is_some_and(|t| awaiting(t.status)));
    let (du, da) = (
        unsolved(Some(now)) - unsolved(before),
        waiting(Some(now)) - waiting(before),
    );
    if du != 0 || da != 0 {
        out.push(FactKind::Backlog {
            unsolved: du,
            awaiting: da,
        });
    }
    let Some(before) = before else {
        return out;
    };
    if before.status.is_open() && solved(now.status) {
        out.push(FactKind::Resolved {
            since: now.created_at,
        });
    }
    if solved(before.status) && now.status.is_open() {
        out.push(FactKind::Reopened);
    }
    if before.status != TicketStatus::Merged && now.status == TicketStatus::Merged {
        out.push(FactKind::Merged { by });
    }
    // A first assignee for a ticket of a group is routing, not a reassignment.
    let moved = |was: &Option<String>, is: &Option<String>| was.is_some() && was != is;
    if moved(&before.assignee, &now.assignee) || moved(&before.group, &now.group) {
        out.push(FactKind::Reassigned { by });
    }
    out
}

/// The reply clocks stopped by public agent messages that `now` has and `before`
/// had not, each at the reply's time.
fn replies(before: Option<&Ticket>, now: &Ticket) -> Vec<(DateTime<Utc>, FactKind)> {
    let is_reply = |m: &crate::model::Message| m.author_role == AuthorRole::Agent && m.public;
    let known: std::collections::HashSet<&str> = before
        .map(|b| b.messages.iter().map(|m| m.id.as_str()).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (place, reply) in now.messages.iter().enumerate() {
        if !is_reply(reply) || known.contains(reply.id.as_str()) {
            continue;
        }
        // The messages before it: earlier, or at the same time and before it in the
        // ticket's list (two replies of the same second are one after the other).
        let earlier = now.messages.iter().enumerate().filter(|(i, m)| {
            m.created_at < reply.created_at || (m.created_at == reply.created_at && *i < place)
        });
        let earlier = earlier.map(|(_, m)| m);
        let last_reply = earlier
            .clone()
            .filter(|m| is_reply(m))
            .map(|m| m.created_at)
            .max();
        let kind = match last_reply {
            None => FactKind::Reply {
                clock: ReplyClock::FirstResponse,
                since: now.created_at,
            },
            Some(previous) => {
                let waiting = earlier
                    .filter(|m| m.author_role == AuthorRole::Requester && m.created_at > previous)
                    .map(|m| m.created_at)
                    .min();
                match waiting {
                    Some(since) => FactKind::Reply {
                        clock: ReplyClock::NextReply,
                        since,
                    },
                    None => continue,
                }
            }
        };
        out.push((reply.created_at, kind));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Message;

    fn at(text: &str) -> DateTime<Utc> {
        format!("2026-03-23T{text}:00Z").parse().unwrap()
    }

    fn ticket(status: &str) -> Ticket {
        serde_json::from_value(serde_json::json!({
            "id": "t-1", "channel": "email", "requester": {}, "status": status,
            "assignee": "ana", "group": "care",
            "created_at": at("08:00"), "updated_at": at("08:00"),
            "messages": [{"id": "m-0", "author_role": "requester", "channel": "email",
                          "body": "?", "created_at": at("08:00")}]
        }))
        .unwrap()
    }

    fn message(id: &str, role: AuthorRole, when: &str, public: bool) -> Message {
        Message {
            id: id.into(),
            author_role: role,
            author: None,
            channel: Channel::Email,
            body: "…".into(),
            public,
            created_at: at(when),
            merged_from: None,
        }
    }

    fn kinds(step: &Step<'_>) -> Vec<FactKind> {
        derive(step).into_iter().map(|f| f.kind).collect()
    }

    fn step<'a>(
        stored: Option<&'a Ticket>,
        after_event: &'a Ticket,
        after: &'a Ticket,
        kind: &'a EventKind,
        plugin_actions: &'a [&'a [Action]],
    ) -> Step<'a> {
        Step {
            kind,
            occurred_at: at("10:00"),
            depth: 0,
            stored,
            after_event: Some(after_event),
            after: Some(after),
            plugin_actions,
        }
    }

    #[test]
    fn a_new_ticket_is_created_and_joins_both_backlogs() {
        let new = ticket("new");
        let facts = kinds(&step(None, &new, &new, &EventKind::TicketCreated, &[]));
        assert_eq!(
            facts,
            vec![
                FactKind::Created,
                FactKind::Backlog {
                    unsolved: 1,
                    awaiting: 1
                }
            ]
        );
    }

    #[test]
    fn agent_replies_stop_the_first_and_next_reply_clocks_but_not_bots_or_notes() {
        let before = ticket("open");
        let mut first = before.clone();
        first
            .messages
            .push(message("m-1", AuthorRole::Agent, "09:00", true));
        let event = EventKind::MessageAdded {
            message: first.messages[1].clone(),
        };
        assert_eq!(
            kinds(&step(Some(&before), &first, &first, &event, &[])),
            vec![
                FactKind::Reply {
                    clock: ReplyClock::FirstResponse,
                    since: at("08:00")
                },
                FactKind::Actions {
                    by: Actor::Agent,
                    count: 1
                }
            ]
        );
        // A second reply with no requester message between: no clock ran.
        let mut again = first.clone();
        again
            .messages
            .push(message("m-2", AuthorRole::Agent, "09:30", true));
        assert!(
            !kinds(&step(Some(&first), &again, &again, &event, &[]))
                .iter()
                .any(|k| matches!(k, FactKind::Reply { .. }))
        );
        // The requester writes twice; the next reply is timed from the first of them.
        let mut waiting = again.clone();
        waiting
            .messages
            .push(message("m-3", AuthorRole::Requester, "10:00", true));
        waiting
            .messages
            .push(message("m-4", AuthorRole::Requester, "10:20", true));
        let mut bot = waiting.clone();
        bot.messages
            .push(message("m-5", AuthorRole::Bot, "10:30", true));
        bot.messages
            .push(message("m-6", AuthorRole::Agent, "10:40", false));
        assert!(
            !kinds(&step(Some(&waiting), &bot, &bot, &event, &[]))
                .iter()
                .any(|k| matches!(k, FactKind::Reply { .. }))
        );
        let mut answered = bot.clone();
        answered
            .messages
            .push(message("m-7", AuthorRole::Agent, "11:00", true));
        assert!(
            kinds(&step(Some(&bot), &answered, &answered, &event, &[])).contains(
                &FactKind::Reply {
                    clock: ReplyClock::NextReply,
                    since: at("10:00")
                }
            )
        );
    }

    #[test]
    fn changes_are_the_agents_or_the_plugins_by_which_side_made_them() {
        let open = ticket("open");
        // The event solved it; a plugin then reassigned it and tagged a breach.
        let mut solved = open.clone();
        solved.status = TicketStatus::Solved;
        let mut reassigned = solved.clone();
        reassigned.assignee = Some("bob".into());
        let actions = [
            Action::Assign {
                agent: Some("bob".into()),
                group: None,
            },
            Action::AddTags {
                tags: vec!["sla-breached:resolution".into()],
            },
            Action::SetTimer {
                name: "x".into(),
                due_at: at("12:00"),
            },
            Action::Notify {
                recipient: crate::model::Recipient::Agent("ana".into()),
                message: "…".into(),
            },
        ];
        let decisions: [&[Action]; 1] = [&actions];
        let event = EventKind::StatusChanged {
            previous: TicketStatus::Open,
            current: TicketStatus::Solved,
        };
        let facts = kinds(&step(Some(&open), &solved, &reassigned, &event, &decisions));
        assert_eq!(
            facts,
            vec![
                FactKind::Backlog {
                    unsolved: -1,
                    awaiting: -1
                },
                FactKind::Resolved { since: at("08:00") },
                FactKind::Reassigned { by: Actor::Plugin },
                FactKind::Actions {
                    by: Actor::Agent,
                    count: 1
                },
                // Assign and the tags; not the timer or the notification.
                FactKind::Actions {
                    by: Actor::Plugin,
                    count: 2
                },
                FactKind::SlaBreach {
                    metric: "resolution".into()
                },
            ]
        );
        // Reopened by the requester's helpdesk; merged later by an agent.
        let event = EventKind::StatusChanged {
            previous: TicketStatus::Solved,
            current: TicketStatus::Open,
        };
        assert!(
            kinds(&step(Some(&solved), &open, &open, &event, &[])).contains(&FactKind::Reopened)
        );
        let mut merged = open.clone();
        merged.status = TicketStatus::Merged;
        assert!(
            kinds(&step(Some(&open), &merged, &merged, &event, &[]))
                .contains(&FactKind::Merged { by: Actor::Agent })
        );
    }

    /// A first assignee for a ticket of a group is routing; the group's change, or
    /// the next assignee, is a reassignment.
    #[test]
    fn a_first_assignee_is_not_a_reassignment() {
        let mut grouped = ticket("open");
        grouped.assignee = None;
        let mut assigned = grouped.clone();
        assigned.assignee = Some("bob".into());
        let event = EventKind::AssignmentChanged {
            previous_assignee: None,
            current_assignee: Some("bob".into()),
            previous_group: Some("care".into()),
            current_group: Some("care".into()),
        };
        let reassigned = |before: &Ticket, after: &Ticket| {
            kinds(&step(Some(before), after, after, &event, &[]))
                .contains(&FactKind::Reassigned { by: Actor::Agent })
        };
        assert!(!reassigned(&grouped, &assigned));
        let mut moved = assigned.clone();
        moved.group = Some("billing".into());
        assert!(reassigned(&assigned, &moved));
        let mut handed = assigned.clone();
        handed.assignee = Some("carl".into());
        assert!(reassigned(&assigned, &handed));
    }

    /// Two agent replies of the same second: the first in the ticket's list is the
    /// first response.
    #[test]
    fn replies_of_the_same_instant_follow_the_tickets_order() {
        let before = ticket("open");
        let mut after = before.clone();
        after
            .messages
            .push(message("m-1", AuthorRole::Agent, "09:00", true));
        after
            .messages
            .push(message("m-2", AuthorRole::Agent, "09:00", true));
        let event = EventKind::MessageAdded {
            message: after.messages[1].clone(),
        };
        let replies: Vec<FactKind> = kinds(&step(Some(&before), &after, &after, &event, &[]))
            .into_iter()
            .filter(|k| matches!(k, FactKind::Reply { .. }))
            .collect();
        assert_eq!(
            replies,
            [FactKind::Reply {
                clock: ReplyClock::FirstResponse,
                since: at("08:00")
            }]
        );
    }

    /// The policy an SLA plugin writes on the ticket is not an action on it.
    #[test]
    fn an_sla_plugin_writing_its_policy_takes_no_action() {
        let open = ticket("open");
        let actions = [
            Action::SetField {
                name: SLA_POLICY_FIELD.into(),
                value: FieldValue::Text("standard".into()),
            },
            Action::SetField {
                name: SLA_TARGETS_FIELD.into(),
                value: FieldValue::Text("first_reply".into()),
            },
            Action::SetField {
                name: "level".into(),
                value: FieldValue::Text("L2".into()),
            },
        ];
        let decisions: [&[Action]; 1] = [&actions];
        let facts = kinds(&step(
            Some(&open),
            &open,
            &open,
            &EventKind::TicketCreated,
            &decisions,
        ));
        assert_eq!(
            facts,
            [FactKind::Actions {
                by: Actor::Plugin,
                count: 1
            }]
        );
    }

    #[test]
    fn calls_are_missed_calls_and_the_requesters_phone_messages() {
        let open = ticket("open");
        let missed = EventKind::MissedCall {
            caller: "+33".into(),
            rang: vec![],
            waited_seconds: 3,
        };
        assert!(
            kinds(&step(Some(&open), &open, &open, &missed, &[]))
                .contains(&FactKind::Call { missed: true })
        );
        let mut call = message("m-9", AuthorRole::Requester, "10:00", true);
        call.channel = Channel::Phone;
        let logged = EventKind::MessageAdded { message: call };
        assert!(
            kinds(&step(Some(&open), &open, &open, &logged, &[]))
                .contains(&FactKind::Call { missed: false })
        );
        // A follow-up (depth 1) reports a change already counted.
        let mut follow_up = step(Some(&open), &open, &open, &missed, &[]);
        follow_up.depth = 1;
        assert!(kinds(&follow_up).is_empty());
    }

    #[test]
    fn clock_facts_carry_the_sla_policy_and_its_targets() {
        let mut before = ticket("open");
        before.fields = serde_json::from_value(serde_json::json!([
            {"name": "sla_policy", "value": {"text": "standard"}},
            {"name": "sla_targets", "value": {"text": "first_reply resolution"}}
        ]))
        .unwrap();
        let mut after = before.clone();
        after
            .messages
            .push(message("m-1", AuthorRole::Agent, "09:00", true));
        let event = EventKind::MessageAdded {
            message: after.messages[1].clone(),
        };
        let facts = derive(&step(Some(&before), &after, &after, &event, &[]));
        assert_eq!(facts[0].sla_policy.as_deref(), Some("standard"));
        assert_eq!(
            facts[0].sla_targets,
            SlaTargets::parse("resolution first_reply")
        );
        assert!(facts[0].sla_targets.has("resolution"));
        assert!(!facts[0].sla_targets.has("next_reply"));
        // Other facts keep the policy but not the targets.
        assert_eq!(facts[1].sla_policy.as_deref(), Some("standard"));
        assert_eq!(facts[1].sla_targets, SlaTargets::default());
    }
}

#[cfg(test)]
mod encoding {
    use super::*;

    /// Every kind of fact reads back as it was written, in the stored form, and the
    /// facts of one instant share one record.
    #[test]
    fn facts_read_back_as_written() {
        let at: DateTime<Utc> = "2026-03-29T01:30:00.250Z".parse().unwrap();
        let kinds = [
            FactKind::Created,
            FactKind::Reply {
                clock: ReplyClock::NextReply,
                since: at,
            },
            FactKind::Resolved { since: at },
            FactKind::Reopened,
            FactKind::Call { missed: true },
            FactKind::SlaBreach {
                metric: "resolution".into(),
            },
            FactKind::Backlog {
                unsolved: -1,
                awaiting: 1,
            },
            FactKind::Actions {
                by: Actor::Plugin,
                count: 3,
            },
            FactKind::Merged { by: Actor::Agent },
            FactKind::Reassigned { by: Actor::Plugin },
        ];
        let mut facts: Vec<Fact> = kinds
            .into_iter()
            .map(|kind| Fact {
                at,
                ticket: "t-1".into(),
                channel: Channel::AppStoreReview,
                group: None,
                agent: Some("ana".into()),
                priority: Priority::Urgent,
                sla_policy: Some("standard".into()),
                sla_targets: SlaTargets::parse("first_reply"),
                kind,
            })
            .collect();
        facts[9].at = at + chrono::TimeDelta::milliseconds(1);
        let records = Stored::pack(&facts);
        assert_eq!(records.len(), 2);
        let mut read = Vec::new();
        for record in records {
            let bytes = postcard::to_allocvec(&record).unwrap();
            postcard::from_bytes::<Stored>(&bytes)
                .unwrap()
                .unpack(&mut read);
        }
        assert_eq!(read, facts);
    }
}
