//! `sla`: first-reply, next-reply and resolution targets on tickets, counted in a
//! business calendar (weekly hours, time zone, holidays) or in calendar hours, paused
//! while the ticket waits on the requester. Before a breach it warns (tags the ticket,
//! tells its assignee) at the lead times configured; at an internal target it does the
//! same; at the breach it tags the ticket, tells the group's lead and can raise the
//! priority. The plugin sets a timer at each next point, so it acts at the exact
//! minute, not at the next hourly sweep. See `plugins/sla/README.md`.

mod clocks;
mod policy;

wit_bindgen::generate!({
    path: "../../wit/v0.2.0",
    // The automation world, plus Wizer's `wizer-initialize`: the host runs it once per
    // configuration and starts every later instance from the state it leaves, so
    // events find their configuration parsed (see `CONFIG`).
    inline: "
        package guichet:sla;
        world sla {
            include guichet:plugin/automation@0.2.0;
            export wizer-initialize: func();
        }
    ",
    world: "guichet:sla/sla",
    generate_all,
});

use config_once::ConfigOnce;
use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::rules::Guest as Rules;
use guichet::plugin::types::{
    Action, AuthorRole, Channel, Event, EventKind, FieldUpdate, FieldValue, Notification, Priority,
    Recipient, Ticket, TicketStatus, Timer,
};
use guichet::plugin::{config, log, storage};

use clocks::{Happened, TicketClocks, TicketView, is_done};
use policy::Config;

struct Sla;

/// The custom field that names the policy applying to the ticket.
const POLICY_FIELD: &str = "sla_policy";
/// The custom field that lists the metrics that policy has targets for, by name,
/// separated by spaces: `first_reply resolution`.
const TARGETS_FIELD: &str = "sla_targets";

fn status_name(status: TicketStatus) -> &'static str {
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

fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "low",
        Priority::Normal => "normal",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

fn priority_of(name: &str) -> Option<Priority> {
    Some(match name {
        "low" => Priority::Low,
        "normal" => Priority::Normal,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        _ => return None,
    })
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Chat => "chat",
        Channel::Whatsapp => "whatsapp",
        Channel::Messenger => "messenger",
        Channel::Phone => "phone",
        Channel::AppStoreReview => "app_store_review",
        Channel::Sms => "sms",
        Channel::WebForm => "web_form",
        Channel::Api => "api",
    }
}

fn happened(kind: &EventKind) -> Happened {
    match kind {
        EventKind::TicketCreated => Happened::Created,
        EventKind::MessageAdded(message) if message.public => match message.author_role {
            AuthorRole::Agent => Happened::AgentReply,
            AuthorRole::Requester => Happened::RequesterMessage,
            _ => Happened::Tick,
        },
        EventKind::StatusChanged(change) => Happened::StatusChanged {
            previous: status_name(change.previous).to_string(),
            current: status_name(change.current).to_string(),
        },
        _ => Happened::Tick,
    }
}

/// The configuration and the names in it that match nothing, read once by
/// `wizer-initialize` when the host pre-initialises the plugin (see the
/// `config-once` crate).
static CONFIG: ConfigOnce<(Config, Vec<policy::Problem>)> = ConfigOnce::new();

/// The configuration's problems as one message.
fn parse(text: &str) -> Result<(Config, Vec<policy::Problem>), String> {
    Config::parse(text).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| p.message)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

impl Guest for Sla {
    fn wizer_initialize() {
        CONFIG.read(config::get(), parse);
    }
}

impl Rules for Sla {
    fn on_event(event: Event) -> Result<Vec<Action>, String> {
        let Some(ticket) = &event.ticket else {
            return Ok(Vec::new());
        };
        CONFIG.with(&config::get(), parse, |(config, unknown_names)| {
            on_ticket(&event, ticket, config, unknown_names)
        })?
    }
}

/// What `event` does to `ticket`'s clocks under `config`.
fn on_ticket(
    event: &Event,
    ticket: &Ticket,
    config: &Config,
    unknown_names: &[policy::Problem],
) -> Result<Vec<Action>, String> {
    for name in unknown_names {
        log::log(
            log::Level::Warn,
            &format!(
                "configuration {}: {} (it matches nothing)",
                name.path, name.message
            ),
        );
    }
    let key = format!("clocks/{}", ticket.id);
    let stored: Option<TicketClocks> = match storage::get(&key) {
        Some(bytes) => Some(
            serde_json::from_slice(&bytes)
                .map_err(|e| format!("stored clocks of ticket {}: {e}", ticket.id))?,
        ),
        None => None,
    };
    let status = status_name(ticket.status);
    if is_done(status) {
        // Solved, closed or merged: the work is done, no clock runs and nothing is
        // kept. A reopening (a `status_changed` back to an active status) starts
        // the clocks afresh, so there is nothing to remember for it. A requester's
        // thank-you on a solved ticket lands here and does nothing.
        let Some(mut clocks) = stored else {
            return Ok(Vec::new());
        };
        storage::delete(&key);
        if let EventKind::TimerFired(fired) = &event.kind {
            clocks.timers.remove(&fired.name);
        }
        log::log(
            log::Level::Info,
            &format!(
                "ticket {} is {status}: its SLA clocks are dropped",
                ticket.id
            ),
        );
        // The host drops the timers of a closed or merged ticket itself; a solved
        // ticket's are cancelled here.
        return Ok(if status == "solved" {
            clocks.timers.into_iter().map(Action::CancelTimer).collect()
        } else {
            Vec::new()
        });
    }
    let existed = stored.is_some();
    let mut clocks = stored.unwrap_or_default();
    if let EventKind::StatusChanged(change) = &event.kind
        && is_done(status_name(change.previous))
    {
        clocks = clocks.reopened(event.occurred_at);
    }
    if let EventKind::TimerFired(fired) = &event.kind {
        // The host removed the timer as it fired it: nothing to cancel.
        clocks.timers.remove(&fired.name);
    }
    let policy = config.policy_for(
        priority_name(ticket.priority),
        channel_name(ticket.channel),
        ticket.group.as_deref(),
    );
    let view = TicketView {
        id: &ticket.id,
        status,
        assignee: ticket.assignee.as_deref(),
        group: ticket.group.as_deref(),
        priority: priority_name(ticket.priority),
        answered: ticket.first_agent_response_at.is_some(),
        created_at: ticket.created_at,
    };
    let outcome = clocks.evaluate(
        policy,
        &config.pause_on,
        &view,
        &happened(&event.kind),
        event.occurred_at,
    );
    if clocks.is_empty() {
        // No policy, nothing running: a ticket with nothing to keep costs no key.
        if existed {
            storage::delete(&key);
        }
    } else {
        storage::set(
            &key,
            &serde_json::to_vec(&clocks).expect("clocks serialise"),
        )
        .map_err(|e| format!("saving the clocks of ticket {}: {e:?}", ticket.id))?;
    }
    if let Some(policy) = policy {
        for (name, due) in &outcome.set_timers {
            log::log(
                log::Level::Debug,
                &format!(
                    "policy `{}`: {name} at {}",
                    policy.name,
                    local_time(*due, &policy.zone)
                ),
            );
        }
    }

    let mut actions = Vec::new();
    if !outcome.tags.is_empty() {
        actions.push(Action::AddTags(outcome.tags));
    }
    let notify = |recipient, message| Action::Notify(Notification { recipient, message });
    for (agent, message) in outcome.tell_agent {
        actions.push(notify(Recipient::Agent(agent), message));
    }
    for (group, message) in outcome.tell_group {
        actions.push(notify(Recipient::Group(group), message));
    }
    for (group, message) in outcome.tell_lead {
        actions.push(notify(Recipient::GroupLead(group), message));
    }
    if let Some(level) = outcome.raise_priority.as_deref().and_then(priority_of) {
        actions.push(Action::SetPriority(level));
    }
    for name in outcome.cancel_timers {
        actions.push(Action::CancelTimer(name));
    }
    for (name, due_at) in outcome.set_timers {
        actions.push(Action::SetTimer(Timer { name, due_at }));
    }
    // The policy that applies and the metrics it has targets for, on the ticket for
    // agents and for the host's KPIs (SLA attainment per policy): set when they change.
    if let Some(policy) = policy {
        let targets: Vec<&str> = policy.targets.keys().map(|m| m.name()).collect();
        for (field, value) in [
            (POLICY_FIELD, policy.name.clone()),
            (TARGETS_FIELD, targets.join(" ")),
        ] {
            let current = ticket.fields.iter().find(|f| f.name == field);
            if !current.is_some_and(|f| matches!(&f.value, FieldValue::Text(v) if *v == value)) {
                actions.push(Action::SetField(FieldUpdate {
                    name: field.to_string(),
                    value: FieldValue::Text(value),
                }));
            }
        }
    }
    Ok(actions)
}

/// Every problem of a configuration, with its place, before it is set.
impl config_check::Guest for Sla {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        // Unknown names are refused here, when the configuration is set.
        match Config::parse(&config) {
            Ok((_, unknown_names)) => unknown_names
                .into_iter()
                .map(|p| ConfigProblem {
                    path: p.path,
                    message: p.message,
                })
                .collect(),
            Err(problems) => problems
                .into_iter()
                .map(|p| ConfigProblem {
                    path: p.path,
                    message: p.message,
                })
                .collect(),
        }
    }
}

/// A moment as people in the calendar's time zone read it.
fn local_time(ms: i64, zone: &str) -> String {
    let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&zone)
                .format("%a %d %b %Y %H:%M %Z")
                .to_string()
        })
        .unwrap_or_default()
}

export!(Sla);
