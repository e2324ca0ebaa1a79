//! Replays end to end: a week of a helpdesk's events recorded by the real service on
//! a simulated clock, with the `sla` and `followup` reference plugins (their timers
//! firing through business-hours gaps and a weekend), then replayed through the API
//! and `guichet replay`: the active versions reproduce every recorded decision,
//! timers included; a candidate with another first-reply target differs exactly
//! where that rule changes; and nothing of the tenant's live data changes, nor is
//! anything sent, during a replay.
//!
//! The week is `tests/fixtures/replay-week.jsonl` (Monday 2 to Monday 9 November
//! 2026, Paris office hours); the plugins' configurations are
//! `tests/fixtures/replay-sla.json` and `replay-followup.json`, the candidate's
//! `replay-sla-2h.json`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use common::recorder::Recorder;
use common::service::{Answer, OPERATOR, Running, data_dir};
use guichet::clock::SimulatedClock;
use guichet::serve::ServiceClock;

const FROM: &str = "2026-11-02T00:00:00Z";
const UNTIL: &str = "2026-11-09T12:00:00Z";
const TICKETS: [&str; 6] = ["t-1", "t-2", "t-3", "t-4", "t-5", "t-6"];
const SLA_SUBSCRIPTIONS: [&str; 5] = [
    "ticket_created",
    "message_added",
    "status_changed",
    "assignment_changed",
    "fields_changed",
];
const FOLLOWUP_SUBSCRIPTIONS: [&str; 3] = ["ticket_created", "status_changed", "message_added"];

fn fixture(name: &str) -> std::path::PathBuf {
    common::root().join("tests/fixtures").join(name)
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// The week's events, in the order the helpdesk sent them.
fn week_events() -> Vec<Value> {
    std::fs::read_to_string(fixture("replay-week.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A service that lived through the week: tenant `acme` with `sla` and `followup`,
/// a webhook to `hooks`, every event posted at its time and the clock moved to
/// [`UNTIL`], every delivery made.
struct Week {
    service: Running,
    admin: String,
    hooks: Recorder,
}

impl Week {
    fn record(name: &str) -> Week {
        let service = Running::start_on(
            data_dir(name),
            ServiceClock::Simulated(Arc::new(SimulatedClock::new(FROM.parse().unwrap()))),
        );
        let created = service.json("POST", "/v1/tenants", OPERATOR, json!({"id": "acme"}));
        assert_eq!(created.status, 201, "{}", created.body);
        let admin = created.body["admin_token"].as_str().unwrap().to_string();
        for (plugin, config, order, subscriptions) in [
            ("sla", "replay-sla.json", 10, &SLA_SUBSCRIPTIONS[..]),
            (
                "followup",
                "replay-followup.json",
                20,
                &FOLLOWUP_SUBSCRIPTIONS[..],
            ),
        ] {
            let answer = service.json(
                "PUT",
                &format!("/v1/tenants/acme/plugins/{plugin}"),
                &admin,
                json!({"reference": plugin, "config": fixture_json(config), "order": order,
                       "subscriptions": subscriptions, "enabled": true}),
            );
            assert_eq!(answer.status, 200, "{}", answer.body);
        }
        let hooks = Recorder::ok();
        let answer = service.json(
            "PUT",
            "/v1/tenants/acme/webhooks/helpdesk",
            &admin,
            json!({"url": hooks.url("/hooks")}),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);

        for event in week_events() {
            service.advance_to(event["occurred_at"].as_str().unwrap());
            let answer = service.json(
                "POST",
                "/v1/tenants/acme/events?wait=true",
                &admin,
                event.clone(),
            );
            assert_eq!(answer.status, 200, "{}: {}", event["id"], answer.body);
            for decision in answer.body["outcomes"][0]["decisions"].as_array().unwrap() {
                assert!(decision["error"].is_null(), "{}: {decision}", event["id"]);
            }
        }
        service.advance_to(UNTIL);
        let week = Week {
            service,
            admin,
            hooks,
        };
        assert!(
            wait_for(|| week.outbox_backlog() == 0),
            "the week's deliveries are not all made"
        );
        week
    }

    fn get(&self, path: &str) -> Value {
        let answer = self.service.call("GET", path, Some(&self.admin), None);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        answer.body
    }

    /// The ticket's audit trail, oldest first.
    fn audit(&self, ticket: &str) -> Vec<Value> {
        self.get(&format!("/v1/tenants/acme/tickets/{ticket}/audit"))
            .as_array()
            .unwrap()
            .clone()
    }

    /// Every call of `plugin` the live audit trails recorded, over the week's tickets.
    fn calls(&self, plugin: &str) -> Vec<Value> {
        TICKETS
            .iter()
            .flat_map(|t| self.audit(t))
            .filter(|r| r["plugin"] == plugin)
            .collect()
    }

    /// The outbox backlog, as `/metrics` reports it (its body is text, not JSON).
    fn outbox_backlog(&self) -> u64 {
        let text = ureq::get(format!("{}/metrics", self.service.base))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        text.lines()
            .find(|l| !l.starts_with('#') && l.contains("outbox_backlog"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no outbox backlog in the metrics:\n{text}")) as u64
    }

    /// Everything a replay must leave as it was: the tickets, their audit trails and
    /// timers, the plugins' settings and the outbox backlog.
    fn snapshot(&self) -> Value {
        let mut tickets = BTreeMap::new();
        for ticket in TICKETS {
            tickets.insert(
                ticket,
                json!({
                    "ticket": self.get(&format!("/v1/tenants/acme/tickets/{ticket}")),
                    "audit": self.audit(ticket),
                    "timers": self.get(&format!("/v1/tenants/acme/tickets/{ticket}/timers")),
                }),
            );
        }
        json!({
            "list": self.get("/v1/tenants/acme/tickets"),
            "tickets": tickets,
            "plugins": self.get("/v1/tenants/acme/plugins"),
            "outbox_backlog": self.outbox_backlog(),
            "dead_letters": self.get("/v1/tenants/acme/dead-letters"),
        })
    }

    /// Runs a replay through the API.
    fn replay(&self, body: Value) -> Answer {
        self.service
            .json("POST", "/v1/tenants/acme/replays", &self.admin, body)
    }

    /// A replay of `plugin` over the whole week that must succeed: its report.
    fn replayed(&self, mut body: Value) -> Value {
        body["from"] = json!(FROM);
        body["until"] = json!(UNTIL);
        let answer = self.replay(body);
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body
    }
}

fn wait_for(done: impl Fn() -> bool) -> bool {
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

fn diffs(report: &Value) -> Vec<Value> {
    report["diffs"].as_array().unwrap().clone()
}

/// (event id, processing time, actions) of each call, sorted: what a replay must
/// reproduce.
fn decisions<'a>(calls: impl Iterator<Item = &'a Value>) -> Vec<(String, String, Value)> {
    let mut all: Vec<_> = calls
        .map(|c| {
            (
                c["event_id"].as_str().unwrap().to_string(),
                c["at"].as_str().unwrap().to_string(),
                c["actions"].clone(),
            )
        })
        .collect();
    all.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    all
}

/// Each replayed decision of a report, as [`decisions`] lists the live ones: the
/// candidate's side, with the time the replay ran it.
fn candidate_decisions(report: &Value) -> Vec<(String, String, Value)> {
    let replayed: Vec<Value> = diffs(report)
        .iter()
        .map(|d| {
            json!({"event_id": d["event_id"], "at": d["at"],
                   "actions": d["candidate"]["actions"]})
        })
        .collect();
    decisions(replayed.iter())
}

/// The count of row `name` (`agree`, `differ`, …) of `guichet replay`'s summary table.
fn table_count(stdout: &str, name: &str) -> String {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no `{name}` row in:\n{stdout}"))
        .to_string()
}

fn assert_reproduces(week: &Week, plugin: &str, report: &Value) {
    let live = week.calls(plugin);
    let all = diffs(report);
    assert_eq!(report["plugin"], plugin);
    assert_eq!(report["events_replayed"], 19, "{}", report["summary"]);
    assert_eq!(
        report["summary"],
        json!({"events": live.len(), "agree": live.len(), "differ": 0, "candidate_failed": 0}),
        "{plugin}: {:#}",
        json!(
            all.iter()
                .filter(|d| d["verdict"] != "agree")
                .collect::<Vec<_>>()
        )
    );
    assert!(
        report["other_plugins"].as_array().unwrap().is_empty(),
        "{:#}",
        report["other_plugins"]
    );
    // Each call on both sides, with the same actions, and at the same simulated time.
    for diff in &all {
        assert_eq!(diff["plugin"], plugin);
        assert!(
            diff["active"].is_object() && diff["candidate"].is_object(),
            "{diff}"
        );
        assert_eq!(diff["active"]["actions"], diff["candidate"]["actions"]);
        assert_eq!(diff["candidate"]["sha256"], report["active"]["sha256"]);
        assert_eq!(diff["candidate"]["version"], diff["active"]["version"]);
        assert_eq!(diff["active"]["version"], report["active"]["number"]);
    }
    assert_eq!(candidate_decisions(report), decisions(live.iter()));
    // Timers included: those the plugin set fired in the replay at their due times.
    let fired =
        |list: &[Value], kind: &str| list.iter().filter(|c| c["event_kind"] == kind).count();
    assert_eq!(fired(&all, "timer_fired"), fired(&live, "timer_fired"));
    assert!(
        fired(&all, "timer_fired") >= 3,
        "{plugin}: only {} timers fired in the week",
        fired(&all, "timer_fired")
    );
}

#[test]
fn the_active_versions_replayed_over_a_week_reproduce_every_recorded_decision() {
    let week = Week::record("replay-reproduce");
    let live_sla = week.calls("sla");
    // The week exercises what it is meant to: warnings and breaches after business
    // hours gaps, follow-up reminders and an auto-close.
    let tags =
        |ticket: &str| week.get(&format!("/v1/tenants/acme/tickets/{ticket}"))["tags"].clone();
    assert!(
        tags("t-1").to_string().contains("sla-breached:first_reply"),
        "{}",
        tags("t-1")
    );
    assert!(
        tags("t-5").to_string().contains("sla-breached:first_reply"),
        "{}",
        tags("t-5")
    );
    assert_eq!(
        week.get("/v1/tenants/acme/tickets/t-2")["status"],
        "closed",
        "followup closes t-2"
    );

    let sla = week.replayed(json!({"plugin": "sla"}));
    assert_reproduces(&week, "sla", &sla);
    assert_eq!(sla["candidate"], sla["active"]);
    // The active version named by its number, where the plugin's versions are kept.
    if let Some(number) = sla["active"]["number"].as_u64() {
        let by_number = week.replayed(json!({"plugin": "sla", "version": number}));
        assert_reproduces(&week, "sla", &by_number);
    }
    assert_eq!(sla["timers_fired"].as_u64().unwrap() as usize, {
        let mut all: Vec<Value> = TICKETS.iter().flat_map(|t| week.audit(t)).collect();
        all.retain(|r| r["event_kind"] == "timer_fired" && r["plugin"] != "guichet");
        all.len()
    });
    assert_eq!(sla["tickets_compared"], 6);
    assert!(live_sla.len() >= 25, "{} sla calls", live_sla.len());

    let followup = week.replayed(json!({"plugin": "followup"}));
    assert_reproduces(&week, "followup", &followup);
    let first_reminder = diffs(&followup)
        .into_iter()
        .find(|d| d["event_id"] == "timer:t-2:followup:1793700000000:followup:first")
        .expect("the first reminder of t-2, Tuesday 10:00");
    assert_eq!(first_reminder["at"], "2026-11-03T10:00:00Z");
    assert_eq!(
        first_reminder["candidate"]["actions"][0]["type"],
        "public_reply"
    );

    // From Wednesday on, the state before is not rebuilt: the tickets opened since
    // are replayed exactly; those opened earlier start from what their first event
    // of the range carries (t-3), or are not compared at all (t-1, t-2: no event of
    // theirs from Wednesday on).
    let late = week.replay(json!({"plugin": "sla", "from": "2026-11-04T00:00:00Z",
                                  "until": UNTIL}));
    assert_eq!(late.status, 200, "{}", late.body);
    assert_eq!(late.body["events_replayed"], 11);
    assert_eq!(late.body["tickets_compared"], 4);
    let late_diffs = diffs(&late.body);
    assert!(
        late_diffs
            .iter()
            .all(|d| d["ticket_id"] != "t-1" && d["ticket_id"] != "t-2")
    );
    for diff in late_diffs
        .iter()
        .filter(|d| ["t-4", "t-5", "t-6"].contains(&d["ticket_id"].as_str().unwrap()))
    {
        assert_eq!(diff["verdict"], "agree", "{diff}");
    }

    // The same from the command line, on the stopped service's data directory.
    let dir = week.service.data_dir.clone();
    let summary = sla["summary"].clone();
    drop(week);
    let output = common::guichet(&[
        "replay",
        "--data-dir",
        dir.to_str().unwrap(),
        "--tenant",
        "acme",
        "--plugin",
        "sla",
        "--from",
        FROM,
        "--until",
        UNTIL,
        "--json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        common::text(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"], summary);
    assert_eq!(candidate_decisions(&report), candidate_decisions(&sla));

    // A component file never uploaded: here the reference plugin's own bytes, which
    // decide as the active version did; and a file that is no component at all.
    let file = dir.join("sla.wasm");
    std::fs::write(
        &file,
        guichet::reference_plugins::find("sla").unwrap().component,
    )
    .unwrap();
    let junk = dir.join("junk.wasm");
    std::fs::write(&junk, b"not a component").unwrap();
    let with_component = |component: &std::path::Path| {
        common::guichet(&[
            "replay",
            "--data-dir",
            dir.to_str().unwrap(),
            "--tenant",
            "acme",
            "--plugin",
            "sla",
            "--component",
            component.to_str().unwrap(),
            "--from",
            FROM,
            "--until",
            UNTIL,
        ])
    };
    let output = with_component(&file);
    let stdout = common::text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        common::text(&output.stderr)
    );
    assert_eq!(table_count(&stdout, "agree"), summary["agree"].to_string());
    assert_eq!(table_count(&stdout, "differ"), "0");
    assert!(!stdout.contains("differing events"), "{stdout}");
    let output = with_component(&junk);
    let stderr = common::text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the candidate cannot be loaded"),
        "{stderr}"
    );
}

#[test]
fn a_candidate_with_another_first_reply_target_differs_where_the_rule_changes() {
    let week = Week::record("replay-candidate");
    let report =
        week.replayed(json!({"plugin": "sla", "config": fixture_json("replay-sla-2h.json")}));
    let all = diffs(&report);
    let find = |id: &str| -> Value {
        all.iter()
            .find(|d| d["event_id"] == id)
            .unwrap_or_else(|| panic!("no diff of {id}"))
            .clone()
    };
    let timer = |actions: &Value, name: &str| -> Option<String> {
        actions
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["type"] == "set_timer" && a["name"] == name)
            .map(|a| a["due_at"].as_str().unwrap().to_string())
    };

    // t-1, opened Monday 09:30 in Paris: four working hours (13:30 Paris, 12:30 UTC)
    // recorded, two (11:30 Paris) for the candidate; each warned an hour before.
    let created = find("t-1-created");
    assert_eq!(created["verdict"], "differ");
    // The recorded side names the version that ran; the candidate is none of them.
    assert_eq!(created["active"]["version"], report["active"]["number"]);
    assert!(created["candidate"]["version"].is_null(), "{created}");
    let (active, candidate) = (
        &created["active"]["actions"],
        &created["candidate"]["actions"],
    );
    assert_eq!(
        timer(active, "sla:first_reply:breach").as_deref(),
        Some("2026-11-02T12:30:00Z")
    );
    assert_eq!(
        timer(candidate, "sla:first_reply:breach").as_deref(),
        Some("2026-11-02T10:30:00Z")
    );
    assert_eq!(
        timer(candidate, "sla:first_reply:warning").as_deref(),
        Some("2026-11-02T09:30:00Z")
    );
    // The timers themselves: the recorded breach fired at 12:30, the candidate's at
    // 10:30; each side's firing is absent from the other.
    let recorded_breach = find("timer:t-1:sla:1793622600000:sla:first_reply:breach");
    assert_eq!(recorded_breach["verdict"], "differ");
    assert!(recorded_breach["candidate"].is_null(), "{recorded_breach}");
    assert!(
        recorded_breach["active"]["actions"]
            .to_string()
            .contains("sla-breached:first_reply"),
        "{recorded_breach}"
    );
    let candidate_breach = find("timer:t-1:sla:1793615400000:sla:first_reply:breach");
    assert_eq!(candidate_breach["verdict"], "differ");
    assert!(candidate_breach["active"].is_null(), "{candidate_breach}");
    assert_eq!(candidate_breach["at"], "2026-11-02T10:30:00Z");
    assert!(
        candidate_breach["candidate"]["actions"]
            .to_string()
            .contains("sla-breached:first_reply"),
        "{candidate_breach}"
    );

    // t-4's first reply came Thursday 11:30 Paris, two and a half working hours after
    // the office opened: in time for four hours, not for two (due at 11:00 Paris).
    let t4_breaches: Vec<&Value> = all
        .iter()
        .filter(|d| {
            d["ticket_id"] == "t-4"
                && d["event_id"]
                    .as_str()
                    .unwrap()
                    .ends_with("first_reply:breach")
        })
        .collect();
    assert_eq!(t4_breaches.len(), 1, "{t4_breaches:#?}");
    assert!(t4_breaches[0]["active"].is_null());
    assert_eq!(t4_breaches[0]["at"], "2026-11-05T10:00:00Z");

    // A rule about first replies changes nothing of a ticket answered within both
    // targets (t-6, opened on Saturday, answered at 09:30 Paris on Monday) but the
    // timers its creation set (on the creation, and again on the `fields_changed`
    // that reports the policy the plugin wrote on the ticket then).
    let t6: Vec<&Value> = all.iter().filter(|d| d["ticket_id"] == "t-6").collect();
    assert!(t6.len() >= 2, "{t6:#?}");
    for diff in t6 {
        let expected =
            if diff["event_kind"] == "ticket_created" || diff["event_id"] == "t-6-created/1" {
                "differ"
            } else {
                "agree"
            };
        assert_eq!(diff["verdict"], expected, "{diff}");
    }
    let summary = &report["summary"];
    assert!(summary["differ"].as_u64().unwrap() >= 5, "{summary}");
    assert!(summary["agree"].as_u64().unwrap() >= 5, "{summary}");
    assert_eq!(summary["candidate_failed"], 0);
    assert_eq!(
        summary["events"].as_u64().unwrap() as usize,
        all.len(),
        "{summary}"
    );
    // The same component with another configuration: not the active version.
    assert_eq!(report["candidate"]["sha256"], report["active"]["sha256"]);
    assert!(
        report["candidate"]["number"].is_null(),
        "{}",
        report["candidate"]
    );

    // From the command line through the service: the component given as a file (the
    // reference plugin's own bytes), the configuration as a file; the summary table
    // and the differing events, and exit status 1 as `diff` has.
    let file = week.service.data_dir.join("sla-candidate.wasm");
    std::fs::write(
        &file,
        guichet::reference_plugins::find("sla").unwrap().component,
    )
    .unwrap();
    let output = common::guichet(&[
        "replay",
        "--url",
        &week.service.base,
        "--token",
        &week.admin,
        "--tenant",
        "acme",
        "--plugin",
        "sla",
        "--component",
        file.to_str().unwrap(),
        "--config",
        fixture("replay-sla-2h.json").to_str().unwrap(),
        "--from",
        FROM,
        "--until",
        UNTIL,
    ]);
    let stdout = common::text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        common::text(&output.stderr)
    );
    assert_eq!(
        table_count(&stdout, "agree"),
        summary["agree"].to_string(),
        "{stdout}"
    );
    assert_eq!(
        table_count(&stdout, "differ"),
        summary["differ"].to_string(),
        "{stdout}"
    );
    assert_eq!(table_count(&stdout, "candidate_failed"), "0", "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("t-1-created "))
        .unwrap_or_else(|| panic!("t-1-created is not listed:\n{stdout}"));
    assert!(
        row.contains("ticket_created") && row.contains("differ"),
        "{row}"
    );
    assert!(
        stdout.contains("due_at=2026-11-02T10:30:00Z"),
        "the candidate's breach is not shown:\n{stdout}"
    );
}

#[test]
fn a_replay_changes_no_live_data_and_sends_nothing() {
    let week = Week::record("replay-untouched");
    let before = week.snapshot();
    let delivered = week.hooks.count();
    assert!(delivered > 0, "the week's webhooks were not delivered");

    let same = week.replayed(json!({"plugin": "sla"}));
    assert_eq!(same["summary"]["differ"], 0);
    let changed =
        week.replayed(json!({"plugin": "sla", "config": fixture_json("replay-sla-2h.json")}));
    assert!(changed["summary"]["differ"].as_u64().unwrap() > 0);
    let mut quicker = fixture_json("replay-followup.json");
    quicker["first_reminder"]["after"] = json!("2h");
    let followup = week.replayed(json!({"plugin": "followup", "config": quicker}));
    assert!(followup["summary"]["differ"].as_u64().unwrap() > 0);

    // Deliveries are polled every 20 ms: anything queued would be sent by now.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(week.hooks.count(), delivered, "a replay sent a webhook");
    assert_eq!(week.snapshot(), before);

    // The data directory cannot be read while the service holds it: said plainly.
    let output = common::guichet(&[
        "replay",
        "--data-dir",
        week.service.data_dir.to_str().unwrap(),
        "--tenant",
        "acme",
        "--plugin",
        "sla",
        "--from",
        FROM,
        "--until",
        UNTIL,
    ]);
    let stderr = common::text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("in use") && stderr.contains("--url"),
        "{stderr}"
    );
    assert_eq!(week.snapshot(), before);

    // Stopped, the store itself, every record of it, is the same after a replay of
    // its data directory with a candidate that differs.
    let hooks = week.hooks;
    let dir = week.service.stop();
    let stored = store_contents(&dir);
    assert!(stored.len() > 100, "{} records", stored.len());
    let output = common::guichet(&[
        "replay",
        "--data-dir",
        dir.to_str().unwrap(),
        "--tenant",
        "acme",
        "--plugin",
        "sla",
        "--config",
        fixture("replay-sla-2h.json").to_str().unwrap(),
        "--from",
        FROM,
        "--until",
        UNTIL,
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        common::text(&output.stderr)
    );
    assert!(
        store_contents(&dir) == stored,
        "the replay changed the store"
    );
    assert_eq!(hooks.count(), delivered, "a replay sent a webhook");
}

/// Every record of every tree of the sled store in `dir` (a stopped service's data
/// directory), by tree and key.
fn store_contents(dir: &std::path::Path) -> BTreeMap<(Vec<u8>, Vec<u8>), Vec<u8>> {
    let db = sled::open(dir.join("store")).expect("the stopped service's store");
    let mut all = BTreeMap::new();
    for name in db.tree_names() {
        let tree = db.open_tree(&name).unwrap();
        for entry in tree.iter() {
            let (key, value) = entry.unwrap();
            all.insert((name.to_vec(), key.to_vec()), value.to_vec());
        }
    }
    all
}

#[test]
fn replay_requests_are_checked_and_refused_with_problems() {
    let service = Running::start_on(
        data_dir("replay-refusals"),
        ServiceClock::Simulated(Arc::new(SimulatedClock::new(FROM.parse().unwrap()))),
    );
    let admin = service.tenant("acme");
    service.enable_triage("acme", &admin);
    let replay =
        |body: Value| -> Answer { service.json("POST", "/v1/tenants/acme/replays", &admin, body) };
    let range = |mut body: Value| {
        body["from"] = json!(FROM);
        body["until"] = json!(UNTIL);
        body
    };
    let refused = |answer: Answer, status: u16, kind: &str| {
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(
            answer.body["type"],
            format!("https://guichet.dev/problems/{kind}"),
            "{}",
            answer.body
        );
        answer.body["detail"].as_str().unwrap().to_string()
    };

    let detail = refused(
        replay(json!({"plugin": "triage", "from": UNTIL, "until": FROM})),
        400,
        "empty-range",
    );
    assert!(detail.contains("must be before"), "{detail}");
    let detail = refused(
        replay(
            json!({"plugin": "triage", "from": "2026-10-01T00:00:00Z", "until": "2026-11-02T00:00:00Z"}),
        ),
        400,
        "range-too-long",
    );
    assert!(detail.contains("at most 31 days"), "{detail}");
    refused(
        replay(range(json!({"plugin": "triage", "version": 1,
                            "component": "0".repeat(64)}))),
        400,
        "invalid-replay",
    );
    refused(
        replay(range(json!({"plugin": "nope"}))),
        404,
        "unknown-plugin",
    );
    refused(
        replay(range(json!({"plugin": "Not A Name"}))),
        400,
        "invalid-name",
    );
    refused(
        replay(range(json!({"plugin": "triage", "version": 99}))),
        404,
        "unknown-version",
    );
    refused(
        replay(range(
            json!({"plugin": "triage", "component": "0".repeat(64)}),
        )),
        422,
        "unknown-component",
    );
    let answer = replay(range(json!({"plugin": "triage",
        "config": {"rules": [{"name": "x", "when": {"kewords": ["a"]}, "then": {}}]}})));
    refused(answer, 422, "invalid-config");
    refused(
        replay(json!({"plugin": "triage", "from": "yesterday", "until": UNTIL})),
        400,
        "invalid-json",
    );
    // Only the tenant's admin may replay.
    let integration = service.token("acme", &admin, "integration");
    let answer = service.json(
        "POST",
        "/v1/tenants/acme/replays",
        &integration,
        range(json!({"plugin": "triage"})),
    );
    assert_eq!(answer.status, 403, "{}", answer.body);

    // A candidate of another kind: a macros plugin, uploaded without being activated.
    let uploaded = service.call_with(
        "PUT",
        "/v1/tenants/acme/plugins/triage/component?activate=false",
        Some(&admin),
        Some(
            guichet::reference_plugins::find("macros")
                .unwrap()
                .component
                .to_vec(),
        ),
        &[("Content-Type", "application/wasm")],
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let detail = refused(
        replay(range(
            json!({"plugin": "triage", "component": uploaded.body["sha256"]}),
        )),
        422,
        "not-automation",
    );
    assert!(detail.contains("macros plugin"), "{detail}");

    // A range with no event: nothing to compare, nothing differs.
    let answer = replay(range(json!({"plugin": "triage"})));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["events_replayed"], 0);
    assert_eq!(
        answer.body["summary"],
        json!({"events": 0, "agree": 0, "differ": 0, "candidate_failed": 0})
    );
}
