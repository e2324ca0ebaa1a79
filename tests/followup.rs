//! The `followup` reference plugin end to end: the service on a simulated clock,
//! spoken to over HTTP like a helpdesk, with the plugin enabled by name. Every due
//! time is exact, and one second earlier nothing happens.

mod common;

use serde_json::{Value, json};

use common::desk::{
    Desk, agent_wrote, calls, created, kinds, requester_wrote, status_changed, timer,
};

/// What a helpdesk subscribes `followup` to (its README says why).
const SUBSCRIPTIONS: &[&str] = &["ticket_created", "status_changed", "message_added"];

fn config() -> Value {
    json!({
        "first_reminder": {"after": "1d",
            "message": "Bonjour {requester}, notre réponse vous a-t-elle aidé ?"},
        "second_reminder": {"after": "2d",
            "message": "Bonjour {requester}, sans nouvelles de votre part nous fermerons ce ticket."},
        "close": {"after": "1d12h",
            "message": "Nous fermons ce ticket ; écrivez-nous pour le rouvrir.",
            "tags": ["Auto-Closed"]}
    })
}

/// The messages the plugin wrote on a ticket, as (public, body, when).
fn written_by_plugin(desk: &Desk, ticket: &str) -> Vec<(bool, String, String)> {
    desk.messages(ticket)
        .iter()
        .filter(|m| m["author"] == "followup")
        .map(|m| {
            (
                m["public"].as_bool().unwrap(),
                m["body"].as_str().unwrap().to_string(),
                m["created_at"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn status(desk: &Desk, ticket: &str) -> String {
    desk.ticket(ticket)["status"].as_str().unwrap().to_string()
}

/// The last audit record of `followup` for a timer, as (action types, log).
fn last_timer_call(desk: &Desk, ticket: &str) -> (Vec<String>, Vec<Value>) {
    let audit = desk.audit(ticket);
    let call = *calls(&audit, "followup", "timer_fired").last().unwrap();
    assert!(call["error"].is_null(), "{call}");
    (
        kinds(call["actions"].as_array().unwrap()),
        call["logs"].as_array().unwrap().clone(),
    )
}

#[test]
fn two_reminders_then_a_close_each_at_its_exact_time() {
    let desk = Desk::start(
        "followup-sequence",
        "2026-11-23T09:00:00Z",
        "followup",
        config(),
        SUBSCRIPTIONS,
    );
    let ticket = created(
        "t-1",
        "2026-11-23T09:00:00Z",
        json!({"requester": {"name": "Zoé",
               "identities": [{"kind": "email", "value": "zoe@example.fr"}]}}),
    );
    // Opened, not waiting on anyone yet: nothing to follow up.
    assert!(Desk::actions(&desk.post(ticket)).is_empty());

    // At 10:05 the agent asks a question and the helpdesk sets the status.
    desk.advance_to("2026-11-23T10:05:00Z");
    desk.post(agent_wrote(
        "t-1",
        "m-1",
        "ana",
        "2026-11-23T10:05:00Z",
        true,
    ));
    let actions = Desk::actions(&desk.post(status_changed(
        "t-1",
        "2026-11-23T10:05:00Z",
        "open",
        "waiting_on_requester",
    )));
    assert_eq!(kinds(&actions), ["set_timer"]);
    assert_eq!(
        desk.timers("t-1"),
        [timer("followup:first", "2026-11-24T10:05:00Z")]
    );

    // One day later, to the second: the first reminder.
    assert_eq!(desk.advance_to("2026-11-24T10:04:59Z"), 0);
    assert!(written_by_plugin(&desk, "t-1").is_empty());
    assert_eq!(desk.advance_to("2026-11-24T10:05:00Z"), 1);
    assert_eq!(
        written_by_plugin(&desk, "t-1"),
        [(
            true,
            "Bonjour Zoé, notre réponse vous a-t-elle aidé ?".to_string(),
            "2026-11-24T10:05:00Z".to_string()
        )]
    );
    let reminder = desk.messages("t-1").last().unwrap().clone();
    assert_eq!(reminder["author_role"], "bot");
    assert_eq!(status(&desk, "t-1"), "waiting_on_requester");
    let (actions, logs) = last_timer_call(&desk, "t-1");
    assert_eq!(actions, ["public_reply", "set_timer"]);
    assert!(
        logs[0].as_str().unwrap().contains("reminder 1 sent"),
        "{logs:?}"
    );
    assert_eq!(
        desk.timers("t-1"),
        [timer("followup:second", "2026-11-26T10:05:00Z")]
    );

    // Two days after the first: the second reminder.
    assert_eq!(desk.advance_to("2026-11-26T10:04:59Z"), 0);
    assert_eq!(written_by_plugin(&desk, "t-1").len(), 1);
    assert_eq!(desk.advance_to("2026-11-26T10:05:00Z"), 1);
    let written = written_by_plugin(&desk, "t-1");
    assert_eq!(written.len(), 2);
    assert_eq!(
        written[1],
        (
            true,
            "Bonjour Zoé, sans nouvelles de votre part nous fermerons ce ticket.".to_string(),
            "2026-11-26T10:05:00Z".to_string()
        )
    );
    assert_eq!(status(&desk, "t-1"), "waiting_on_requester");
    assert_eq!(
        last_timer_call(&desk, "t-1").0,
        ["public_reply", "set_timer"]
    );
    assert_eq!(
        desk.timers("t-1"),
        [timer("followup:close", "2026-11-27T22:05:00Z")]
    );

    // A day and a half later: the closing message, a note saying why, the close.
    assert_eq!(desk.advance_to("2026-11-27T22:04:59Z"), 0);
    assert_eq!(status(&desk, "t-1"), "waiting_on_requester");
    assert_eq!(desk.advance_to("2026-11-27T22:05:00Z"), 1);
    assert_eq!(status(&desk, "t-1"), "closed");
    let written = written_by_plugin(&desk, "t-1");
    assert_eq!(written.len(), 4, "{written:?}");
    assert_eq!(
        written[2],
        (
            true,
            "Nous fermons ce ticket ; écrivez-nous pour le rouvrir.".to_string(),
            "2026-11-27T22:05:00Z".to_string()
        )
    );
    assert_eq!(
        written[3],
        (
            false,
            "Closed automatically by the follow-up: waiting on the requester since \
             2026-11-23 10:05:00 UTC, with no answer to the reminders sent \
             2026-11-24 10:05:00 UTC and 2026-11-26 10:05:00 UTC."
                .to_string(),
            "2026-11-27T22:05:00Z".to_string()
        )
    );
    assert!(
        desk.ticket("t-1")["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("auto-closed"))
    );
    assert_eq!(
        last_timer_call(&desk, "t-1").0,
        ["public_reply", "add_tags", "internal_note", "close"]
    );
    assert!(desk.timers("t-1").is_empty());

    // The close came back to the plugin as a status change; it did nothing with it.
    let audit = desk.audit("t-1");
    let own_close = calls(&audit, "followup", "status_changed");
    let own_close = own_close.last().unwrap();
    assert!(
        own_close["event_id"]
            .as_str()
            .unwrap()
            .starts_with("timer:")
    );
    assert_eq!(own_close["actions"], json!([]));
    assert!(own_close["error"].is_null(), "{own_close}");

    // Nothing further, ever.
    assert_eq!(desk.advance_to("2026-12-31T00:00:00Z"), 0);
    assert_eq!(written_by_plugin(&desk, "t-1").len(), 4);
}

#[test]
fn a_requester_answer_stops_the_sequence_and_reentering_the_status_restarts_it() {
    let desk = Desk::start(
        "followup-answered",
        "2026-11-23T10:00:00Z",
        "followup",
        config(),
        SUBSCRIPTIONS,
    );
    desk.post(created("t-2", "2026-11-23T10:00:00Z", json!({})));
    desk.post(status_changed(
        "t-2",
        "2026-11-23T10:00:00Z",
        "open",
        "waiting_on_requester",
    ));
    assert_eq!(desk.advance_to("2026-11-24T10:00:00Z"), 1);
    // No name known: "there".
    assert_eq!(
        written_by_plugin(&desk, "t-2")[0].1,
        "Bonjour there, notre réponse vous a-t-elle aidé ?"
    );
    assert_eq!(
        desk.timers("t-2"),
        [timer("followup:second", "2026-11-26T10:00:00Z")]
    );

    // The requester answers after the first reminder: the second is called off.
    let actions = Desk::actions(&desk.post(requester_wrote("t-2", "m-1", "2026-11-25T08:00:00Z")));
    assert_eq!(
        actions,
        [json!({"type": "cancel_timer", "name": "followup:second"})]
    );
    assert!(desk.timers("t-2").is_empty());
    assert_eq!(desk.advance_to("2026-11-30T09:00:00Z"), 0);
    assert_eq!(written_by_plugin(&desk, "t-2").len(), 1);
    assert_eq!(status(&desk, "t-2"), "waiting_on_requester");

    // The helpdesk moves it on: nothing was running, nothing to cancel.
    let actions = Desk::actions(&desk.post(status_changed(
        "t-2",
        "2026-11-30T09:00:00Z",
        "waiting_on_requester",
        "open",
    )));
    assert!(actions.is_empty());

    // Waiting on the requester again: a fresh sequence, counted from now.
    desk.advance_to("2026-11-30T10:00:00Z");
    desk.post(status_changed(
        "t-2",
        "2026-11-30T10:00:00Z",
        "open",
        "waiting_on_requester",
    ));
    assert_eq!(
        desk.timers("t-2"),
        [timer("followup:first", "2026-12-01T10:00:00Z")]
    );

    // Put on hold before the reminder: leaving the status any other way stops it too.
    let actions = Desk::actions(&desk.post(status_changed(
        "t-2",
        "2026-11-30T12:00:00Z",
        "waiting_on_requester",
        "on_hold",
    )));
    assert_eq!(
        actions,
        [json!({"type": "cancel_timer", "name": "followup:first"})]
    );
    assert!(desk.timers("t-2").is_empty());
    assert_eq!(desk.advance_to("2026-12-10T00:00:00Z"), 0);
    assert_eq!(written_by_plugin(&desk, "t-2").len(), 1);
    assert_eq!(status(&desk, "t-2"), "on_hold");
}

#[test]
fn in_a_business_calendar_delays_count_working_hours_only() {
    // Weekdays 09:00-18:00 in Paris (08:00-17:00 UTC in November), Tuesday 24
    // November off.
    let mut config = config();
    config["calendar"] = json!({"time_zone": "Europe/Paris",
                                "hours": {"mon-fri": ["09:00-18:00"]},
                                "holidays": ["2026-11-24"]});
    config["first_reminder"]["after"] = json!("4h");
    config["second_reminder"]["after"] = json!("9h");
    config["close"]["after"] = json!("9h");
    config["requester_fallback"] = json!("madame, monsieur");
    let desk = Desk::start(
        "followup-business",
        "2026-11-20T16:00:00Z",
        "followup",
        config,
        SUBSCRIPTIONS,
    );
    desk.post(created(
        "t-3",
        "2026-11-20T16:00:00Z",
        json!({"status": "waiting_on_requester"}),
    ));
    // Created waiting, Friday 17:00 in Paris: one working hour on Friday, three on
    // Monday morning.
    assert_eq!(
        desk.timers("t-3"),
        [timer("followup:first", "2026-11-23T11:00:00Z")]
    );
    assert_eq!(desk.advance_to("2026-11-23T10:59:59Z"), 0);
    assert_eq!(desk.advance_to("2026-11-23T11:00:00Z"), 1);
    assert_eq!(
        written_by_plugin(&desk, "t-3")[0].1,
        "Bonjour madame, monsieur, notre réponse vous a-t-elle aidé ?"
    );
    // Six hours left on Monday, Tuesday off, three on Wednesday.
    assert_eq!(
        desk.timers("t-3"),
        [timer("followup:second", "2026-11-25T11:00:00Z")]
    );
    assert_eq!(desk.advance_to("2026-11-25T10:59:59Z"), 0);
    assert_eq!(desk.advance_to("2026-11-25T11:00:00Z"), 1);
    assert_eq!(
        desk.timers("t-3"),
        [timer("followup:close", "2026-11-26T11:00:00Z")]
    );
    assert_eq!(desk.advance_to("2026-11-26T10:59:59Z"), 0);
    assert_eq!(status(&desk, "t-3"), "waiting_on_requester");
    assert_eq!(desk.advance_to("2026-11-26T11:00:00Z"), 1);
    assert_eq!(status(&desk, "t-3"), "closed");
    let note = written_by_plugin(&desk, "t-3").last().unwrap().1.clone();
    assert!(
        note.ends_with("(delays counted in business hours)."),
        "{note}"
    );
}

#[test]
fn configuration_errors_name_what_to_fix() {
    let desk = Desk::start(
        "followup-config",
        "2026-11-23T10:00:00Z",
        "followup",
        config(),
        SUBSCRIPTIONS,
    );
    // Each configuration is refused when it is set, with what to fix.
    let error_for = |config: Value| -> String {
        let refused = desk.try_configure("followup", config, SUBSCRIPTIONS);
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert_eq!(
            refused.body["type"],
            "https://guichet.dev/problems/invalid-config"
        );
        refused.body["detail"].as_str().unwrap().to_string()
    };
    assert!(error_for(json!({})).contains("missing field `first_reminder`"));

    let mut typo = config();
    typo["frist_reminder"] = typo["first_reminder"].take();
    typo.as_object_mut().unwrap().remove("first_reminder");
    let error = error_for(typo);
    assert!(error.contains("unknown field `frist_reminder`"), "{error}");

    let mut bad = config();
    bad["second_reminder"]["after"] = json!("2 days");
    let error = error_for(bad);
    assert!(
        error.contains("second_reminder.after: `2 days` is not a duration"),
        "{error}"
    );

    let mut bad = config();
    bad["close"]["message"] = json!("Au revoir {name}");
    let error = error_for(bad);
    assert!(
        error.contains("close.message: unknown placeholder `{name}`"),
        "{error}"
    );

    let mut bad = config();
    bad["calendar"] = json!({"time_zone": "Paris", "hours": {"mon-fri": ["09:00-18:00"]}});
    let error = error_for(bad);
    assert!(
        error.contains("calendar: `Paris` is not an IANA time zone"),
        "{error}"
    );
}

#[test]
fn a_ticket_solved_before_the_first_reminder_gets_none_and_a_reopening_starts_afresh() {
    // Waiting on the requester from 10:05 (first reminder due the next day at 10:05),
    // solved at 15:00: the sequence stops, the thank-you at 16:00 starts nothing, and
    // nothing is sent on the 24th. Reopened to `open` on the 25th at 08:00: nothing
    // runs, the team is working. Asked again at 09:00 (`waiting_on_requester`): a
    // fresh sequence, first reminder on the 26th at 09:00, second on the 28th at 09:00.
    let desk = Desk::start(
        "followup-solved",
        "2026-11-23T10:05:00Z",
        "followup",
        config(),
        SUBSCRIPTIONS,
    );
    desk.post(created("t-3", "2026-11-23T10:05:00Z", json!({})));
    desk.post(status_changed(
        "t-3",
        "2026-11-23T10:05:00Z",
        "open",
        "waiting_on_requester",
    ));
    assert_eq!(
        desk.timers("t-3"),
        [timer("followup:first", "2026-11-24T10:05:00Z")]
    );
    desk.advance_to("2026-11-23T15:00:00Z");
    let actions = Desk::actions(&desk.post(status_changed(
        "t-3",
        "2026-11-23T15:00:00Z",
        "waiting_on_requester",
        "solved",
    )));
    assert_eq!(
        actions,
        [json!({"type": "cancel_timer", "name": "followup:first"})]
    );
    desk.advance_to("2026-11-23T16:00:00Z");
    let thanks = desk.post(requester_wrote("t-3", "m-1", "2026-11-23T16:00:00Z"));
    assert!(Desk::actions(&thanks).is_empty());
    assert!(desk.timers("t-3").is_empty());
    assert_eq!(desk.advance_to("2026-11-25T08:00:00Z"), 0);
    assert!(written_by_plugin(&desk, "t-3").is_empty());
    assert_eq!(status(&desk, "t-3"), "solved");

    let reopened = desk.post(status_changed(
        "t-3",
        "2026-11-25T08:00:00Z",
        "solved",
        "open",
    ));
    assert!(Desk::actions(&reopened).is_empty());
    assert!(desk.timers("t-3").is_empty());
    desk.advance_to("2026-11-25T09:00:00Z");
    desk.post(status_changed(
        "t-3",
        "2026-11-25T09:00:00Z",
        "open",
        "waiting_on_requester",
    ));
    assert_eq!(
        desk.timers("t-3"),
        [timer("followup:first", "2026-11-26T09:00:00Z")]
    );
    assert_eq!(desk.advance_to("2026-11-26T08:59:59Z"), 0);
    assert_eq!(desk.advance_to("2026-11-26T09:00:00Z"), 1);
    let sent = written_by_plugin(&desk, "t-3");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].2, "2026-11-26T09:00:00Z");
    assert_eq!(
        desk.timers("t-3"),
        [timer("followup:second", "2026-11-28T09:00:00Z")]
    );
}

#[test]
fn a_solved_ticket_reopened_straight_to_waiting_on_the_requester_starts_a_sequence() {
    // Solved at 10:00 while its first reminder was pending; the helpdesk reopens it
    // at 12:00 directly waiting on the requester: first reminder the next day at 12:00.
    let desk = Desk::start(
        "followup-reopened-waiting",
        "2026-11-23T09:00:00Z",
        "followup",
        config(),
        SUBSCRIPTIONS,
    );
    desk.post(created(
        "t-4",
        "2026-11-23T09:00:00Z",
        json!({"status": "waiting_on_requester"}),
    ));
    desk.advance_to("2026-11-23T10:00:00Z");
    desk.post(status_changed(
        "t-4",
        "2026-11-23T10:00:00Z",
        "waiting_on_requester",
        "solved",
    ));
    assert!(desk.timers("t-4").is_empty());
    desk.advance_to("2026-11-23T12:00:00Z");
    desk.post(status_changed(
        "t-4",
        "2026-11-23T12:00:00Z",
        "solved",
        "waiting_on_requester",
    ));
    assert_eq!(
        desk.timers("t-4"),
        [timer("followup:first", "2026-11-24T12:00:00Z")]
    );
    assert_eq!(desk.advance_to("2026-11-24T12:00:00Z"), 1);
    assert_eq!(written_by_plugin(&desk, "t-4")[0].2, "2026-11-24T12:00:00Z");
}

#[test]
fn the_plugin_keeps_no_state_for_tickets_that_are_done() {
    // Six tickets waiting on their requester: two closed, two merged, two solved; a
    // seventh still waiting keeps the only key.
    let desk = Desk::start(
        "followup-state-bound",
        "2026-11-23T09:00:00Z",
        "followup",
        config(),
        SUBSCRIPTIONS,
    );
    for n in 1..=7 {
        desk.post(created(
            &format!("t-{n}"),
            "2026-11-23T09:00:00Z",
            json!({"status": "waiting_on_requester"}),
        ));
    }
    for (ticket, status) in common::desk::DONE_TICKETS {
        desk.post(status_changed(
            ticket,
            "2026-11-23T10:00:00Z",
            "waiting_on_requester",
            status,
        ));
        assert!(desk.timers(ticket).is_empty(), "{ticket}");
    }
    let (count, keys) = common::desk::plugin_keys(&desk.stop(), "followup");
    assert_eq!((count, keys), (1, vec!["waiting/t-7".to_string()]));
}
