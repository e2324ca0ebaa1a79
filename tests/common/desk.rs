//! The helpdesk's side of the end-to-end tests of the time-based reference plugins: a
//! service on a simulated clock with tenant `acme` and one reference plugin enabled,
//! events built and posted the way a helpdesk sends them, and the ticket, its timers
//! and its audit trail read back over HTTP.

use std::sync::Arc;

use serde_json::{Value, json};

use guichet::clock::SimulatedClock;
use guichet::serve::ServiceClock;

use super::service::{OPERATOR, Running, data_dir};

/// A service with tenant `acme` and a token to speak for its helpdesk.
pub struct Desk {
    pub service: Running,
    pub admin: String,
}

impl Desk {
    /// A service on a simulated clock set to `start` (RFC 3339), with the reference
    /// plugin `plugin` enabled under its own name with `config` and `subscriptions`.
    pub fn start(
        name: &str,
        start: &str,
        plugin: &str,
        config: Value,
        subscriptions: &[&str],
    ) -> Desk {
        let service = Running::start_on(
            data_dir(name),
            ServiceClock::Simulated(Arc::new(SimulatedClock::new(
                start.parse().expect("an RFC 3339 time"),
            ))),
        );
        let created = service.json("POST", "/v1/tenants", OPERATOR, json!({"id": "acme"}));
        assert_eq!(created.status, 201, "{}", created.body);
        let admin = created.body["admin_token"].as_str().unwrap().to_string();
        let desk = Desk { service, admin };
        desk.configure(plugin, config, subscriptions);
        desk
    }

    /// (Re)installs the reference plugin `plugin` with `config` and `subscriptions`.
    pub fn configure(&self, plugin: &str, config: Value, subscriptions: &[&str]) {
        let answer = self.try_configure(plugin, config, subscriptions);
        assert_eq!(answer.status, 200, "{}", answer.body);
    }

    /// The answer to (re)installing the reference plugin `plugin` with `config`.
    pub fn try_configure(
        &self,
        plugin: &str,
        config: Value,
        subscriptions: &[&str],
    ) -> super::service::Answer {
        self.service.json(
            "PUT",
            &format!("/v1/tenants/acme/plugins/{plugin}"),
            &self.admin,
            json!({"reference": plugin, "config": config, "subscriptions": subscriptions,
                   "enabled": true}),
        )
    }

    /// Posts one event and waits for its outcome; returns the plugins' decisions.
    pub fn post(&self, event: Value) -> Vec<Value> {
        let answer = self.service.json(
            "POST",
            "/v1/tenants/acme/events?wait=true",
            &self.admin,
            event,
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["outcomes"][0]["decisions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The actions of the one plugin that ran on an event (as [`Desk::post`] returns
    /// its decisions), failing on a plugin error.
    pub fn actions(decisions: &[Value]) -> Vec<Value> {
        assert_eq!(decisions.len(), 1, "{decisions:?}");
        assert!(decisions[0]["error"].is_null(), "{decisions:?}");
        decisions[0]["actions"].as_array().unwrap().clone()
    }

    /// Moves the simulated clock to `to`, firing what falls due on the way; returns
    /// how many timers fired.
    pub fn advance_to(&self, to: &str) -> usize {
        self.service.advance_to(to)
    }

    fn get(&self, path: &str) -> Value {
        let answer = self.service.call("GET", path, Some(&self.admin), None);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        answer.body
    }

    /// The ticket as the host keeps it.
    pub fn ticket(&self, id: &str) -> Value {
        self.get(&format!("/v1/tenants/acme/tickets/{id}"))
    }

    /// The ticket's messages.
    pub fn messages(&self, id: &str) -> Vec<Value> {
        self.ticket(id)["messages"].as_array().unwrap().clone()
    }

    /// The ticket's pending timers as (name, due time), soonest first.
    pub fn timers(&self, id: &str) -> Vec<(String, String)> {
        self.get(&format!("/v1/tenants/acme/tickets/{id}/timers"))
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap().to_string(),
                    t["due_at"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Stops the service; returns its data directory (see [`plugin_keys`]).
    pub fn stop(self) -> std::path::PathBuf {
        self.service.stop()
    }

    /// The ticket's audit trail, oldest first.
    pub fn audit(&self, id: &str) -> Vec<Value> {
        self.get(&format!("/v1/tenants/acme/tickets/{id}/audit"))
            .as_array()
            .unwrap()
            .clone()
    }
}

/// The state-bound tests' tickets t-1 to t-6 and how each ends; t-7 stays open.
pub const DONE_TICKETS: [(&str, &str); 6] = [
    ("t-1", "closed"),
    ("t-2", "closed"),
    ("t-3", "merged"),
    ("t-4", "merged"),
    ("t-5", "solved"),
    ("t-6", "solved"),
];

/// What plugin `plugin` of tenant `acme` keeps in its storage, read from the store of a
/// stopped service (no route shows a plugin's storage): the store's key count and the
/// keys themselves (the first 1,000).
pub fn plugin_keys(data_dir: &std::path::Path, plugin: &str) -> (usize, Vec<String>) {
    use guichet::store::{PluginStorage, SledStore};
    let store = SledStore::open(&data_dir.join("store")).expect("the stopped service's store");
    (
        store.plugin_storage_count("acme", plugin).unwrap(),
        store
            .plugin_storage_keys("acme", plugin, "", 1_000)
            .unwrap(),
    )
}

/// One pending timer, as [`Desk::timers`] lists it.
pub fn timer(name: &str, due_at: &str) -> (String, String) {
    (name.to_string(), due_at.to_string())
}

/// The ticket part of an event about a ticket the host already keeps (the host goes
/// by its own copy).
fn known(ticket: &str, when: &str) -> Value {
    json!({"id": ticket, "channel": "email", "requester": {"identities": []},
           "created_at": when, "updated_at": when})
}

/// `ticket_created` for a ticket opened by e-mail at `when` with the requester's first
/// message; `fields` adds to (or replaces) the ticket's fields, e.g.
/// `{"group": "billing"}`.
pub fn created(ticket: &str, when: &str, fields: Value) -> Value {
    let mut carried = json!({
        "id": ticket, "channel": "email", "subject": "Prélèvement en double",
        "requester": {"identities": [{"kind": "email", "value": "zoe@example.fr"}]},
        "status": "open",
        "created_at": when, "updated_at": when,
        "messages": [{"id": "m-0", "author_role": "requester", "channel": "email",
                      "body": "J'ai été prélevée deux fois ce mois-ci.", "created_at": when}]
    });
    for (key, value) in fields.as_object().expect("fields as an object") {
        carried[key] = value.clone();
    }
    json!({"id": format!("{ticket}-created"), "kind": {"type": "ticket_created"},
           "occurred_at": when, "ticket": carried})
}

/// `message_added`: message `id` written at `when` by the requester.
pub fn requester_wrote(ticket: &str, id: &str, when: &str) -> Value {
    message(
        ticket,
        json!({"id": id, "author_role": "requester", "channel": "email",
               "body": "Des nouvelles ?", "created_at": when}),
    )
}

/// `message_added`: message `id` written at `when` by agent `agent`, public or an
/// internal note.
pub fn agent_wrote(ticket: &str, id: &str, agent: &str, when: &str, public: bool) -> Value {
    message(
        ticket,
        json!({"id": id, "author_role": "agent", "author": agent, "channel": "email",
               "body": "Nous regardons cela.", "public": public, "created_at": when}),
    )
}

fn message(ticket: &str, message: Value) -> Value {
    let when = message["created_at"].as_str().unwrap().to_string();
    json!({"id": format!("{ticket}-{}", message["id"].as_str().unwrap()),
           "kind": {"type": "message_added", "message": message},
           "occurred_at": when, "ticket": known(ticket, &when)})
}

/// `status_changed` from `previous` to `current` at `when`.
pub fn status_changed(ticket: &str, when: &str, previous: &str, current: &str) -> Value {
    json!({"id": format!("{ticket}-status-{when}"),
           "kind": {"type": "status_changed", "previous": previous, "current": current},
           "occurred_at": when, "ticket": known(ticket, when)})
}

/// `assignment_changed` at `when`, e.g. the helpdesk telling what an agent or the
/// host's own webhook delivery did.
pub fn assignment_changed(
    ticket: &str,
    when: &str,
    (previous_assignee, current_assignee): (Option<&str>, Option<&str>),
    (previous_group, current_group): (Option<&str>, Option<&str>),
) -> Value {
    json!({"id": format!("{ticket}-assignment-{when}"),
           "kind": {"type": "assignment_changed",
                    "previous_assignee": previous_assignee, "current_assignee": current_assignee,
                    "previous_group": previous_group, "current_group": current_group},
           "occurred_at": when, "ticket": known(ticket, when)})
}

/// `fields_changed` at `when`: what an agent changed in the helpdesk, e.g.
/// `{"priority": {"previous": "normal", "current": "urgent"}}`.
pub fn fields_changed(ticket: &str, when: &str, changes: Value) -> Value {
    let mut kind = json!({"type": "fields_changed"});
    for (key, value) in changes.as_object().expect("changes as an object") {
        kind[key] = value.clone();
    }
    json!({"id": format!("{ticket}-fields-{when}"), "kind": kind,
           "occurred_at": when, "ticket": known(ticket, when)})
}

/// The records of the audit trail that `plugin` wrote for events of `kind`.
pub fn calls<'a>(audit: &'a [Value], plugin: &str, kind: &str) -> Vec<&'a Value> {
    audit
        .iter()
        .filter(|r| r["plugin"] == plugin && r["event_kind"] == kind)
        .collect()
}

/// The `type`s of a list of actions, in order.
pub fn kinds(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .map(|a| a["type"].as_str().unwrap().to_string())
        .collect()
}
