//! The local harness: runs one plugin over a file of events, the way the service
//! would, and reports what it decided. This is what `guichet plugin run` prints.
//!
//! Tickets and storage live in memory for the run: every ticket an event carries is
//! remembered (so a plugin's ticket look-ups see the tickets of earlier events), and
//! the storage writes of each successful call are committed before the next event.
//! Actions are reported, not applied, unless the harness is
//! [`applying_actions`](Harness::applying_actions) (`guichet plugin run --apply`):
//! then events and actions change the remembered tickets by the pipeline's own rules
//! (a merge included), so that a later event sees what an earlier one did.
//!
//! A `macros` plugin is run the same way over a file of requests ([`MacroCall`]):
//! list its macros, or render one for a ticket; a `channel-adapter` plugin over
//! requests ([`AdapterCall`]): raw inbound requests to normalise, replies to send.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::model::{
    Action, Channel, Event, HttpAnswer, Identity, Inbound, IncomingRequest, MacroInfo, Outbound,
    OutboundReply, OutgoingRequest, Rendered, Ticket, TicketStatus, Timestamp,
};
use crate::pipeline::{self as apply, PipelineConfig, merge};
use crate::runtime::{
    CallError, CallLimits, CallReport, HostServiceError, LogLine, MacroRequest, PluginComponent,
    PluginEnv, Runtime, StorageSource, StorageWrite, TicketSource,
};

/// Why an events file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventsFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a valid {what}: {reason}")]
    Invalid {
        path: String,
        line: usize,
        what: &'static str,
        reason: String,
    },
}

/// Reads a JSON-lines file of events (one event object a line; blank lines ignored).
pub fn read_events(path: &Path) -> Result<Vec<Event>, EventsFileError> {
    read_lines(path, "event")
}

/// Parses JSON-lines text of events; `origin` names the source in errors.
pub fn parse_events(text: &str, origin: &str) -> Result<Vec<Event>, EventsFileError> {
    parse_lines(text, origin, "event")
}

/// Reads a JSON-lines file of requests to a `macros` plugin.
pub fn read_macro_calls(path: &Path) -> Result<Vec<MacroCall>, EventsFileError> {
    read_lines(path, "macro request")
}

fn read_lines<T: DeserializeOwned>(
    path: &Path,
    what: &'static str,
) -> Result<Vec<T>, EventsFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| EventsFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_lines(&text, &path.display().to_string(), what)
}

fn parse_lines<T: DeserializeOwned>(
    text: &str,
    origin: &str,
    what: &'static str,
) -> Result<Vec<T>, EventsFileError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|e| EventsFileError::Invalid {
                path: origin.to_string(),
                line: index + 1,
                what,
                reason: e.to_string(),
            })
        })
        .collect()
}

/// One request to a `macros` plugin, a line of the file `guichet plugin run` reads
/// for such a plugin. JSON: `{"type": "list_macros"}` or
/// `{"type": "render", "id": "r-1", "macro": "refund-delay", "ticket": {…},
/// "variables": {"days": "3"}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MacroCall {
    /// List the macros the plugin offers.
    ListMacros {
        /// A name for this request in the output; the line number when absent.
        #[serde(default)]
        id: Option<String>,
    },
    /// Render one macro for a ticket. The plugin's clock reads the ticket's
    /// `updated_at`.
    Render {
        #[serde(default)]
        id: Option<String>,
        #[serde(rename = "macro")]
        macro_id: String,
        ticket: Box<Ticket>,
        #[serde(default)]
        variables: BTreeMap<String, String>,
    },
}

/// One request to a `channel-adapter` plugin, a line of the file `guichet plugin
/// run` reads for such a plugin. JSON: `{"type": "served_channel"}`,
/// `{"type": "inbound", "request": {"method": "POST", "path": "/hook", "headers":
/// [{"name": "…", "value": "…"}], "body": "…"}, "received_at": "…"}` or
/// `{"type": "outbound", "reply": {"ticket": {…}, "body": "…"}}` or `{"type": "render",
/// "ticket": {…}, "actions": […], "related": […]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AdapterCall {
    /// Ask which channel the adapter serves.
    ServedChannel {
        #[serde(default)]
        id: Option<String>,
    },
    /// Normalise a raw request from the platform. The plugin's clock reads
    /// `received_at` (the Unix epoch when absent).
    Inbound {
        #[serde(default)]
        id: Option<String>,
        request: IncomingRequest,
        #[serde(default)]
        received_at: Option<Timestamp>,
    },
    /// Turn a reply into the request that delivers it. The plugin's clock reads the
    /// ticket's `updated_at`.
    Outbound {
        #[serde(default)]
        id: Option<String>,
        reply: Box<OutboundReply>,
    },
    /// Render actions applied to a ticket into the platform's requests, as the
    /// service does after an event (`render-actions` from 0.3.0; each reply and
    /// note through `render-outbound` before). The plugin's clock reads the ticket's
    /// `updated_at`.
    Render {
        #[serde(default)]
        id: Option<String>,
        ticket: Box<Ticket>,
        actions: Vec<Action>,
        /// The tickets the actions name (a merge's target).
        #[serde(default)]
        related: Vec<Ticket>,
    },
}

/// Reads a JSON-lines file of requests to a `channel-adapter` plugin.
pub fn read_adapter_calls(path: &Path) -> Result<Vec<AdapterCall>, EventsFileError> {
    read_lines(path, "adapter request")
}

/// What a `macros` or `channel-adapter` plugin answered to one request: one line of
/// `guichet plugin run`'s output for such a plugin. Only the field of the request's
/// kind is present (or `error`).
#[derive(Debug, Clone, Serialize)]
pub struct RequestOutcome {
    /// The request's `id`, or its position in the file (from 1).
    pub request: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macros: Option<Vec<MacroInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<Rendered>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// The platform's delivery id the adapter found (0.3.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbound: Option<Vec<Inbound>>,
    /// The answer the adapter gives the platform (a handshake's, 0.3.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<HttpAnswer>,
    /// The request that delivers a reply (`outbound`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outgoing: Option<OutgoingRequest>,
    /// The requests rendered from actions (`render`), in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<Vec<OutgoingRequest>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub fuel_used: u64,
    #[serde(skip)]
    pub logs: Vec<LogLine>,
    #[serde(skip)]
    pub call_error: Option<Arc<CallError>>,
}

/// What the plugin did with one event: one line of `guichet plugin run`'s output.
#[derive(Debug, Clone, Serialize)]
pub struct EventOutcome {
    /// The event's id.
    pub event: String,
    /// The actions the plugin returned; absent when the call failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
    /// Why the call failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why the plugin was not called, as the service would not call it: an event of
    /// a kind its contract does not have (a `fields_changed` for a 0.1.0 plugin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Fuel the call used (deterministic for a given plugin, event and state).
    pub fuel_used: u64,
    /// The plugin's log for this call.
    #[serde(skip)]
    pub logs: Vec<LogLine>,
    /// The call's error, typed.
    #[serde(skip)]
    pub call_error: Option<Arc<CallError>>,
}

/// Events an event caused, each with its cascade depth.
type Caused = Vec<(Event, u32)>;

/// Runs one plugin over events with in-memory tickets and storage.
pub struct Harness<'r> {
    runtime: &'r Runtime,
    plugin: PluginComponent,
    tickets: Arc<MemoryTickets>,
    storage: Arc<MemoryStorage>,
    config: String,
    limits: CallLimits,
    apply: bool,
}

impl<'r> Harness<'r> {
    pub fn new(runtime: &'r Runtime, plugin: PluginComponent, config: String) -> Self {
        Harness {
            limits: runtime.default_limits().clone(),
            runtime,
            plugin,
            tickets: Arc::default(),
            storage: Arc::default(),
            config,
            apply: false,
        }
    }

    /// Applies events and each successful call's actions to the remembered tickets
    /// as the service's pipeline does (`pipeline::apply`, `pipeline::merge`): an
    /// event for a ticket already seen changes that copy instead of replacing it,
    /// and a merge the host would refuse fails the call with the host's reason.
    /// Follow-up events and timers are not made.
    pub fn applying_actions(mut self) -> Self {
        self.apply = true;
        self
    }

    /// The remembered copy of ticket `id`, as events (and, when applying, actions)
    /// left it.
    pub fn ticket(&self, id: &str) -> Option<Ticket> {
        self.tickets.get(id).ok().flatten()
    }

    /// Runs calls under `limits` instead of the runtime's defaults.
    pub fn with_limits(mut self, limits: CallLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Runs the plugin on one event and commits its storage writes if it succeeded.
    pub fn run(&self, event: &Event) -> EventOutcome {
        self.step(event, 0).0
    }

    /// [`run`](Harness::run)s `event`, then, when [applying
    /// actions](Harness::applying_actions), the events its actions caused, as the
    /// service makes them: the change events (status, assignment, tags, fields) and,
    /// after a merge, a `message_added` on the target for each message it gained; at
    /// most as deep as the service's cascade limit (5). Their outcomes follow the
    /// event's, in order.
    pub fn run_with_follow_ups(&self, event: &Event) -> Vec<EventOutcome> {
        let mut outcomes = Vec::new();
        let mut queue = std::collections::VecDeque::from([(event.clone(), 0)]);
        while let Some((event, depth)) = queue.pop_front() {
            let (outcome, caused) = self.step(&event, depth);
            outcomes.push(outcome);
            queue.extend(caused);
        }
        outcomes
    }

    /// One event at cascade `depth`: the outcome, and (when applying actions) the
    /// events it caused with their depth.
    fn step(&self, event: &Event, depth: u32) -> (EventOutcome, Caused) {
        let applied;
        let event = if self.apply
            && let Some(carried) = &event.ticket
        {
            let mut seen = event.clone();
            let stored = self.forwarded(carried, event, depth);
            seen.ticket = match &stored {
                // A follow-up reports a change already applied to the copy.
                Some(current) if depth > 0 => Some(current.clone()),
                _ => apply::ticket_after_event(stored, event),
            };
            applied = seen;
            &applied
        } else {
            event
        };
        if let Some(ticket) = &event.ticket {
            self.tickets.remember(ticket.clone());
        }
        let contract = self.plugin.info().contract;
        if !contract.receives(&event.kind) {
            let outcome = EventOutcome {
                event: event.id.clone(),
                actions: None,
                error: None,
                skipped: Some(format!(
                    "a {contract} plugin is not sent `{}` events",
                    event.kind.name()
                )),
                fuel_used: 0,
                logs: Vec::new(),
                call_error: None,
            };
            return (outcome, Vec::new());
        }
        let report = self
            .runtime
            .on_event(&self.plugin, self.env(), event, &self.limits);
        self.storage.commit(&report.storage_writes);
        let mut caused = Vec::new();
        let (actions, call_error) = match report.result {
            Ok(actions) if self.apply => match self.apply_actions(event, actions, depth) {
                Ok((actions, events)) => {
                    caused = events;
                    (Some(actions), None)
                }
                Err(refused) => (None, Some(Arc::new(CallError::Refused(refused)))),
            },
            Ok(actions) => (Some(actions), None),
            Err(e) => (None, Some(Arc::new(e))),
        };
        let outcome = EventOutcome {
            event: event.id.clone(),
            actions,
            error: call_error.as_ref().map(|e| e.to_string()),
            skipped: None,
            fuel_used: report.fuel_used,
            logs: report.logs,
            call_error,
        };
        (outcome, caused)
    }

    /// The copy of the ticket `event` is for, as the service reads it: a message
    /// (a missed call, a macro's reply) for a merged ticket goes to the end of its
    /// chain of merges.
    fn forwarded(&self, carried: &Ticket, event: &Event, depth: u32) -> Option<Ticket> {
        let stored = self.ticket(&carried.id)?;
        if depth == 0 && merge::follows_merges(&event.kind) && stored.status == TicketStatus::Merged
        {
            let read = |id: &str| Ok::<_, std::convert::Infallible>(self.ticket(id));
            if let Ok(merge::ChainEnd::Ticket(end)) = merge::chain_end(stored.clone(), None, read)
                && end.id != stored.id
            {
                return Some(*end);
            }
        }
        Some(stored)
    }

    /// Applies `actions` to the copy of `event`'s ticket, as the service does; a merge
    /// also lands the ticket's messages on its target's copy. The actions as applied
    /// (a merge names the end of its target's chain) and the events they caused, or
    /// the host's refusal.
    fn apply_actions(
        &self,
        event: &Event,
        actions: Vec<Action>,
        depth: u32,
    ) -> Result<(Vec<Action>, Caused), String> {
        let Some(mut ticket) = event.ticket.as_ref().and_then(|t| self.ticket(&t.id)) else {
            return Ok((actions, Vec::new()));
        };
        let seen = ticket.clone();
        let actions = merge::resolve_targets(&ticket, actions, |id| {
            Ok::<_, std::convert::Infallible>(self.ticket(id))
        })
        .unwrap_or_else(|never| match never {})
        .map_err(|refused| refused.to_string())?
        .actions;
        apply::apply_actions(&mut ticket, &actions, "plugin", event.occurred_at);
        let limit = PipelineConfig::default().cascade_limit;
        let mut caused = Caused::new();
        if depth < limit {
            caused.extend(
                apply::follow_ups(&seen, &ticket, event)
                    .into_iter()
                    .map(|e| (e, depth + 1)),
            );
        }
        if seen.status != TicketStatus::Merged
            && apply::stays_merged(&ticket)
            && let Some(mut target) = ticket.merged_into.as_deref().and_then(|id| self.ticket(id))
        {
            // Landed at once, where the service lands a `merged_in` event one level down.
            let landed = apply::land_merged(&mut target, &merge::carried_messages(&ticket));
            if depth + 1 < limit {
                caused.extend(
                    merge::gained_messages(
                        &merge::landing_id(&event.id),
                        &target,
                        landed,
                        event.occurred_at,
                    )
                    .map(|e| (e, depth + 2)),
                );
            }
            self.tickets.remember(target);
        }
        self.tickets.remember(ticket);
        Ok((actions, caused))
    }

    /// Runs one request on a `macros` plugin; `position` (from 1) names it in the
    /// outcome when it has no id. Storage writes of a successful call are committed.
    pub fn run_macro_call(&self, call: &MacroCall, position: usize) -> RequestOutcome {
        let env = self.env();
        let name = |id: &Option<String>| id.clone().unwrap_or_else(|| position.to_string());
        match call {
            MacroCall::ListMacros { id } => {
                let report = self.runtime.list_macros(
                    &self.plugin,
                    env,
                    Timestamp::UNIX_EPOCH,
                    &self.limits,
                );
                self.request_outcome(name(id), report, |macros, out| out.macros = Some(macros))
            }
            MacroCall::Render {
                id,
                macro_id,
                ticket,
                variables,
            } => {
                self.tickets.remember(Ticket::clone(ticket));
                let request = MacroRequest {
                    macro_id,
                    ticket,
                    variables,
                    now: ticket.updated_at,
                };
                let report = self
                    .runtime
                    .render_macro(&self.plugin, env, &request, &self.limits);
                self.request_outcome(name(id), report, |rendered, out| {
                    out.rendered = Some(rendered)
                })
            }
        }
    }

    /// Runs one request on a `channel-adapter` plugin; `position` (from 1) names it
    /// in the outcome when it has no id.
    pub fn run_adapter_call(&self, call: &AdapterCall, position: usize) -> RequestOutcome {
        let env = self.env();
        let name = |id: &Option<String>| id.clone().unwrap_or_else(|| position.to_string());
        match call {
            AdapterCall::ServedChannel { id } => {
                let report = self.runtime.served_channel(&self.plugin, env, &self.limits);
                self.request_outcome(name(id), report, |channel, out| out.channel = Some(channel))
            }
            AdapterCall::Inbound {
                id,
                request,
                received_at,
            } => {
                let now = received_at.unwrap_or(Timestamp::UNIX_EPOCH);
                let report =
                    self.runtime
                        .handle_inbound(&self.plugin, env, request, now, &self.limits);
                self.request_outcome(name(id), report, |batch, out| {
                    out.delivery_id = batch.delivery_id;
                    out.inbound = Some(batch.items);
                    out.answer = batch.answer;
                })
            }
            AdapterCall::Outbound { id, reply } => {
                let outbound = Outbound {
                    event_id: name(id),
                    ticket: reply.ticket.clone(),
                    actions: vec![if reply.public {
                        Action::PublicReply {
                            body: reply.body.clone(),
                            channel: None,
                        }
                    } else {
                        Action::InternalNote {
                            body: reply.body.clone(),
                        }
                    }],
                    related: Vec::new(),
                };
                let now = reply.ticket.updated_at;
                let report =
                    self.runtime
                        .render_actions(&self.plugin, env, &outbound, now, &self.limits);
                self.request_outcome(name(id), report, |mut requests, out| {
                    if requests.len() == 1 {
                        out.outgoing = requests.pop();
                    } else {
                        out.requests = Some(requests);
                    }
                })
            }
            AdapterCall::Render {
                id,
                ticket,
                actions,
                related,
            } => {
                let outbound = Outbound {
                    event_id: name(id),
                    ticket: (**ticket).clone(),
                    actions: actions.clone(),
                    related: related.clone(),
                };
                let now = ticket.updated_at;
                let report =
                    self.runtime
                        .render_actions(&self.plugin, env, &outbound, now, &self.limits);
                self.request_outcome(name(id), report, |requests, out| {
                    out.requests = Some(requests)
                })
            }
        }
    }

    fn request_outcome<T>(
        &self,
        request: String,
        report: CallReport<T>,
        fill: impl FnOnce(T, &mut RequestOutcome),
    ) -> RequestOutcome {
        self.storage.commit(&report.storage_writes);
        let mut outcome = RequestOutcome {
            request,
            macros: None,
            rendered: None,
            channel: None,
            delivery_id: None,
            inbound: None,
            answer: None,
            outgoing: None,
            requests: None,
            error: None,
            fuel_used: report.fuel_used,
            logs: report.logs,
            call_error: None,
        };
        match report.result {
            Ok(value) => fill(value, &mut outcome),
            Err(e) => {
                outcome.error = Some(e.to_string());
                outcome.call_error = Some(Arc::new(e));
            }
        }
        outcome
    }

    fn env(&self) -> PluginEnv {
        PluginEnv {
            tickets: self.tickets.clone(),
            storage: self.storage.clone(),
            config: self.config.clone(),
        }
    }

    /// The plugin's storage as it stands after the calls so far.
    pub fn storage(&self) -> BTreeMap<String, Vec<u8>> {
        self.storage
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Tickets kept in memory, by id: what the harness's plugins can look up.
#[derive(Default)]
pub struct MemoryTickets {
    tickets: Mutex<BTreeMap<String, Ticket>>,
}

impl MemoryTickets {
    /// Adds or replaces a ticket.
    pub fn remember(&self, ticket: Ticket) {
        let mut tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        tickets.insert(ticket.id.clone(), ticket);
    }

    fn newest_first(&self, keep: impl Fn(&Ticket) -> bool, limit: usize) -> Vec<Ticket> {
        let tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        let mut found: Vec<Ticket> = tickets.values().filter(|t| keep(t)).cloned().collect();
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        found.truncate(limit);
        found
    }
}

impl TicketSource for MemoryTickets {
    fn get(&self, id: &str) -> Result<Option<Ticket>, HostServiceError> {
        let tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        Ok(tickets.get(id).cloned())
    }

    fn open_by_identity(
        &self,
        identity: &Identity,
        limit: usize,
    ) -> Result<Vec<Ticket>, HostServiceError> {
        Ok(self.newest_first(
            |t| t.status.is_open() && t.requester.identities.iter().any(|i| i.same_as(identity)),
            limit,
        ))
    }

    fn recent(&self, since: Timestamp, limit: usize) -> Result<Vec<Ticket>, HostServiceError> {
        Ok(self.newest_first(|t| t.created_at >= since, limit))
    }
}

/// A plugin's storage kept in memory.
#[derive(Default)]
pub struct MemoryStorage {
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStorage {
    /// Applies the writes of a successful call.
    pub fn commit(&self, writes: &[StorageWrite]) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        for write in writes {
            match &write.value {
                Some(value) => entries.insert(write.key.clone(), value.clone()),
                None => entries.remove(&write.key),
            };
        }
    }
}

impl StorageSource for MemoryStorage {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, HostServiceError> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Ok(entries.get(key).cloned())
    }

    fn keys(&self, prefix: &str, limit: usize) -> Result<Vec<String>, HostServiceError> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Ok(entries
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn count(&self) -> Result<usize, HostServiceError> {
        Ok(self.entries.lock().unwrap_or_else(|p| p.into_inner()).len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_line_is_reported_with_its_number() {
        let text = "\n{\"id\":\"e1\",\"kind\":{\"type\":\"ticket_created\"},\"occurred_at\":\"2026-11-23T09:00:00Z\"}\n{\"id\":\"e2\"}\n";
        let err = parse_events(text, "events.jsonl").unwrap_err().to_string();
        assert!(
            err.starts_with("events.jsonl:3: not a valid event"),
            "{err}"
        );
        assert!(err.contains("missing field `kind`"), "{err}");
    }

    #[test]
    fn macro_requests_parse_and_a_misspelt_one_names_its_line() {
        let text = concat!(
            "{\"type\":\"list_macros\"}\n",
            "{\"type\":\"render\",\"macro\":\"m\",\"variables\":{\"days\":\"3\"},",
            "\"ticket\":{\"id\":\"t\",\"channel\":\"sms\",\"requester\":{\"identities\":[]},",
            "\"created_at\":\"2026-11-23T09:00:00Z\",\"updated_at\":\"2026-11-23T09:00:00Z\"}}\n",
            "{\"type\":\"render_macro\"}\n",
        );
        let err = parse_lines::<MacroCall>(text, "requests.jsonl", "macro request")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "requests.jsonl:3: not a valid macro request: unknown variant `render_macro`"
            ),
            "{err}"
        );
        let good: Vec<MacroCall> = parse_lines(
            &text[..text.rfind("{\"type\":\"render_macro").unwrap()],
            "r",
            "r",
        )
        .unwrap();
        assert_eq!(good[0], MacroCall::ListMacros { id: None });
        let MacroCall::Render {
            macro_id,
            variables,
            ticket,
            ..
        } = &good[1]
        else {
            panic!("{good:?}")
        };
        assert_eq!((macro_id.as_str(), ticket.id.as_str()), ("m", "t"));
        assert_eq!(variables["days"], "3");
    }
}
