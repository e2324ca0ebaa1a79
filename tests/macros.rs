//! Macros in the service, end to end over HTTP: the `macros` reference plugin's
//! example configuration, listed and applied through `…/macros` routes for an agent.
//! The variant follows the ticket's channel (formal *vous* by e-mail, friendly *tu*
//! in chat) and the requester's language; the reply and the bundled actions are
//! applied through the pipeline, audited, and sent back through the ticket's bridge
//! as the helpdesk's own call (a fake Zammad and Chatwoot, `common::recorder`). A
//! placeholder with no value is refused, naming it, and nothing is sent. The
//! JavaScript macros example runs in the service too.

mod common;

use std::time::Duration;

use serde_json::{Value, json};

use common::fixtures::{read_fixture, send};
use common::recorder::Recorder;
use common::service::{Answer, Running, data_dir};
use common::{Lang, build_example, in_ci, root};

fn start(name: &str) -> Running {
    Running::start_delivering(data_dir(name), "2026-03-02T09:16:00Z")
}

fn read_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

/// Installs the `macros` reference plugin with its example configuration.
fn install_macros(service: &Running, admin: &str) {
    let answer = service.json(
        "PUT",
        "/v1/tenants/acme/plugins/macros",
        admin,
        json!({"reference": "macros", "config": read_json("plugins/macros/config.example.json"),
               "enabled": true}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// Installs bridge `adapter` (its fixtures' configuration) sending to `helpdesk`;
/// answers its inbound path.
fn install_bridge(service: &Running, admin: &str, adapter: &str, helpdesk: &str) -> String {
    let mut config =
        read_json(&format!("plugins/{adapter}/fixtures/expect.json"))["config"].clone();
    config["base_url"] = json!(helpdesk);
    let answer = service.json(
        "PUT",
        &format!("/v1/tenants/acme/plugins/{adapter}"),
        admin,
        json!({"reference": adapter, "config": config, "enabled": true,
               "endpoints": [format!("{helpdesk}/api/v1/")]}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["inbound_path"].as_str().unwrap().to_string()
}

/// Posts the bridge's fixture `fixture`; answers the id of the ticket it opened.
fn webhook(service: &Running, inbound: &str, adapter: &str, fixture: &str) -> String {
    let fixture = read_fixture(&root().join(format!("plugins/{adapter}/fixtures/{fixture}")));
    let answer = send(service, inbound, &fixture);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["events"][0]["ticket_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `ticket_created` for a ticket on `channel` by a requester named `name` who speaks
/// `language`.
fn created(id: &str, channel: &str, name: &str, language: &str) -> Value {
    let at = "2026-03-02T09:00:00Z";
    json!({"id": format!("{id}-created"), "kind": {"type": "ticket_created"}, "occurred_at": at,
           "ticket": {"id": id, "channel": channel, "status": "open",
                      "requester": {"name": name, "language": language,
                                    "identities": [{"kind": "email", "value": format!("{id}@example.com")}]},
                      "created_at": at, "updated_at": at,
                      "messages": [{"id": "m-0", "author_role": "requester", "channel": channel,
                                    "body": "Where is my refund?", "created_at": at}]}})
}

fn apply(service: &Running, admin: &str, ticket: &str, id: &str, body: Value) -> Answer {
    service.json(
        "POST",
        &format!("/v1/tenants/acme/tickets/{ticket}/macros/{id}?wait=true"),
        admin,
        body,
    )
}

fn ticket(service: &Running, admin: &str, id: &str) -> Value {
    let answer = service.call(
        "GET",
        &format!("/v1/tenants/acme/tickets/{id}"),
        Some(admin),
        None,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

#[test]
fn a_macro_takes_the_tone_of_the_channel_and_the_language_of_the_requester() {
    let service = start("macros-variants");
    let admin = service.tenant("acme");
    install_macros(&service, &admin);

    let listed = service.call("GET", "/v1/tenants/acme/macros", Some(&admin), None);
    assert_eq!(listed.status, 200, "{}", listed.body);
    let ids: Vec<&str> = listed.body["macros"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"refund-delay") && ids.contains(&"card-blocked"),
        "{ids:?}"
    );
    assert_eq!(listed.body["macros"][0]["plugin"], "macros");

    let cases = [
        (
            "fr-mail",
            "email",
            "Zoé Martin",
            "fr",
            "Bonjour Zoé,\n\nNous avons validé votre remboursement de 42,00 €",
        ),
        (
            "fr-chat",
            "chat",
            "Zoé Martin",
            "fr-BE",
            "Bonjour Zoé ! Ton remboursement de 42,00 € est validé",
        ),
        (
            "en-mail",
            "email",
            "Tom Baker",
            "en",
            "Dear Tom,\n\nWe have approved your refund of 42,00 €",
        ),
        (
            "en-chat",
            "chat",
            "Tom Baker",
            "en-GB",
            "Hi Tom! Your refund of 42,00 € is approved",
        ),
    ];
    for (id, channel, name, language, opening) in cases {
        let posted = service.json(
            "POST",
            "/v1/tenants/acme/events?wait=true",
            &admin,
            created(id, channel, name, language),
        );
        assert_eq!(posted.status, 200, "{}", posted.body);
        let applied = apply(
            &service,
            &admin,
            id,
            "refund-delay",
            json!({"agent": "Ana", "variables": {"amount": "42,00 €"}}),
        );
        assert_eq!(applied.status, 200, "{id}: {}", applied.body);
        let reply = applied.body["reply"].as_str().unwrap();
        assert!(reply.starts_with(opening), "{id}: {reply}");
        assert!(reply.contains("Ana"), "{id}: the agent signs: {reply}");
        // Applied through the pipeline: the agent's reply, the bundled status and tag.
        let after = ticket(&service, &admin, id);
        assert_eq!(after["status"], "waiting_on_requester", "{id}");
        assert!(after["tags"].as_array().unwrap().contains(&json!("refund")));
        let last_public = after["messages"]
            .as_array()
            .unwrap()
            .iter()
            .rfind(|m| m["public"] == true)
            .unwrap();
        assert_eq!(last_public["author_role"], "agent");
        assert_eq!(last_public["author"], "Ana");
        assert_eq!(last_public["body"], reply);
        assert!(after["first_agent_response_at"].is_string());
        // Audited as the macros plugin's decision.
        let audit = service.call(
            "GET",
            &format!("/v1/tenants/acme/tickets/{id}/audit"),
            Some(&admin),
            None,
        );
        let record = audit
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["plugin"] == "macros")
            .unwrap()
            .clone();
        assert_eq!(record["event_kind"], "macro_applied");
        assert_eq!(record["actions"][0]["type"], "public_reply");
        assert!(
            record["logs"]
                .to_string()
                .contains("agent Ana applied macro `refund-delay`")
        );
    }

    // A retried request (the same Idempotency-Key) applies nothing again.
    let retry = |agent: &str| {
        service.call_with(
            "POST",
            "/v1/tenants/acme/tickets/fr-mail/macros/card-blocked?wait=true",
            Some(&admin),
            Some(json!({"agent": agent}).to_string().into_bytes()),
            &[("Idempotency-Key", "click-1")],
        )
    };
    let first = retry("Ana");
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["duplicate"], false);
    let after_first = ticket(&service, &admin, "fr-mail");
    let again = retry("Ana");
    assert_eq!(again.status, 202, "{}", again.body);
    assert_eq!(again.body["duplicate"], true);
    assert_eq!(again.body["seq"], first.body["seq"]);
    assert!(again.body.get("event_id").is_none());
    assert_eq!(ticket(&service, &admin, "fr-mail"), after_first);

    // A placeholder with no value and no fallback: refused, naming it; nothing done.
    let before = ticket(&service, &admin, "en-mail");
    let refused = apply(
        &service,
        &admin,
        "en-mail",
        "refund-delay",
        json!({"agent": "Ana"}),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.body["type"],
        "https://guichet.dev/problems/missing-placeholder"
    );
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("`amount`") && detail.contains("nothing was sent"),
        "{detail}"
    );
    assert_eq!(ticket(&service, &admin, "en-mail"), before);

    // Unknown macro, unknown ticket, a malformed body, a host-made kind sent as an
    // event: clear refusals.
    let unknown = apply(&service, &admin, "en-mail", "nope", json!({"agent": "Ana"}));
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert!(
        unknown.body["detail"]
            .as_str()
            .unwrap()
            .contains("offers macro `nope`")
    );
    let no_ticket = apply(
        &service,
        &admin,
        "zz",
        "refund-delay",
        json!({"agent": "Ana"}),
    );
    assert_eq!(no_ticket.status, 404, "{}", no_ticket.body);
    let no_agent = apply(
        &service,
        &admin,
        "en-mail",
        "refund-delay",
        json!({"variables": {}}),
    );
    assert_eq!(no_agent.status, 400, "{}", no_agent.body);
    let forged = service.json(
        "POST",
        "/v1/tenants/acme/events",
        &admin,
        json!({"id": "x", "kind": {"type": "macro_applied"}, "occurred_at": "2026-03-02T09:00:00Z"}),
    );
    assert_eq!(forged.status, 400, "{}", forged.body);
    service.stop();
}

#[test]
fn a_macro_reply_reaches_the_helpdesk_as_its_own_call() {
    let helpdesk = Recorder::start(|_| 200);
    let service = start("macros-helpdesk");
    let admin = service.tenant("acme");
    install_macros(&service, &admin);
    let base = helpdesk.url("");
    let base = base.trim_end_matches('/');
    let zammad = install_bridge(&service, &admin, "zammad", base);
    let chatwoot = install_bridge(&service, &admin, "chatwoot", base);

    // An e-mail ticket in Zammad (Camille Durand, Zammad number 20512): vous.
    let mail = webhook(&service, &zammad, "zammad", "ticket-created.http");
    // A web-widget conversation in Chatwoot (Camille Martin): tu.
    let chat = webhook(&service, &chatwoot, "chatwoot", "message-created.http");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        helpdesk.count(),
        0,
        "nothing decided yet: {:?}",
        helpdesk.requests()
    );

    // A missing placeholder: refused, and nothing reaches the helpdesk.
    let refused = apply(
        &service,
        &admin,
        &mail,
        "refund-delay",
        json!({"agent": "Ana"}),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(helpdesk.count(), 0);

    let variables = json!({"agent": "Ana", "variables": {"amount": "49,90 €"}});
    let by_mail = apply(&service, &admin, &mail, "refund-delay", variables.clone());
    assert_eq!(by_mail.status, 200, "{}", by_mail.body);
    let by_chat = apply(&service, &admin, &chat, "refund-delay", variables);
    assert_eq!(by_chat.status, 200, "{}", by_chat.body);
    let mail_reply = by_mail.body["reply"].as_str().unwrap().to_string();
    let chat_reply = by_chat.body["reply"].as_str().unwrap().to_string();
    assert!(
        mail_reply.starts_with("Bonjour Camille,\n\nNous avons validé votre remboursement de 49,90 € (demande n° 20512)"),
        "{mail_reply}"
    );
    assert!(
        chat_reply.starts_with("Bonjour Camille ! Ton remboursement de 49,90 € est validé"),
        "{chat_reply}"
    );

    let arrived = |path: &str, field: &str, text: &str| {
        helpdesk.wait(Duration::from_secs(10), |requests| {
            requests
                .iter()
                .any(|r| r.path == path && r.json()[field] == text)
        })
    };
    assert!(
        arrived("/api/v1/ticket_articles", "body", &mail_reply),
        "Zammad got {:?}",
        helpdesk
            .requests()
            .iter()
            .map(|r| (r.path.clone(), r.text()))
            .collect::<Vec<_>>()
    );
    assert!(
        arrived(
            "/api/v1/accounts/1/conversations/42/messages",
            "content",
            &chat_reply
        ),
        "Chatwoot got {:?}",
        helpdesk
            .requests()
            .iter()
            .map(|r| (r.path.clone(), r.text()))
            .collect::<Vec<_>>()
    );
    let article = helpdesk
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/ticket_articles" && r.json()["body"] == mail_reply.as_str())
        .unwrap();
    assert_eq!(article.json()["internal"], false, "{}", article.text());
    assert_eq!(article.json()["ticket_id"], 512, "{}", article.text());
    let message = helpdesk
        .requests()
        .into_iter()
        .find(|r| {
            r.path.ends_with("/conversations/42/messages")
                && r.json()["content"] == chat_reply.as_str()
        })
        .unwrap();
    assert_eq!(message.json()["private"], false, "{}", message.text());
    // The bundled tag went to Zammad too.
    assert!(helpdesk.wait(Duration::from_secs(10), |requests| {
        requests
            .iter()
            .any(|r| r.path == "/api/v1/tags/add" && r.json()["item"] == "refund")
    }));
    service.stop();
}

#[test]
fn the_javascript_macros_example_runs_in_the_service() {
    let Some(component) = build_example(Lang::JavaScript, "js-macros", "macros.js", "macros")
    else {
        assert!(!in_ci(), "the JavaScript toolchain must be installed in CI");
        eprintln!(
            "note: the JavaScript toolchain is absent (scripts/install-guest-toolchains); not run"
        );
        return;
    };
    let service = start("macros-js");
    let admin = service.tenant("acme");
    install_macros(&service, &admin);
    let uploaded = service.call(
        "PUT",
        "/v1/tenants/acme/plugins/js-macros/component",
        Some(&admin),
        Some(std::fs::read(component).unwrap()),
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let set = service.json(
        "PUT",
        "/v1/tenants/acme/plugins/js-macros",
        &admin,
        json!({"config": read_json("examples/js-macros/config.json"), "enabled": true}),
    );
    assert_eq!(set.status, 200, "{}", set.body);

    let listed = service.call("GET", "/v1/tenants/acme/macros", Some(&admin), None);
    let from_js: Vec<&Value> = listed.body["macros"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["plugin"] == "js-macros")
        .collect();
    assert_eq!(from_js.len(), 2, "{}", listed.body);

    let posted = service.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        &admin,
        created("t-1", "email", "Zoé Martin", "fr"),
    );
    assert_eq!(posted.status, 200, "{}", posted.body);
    let body = json!({"agent": "Ana", "variables": {"amount": "42,00 €", "days": "3"}});
    // Both plugins offer `refund-delay`: the caller must say which.
    let ambiguous = apply(&service, &admin, "t-1", "refund-delay", body.clone());
    assert_eq!(ambiguous.status, 409, "{}", ambiguous.body);
    assert!(
        ambiguous.body["detail"]
            .as_str()
            .unwrap()
            .contains("`js-macros`")
    );
    let mut named = body;
    named["plugin"] = json!("js-macros");
    let applied = apply(&service, &admin, "t-1", "refund-delay", named);
    assert_eq!(applied.status, 200, "{}", applied.body);
    // What `plugin run` prints for the same request (examples/js-macros/expected.jsonl).
    assert_eq!(
        applied.body["reply"],
        "Bonjour Zoé Martin,\n\nVotre remboursement de 42,00 € a été validé ; il arrivera sous 3 jours ouvrés.\n\nL'équipe Support"
    );
    let after = ticket(&service, &admin, "t-1");
    assert_eq!(after["status"], "waiting_on_requester");
    service.stop();
}
