//! The service end to end: `guichet serve`'s [`Service`] on a loopback port, spoken
//! to over real HTTP, with its sled store in a fresh directory per test.

mod common;

use guichet::store::EventLog;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};

use guichet::model::Event;
use guichet::store::SledStore;

use common::recorder::Recorder;
use common::root;
use common::service::{Answer, OPERATOR, Running, data_dir};

fn triage_events() -> Vec<Value> {
    std::fs::read_to_string(root().join("examples/triage/events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn post_event(s: &Running, tenant: &str, token: &str, event: &Value, wait: bool) -> Answer {
    let path = format!(
        "/v1/tenants/{tenant}/events{}",
        if wait { "?wait=true" } else { "" }
    );
    s.json("POST", &path, token, event.clone())
}

#[test]
fn a_tenant_enables_triage_posts_events_and_reads_the_ticket_and_its_audit_trail() {
    let s = Running::start(data_dir("walk"));
    let admin = s.tenant("acme");
    let integration = s.token("acme", &admin, "integration");
    s.enable_triage("acme", &admin);

    let events = triage_events();
    let answer = post_event(&s, "acme", &integration, &events[0], true);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let decision = &answer.body["outcomes"][0]["decisions"][0];
    assert_eq!(decision["plugin"], "triage");
    assert!(
        decision["actions"]
            .as_array()
            .unwrap()
            .contains(&json!({"type": "add_tags", "tags": ["fraud"]})),
        "{decision}"
    );

    // Without waiting: 202, and the work goes on.
    let answer = post_event(&s, "acme", &integration, &events[1], false);
    assert_eq!(answer.status, 202, "{}", answer.body);

    let ticket = s.call(
        "GET",
        "/v1/tenants/acme/tickets/t-1",
        Some(&integration),
        None,
    );
    assert_eq!(ticket.status, 200);
    assert_eq!(ticket.body["group"], "fraud/L2");
    assert_eq!(ticket.body["priority"], "urgent");
    assert_eq!(ticket.body["messages"][0]["id"], "m-1");

    let audit = s.call(
        "GET",
        "/v1/tenants/acme/tickets/t-1/audit",
        Some(&integration),
        None,
    );
    assert_eq!(audit.status, 200);
    let first = &audit.body[0];
    assert_eq!(first["plugin"], "triage");
    assert_eq!(first["event_id"], "evt-1");
    assert_eq!(first["plugin_version"].as_str().unwrap().len(), 64);
    assert!(first["fuel_used"].as_u64().unwrap() > 0);
    assert_eq!(first["logs"][0], "info: ticket t-1 matched rule `fraud`");

    let listed = s.call(
        "GET",
        "/v1/tenants/acme/tickets?group=fraud/L2",
        Some(&integration),
        None,
    );
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.body);

    // The metrics count what happened, and name no tenant.
    let mut response = s
        .http
        .get(format!("{}/metrics", s.base))
        .call()
        .expect("metrics");
    assert_eq!(response.status().as_u16(), 200);
    let text = response.body_mut().read_to_string().unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    };
    assert!(value("guichet_events_processed_total ") >= 1.0, "{text}");
    assert!(
        value("guichet_plugin_calls_total{outcome=\"ok\"} ") >= 1.0,
        "{text}"
    );
    assert!(value("guichet_plugin_call_seconds_count ") >= 1.0, "{text}");
    value("guichet_pipeline_in_flight ");
    assert_eq!(value("guichet_outbox_backlog "), 0.0);
    assert!(!text.contains("acme"), "{text}");
}

#[test]
fn a_retried_delivery_with_the_same_idempotency_key_is_processed_once() {
    let s = Running::start(data_dir("idempotency"));
    let admin = s.tenant("acme");
    s.enable_triage("acme", &admin);
    let event = triage_events()[0].to_string().into_bytes();
    let headers = [("Idempotency-Key", "zendesk-delivery-42")];
    let first = s.call_with(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        Some(&admin),
        Some(event.clone()),
        &headers,
    );
    assert_eq!(first.status, 200, "{}", first.body);
    let again = s.call_with(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        Some(&admin),
        Some(event),
        &headers,
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["accepted"][0]["duplicate"], true);
    assert_eq!(
        again.body["accepted"][0]["seq"],
        first.body["accepted"][0]["seq"]
    );

    let audit = s.call(
        "GET",
        "/v1/tenants/acme/tickets/t-1/audit",
        Some(&admin),
        None,
    );
    let runs_on_evt_1 = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["event_id"] == "evt-1")
        .count();
    assert_eq!(runs_on_evt_1, 1, "{}", audit.body);
}

#[test]
fn after_a_restart_everything_is_there_and_unprocessed_events_get_processed() {
    let s = Running::start(data_dir("restart"));
    let admin = s.tenant("acme");
    s.enable_triage("acme", &admin);
    let events = triage_events();
    assert_eq!(post_event(&s, "acme", &admin, &events[0], true).status, 200);
    let dir = s.stop();

    // Events acknowledged but not processed when the process died: written to the
    // store as the API does, with no pipeline running.
    {
        let store = SledStore::open(&dir.join("store")).unwrap();
        for value in &events[1..3] {
            let event: Event = serde_json::from_value(value.clone()).unwrap();
            store
                .enqueue_event("acme", &event, None, chrono::Utc::now())
                .unwrap();
        }
        store.flush().unwrap();
        assert_eq!(store.pending_events().unwrap().len(), 2);
    }

    let s = Running::start(dir);
    let plugin = s.call("GET", "/v1/tenants/acme/plugins/triage", Some(&admin), None);
    assert_eq!(plugin.status, 200, "{}", plugin.body);
    assert_eq!(plugin.body["enabled"], true);
    assert!(plugin.body["config"].as_str().unwrap().contains("fraud"));
    let t1 = s.call("GET", "/v1/tenants/acme/tickets/t-1", Some(&admin), None);
    assert_eq!(t1.body["group"], "fraud/L2");

    // The two pending events are processed at start (on two workers: either may
    // finish first).
    let group_of = |id: &str| {
        s.call(
            "GET",
            &format!("/v1/tenants/acme/tickets/{id}"),
            Some(&admin),
            None,
        )
        .body["group"]
            .clone()
    };
    let mut groups = (Value::Null, Value::Null);
    for _ in 0..200 {
        groups = (group_of("t-2"), group_of("t-3"));
        if !groups.0.is_null() && !groups.1.is_null() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(groups, (json!("business/L1"), json!("bank/L2")));
}

#[test]
fn bad_input_gets_a_problem_answer_and_changes_nothing() {
    let s = Running::start(data_dir("bad-input"));
    let admin = s.tenant("acme");
    s.enable_triage("acme", &admin);
    let before = s
        .call("GET", "/v1/tenants/acme/plugins", Some(&admin), None)
        .body;

    let cases: Vec<(&str, String, Vec<u8>, u16, &str)> = vec![
        (
            "malformed JSON",
            "/v1/tenants/acme/events".into(),
            b"{\"id\": 1".to_vec(),
            400,
            "invalid-json",
        ),
        (
            "an unknown event field",
            "/v1/tenants/acme/events".into(),
            {
                let mut e = triage_events()[0].clone();
                e["colour"] = json!("red");
                e.to_string().into_bytes()
            },
            400,
            "invalid-event",
        ),
        (
            "an unknown event kind",
            "/v1/tenants/acme/events".into(),
            {
                let mut e = triage_events()[0].clone();
                e["kind"] = json!({"type": "ticket_exploded"});
                e.to_string().into_bytes()
            },
            400,
            "invalid-event",
        ),
        (
            "an oversized body",
            "/v1/tenants/acme/events".into(),
            // One byte over the limit: the service reads it all before refusing, so the
            // client is not cut off while still sending (which no client handles well).
            vec![b' '; (1 << 20) + 1],
            413,
            "body-too-large",
        ),
        (
            "an invalid component",
            "/v1/tenants/acme/plugins/triage/component".into(),
            b"\0asm not really a component".to_vec(),
            422,
            "invalid-component",
        ),
        (
            "unknown plugin settings",
            "/v1/tenants/acme/plugins/triage".into(),
            br#"{"enabeld": false}"#.to_vec(),
            400,
            "invalid-json",
        ),
        (
            "a configuration that is not an object",
            "/v1/tenants/acme/plugins/triage".into(),
            br#"{"config": [1, 2]}"#.to_vec(),
            400,
            "invalid-json",
        ),
        (
            "a configuration given as a string",
            "/v1/tenants/acme/plugins/triage".into(),
            br#"{"config": "{\"rules\": []}"}"#.to_vec(),
            400,
            "invalid-json",
        ),
        (
            "settings as an array, which serde would read field by field",
            "/v1/tenants/acme/settings".into(),
            br#"["Renamed", "Asia/Tokyo"]"#.to_vec(),
            400,
            "invalid-json",
        ),
        (
            "an event kind as a list",
            "/v1/tenants/acme/events".into(),
            {
                let mut e = triage_events()[0].clone();
                e["kind"] = json!(["ticket_created"]);
                e.to_string().into_bytes()
            },
            400,
            "invalid-event",
        ),
    ];
    for (what, path, body, status, kind) in cases {
        let method = if path.contains("/plugins/") || path.ends_with("/settings") {
            "PUT"
        } else {
            "POST"
        };
        let answer = s.call(method, &path, Some(&admin), Some(body));
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert_eq!(answer.content_type, "application/problem+json", "{what}");
        assert!(
            answer.body["type"].as_str().unwrap().ends_with(kind),
            "{what}: {}",
            answer.body
        );
        assert!(
            !answer.body["detail"].as_str().unwrap().is_empty(),
            "{what}"
        );
    }

    // Nothing was stored, and the service still works.
    let tickets = s.call("GET", "/v1/tenants/acme/tickets", Some(&admin), None);
    assert_eq!(tickets.body, json!([]));
    let after = s
        .call("GET", "/v1/tenants/acme/plugins", Some(&admin), None)
        .body;
    assert_eq!(before, after);
    let ok = post_event(&s, "acme", &admin, &triage_events()[0], true);
    assert_eq!(ok.status, 200, "{}", ok.body);
}

/// Whether a concrete path fits a route template such as `/v1/tenants/{tenant}/tickets/{id}`.
fn path_matches(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let (template, path): (Vec<_>, Vec<_>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t.starts_with('{') || t == p)
}

#[test]
fn every_route_refuses_another_tenants_token_and_the_wrong_scope_and_leaks_nothing() {
    let s = Running::start(data_dir("isolation"));
    let acme_admin = s.tenant("acme");
    let acme_integration = s.token("acme", &acme_admin, "integration");
    let globex_admin = s.tenant("globex");
    s.enable_triage("acme", &acme_admin);
    assert_eq!(
        post_event(&s, "acme", &acme_admin, &triage_events()[0], true).status,
        200
    );

    let event = triage_events()[0].to_string().into_bytes();
    let settings = br#"{"enabled": false}"#.to_vec();
    let token = br#"{"scope": "admin"}"#.to_vec();
    // (method, path, body, the scope the route needs)
    let routes: Vec<(&str, &str, Option<Vec<u8>>, &str)> = vec![
        (
            "POST",
            "/v1/tenants/acme/tokens",
            Some(token.clone()),
            "admin",
        ),
        ("GET", "/v1/tenants/acme/tokens", None, "admin"),
        (
            "PUT",
            "/v1/tenants/acme/settings",
            Some(br#"{"time_zone": "Europe/Paris"}"#.to_vec()),
            "admin",
        ),
        (
            "GET",
            "/v1/tenants/acme/plugins/triage/ticks",
            None,
            "integration",
        ),
        ("DELETE", "/v1/tenants/acme/tokens/0123", None, "admin"),
        ("GET", "/v1/tenants/acme/plugins", None, "integration"),
        (
            "GET",
            "/v1/tenants/acme/plugins/triage",
            None,
            "integration",
        ),
        (
            "PUT",
            "/v1/tenants/acme/plugins/triage",
            Some(settings.clone()),
            "admin",
        ),
        ("GET", "/v1/tenants/acme/plugins/triage/versions", None, "integration"),
        (
            "POST",
            "/v1/tenants/acme/plugins/triage/versions",
            Some(b"{}".to_vec()),
            "admin",
        ),
        (
            "POST",
            "/v1/tenants/acme/plugins/triage/versions/1/activate",
            None,
            "admin",
        ),
        (
            "PUT",
            "/v1/tenants/acme/plugins/triage/shadow",
            Some(br#"{"version": 1}"#.to_vec()),
            "admin",
        ),
        ("GET", "/v1/tenants/acme/plugins/triage/shadow", None, "integration"),
        ("DELETE", "/v1/tenants/acme/plugins/triage/shadow", None, "admin"),
        ("POST", "/v1/tenants/acme/plugins/triage/resume", None, "admin"),
        (
            "POST",
            "/v1/tenants/acme/replays",
            Some(
                br#"{"plugin": "triage", "from": "2026-11-23T00:00:00Z", "until": "2026-11-24T00:00:00Z"}"#
                    .to_vec(),
            ),
            "admin",
        ),
        ("DELETE", "/v1/tenants/acme/plugins/triage", None, "admin"),
        (
            "PUT",
            "/v1/tenants/acme/plugins/triage/component",
            Some(b"\0asm".to_vec()),
            "admin",
        ),
        (
            "POST",
            "/v1/tenants/acme/events",
            Some(event.clone()),
            "integration",
        ),
        ("GET", "/v1/tenants/acme/tickets", None, "integration"),
        ("GET", "/v1/tenants/acme/tickets/t-1", None, "integration"),
        (
            "GET",
            "/v1/tenants/acme/tickets/t-1/audit",
            None,
            "integration",
        ),
        (
            "GET",
            "/v1/tenants/acme/tickets/t-1/timers",
            None,
            "integration",
        ),
        (
            "PUT",
            "/v1/tenants/acme/webhooks/hook",
            Some(br#"{"url": "http://127.0.0.1:9/x"}"#.to_vec()),
            "admin",
        ),
        ("GET", "/v1/tenants/acme/webhooks", None, "admin"),
        ("DELETE", "/v1/tenants/acme/webhooks/hook", None, "admin"),
        ("GET", "/v1/tenants/acme/dead-letters", None, "admin"),
        (
            "POST",
            "/v1/tenants/acme/dead-letters/0001-hook/replay",
            None,
            "admin",
        ),
        (
            "GET",
            "/v1/tenants/acme/actions/stream",
            None,
            "integration",
        ),
        (
            "GET",
            "/v1/tenants/acme/plugins/zammad/inbound",
            None,
            "admin",
        ),
        ("GET", "/v1/tenants/acme/macros", None, "integration"),
        (
            "GET",
            "/v1/tenants/acme/kpis?from=2026-11-23&until=2026-11-30",
            None,
            "admin",
        ),
        (
            "POST",
            "/v1/tenants/acme/tickets/t-1/macros/refund-delay",
            Some(br#"{"agent": "Ana"}"#.to_vec()),
            "integration",
        ),
    ];
    // The table covers every tenant route the API describes, with the scope the
    // description gives it: a new route cannot be left out of this test.
    let description = serde_json::to_value(guichet::api::description()).unwrap();
    for (template, item) in description["paths"].as_object().unwrap() {
        if !template.contains("{tenant}") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let described_scope = if operation["security"] == json!([{"admin_token": []}]) {
                "admin"
            } else {
                "integration"
            };
            let row = routes.iter().find(|(m, path, _, _)| {
                m.eq_ignore_ascii_case(method) && path_matches(template, path)
            });
            let Some((_, _, _, scope)) = row else {
                panic!("{method} {template} is missing from this table");
            };
            assert_eq!(*scope, described_scope, "{method} {template}");
        }
    }
    for (method, path, body, needs) in &routes {
        // Another tenant's admin token: the answer a tenant that does not exist gets.
        let foreign = s.call(method, path, Some(&globex_admin), body.clone());
        let missing_path = path.replace("/acme/", "/no-such-tenant/");
        let missing = s.call(method, &missing_path, Some(&globex_admin), body.clone());
        assert_eq!(foreign.status, 404, "{method} {path}: {}", foreign.body);
        assert_eq!(
            foreign.body["detail"]
                .as_str()
                .unwrap()
                .replace("acme", "X"),
            missing.body["detail"]
                .as_str()
                .unwrap()
                .replace("no-such-tenant", "X"),
            "{method} {path}"
        );
        assert!(
            !foreign.body.to_string().contains("t-1\""),
            "{method} {path} leaks"
        );
        // No token, a wrong token, the operator's token.
        assert_eq!(
            s.call(method, path, None, body.clone()).status,
            401,
            "{method} {path}"
        );
        assert_eq!(
            s.call(method, path, Some("gch_abc_def"), body.clone())
                .status,
            401,
            "{method} {path}"
        );
        // The operator manages tenants and cannot act inside one: a 403 that says so
        // and names the token to use, not a 404 for a tenant that exists.
        let answer = s.call(method, path, Some(OPERATOR), body.clone());
        assert_eq!(answer.status, 403, "{method} {path}: {}", answer.body);
        assert_eq!(answer.content_type, "application/problem+json");
        let detail = answer.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("cannot act inside one")
                && detail.contains(if *needs == "admin" {
                    "an admin token of tenant `acme`"
                } else {
                    "an integration or admin token of tenant `acme`"
                }),
            "{method} {path}: {detail}"
        );
        // A tenant that does not exist: the operator, who may know, is told so.
        let missing = path.replacen("/v1/tenants/acme", "/v1/tenants/nope", 1);
        let answer = s.call(method, &missing, Some(OPERATOR), body.clone());
        assert_eq!(answer.status, 404, "{method} {missing}: {}", answer.body);
        // The wrong scope.
        if *needs == "admin" {
            let answer = s.call(method, path, Some(&acme_integration), body.clone());
            assert_eq!(answer.status, 403, "{method} {path}: {}", answer.body);
        }
    }
    // Tenants are the operator's: tenant tokens are refused.
    let answer = s.json("POST", "/v1/tenants", &acme_admin, json!({"id": "evil"}));
    assert_eq!(answer.status, 403);
    assert_eq!(
        s.call("GET", "/v1/tenants", Some(&acme_admin), None).status,
        403
    );

    // Nothing changed for acme: its plugin, ticket and tokens are intact.
    let plugin = s.call(
        "GET",
        "/v1/tenants/acme/plugins/triage",
        Some(&acme_admin),
        None,
    );
    assert_eq!(plugin.body["enabled"], true);
    let tickets = s.call("GET", "/v1/tenants/acme/tickets", Some(&acme_admin), None);
    assert_eq!(tickets.body.as_array().unwrap().len(), 1);
    let globex = s.call(
        "GET",
        "/v1/tenants/globex/tickets",
        Some(&globex_admin),
        None,
    );
    assert_eq!(globex.body, json!([]));
}

/// `guichet plugin push FILE` to `tenant` of the running service, with `args` after.
fn push(s: &Running, plugin: &Path, tenant: &str, token: &str, args: &[&str]) -> Output {
    let mut all = vec![
        "plugin",
        "push",
        plugin.to_str().unwrap(),
        "--url",
        &s.base,
        "--tenant",
        tenant,
        "--token",
        token,
    ];
    all.extend_from_slice(args);
    common::guichet(&all)
}

/// Posts each event of `examples/EXAMPLE/events.jsonl` to `tenant` and checks that
/// the service decides, with plugin `plugin` alone, what `expected.jsonl` says
/// `plugin run` decided. Returns the events and the expected lines.
fn decides_like_the_harness(
    s: &Running,
    tenant: &str,
    token: &str,
    example: &str,
    plugin: &str,
) -> Vec<(Value, Value)> {
    let read = |file: &str| -> Vec<Value> {
        std::fs::read_to_string(root().join("examples").join(example).join(file))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (events, expected) = (read("events.jsonl"), read("expected.jsonl"));
    assert_eq!(events.len(), expected.len(), "{example}");
    for (event, want) in events.iter().zip(&expected) {
        let answer = post_event(s, tenant, token, event, true);
        assert_eq!(answer.status, 200, "{}", answer.body);
        let decisions = answer.body["outcomes"][0]["decisions"].as_array().unwrap();
        assert_eq!(decisions.len(), 1, "{}: {decisions:?}", event["id"]);
        assert_eq!(decisions[0]["plugin"], plugin);
        assert_eq!(decisions[0]["actions"], want["actions"], "{}", event["id"]);
    }
    events.into_iter().zip(expected).collect()
}

#[test]
fn python_and_javascript_plugins_pushed_from_the_command_line_act_like_in_the_harness() {
    use common::{Lang, build_example, text};
    let Some(python) = build_example(Lang::Python, "python-sentiment", "app.py", "automation")
    else {
        return;
    };
    let Some(macros) = build_example(Lang::JavaScript, "js-macros", "macros.js", "macros") else {
        return;
    };
    let Some(vip_routing) = build_example(
        Lang::JavaScript,
        "js-vip-routing",
        "vip-routing.js",
        "automation",
    ) else {
        return;
    };
    let s = Running::start(data_dir("push"));
    // Each automation example on a tenant of its own, so that each event goes through
    // one plugin, as in `plugin run`.
    let acme = s.tenant("acme");
    let globex = s.tenant("globex");

    let pushed = push(
        &s,
        &python,
        "acme",
        &acme,
        &[
            "--config",
            "examples/python-sentiment/config.json",
            "--subscribe",
            "ticket_created,message_added",
        ],
    );
    assert!(pushed.status.success(), "{}", text(&pushed.stderr));
    assert!(
        text(&pushed.stdout).contains("as `python-sentiment`: automation plugin"),
        "{}",
        text(&pushed.stdout)
    );
    let pushed = push(
        &s,
        &vip_routing,
        "globex",
        &globex,
        &[
            "--config",
            "examples/js-vip-routing/config.json",
            "--subscribe",
            "ticket_created,message_added",
        ],
    );
    assert!(pushed.status.success(), "{}", text(&pushed.stderr));
    assert!(
        text(&pushed.stdout).contains("as `js-vip-routing`: automation plugin"),
        "{}",
        text(&pushed.stdout)
    );
    // Macros plugins upload too, though no event runs them.
    let pushed = push(
        &s,
        &macros,
        "acme",
        &acme,
        &["--config", "examples/js-macros/config.json"],
    );
    assert!(pushed.status.success(), "{}", text(&pushed.stderr));
    assert!(
        text(&pushed.stdout).contains("macros plugin"),
        "{}",
        text(&pushed.stdout)
    );

    // A wrong token is refused with the service's explanation, and exit status 2.
    let refused = push(&s, &python, "acme", "gch_wrong_token", &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("the token is not valid"),
        "{}",
        text(&refused.stderr)
    );

    // On each tenant the service decides what `plugin run` decided on the same
    // events; on acme, the macros plugin is not event-driven and takes no part.
    decides_like_the_harness(&s, "acme", &acme, "python-sentiment", "python-sentiment");
    let ticket = s.call("GET", "/v1/tenants/acme/tickets/t-1", Some(&acme), None);
    assert!(
        ticket.body["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("sentiment:positive")),
        "{}",
        ticket.body
    );

    // The JavaScript plugin's count of waiting messages lives in the tenant's plugin
    // storage between events: the second message on t-1 notifies the group's lead.
    let vip = decides_like_the_harness(&s, "globex", &globex, "js-vip-routing", "js-vip-routing");

    // The audit trail of t-1 names the plugin and what it returned on each of the
    // ticket's events, and keeps its log.
    let audit = s.call(
        "GET",
        "/v1/tenants/globex/tickets/t-1/audit",
        Some(&globex),
        None,
    );
    assert_eq!(audit.status, 200, "{}", audit.body);
    let recorded: Vec<Value> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({"event": r["event_id"], "plugin": r["plugin"], "actions": r["actions"]}))
        .collect();
    let wanted: Vec<Value> = vip
        .iter()
        .filter(|(event, _)| event["ticket"]["id"] == "t-1")
        .map(|(event, want)| {
            json!({"event": event["id"], "plugin": "js-vip-routing", "actions": want["actions"]})
        })
        .collect();
    assert_eq!(wanted.len(), 3, "evt-1, evt-4 and evt-5 are about t-1");
    assert_eq!(recorded, wanted);
    let first = &audit.body[0];
    assert_eq!(first["plugin_version"].as_str().unwrap().len(), 64);
    assert_eq!(
        first["logs"][0],
        "info: ticket t-1: VIP requester, e-mail domain maison-lumiere.fr is in vip_domains"
    );

    // ... and the actions were applied to the stored ticket.
    let ticket = s.call("GET", "/v1/tenants/globex/tickets/t-1", Some(&globex), None);
    assert_eq!(ticket.body["group"], "care/vip", "{}", ticket.body);
    assert_eq!(ticket.body["priority"], "high");
    assert_eq!(ticket.body["tags"], json!(["vip"]));
    let note = ticket.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["author"] == "js-vip-routing")
        .unwrap_or_else(|| panic!("no note by the plugin in {}", ticket.body));
    assert_eq!(note["public"], false);
    assert!(
        note["body"]
            .as_str()
            .unwrap()
            .starts_with("VIP requester: "),
        "{note}"
    );
}

/// A webhook receiver on loopback (see [`Recorder`]) that answers with the status the
/// test sets (200 by default).
struct Receiver {
    url: String,
    recorder: Recorder,
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
}

impl Receiver {
    fn start() -> Receiver {
        let status = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(200));
        let answer = status.clone();
        let recorder = Recorder::start(move |_| answer.load(std::sync::atomic::Ordering::SeqCst));
        Receiver {
            url: recorder.url("/hooks/guichet"),
            recorder,
            status,
        }
    }

    fn set_status(&self, code: u16) {
        self.status.store(code, std::sync::atomic::Ordering::SeqCst);
    }

    /// Waits until at least `n` requests arrived (at most 10 s).
    fn wait_for(&self, n: usize) {
        let arrived = self
            .recorder
            .wait(Duration::from_secs(10), |all| all.len() >= n);
        assert!(
            arrived,
            "{} requests arrived, not {n}",
            self.recorder.count()
        );
    }
}

#[test]
fn applied_actions_reach_a_webhook_signed_and_at_least_once() {
    use hmac::{Hmac, Mac};

    let receiver = Receiver::start();
    let s = Running::start(data_dir("webhook"));
    let admin = s.tenant("acme");
    s.enable_triage("acme", &admin);
    let secret = "a-shared-secret-of-the-helpdesk";
    let hook = s.json(
        "PUT",
        "/v1/tenants/acme/webhooks/helpdesk",
        &admin,
        json!({"url": receiver.url, "secret": secret}),
    );
    assert_eq!(hook.status, 200, "{}", hook.body);

    // The receiver fails twice, then accepts: one event, three attempts, one success.
    receiver.set_status(500);
    assert_eq!(
        post_event(&s, "acme", &admin, &triage_events()[0], true).status,
        200
    );
    receiver.wait_for(2);
    receiver.set_status(200);
    receiver.wait_for(3);
    std::thread::sleep(Duration::from_millis(300));
    let requests = receiver.recorder.requests();
    assert_eq!(requests.len(), 3, "retried until accepted, then no more");
    let accepted = &requests[2];
    let body = accepted.text();
    assert_eq!(
        requests[0].body, accepted.body,
        "every attempt sends the same delivery"
    );
    assert_eq!(
        (accepted.method.as_str(), accepted.path.as_str()),
        ("POST", "/hooks/guichet")
    );

    let timestamp = accepted.header("x-guichet-timestamp");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        accepted.header("x-guichet-signature"),
        format!("sha256={expected}")
    );
    let delivery = accepted.json();
    assert_eq!(delivery["tenant"], "acme");
    assert_eq!(delivery["event_id"], "evt-1");
    assert_eq!(delivery["decisions"][0]["plugin"], "triage");
    assert_eq!(delivery["ticket"]["group"], "fraud/L2");

    // A receiver that keeps failing: the delivery ends in the dead letters, and an
    // admin replays it once the receiver is back.
    receiver.set_status(503);
    assert_eq!(
        post_event(&s, "acme", &admin, &triage_events()[1], true).status,
        200
    );
    receiver.wait_for(6);
    let mut dead = Value::Null;
    for _ in 0..100 {
        dead = s
            .call("GET", "/v1/tenants/acme/dead-letters", Some(&admin), None)
            .body;
        if dead.as_array().is_some_and(|d| !d.is_empty()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(dead[0]["attempts"], 3, "{dead}");
    assert!(
        dead[0]["last_error"].as_str().unwrap().contains("503"),
        "{dead}"
    );
    receiver.set_status(200);
    let id = dead[0]["id"].as_str().unwrap();
    let replayed = s.call(
        "POST",
        &format!("/v1/tenants/acme/dead-letters/{id}/replay"),
        Some(&admin),
        None,
    );
    assert_eq!(replayed.status, 202, "{}", replayed.body);
    receiver.wait_for(7);
    let last = receiver.recorder.requests()[6].json();
    assert_eq!(last["event_id"], "evt-2");

    // Another tenant cannot see or replay acme's dead letters.
    let globex = s.tenant("globex");
    let foreign = s.call("GET", "/v1/tenants/acme/dead-letters", Some(&globex), None);
    assert_eq!(foreign.status, 404);
}

#[test]
fn pending_deliveries_survive_a_restart() {
    let receiver = Receiver::start();
    receiver.set_status(500);
    let s = Running::start(data_dir("outbox-restart"));
    let admin = s.tenant("acme");
    s.enable_triage("acme", &admin);
    let hook = s.json(
        "PUT",
        "/v1/tenants/acme/webhooks/helpdesk",
        &admin,
        json!({"url": receiver.url}),
    );
    assert_eq!(hook.status, 200, "{}", hook.body);
    assert_eq!(hook.body["secret"].as_str().unwrap().len(), 64);
    assert_eq!(
        post_event(&s, "acme", &admin, &triage_events()[0], true).status,
        200
    );
    receiver.wait_for(1);
    let dir = s.stop();
    let before = receiver.recorder.count();

    receiver.set_status(200);
    let _s = Running::start(dir);
    receiver.wait_for(before + 1);
    let last = receiver.recorder.requests().last().unwrap().json();
    assert_eq!(last["event_id"], "evt-1");
}

#[test]
fn a_tenant_can_listen_to_its_actions_as_server_sent_events() {
    use std::io::{BufRead, BufReader};

    let s = Running::start(data_dir("stream"));
    let admin = s.tenant("acme");
    let globex = s.tenant("globex");
    s.enable_triage("acme", &admin);
    s.enable_triage("globex", &globex);

    // Another tenant's token: the same 404 as everywhere.
    let foreign = s.call(
        "GET",
        "/v1/tenants/acme/actions/stream",
        Some(&globex),
        None,
    );
    assert_eq!(foreign.status, 404);

    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let url = format!("{}/v1/tenants/acme/actions/stream", s.base);
    let token = admin.clone();
    let http = s.http.clone();
    std::thread::spawn(move || {
        let response = http
            .get(url)
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("the stream opens");
        let reader = BufReader::new(response.into_body().into_reader());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));

    // globex's event must not appear on acme's stream; acme's must.
    let mut other = triage_events()[1].clone();
    other["id"] = json!("globex-evt");
    assert_eq!(post_event(&s, "globex", &globex, &other, true).status, 200);
    assert_eq!(
        post_event(&s, "acme", &admin, &triage_events()[0], true).status,
        200
    );

    let mut data = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(100))
            && let Some(json) = line.strip_prefix("data: ")
        {
            data = Some(json.to_string());
            break;
        }
    }
    let data: Value = serde_json::from_str(&data.expect("an actions event")).unwrap();
    assert_eq!(data["tenant"], "acme");
    assert_eq!(data["event_id"], "evt-1");
    assert_eq!(data["ticket"]["group"], "fraud/L2");
    // Stopping the service ends the stream instead of waiting for the listener.
    let started = std::time::Instant::now();
    s.stop();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_served_openapi_description_is_the_generated_one_and_every_operation_is_routed() {
    let s = Running::start(data_dir("openapi"));
    let served = s.call("GET", "/v1/openapi.json", None, None);
    assert_eq!(served.status, 200);
    assert_eq!(served.content_type, "application/json");
    assert_eq!(
        served.body,
        serde_json::to_value(guichet::api::description()).unwrap()
    );
    // Each described operation reaches its handler: one that needs a token refuses
    // the request without one (401), where a path the router does not know gets the
    // fallback's 404.
    let mut checked = 0;
    for (path, item) in served.body["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{tenant}", "acme")
            .replace("{name}", "triage")
            .replace("{id}", "x");
        for (method, operation) in item.as_object().unwrap() {
            let answer = s.call(&method.to_uppercase(), &concrete, None, None);
            let expected = if path.starts_with("/v1/inbound/") {
                // Reached, and no adapter has the address `{address}`: the handler's
                // own 404 (`tests/adapters.rs` posts to real addresses).
                assert_eq!(answer.body["detail"], "no adapter has this inbound address");
                404
            } else if operation["security"].is_null() {
                200
            } else {
                401
            };
            assert_eq!(answer.status, expected, "{method} {path}: {}", answer.body);
            checked += 1;
        }
    }
    assert!(checked >= 24, "{checked} operations");
    let unknown = s.call("GET", "/v1/nowhere", None, None);
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.body["detail"]
            .as_str()
            .unwrap()
            .contains("/v1/openapi.json"),
        "{}",
        unknown.body
    );
    s.stop();
}

/// A component whose configuration format differs from the running one's: uploaded
/// under the enabled plugin, it is refused (the live configuration is not one it
/// reads) and the plugin keeps running as it was; stored with `activate=false` and
/// switched to together with its new configuration in one `PUT`, checked as a pair.
#[test]
fn a_component_and_its_new_configuration_change_together_or_not_at_all() {
    let s = Running::start(data_dir("plugin-pair"));
    let admin = s.tenant("acme");
    let upload = |file: &str, query: &str| {
        s.call(
            "PUT",
            &format!("/v1/tenants/acme/plugins/rules/component{query}"),
            Some(&admin),
            Some(std::fs::read(common::guest_path(file)).unwrap()),
        )
    };
    let sla = upload("sla", "");
    assert_eq!(sla.status, 201, "{}", sla.body);
    assert_eq!(sla.body["contract"], "0.2.0");
    let sla_config = json!({"policies": [{"name": "standard", "first_reply": "4h"}]});
    let enabled = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/rules",
        &admin,
        json!({"config": sla_config, "enabled": true}),
    );
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    assert_eq!(enabled.body["contract"], "0.2.0");

    // triage does not read sla's configuration.
    let refused = upload("triage", "");
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.body["type"],
        "https://guichet.dev/problems/invalid-config"
    );
    let now = s.json("GET", "/v1/tenants/acme/plugins/rules", &admin, Value::Null);
    assert_eq!(now.body["version"], sla.body["sha256"]);

    let stored = upload("triage", "?activate=false");
    assert_eq!(stored.status, 201, "{}", stored.body);
    assert_eq!(stored.body["plugin"]["version"], sla.body["sha256"]);
    let triage = stored.body["sha256"].as_str().unwrap().to_string();
    // The pair is checked: triage with sla's configuration is refused…
    let refused = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/rules",
        &admin,
        json!({"component": triage}),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    // …with its own, it runs.
    let switched = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/rules",
        &admin,
        json!({"component": triage, "config": {"rules": []}}),
    );
    assert_eq!(switched.status, 200, "{}", switched.body);
    assert_eq!(switched.body["version"], triage.as_str());

    for (settings, status, kind) in [
        (
            json!({"component": "0".repeat(64)}),
            422,
            "unknown-component",
        ),
        (
            json!({"component": triage, "reference": "triage"}),
            400,
            "invalid-settings",
        ),
    ] {
        let answer = s.json("PUT", "/v1/tenants/acme/plugins/rules", &admin, settings);
        assert_eq!(answer.status, status, "{}", answer.body);
        assert_eq!(
            answer.body["type"],
            format!("https://guichet.dev/problems/{kind}")
        );
    }

    // A plugin built against 0.1.0 never gets `fields_changed`: subscribing it to
    // that kind alone is refused rather than leaving it silent.
    let old = s.call(
        "PUT",
        "/v1/tenants/acme/plugins/old/component",
        Some(&admin),
        Some(std::fs::read(common::guest_path("timers")).unwrap()),
    );
    assert_eq!(old.status, 201, "{}", old.body);
    assert_eq!(old.body["contract"], "0.1.0");
    let refused = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/old",
        &admin,
        json!({"subscriptions": ["fields_changed"], "enabled": true}),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("guichet:plugin@0.1.0, which has no `fields_changed` event"),
        "{}",
        refused.body
    );
}
