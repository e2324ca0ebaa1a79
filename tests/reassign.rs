//! The `reassign` reference plugin end to end: the service on a simulated clock,
//! spoken to over HTTP like a helpdesk, with the plugin enabled by name. Cascade
//! mode walks a group's agents at exact times; timeout mode hands a ticket left
//! waiting on its agent back to the pool at the exact minute.

mod common;

use serde_json::{Value, json};

use common::desk::{
    Desk, agent_wrote, assignment_changed, calls, created, kinds, requester_wrote, timer,
};

/// What a helpdesk subscribes `reassign` to (its README says why).
const SUBSCRIPTIONS: &[&str] = &[
    "ticket_created",
    "message_added",
    "assignment_changed",
    "status_changed",
];

/// Billing offers new tickets to ana, bo, cy and dan in turn, a quarter of an hour
/// each; bo is away. Any assigned ticket may wait two hours on its agent.
fn config() -> Value {
    json!({
        "timeout": "2h",
        "tag": "reassigned",
        "cascades": {
            "billing": {"agents": ["ana", "bo", "cy", "dan"], "step": "15m",
                        "unavailable": ["bo"]}
        }
    })
}

fn desk(name: &str, start: &str) -> Desk {
    Desk::start(name, start, "reassign", config(), SUBSCRIPTIONS)
}

fn assignee(desk: &Desk, ticket: &str) -> Value {
    desk.ticket(ticket)["assignee"].clone()
}

fn tags(desk: &Desk, ticket: &str) -> Vec<Value> {
    desk.ticket(ticket)["tags"].as_array().unwrap().clone()
}

/// The agents notified about a ticket, in order, from its audit trail.
fn notified(desk: &Desk, ticket: &str) -> Vec<String> {
    desk.audit(ticket)
        .iter()
        .filter(|r| r["plugin"] == "reassign")
        .flat_map(|r| r["actions"].as_array().unwrap().clone())
        .filter(|a| a["type"] == "notify")
        .map(|a| a["recipient"]["agent"].as_str().unwrap().to_string())
        .collect()
}

/// The internal notes on a ticket.
fn notes(desk: &Desk, ticket: &str) -> Vec<String> {
    desk.messages(ticket)
        .iter()
        .filter(|m| m["public"] == false)
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_cascade_walks_the_available_agents_in_order_then_ends_in_the_pool() {
    let desk = desk("reassign-cascade", "2026-11-23T09:00:00Z");
    let actions = Desk::actions(&desk.post(created(
        "t-1",
        "2026-11-23T09:00:00Z",
        json!({"group": "billing"}),
    )));
    assert_eq!(kinds(&actions), ["assign", "notify", "set_timer"]);
    assert_eq!(
        actions[1]["message"],
        "Ticket t-1 \"Prélèvement en double\" is offered to you: answer it publicly \
         within 15m, or it moves on to the next agent."
    );
    assert_eq!(assignee(&desk, "t-1"), "ana");
    assert_eq!(
        desk.timers("t-1"),
        [timer("reassign:cascade", "2026-11-23T09:15:00Z")]
    );

    // The helpdesk echoes the assignment it received; the requester writes again.
    // Neither moves the step.
    let echo = desk.post(assignment_changed(
        "t-1",
        "2026-11-23T09:01:00Z",
        (None, Some("ana")),
        (Some("billing"), Some("billing")),
    ));
    assert!(Desk::actions(&echo).is_empty());
    desk.advance_to("2026-11-23T09:10:00Z");
    let more = desk.post(requester_wrote("t-1", "m-1", "2026-11-23T09:10:00Z"));
    assert!(Desk::actions(&more).is_empty());
    assert_eq!(
        desk.timers("t-1"),
        [timer("reassign:cascade", "2026-11-23T09:15:00Z")]
    );

    // 09:15: bo is away, so cy.
    assert_eq!(desk.advance_to("2026-11-23T09:14:59Z"), 0);
    assert_eq!(assignee(&desk, "t-1"), "ana");
    assert_eq!(desk.advance_to("2026-11-23T09:15:00Z"), 1);
    assert_eq!(assignee(&desk, "t-1"), "cy");
    assert_eq!(
        desk.timers("t-1"),
        [timer("reassign:cascade", "2026-11-23T09:30:00Z")]
    );

    // 09:30: dan, the last one.
    assert_eq!(desk.advance_to("2026-11-23T09:29:59Z"), 0);
    assert_eq!(assignee(&desk, "t-1"), "cy");
    assert_eq!(desk.advance_to("2026-11-23T09:30:00Z"), 1);
    assert_eq!(assignee(&desk, "t-1"), "dan");
    assert_eq!(
        desk.timers("t-1"),
        [timer("reassign:cascade", "2026-11-23T09:45:00Z")]
    );
    assert_eq!(notified(&desk, "t-1"), ["ana", "cy", "dan"]);
    let audit = desk.audit("t-1");
    let last_offer = calls(&audit, "reassign", "timer_fired")[1];
    assert_eq!(
        last_offer["actions"][1]["message"],
        "Ticket t-1 \"Prélèvement en double\" is offered to you: answer it publicly \
         within 15m, or it goes back to the billing pool."
    );

    // 09:45: nobody answered; back to billing's pool, tagged, with a note.
    assert_eq!(desk.advance_to("2026-11-23T09:44:59Z"), 0);
    assert_eq!(assignee(&desk, "t-1"), "dan");
    assert!(!tags(&desk, "t-1").contains(&json!("reassigned")));
    assert_eq!(desk.advance_to("2026-11-23T09:45:00Z"), 1);
    let ticket = desk.ticket("t-1");
    assert_eq!(ticket["assignee"], Value::Null);
    assert_eq!(ticket["group"], "billing");
    assert!(tags(&desk, "t-1").contains(&json!("reassigned")));
    assert_eq!(
        notes(&desk, "t-1"),
        [
            "Back to the shared pool of billing: offered to ana, cy, dan in turn, 15m each, \
          with no public reply."
        ]
    );
    assert!(desk.timers("t-1").is_empty());

    // Its own unassignment came back as a follow-up; it did nothing with it, and
    // nothing moves after.
    let audit = desk.audit("t-1");
    let own = calls(&audit, "reassign", "assignment_changed");
    let own = own.last().unwrap();
    assert!(own["event_id"].as_str().unwrap().starts_with("timer:"));
    assert_eq!(own["actions"], json!([]));
    assert_eq!(desk.advance_to("2026-11-23T18:00:00Z"), 0);
    assert_eq!(assignee(&desk, "t-1"), Value::Null);
    assert_eq!(notified(&desk, "t-1").len(), 3);
}

#[test]
fn an_agent_reply_stops_the_cascade() {
    let desk = desk("reassign-cascade-answered", "2026-11-23T10:00:00Z");
    desk.post(created(
        "t-2",
        "2026-11-23T10:00:00Z",
        json!({"group": "billing"}),
    ));
    assert_eq!(desk.advance_to("2026-11-23T10:15:00Z"), 1);
    assert_eq!(assignee(&desk, "t-2"), "cy");

    // An internal note is no answer; cy's public reply is.
    let note = desk.post(agent_wrote(
        "t-2",
        "m-1",
        "cy",
        "2026-11-23T10:18:00Z",
        false,
    ));
    assert!(Desk::actions(&note).is_empty());
    let reply = desk.post(agent_wrote(
        "t-2",
        "m-2",
        "cy",
        "2026-11-23T10:20:00Z",
        true,
    ));
    assert_eq!(
        Desk::actions(&reply),
        [json!({"type": "cancel_timer", "name": "reassign:cascade"})]
    );
    assert!(desk.timers("t-2").is_empty());
    assert_eq!(desk.advance_to("2026-11-23T12:00:00Z"), 0);
    assert_eq!(assignee(&desk, "t-2"), "cy");
    assert!(!tags(&desk, "t-2").contains(&json!("reassigned")));
    assert_eq!(notified(&desk, "t-2"), ["ana", "cy"]);

    // From here cy owns it: when the requester writes back, the timeout clock runs.
    desk.post(requester_wrote("t-2", "m-3", "2026-11-23T12:00:00Z"));
    assert_eq!(
        desk.timers("t-2"),
        [timer("reassign:timeout", "2026-11-23T14:00:00Z")]
    );
}

#[test]
fn a_ticket_left_waiting_on_its_agent_goes_back_to_the_pool_at_the_exact_minute() {
    let desk = desk("reassign-timeout", "2026-11-23T09:00:00Z");
    let actions = Desk::actions(&desk.post(created(
        "t-3",
        "2026-11-23T09:00:00Z",
        json!({"group": "sales", "assignee": "eve"}),
    )));
    assert_eq!(kinds(&actions), ["set_timer"]);
    assert_eq!(
        desk.timers("t-3"),
        [timer("reassign:timeout", "2026-11-23T11:00:00Z")]
    );

    // eve answers at 10:00, before the timeout: the clock stops.
    desk.advance_to("2026-11-23T10:00:00Z");
    let reply = desk.post(agent_wrote(
        "t-3",
        "m-1",
        "eve",
        "2026-11-23T10:00:00Z",
        true,
    ));
    assert_eq!(
        Desk::actions(&reply),
        [json!({"type": "cancel_timer", "name": "reassign:timeout"})]
    );
    assert_eq!(desk.advance_to("2026-11-23T11:30:00Z"), 0);
    assert_eq!(assignee(&desk, "t-3"), "eve");

    // The requester writes back at 11:30: the clock starts again. Writing again at
    // 12:15 does not move it: the requester has waited since 11:30.
    desk.post(requester_wrote("t-3", "m-2", "2026-11-23T11:30:00Z"));
    assert_eq!(
        desk.timers("t-3"),
        [timer("reassign:timeout", "2026-11-23T13:30:00Z")]
    );
    desk.advance_to("2026-11-23T12:15:00Z");
    let again = desk.post(requester_wrote("t-3", "m-3", "2026-11-23T12:15:00Z"));
    assert!(Desk::actions(&again).is_empty());
    assert_eq!(
        desk.timers("t-3"),
        [timer("reassign:timeout", "2026-11-23T13:30:00Z")]
    );

    assert_eq!(desk.advance_to("2026-11-23T13:29:59Z"), 0);
    assert_eq!(assignee(&desk, "t-3"), "eve");
    assert_eq!(desk.advance_to("2026-11-23T13:30:00Z"), 1);
    let ticket = desk.ticket("t-3");
    assert_eq!(ticket["assignee"], Value::Null);
    assert_eq!(ticket["group"], "sales");
    assert!(tags(&desk, "t-3").contains(&json!("reassigned")));
    assert_eq!(
        notes(&desk, "t-3"),
        [
            "Back to the shared pool of sales: the requester has waited 2h for a public \
          reply from eve (since 2026-11-23 11:30:00 UTC)."
        ]
    );
    assert!(desk.timers("t-3").is_empty());
    let audit = desk.audit("t-3");
    assert_eq!(
        kinds(
            calls(&audit, "reassign", "timer_fired")[0]["actions"]
                .as_array()
                .unwrap()
        ),
        ["unassign", "add_tags", "internal_note"]
    );
    // Sales has no cascade, and the ticket stays in the pool.
    assert_eq!(desk.advance_to("2026-11-24T09:00:00Z"), 0);
    assert_eq!(assignee(&desk, "t-3"), Value::Null);
}

#[test]
fn assigning_a_waiting_ticket_by_hand_gives_the_new_agent_a_full_timeout() {
    let desk = desk("reassign-by-hand", "2026-11-23T09:00:00Z");
    desk.post(created(
        "t-4",
        "2026-11-23T09:00:00Z",
        json!({"group": "sales", "assignee": "eve"}),
    ));
    // At 10:00 a lead gives it to fay: her two hours start now.
    desk.advance_to("2026-11-23T10:00:00Z");
    let actions = Desk::actions(&desk.post(assignment_changed(
        "t-4",
        "2026-11-23T10:00:00Z",
        (Some("eve"), Some("fay")),
        (Some("sales"), Some("sales")),
    )));
    assert_eq!(kinds(&actions), ["set_timer"]);
    assert_eq!(
        desk.timers("t-4"),
        [timer("reassign:timeout", "2026-11-23T12:00:00Z")]
    );
    assert_eq!(desk.advance_to("2026-11-23T11:59:59Z"), 0);
    assert_eq!(desk.advance_to("2026-11-23T12:00:00Z"), 1);
    assert_eq!(assignee(&desk, "t-4"), Value::Null);
    assert!(notes(&desk, "t-4")[0].contains("from fay (since 2026-11-23 10:00:00 UTC)"));
}

#[test]
fn configuration_errors_name_what_to_fix() {
    let desk = desk("reassign-config", "2026-11-23T09:00:00Z");
    // Each configuration is refused when it is set, with what to fix.
    let error_for = |config: Value| -> String {
        let refused = desk.try_configure("reassign", config, SUBSCRIPTIONS);
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert_eq!(
            refused.body["type"],
            "https://guichet.dev/problems/invalid-config"
        );
        refused.body["detail"].as_str().unwrap().to_string()
    };
    let error = error_for(json!({}));
    assert!(error.contains("nothing to do: set `timeout`"), "{error}");
    let error = error_for(json!({"timout": "2h"}));
    assert!(error.contains("unknown field `timout`"), "{error}");
    let error = error_for(json!({"timeout": "2 hours"}));
    assert!(
        error.contains("timeout: `2 hours` is not a duration"),
        "{error}"
    );
    let mut bad = config();
    bad["cascades"]["billing"]["unavailable"] = json!(["bob"]);
    let error = error_for(bad);
    assert!(
        error.contains("cascades.billing.unavailable names `bob`, who is not in"),
        "{error}"
    );
    let mut bad = config();
    bad["cascades"]["billing"]["step"] = json!("0m");
    let error = error_for(bad);
    assert!(
        error.contains("cascades.billing.step: `0m` is not a duration: it is zero"),
        "{error}"
    );
}

#[test]
fn a_cascade_on_a_ticket_merged_mid_cascade_stops() {
    // Offered to ana at 10:00, to cy at 10:15 (bo is away); merged into another ticket
    // at 10:20: the step due at 10:30 never comes, cy keeps it, no pool, no tag.
    let desk = desk("reassign-cascade-merged", "2026-11-23T10:00:00Z");
    desk.post(created(
        "t-5",
        "2026-11-23T10:00:00Z",
        json!({"group": "billing"}),
    ));
    assert_eq!(desk.advance_to("2026-11-23T10:15:00Z"), 1);
    assert_eq!(assignee(&desk, "t-5"), "cy");
    assert_eq!(
        desk.timers("t-5"),
        [timer("reassign:cascade", "2026-11-23T10:30:00Z")]
    );
    desk.advance_to("2026-11-23T10:20:00Z");
    let merged = desk.post(common::desk::status_changed(
        "t-5",
        "2026-11-23T10:20:00Z",
        "open",
        "merged",
    ));
    assert!(Desk::actions(&merged).is_empty());
    assert!(desk.timers("t-5").is_empty());
    assert_eq!(desk.advance_to("2026-11-23T12:00:00Z"), 0);
    assert_eq!(assignee(&desk, "t-5"), "cy");
    assert!(!tags(&desk, "t-5").contains(&json!("reassigned")));
    assert_eq!(notified(&desk, "t-5"), ["ana", "cy"]);
    assert!(notes(&desk, "t-5").is_empty());
}

#[test]
fn a_ticket_solved_mid_cascade_stops_it_and_a_reopening_starts_only_the_timeout() {
    // Offered to ana at 10:00, solved at 10:05: the cascade's step is cancelled. The
    // requester's thank-you at 10:30 waits on nobody: no timeout. Reopened at 11:00,
    // the requester having written last: ana has the full 2h timeout from the
    // reopening, back to the pool at 13:00; a reopened ticket is not new, so no
    // cascade.
    let desk = desk("reassign-cascade-solved", "2026-11-23T10:00:00Z");
    desk.post(created(
        "t-6",
        "2026-11-23T10:00:00Z",
        json!({"group": "billing"}),
    ));
    assert_eq!(assignee(&desk, "t-6"), "ana");
    desk.advance_to("2026-11-23T10:05:00Z");
    let solved = desk.post(common::desk::status_changed(
        "t-6",
        "2026-11-23T10:05:00Z",
        "open",
        "solved",
    ));
    assert_eq!(
        Desk::actions(&solved),
        [json!({"type": "cancel_timer", "name": "reassign:cascade"})]
    );
    desk.advance_to("2026-11-23T10:30:00Z");
    let thanks = desk.post(requester_wrote("t-6", "m-1", "2026-11-23T10:30:00Z"));
    assert!(Desk::actions(&thanks).is_empty());
    assert!(desk.timers("t-6").is_empty());
    assert_eq!(desk.advance_to("2026-11-23T11:00:00Z"), 0);
    assert_eq!(assignee(&desk, "t-6"), "ana");

    desk.post(common::desk::status_changed(
        "t-6",
        "2026-11-23T11:00:00Z",
        "solved",
        "open",
    ));
    assert_eq!(
        desk.timers("t-6"),
        [timer("reassign:timeout", "2026-11-23T13:00:00Z")]
    );
    assert_eq!(desk.advance_to("2026-11-23T12:59:59Z"), 0);
    assert_eq!(desk.advance_to("2026-11-23T13:00:00Z"), 1);
    assert_eq!(assignee(&desk, "t-6"), Value::Null);
    assert!(tags(&desk, "t-6").contains(&json!("reassigned")));
    assert_eq!(notified(&desk, "t-6"), ["ana"]);
}

#[test]
fn the_plugin_keeps_no_state_for_tickets_that_are_done() {
    // Six tickets with a watch running (cascades in billing, timeouts in sales): two
    // closed, two merged, two solved. A seventh still in its cascade keeps the only key.
    let desk = desk("reassign-state-bound", "2026-11-23T10:00:00Z");
    for n in 1..=7 {
        let fields = if n % 2 == 0 {
            json!({"group": "sales", "assignee": "eve"})
        } else {
            json!({"group": "billing"})
        };
        desk.post(created(&format!("t-{n}"), "2026-11-23T10:00:00Z", fields));
        assert_eq!(desk.timers(&format!("t-{n}")).len(), 1);
    }
    for (ticket, status) in common::desk::DONE_TICKETS {
        desk.post(common::desk::status_changed(
            ticket,
            "2026-11-23T10:05:00Z",
            "open",
            status,
        ));
        assert!(desk.timers(ticket).is_empty(), "{ticket}");
    }
    let (count, keys) = common::desk::plugin_keys(&desk.stop(), "reassign");
    assert_eq!((count, keys), (1, vec!["watch/t-7".to_string()]));
}
