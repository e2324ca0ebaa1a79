//! The same rules natively: the pure cores of the `triage` and `dedupe` plugins,
//! linked into the bench as Rust libraries, run on the events their components get,
//! for the ratio Wasm / native.
//!
//! Both plugins read their configuration on each call from a plain instance; triage
//! is pre-initialised in the service (see `runtime::preinit`) and so reads it once.
//! Each is timed both ways: the configuration parsed then the event decided (what a
//! plain instance does), and the event decided with the configuration parsed
//! beforehand (what a pre-initialised instance does; for dedupe, whose configuration
//! costs little, the two are nearly the same). What
//! the native runs leave out: the host calls' crossing (the natively linked `Host`
//! answers from memory) and triage's log line.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use guichet::model;

/// `fn $name(&model) -> wit`, variant for variant.
macro_rules! same_enum {
    ($name:ident, $model:ty, $wit:ty, [$($variant:ident),*]) => {
        fn $name(value: &$model) -> $wit {
            match value { $(<$model>::$variant => <$wit>::$variant,)* }
        }
    };
}

/// Converts the host's model into one version's WIT types, which wit-bindgen gives
/// each plugin crate its own copy of (the records are the same in 0.2.0 and 0.3.0).
macro_rules! to_wit {
    ($types:path) => {
        use $types as wit;

        fn millis(t: model::Timestamp) -> i64 {
            t.timestamp_millis()
        }

        same_enum!(
            channel,
            model::Channel,
            wit::Channel,
            [
                Email,
                Chat,
                Whatsapp,
                Messenger,
                Phone,
                AppStoreReview,
                Sms,
                WebForm,
                Api
            ]
        );
        same_enum!(
            status,
            model::TicketStatus,
            wit::TicketStatus,
            [
                New,
                Open,
                WaitingOnRequester,
                WaitingOnAgent,
                OnHold,
                Solved,
                Closed,
                Merged
            ]
        );
        same_enum!(
            priority,
            model::Priority,
            wit::Priority,
            [Low, Normal, High, Urgent]
        );
        same_enum!(
            identity_kind,
            model::IdentityKind,
            wit::IdentityKind,
            [
                Email, Phone, Whatsapp, Messenger, AppStore, AppUser, External
            ]
        );
        same_enum!(
            author_role,
            model::AuthorRole,
            wit::AuthorRole,
            [Requester, Agent, System, Bot]
        );

        fn field_value(v: &model::FieldValue) -> wit::FieldValue {
            match v {
                model::FieldValue::Text(t) => wit::FieldValue::Text(t.clone()),
                model::FieldValue::Number(n) => wit::FieldValue::Number(*n),
                model::FieldValue::Flag(f) => wit::FieldValue::Flag(*f),
                model::FieldValue::Time(t) => wit::FieldValue::Time(millis(*t)),
            }
        }

        fn message(m: &model::Message) -> wit::Message {
            wit::Message {
                id: m.id.clone(),
                author_role: author_role(&m.author_role),
                author: m.author.clone(),
                channel: channel(&m.channel),
                body: m.body.clone(),
                public: m.public,
                created_at: millis(m.created_at),
            }
        }

        pub fn ticket(t: &model::Ticket) -> wit::Ticket {
            wit::Ticket {
                id: t.id.clone(),
                external_id: t.external_id.clone(),
                channel: channel(&t.channel),
                requester: wit::Requester {
                    name: t.requester.name.clone(),
                    identities: t
                        .requester
                        .identities
                        .iter()
                        .map(|i| wit::Identity {
                            kind: identity_kind(&i.kind),
                            value: i.value.clone(),
                        })
                        .collect(),
                    language: t.requester.language.clone(),
                },
                subject: t.subject.clone(),
                status: status(&t.status),
                priority: priority(&t.priority),
                assignee: t.assignee.clone(),
                group: t.group.clone(),
                tags: t.tags.clone(),
                fields: t
                    .fields
                    .iter()
                    .map(|f| wit::CustomField {
                        name: f.name.clone(),
                        value: field_value(&f.value),
                    })
                    .collect(),
                created_at: millis(t.created_at),
                updated_at: millis(t.updated_at),
                first_agent_response_at: t.first_agent_response_at.map(millis),
                last_requester_message_at: t.last_requester_message_at.map(millis),
                last_agent_message_at: t.last_agent_message_at.map(millis),
                merged_into: t.merged_into.clone(),
                messages: t.messages.iter().map(message).collect(),
            }
        }

        /// A `ticket_created` event: the kind the bench's events are.
        pub fn created(e: &model::Event) -> wit::Event {
            assert!(
                matches!(e.kind, model::EventKind::TicketCreated),
                "the native bench converts ticket_created events only"
            );
            wit::Event {
                id: e.id.clone(),
                kind: wit::EventKind::TicketCreated,
                ticket: e.ticket.as_ref().map(ticket),
                occurred_at: millis(e.occurred_at),
            }
        }

        /// `rounds` timings of `event` decided with `config` parsed on each call (a
        /// plain instance's work), then with it parsed beforehand (a pre-initialised
        /// instance's), by the module's `parse` and `decide`.
        pub fn timed(
            rounds: usize,
            config: &str,
            event: &model::Event,
        ) -> (Vec<Duration>, Vec<Duration>) {
            let event = created(event);
            let parsed = parse(config);
            (
                super::time(rounds, || decide(&parse(config), &event)),
                super::time(rounds, || decide(&parsed, &event)),
            )
        }
    };
}

/// `triage` natively: what its `on-event` does with a new ticket.
pub mod triage_rules {
    use super::*;
    use triage::rules::{Config, Subject};
    to_wit!(triage::guichet::plugin::types);

    /// Decides with the configuration parsed: the number of actions.
    pub fn decide(config: &Config, event: &wit::Event) -> usize {
        let ticket = event.ticket.as_ref().expect("a new ticket");
        config
            .decide(&Subject::of(ticket))
            .into_actions(ticket)
            .len()
    }

    pub fn parse(config: &str) -> Config {
        Config::parse(config).expect("the bench's configuration parses")
    }
}

/// `dedupe` natively, against a host that answers from memory: no ticket to merge
/// into (as the Wasm runs' empty ticket source), an empty storage whose writes are
/// kept for the call only.
pub mod dedupe_rules {
    use super::*;
    use dedupe::config::Config;
    use dedupe::guichet::plugin::log::Level;
    to_wit!(dedupe::guichet::plugin::types);

    #[derive(Default)]
    struct MemoryHost {
        storage: RefCell<BTreeMap<String, Vec<u8>>>,
    }

    impl dedupe::host::Host for MemoryHost {
        fn get(&self, _id: &str) -> Option<wit::Ticket> {
            None
        }
        fn open_by_identity(&self, _identity: &wit::Identity) -> Vec<wit::Ticket> {
            Vec::new()
        }
        fn storage_get(&self, key: &str) -> Option<Vec<u8>> {
            self.storage.borrow().get(key).cloned()
        }
        fn storage_set(&self, key: &str, value: &[u8]) -> Result<(), String> {
            self.storage
                .borrow_mut()
                .insert(key.to_string(), value.to_vec());
            Ok(())
        }
        fn storage_delete(&self, key: &str) {
            self.storage.borrow_mut().remove(key);
        }
        fn log(&self, _level: Level, _message: &str) {}
    }

    /// Decides with the configuration parsed: the number of actions.
    pub fn decide(config: &Config, event: &wit::Event) -> usize {
        dedupe::decide::on_event(&MemoryHost::default(), config, event)
            .expect("dedupe decides the bench's event")
            .len()
    }

    pub fn parse(config: &str) -> Config {
        Config::parse(config).expect("the bench's configuration parses")
    }
}

/// `rounds` timings of `work`, after a warm-up of a twentieth of them.
pub fn time(rounds: usize, mut work: impl FnMut() -> usize) -> Vec<Duration> {
    for _ in 0..rounds / 20 + 1 {
        std::hint::black_box(work());
    }
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(work());
            t.elapsed()
        })
        .collect()
}
