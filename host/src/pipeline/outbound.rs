//! Outbound: the actions plugins applied to a ticket that came through a channel
//! adapter, rendered by that adapter into its platform's API requests, which join the
//! event's commit as outbox items (sent by the `outbox` module, in order, retried,
//! dead-lettered, replayable).
//!
//! Only the tenant's admin decides where they go: every request's URL must be under
//! one of the adapter's endpoints and say plainly where it goes
//! ([`InstalledPlugin::allows`]: no `user@`, dot segments or encoded dots and
//! slashes), and may not set the headers that route or frame a request (`host`,
//! `content-length`, proxies…); a rendering with such a request is refused whole and
//! audited, the outbox checks the URL again when it sends, and it follows no
//! redirect. The adapter's call is audited like a plugin's, its requests listed in
//! the record's log.

use chrono::{DateTime, Utc};

use super::Decision;
use crate::model::{Action, OutgoingRequest, Ticket};
use crate::store::{InstalledPlugin, OutboxItem};

/// The outbox endpoint of adapter `plugin`'s requests.
pub fn endpoint(plugin: &str) -> String {
    format!("adapter:{plugin}")
}

/// The actions of `decisions` that were applied, in order: what the adapter renders.
pub fn applied_actions(decisions: &[Decision]) -> Vec<Action> {
    decisions
        .iter()
        .filter(|d| d.error.is_none())
        .flat_map(|d| d.actions.iter().cloned())
        .collect()
}

/// The ids of the tickets `actions` name (a merge's target), once each.
pub fn related_ids(actions: &[Action]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for action in actions {
        if let Action::MergeInto { ticket_id } = action
            && !ids.contains(ticket_id)
        {
            ids.push(ticket_id.clone());
        }
    }
    ids
}

/// Why a rendering is refused: its first request to an address outside the
/// adapter's endpoints, or with a header the host keeps to itself. The reason names
/// the request's URL but not the endpoints (integration tokens read the audit trail,
/// and only admins see the endpoints).
pub fn refused(adapter: &InstalledPlugin, requests: &[OutgoingRequest]) -> Option<String> {
    if let Some(outside) = requests.iter().find(|r| !adapter.allows(&r.url)) {
        return Some(if adapter.endpoints.is_empty() {
            format!(
                "request to {} refused: adapter `{}` has no endpoints; its admin sets them \
                 (`endpoints` in the plugin's settings)",
                outside.url, adapter.name
            )
        } else {
            format!(
                "request to {} refused: not under adapter `{}`'s endpoints (or not a plain \
                 http(s) URL)",
                outside.url, adapter.name
            )
        });
    }
    requests.iter().find_map(|r| {
        let header = r.forbidden_header()?;
        Some(format!(
            "request to {} refused: adapters may not set the `{}` header",
            r.url, header.name
        ))
    })
}

/// One line per request, for the audit record's log: `PUT https://…`.
pub fn summary(requests: &[OutgoingRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|r| format!("rendered: {} {}", r.method, r.url))
        .collect()
}

/// The outbox items of `requests`, in order, for event `seq` of `ticket`'s tenant:
/// ids `<seq>-adapter:<plugin>-<n>` keep them in order on the adapter's endpoint.
pub fn items(
    tenant: &str,
    seq: u64,
    plugin: &str,
    requests: Vec<OutgoingRequest>,
    now: DateTime<Utc>,
) -> Vec<OutboxItem> {
    let endpoint = endpoint(plugin);
    requests
        .into_iter()
        .enumerate()
        .map(|(n, request)| OutboxItem {
            id: format!("{seq:020}-{endpoint}-{n:04}"),
            tenant: tenant.to_string(),
            webhook: endpoint.clone(),
            body: String::new(),
            request: Some(request),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
        })
        .collect()
}

/// Whether `ticket`'s plugins' actions go back to an adapter: the ticket came through
/// one and some actions were applied.
pub fn adapter_of<'t>(ticket: Option<&'t Ticket>, actions: &[Action]) -> Option<&'t str> {
    if actions.is_empty() {
        return None;
    }
    ticket?.adapter.as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Body, Header};

    fn adapter(endpoints: &[&str]) -> InstalledPlugin {
        serde_json::from_value(serde_json::json!({
            "name": "zammad",
            "source": {"type": "reference", "name": "zammad"},
            "version": "x",
            "config": "{}",
            "order": 0,
            "subscriptions": [],
            "enabled": true,
            "updated_at": "2026-11-30T10:00:00Z",
            "endpoints": endpoints,
        }))
        .unwrap()
    }

    fn request(url: &str) -> OutgoingRequest {
        OutgoingRequest {
            method: "PUT".into(),
            url: url.into(),
            headers: vec![Header {
                name: "authorization".into(),
                value: "Token token=x".into(),
            }],
            body: Body::Text("{}".into()),
        }
    }

    #[test]
    fn requests_go_only_under_the_endpoints_the_admin_set() {
        let zammad = adapter(&["https://acme.zammad.com/api/v1/", "https://b.example"]);
        for allowed in [
            "https://acme.zammad.com/api/v1/tickets/7",
            "https://acme.zammad.com/api/v1/tags/add?x=a%20b",
            "https://acme.zammad.com/api/v1/search?query=a%2Fb%2e",
            "https://b.example",
            "https://b.example/x",
            "https://b.example?x=1",
        ] {
            assert_eq!(refused(&zammad, &[request(allowed)]), None, "{allowed}");
        }
        for outside in [
            "https://acme.zammad.com/api/v2/tickets/7",
            "https://b.example.evil.com/",
            "https://b.examplex",
            "http://acme.zammad.com/api/v1/tickets/7",
            "https://169.254.169.254/latest/meta-data",
            // Read by a server as another place than the text says.
            "https://acme.zammad.com/api/v1/../../admin/x",
            "https://acme.zammad.com/api/v1/./x",
            "https://acme.zammad.com/api/v1/..;/admin",
            "https://acme.zammad.com/api/v1/%2e%2e/%2E%2E/x",
            "https://acme.zammad.com/api/v1/a%2fb",
            "https://acme.zammad.com/api/v1/a\\..\\x",
            "https://acme.zammad.com/api/v1/x#frag",
            "https://acme.zammad.com/api/v1/x y",
            "https://b.example@evil.example/",
        ] {
            let why = refused(&zammad, &[request(outside)]).expect(outside);
            assert!(why.contains("not under"), "{why}");
            assert!(
                !why.contains("b.example,"),
                "the endpoints are not named: {why}"
            );
        }
        let none = adapter(&[]);
        assert!(
            refused(&none, &[request("https://acme.zammad.com/api/v1/x")])
                .unwrap()
                .contains("has no endpoints")
        );
        for header in [
            "Host",
            "content-length",
            "Transfer-Encoding",
            "Proxy-Authorization",
        ] {
            let mut smuggled = request("https://acme.zammad.com/api/v1/tickets/7");
            smuggled.headers.push(Header {
                name: header.into(),
                value: "x".into(),
            });
            let why = refused(&zammad, &[smuggled]).expect(header);
            assert!(why.contains(&format!("`{header}` header")), "{why}");
        }
    }

    #[test]
    fn items_keep_the_rendered_order_on_the_adapter_endpoint() {
        let at = "2026-11-30T10:00:00Z".parse().unwrap();
        let items = items(
            "acme",
            42,
            "zammad",
            vec![request("https://a/1"), request("https://a/2")],
            at,
        );
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "00000000000000000042-adapter:zammad-0000",
                "00000000000000000042-adapter:zammad-0001"
            ]
        );
        assert!(items.iter().all(|i| i.webhook == "adapter:zammad"));
        assert_eq!(items[1].request.as_ref().unwrap().url, "https://a/2");
    }
}
