//! The OpenAPI description states the rules the service enforces, and the service
//! enforces the rules the description states: for every route with a body or
//! parameters, inputs are derived from the description's own constraints, then sent to
//! the real service.
//!
//! - Each constraint gives an input just outside it (a string one character over its
//!   `maxLength`, one that does not match its `pattern`, an array one item over its
//!   `maxItems`, a missing required field, an unknown field of a closed object, an
//!   array where an object is described, a value outside an `enum`, an integer past
//!   its bound, a value of another type): the answer must be a 4xx problem.
//! - And an input exactly at it (a string of exactly `maxLength`, an array of exactly
//!   `maxItems`, an integer at its bound): the answer must be a success.
//!
//! A new route with a body or parameters must be given a valid example here, or the
//! test fails: its rules cannot go untested.

mod common;

use std::cell::Cell;

use regex_automata::meta::Regex;
use serde_json::{Map, Value, json};

use common::service::{Answer, OPERATOR, Running, data_dir};
use common::triage_events;

/// What a derived input is expected to get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Refused,
    Accepted,
}

/// One input derived from a constraint.
#[derive(Debug, Clone)]
struct Derived {
    what: String,
    expect: Expect,
    /// Where the value changes (a JSON pointer into the body), and to what (`None`:
    /// removed).
    pointer: String,
    value: Option<Value>,
    /// A value of another type than described (for parameters, which are text, it
    /// may read as the described type after all).
    retyped: bool,
}

struct Description {
    json: Value,
}

impl Description {
    fn resolve<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            schema = self
                .json
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("no {reference}"));
        }
        schema
    }

    /// The alternative of a `oneOf` that `value` is an instance of.
    fn alternative<'a>(&'a self, alternatives: &'a [Value], value: &Value) -> Option<&'a Value> {
        alternatives.iter().find(|a| {
            let a = self.resolve(a);
            let types = types(a);
            if let Some(tag) = a.pointer("/properties/type/enum/0") {
                return value.get("type") == Some(tag);
            }
            if let Some(key) = a
                .get("required")
                .and_then(Value::as_array)
                .filter(|r| {
                    r.len() == 1 && a["properties"].as_object().is_some_and(|p| p.len() == 1)
                })
                .and_then(|r| r[0].as_str())
            {
                return value
                    .as_object()
                    .is_some_and(|o| o.len() == 1 && o.contains_key(key));
            }
            types.iter().any(|t| has_type(value, t))
        })
    }
}

fn types(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

fn matches(pattern: &str, text: &str) -> bool {
    Regex::new(pattern)
        .unwrap_or_else(|e| panic!("pattern {pattern}: {e}"))
        .is_match(text)
}

fn refused(what: String, pointer: &str, value: Option<Value>) -> Derived {
    Derived {
        what,
        expect: Expect::Refused,
        pointer: pointer.to_string(),
        value,
        retyped: false,
    }
}

fn accepted(what: String, pointer: &str, value: Value) -> Derived {
    Derived {
        what,
        expect: Expect::Accepted,
        pointer: pointer.to_string(),
        value: Some(value),
        retyped: false,
    }
}

/// `text` brought to exactly `length` characters by repeating its last one (or `a`).
fn sized(text: &str, length: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() >= length {
        return chars[..length].iter().collect();
    }
    let fill = chars.last().copied().unwrap_or('a');
    chars
        .into_iter()
        .chain(std::iter::repeat_n(fill, length - text.chars().count()))
        .collect()
}

/// Every input derived from the constraints of `schema`, at `pointer`, where the valid
/// example holds `value`.
fn derive(d: &Description, schema: &Value, value: &Value, pointer: &str, out: &mut Vec<Derived>) {
    let schema = d.resolve(schema);
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        if let Some(chosen) = d.alternative(alternatives, value) {
            derive(d, chosen, value, pointer, out);
        }
        return;
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        derive(d, part, value, pointer, out);
    }
    let at = if pointer.is_empty() {
        "the body"
    } else {
        pointer
    };
    // Another type.
    let types = types(schema);
    if !types.is_empty() {
        let other = [json!(true), json!(17), json!("x"), json!([]), json!({})]
            .into_iter()
            .find(|o| !types.iter().any(|t| has_type(o, t)));
        if let Some(other) = other {
            out.push(Derived {
                retyped: true,
                ..refused(
                    format!("{at}: {other} where {types:?} is described"),
                    pointer,
                    Some(other),
                )
            });
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        out.push(refused(
            format!("{at}: a value outside the enum"),
            pointer,
            Some(json!("not-one-of-them")),
        ));
        for member in [allowed.first(), allowed.last()].into_iter().flatten() {
            out.push(accepted(
                format!("{at}: the enum member {member}"),
                pointer,
                member.clone(),
            ));
        }
    }
    match value {
        Value::String(text) => derive_string(schema, text, pointer, at, out),
        Value::Number(_) => {
            for (bound, step) in [("maximum", 1i128), ("minimum", -1)] {
                if let Some(limit) = schema.get(bound) {
                    let limit = limit
                        .as_i64()
                        .map(i128::from)
                        .or(limit.as_u64().map(i128::from))
                        .unwrap();
                    out.push(accepted(
                        format!("{at}: exactly its {bound} {limit}"),
                        pointer,
                        number(limit),
                    ));
                    out.push(refused(
                        format!("{at}: past its {bound}"),
                        pointer,
                        Some(number(limit + step)),
                    ));
                }
            }
        }
        Value::Object(fields) => {
            if !fields.is_empty() {
                out.push(refused(
                    format!("{at}: an array of the object's values where an object is described"),
                    pointer,
                    Some(Value::Array(fields.values().cloned().collect())),
                ));
            }
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = required.as_str().unwrap();
                if fields.contains_key(name) {
                    out.push(refused(
                        format!("{at}: without the required `{name}`"),
                        &format!("{pointer}/{name}"),
                        None,
                    ));
                }
            }
            if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                out.push(refused(
                    format!("{at}: an unknown field"),
                    &format!("{pointer}/unknown_field"),
                    Some(json!(1)),
                ));
            }
            if let (Some(max), Some((_, example))) = (
                schema.get("maxProperties").and_then(Value::as_u64),
                fields.iter().next(),
            ) {
                let entries = |n: u64| -> Value {
                    Value::Object(
                        (0..n)
                            .map(|i| (format!("e{i}"), example.clone()))
                            .collect::<Map<_, _>>(),
                    )
                };
                out.push(accepted(
                    format!("{at}: exactly {max} entries"),
                    pointer,
                    entries(max),
                ));
                out.push(refused(
                    format!("{at}: {} entries", max + 1),
                    pointer,
                    Some(entries(max + 1)),
                ));
            }
            if let Some(names) = schema.get("propertyNames")
                && let Some((_, example)) = fields.iter().next()
            {
                let names = d.resolve(names);
                if let Some(pattern) = names.get("pattern").and_then(Value::as_str) {
                    let bad = "Not-A-Name";
                    assert!(!matches(pattern, bad));
                    out.push(refused(
                        format!("{at}: a key that does not match {pattern}"),
                        &format!("{pointer}/{bad}"),
                        Some(example.clone()),
                    ));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, field) in fields {
                let field_schema = properties
                    .and_then(|p| p.get(name))
                    .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()));
                if let Some(field_schema) = field_schema {
                    derive(d, field_schema, field, &format!("{pointer}/{name}"), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
                    let of = |n: u64| Value::Array(vec![first.clone(); n as usize]);
                    out.push(accepted(
                        format!("{at}: exactly {max} items"),
                        pointer,
                        of(max),
                    ));
                    out.push(refused(
                        format!("{at}: {} items", max + 1),
                        pointer,
                        Some(of(max + 1)),
                    ));
                }
                if let Some(min) = schema
                    .get("minItems")
                    .and_then(Value::as_u64)
                    .filter(|m| *m > 0)
                {
                    let fewer = Value::Array(vec![first.clone(); min as usize - 1]);
                    out.push(refused(
                        format!("{at}: {} items", min - 1),
                        pointer,
                        Some(fewer),
                    ));
                }
                if let Some(item) = schema.get("items") {
                    derive(d, item, first, &format!("{pointer}/0"), out);
                }
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

fn number(n: i128) -> Value {
    if let Ok(n) = i64::try_from(n) {
        json!(n)
    } else if let Ok(n) = u64::try_from(n) {
        json!(n)
    } else {
        // Beyond 64 bits: JSON has such integers; serde_json writes them from text.
        serde_json::from_str(&n.to_string()).unwrap()
    }
}

fn derive_string(schema: &Value, text: &str, pointer: &str, at: &str, out: &mut Vec<Derived>) {
    let pattern = schema.get("pattern").and_then(Value::as_str);
    let fits = |s: &str| pattern.is_none_or(|p| matches(p, s));
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        let exact = sized(text, max as usize);
        if fits(&exact) {
            out.push(accepted(
                format!("{at}: exactly {max} characters"),
                pointer,
                json!(exact),
            ));
        }
        out.push(refused(
            format!("{at}: {} characters", max + 1),
            pointer,
            Some(json!(sized(text, max as usize + 1))),
        ));
    }
    if let Some(min) = schema
        .get("minLength")
        .and_then(Value::as_u64)
        .filter(|m| *m > 0)
    {
        let exact = sized(text, min as usize);
        if fits(&exact) && min as usize >= text.chars().count() {
            out.push(accepted(
                format!("{at}: exactly {min} characters"),
                pointer,
                json!(exact),
            ));
        }
        out.push(refused(
            format!("{at}: {} characters", min - 1),
            pointer,
            Some(json!(sized(text, min as usize - 1))),
        ));
    }
    if let Some(pattern) = pattern {
        assert!(
            matches(pattern, text),
            "the example `{text}` breaks its own pattern {pattern}"
        );
        let max = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX) as usize;
        // Control characters last: a header cannot carry them.
        let candidates = [
            text.to_uppercase(),
            format!("-{text}"),
            format!("{text} x"),
            format!("{text}é"),
            format!("{text}\u{1}"),
        ];
        let bad = candidates
            .into_iter()
            .find(|c| !matches(pattern, c) && c.chars().count() <= max && !c.is_empty())
            .unwrap_or_else(|| panic!("no string outside {pattern} from `{text}`"));
        out.push(refused(
            format!("{at}: `{bad}`, outside the pattern"),
            pointer,
            Some(json!(bad)),
        ));
    }
    if schema.get("format").and_then(Value::as_str) == Some("date-time") {
        out.push(refused(
            format!("{at}: not RFC 3339"),
            pointer,
            Some(json!("2026-11-23 09:30")),
        ));
    }
}

/// `body` with `derived` applied. A plugin's `reference` comes with a configuration
/// that suits it: each reference plugin checks the configuration it is given (its
/// `check-config`), a rule of the plugin, not of the description.
fn apply(body: &Value, derived: &Derived) -> Value {
    let mut body = body.clone();
    if derived.pointer.is_empty() {
        return derived.value.clone().unwrap_or(Value::Null);
    }
    if derived.pointer == "/reference"
        && let Some(reference) = derived.value.as_ref().and_then(Value::as_str)
        && body.get("config").is_some()
    {
        body["config"] = match reference {
            "sla" => json!({"policies": []}),
            "followup" => json!({"first_reminder": {"after": "1d", "message": "Alors ?"},
                                  "second_reminder": {"after": "2d", "message": "Alors ?"},
                                  "close": {"after": "3d"}}),
            "reassign" => json!({"timeout": "2h"}),
            "triage" => json!({"rules": []}),
            // A channel adapter: the configuration its fixtures are tested with.
            other => {
                let path = common::root().join(format!("plugins/{other}/fixtures/expect.json"));
                match std::fs::read_to_string(path) {
                    Ok(text) => serde_json::from_str::<Value>(&text).unwrap()["config"].clone(),
                    Err(_) => json!({"rules": []}),
                }
            }
        };
    }
    let (parent, last) = derived.pointer.rsplit_once('/').unwrap();
    let target = body
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent} in the body"));
    match (target, &derived.value) {
        (Value::Object(map), Some(value)) => {
            map.insert(last.to_string(), value.clone());
        }
        (Value::Object(map), None) => {
            map.remove(last);
        }
        (Value::Array(items), Some(value)) => items[last.parse::<usize>().unwrap()] = value.clone(),
        (Value::Array(items), None) => {
            items.remove(last.parse::<usize>().unwrap());
        }
        (other, _) => panic!("cannot change {} in {other}", derived.pointer),
    }
    body
}

fn assert_answer(answer: &Answer, derived: &Derived, route: &str, sent: &str) {
    let sent: String = sent.chars().take(300).collect();
    match derived.expect {
        Expect::Refused => {
            assert!(
                (400..500).contains(&answer.status),
                "{route}, {}: expected a 4xx, got {} {}\nsent: {sent}",
                derived.what,
                answer.status,
                answer.body
            );
            assert_eq!(
                answer.content_type, "application/problem+json",
                "{route}, {}",
                derived.what
            );
            assert!(!answer.body["detail"].as_str().unwrap_or("").is_empty());
        }
        Expect::Accepted => assert!(
            (200..300).contains(&answer.status),
            "{route}, {}: expected a success, got {} {}\nsent: {sent}",
            derived.what,
            answer.status,
            answer.body
        ),
    }
}

/// A route and a valid request to derive from.
struct Example {
    method: &'static str,
    template: &'static str,
    path: &'static str,
    body: Option<Value>,
    query: &'static [(&'static str, &'static str)],
    headers: &'static [(&'static str, &'static str)],
}

#[test]
fn every_rule_the_description_states_is_the_rule_the_service_applies() {
    let s = Running::start(data_dir("api-rules"));
    let admin = s.tenant("acme");
    s.enable_triage("acme", &admin);
    // The macros example applies a macro to the ticket of the first triage event.
    let macros = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/macros",
        &admin,
        json!({"reference": "macros", "enabled": true,
               "config": serde_json::from_str::<Value>(&std::fs::read_to_string(
                   common::root().join("plugins/macros/config.example.json")).unwrap()).unwrap()}),
    );
    assert_eq!(macros.status, 200, "{}", macros.body);
    let first = s.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        &admin,
        serde_json::to_value(&triage_events()[0]).unwrap(),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    let d = Description {
        json: serde_json::to_value(guichet::api::description()).unwrap(),
    };

    let event = serde_json::to_value(&triage_events()[0]).unwrap();
    let examples = vec![
        Example {
            method: "POST",
            template: "/v1/tenants",
            path: "/v1/tenants",
            body: Some(json!({"id": "globex", "name": "Globex", "time_zone": "Europe/Paris"})),
            query: &[],
            headers: &[],
        },
        Example {
            method: "PUT",
            template: "/v1/tenants/{tenant}/settings",
            path: "/v1/tenants/acme/settings",
            body: Some(json!({"name": "Acme", "time_zone": "Europe/Paris"})),
            query: &[],
            headers: &[],
        },
        Example {
            method: "POST",
            template: "/v1/tenants/{tenant}/tokens",
            path: "/v1/tenants/acme/tokens",
            body: Some(json!({"scope": "integration"})),
            query: &[],
            headers: &[],
        },
        Example {
            method: "PUT",
            template: "/v1/tenants/{tenant}/plugins/{name}",
            path: "/v1/tenants/acme/plugins/triage",
            body: Some(json!({
                "reference": "triage",
                "config": {"rules": []},
                "order": 10,
                "subscriptions": ["ticket_created"],
                "schedules": {"morning": "0 0 9 * * Mon-Fri"},
                "enabled": false
            })),
            query: &[],
            headers: &[],
        },
        Example {
            method: "POST",
            template: "/v1/tenants/{tenant}/replays",
            path: "/v1/tenants/acme/replays",
            body: Some(json!({"plugin": "triage", "config": {"rules": []},
                              "from": "2026-11-23T00:00:00Z", "until": "2026-11-30T00:00:00Z"})),
            query: &[],
            headers: &[],
        },
        Example {
            method: "POST",
            template: "/v1/tenants/{tenant}/plugins/{name}/versions",
            path: "/v1/tenants/acme/plugins/triage/versions",
            body: Some(json!({"config": {"rules": []}, "label": "v2"})),
            query: &[],
            headers: &[],
        },
        Example {
            method: "PUT",
            template: "/v1/tenants/{tenant}/plugins/{name}/shadow",
            path: "/v1/tenants/acme/plugins/triage/shadow",
            body: Some(json!({"version": 1})),
            query: &[],
            headers: &[],
        },
        Example {
            method: "GET",
            template: "/v1/tenants/{tenant}/plugins/{name}/shadow",
            path: "/v1/tenants/acme/plugins/triage/shadow",
            body: None,
            query: &[("after", "0"), ("limit", "5")],
            headers: &[],
        },
        Example {
            method: "PUT",
            template: "/v1/tenants/{tenant}/webhooks/{name}",
            path: "/v1/tenants/acme/webhooks/hook",
            body: Some(json!({"url": "http://127.0.0.1:9/hooks", "secret": "0123456789abcdef"})),
            query: &[],
            headers: &[],
        },
        Example {
            method: "POST",
            template: "/v1/tenants/{tenant}/events",
            path: "/v1/tenants/acme/events",
            body: Some(event.clone()),
            query: &[("timeout_ms", "1000"), ("wait", "false")],
            headers: &[("Idempotency-Key", "delivery-1")],
        },
        Example {
            method: "POST",
            template: "/v1/tenants/{tenant}/events",
            path: "/v1/tenants/acme/events",
            body: Some(json!([event])),
            query: &[],
            headers: &[],
        },
        Example {
            method: "GET",
            template: "/v1/tenants/{tenant}/tickets",
            path: "/v1/tenants/acme/tickets",
            body: None,
            query: &[
                ("limit", "5"),
                ("status", "open"),
                ("group", "fraud/L2"),
                ("assignee", "zoe"),
                ("requester", "zoe@example.fr"),
            ],
            headers: &[],
        },
        Example {
            method: "POST",
            template: "/v1/tenants/{tenant}/tickets/{id}/macros/{macro}",
            path: "/v1/tenants/acme/tickets/t-1/macros/card-blocked",
            body: Some(json!({"agent": "Ana", "plugin": "macros", "variables": {"case": "A-1"}})),
            query: &[("timeout_ms", "1000"), ("wait", "false")],
            headers: &[("Idempotency-Key", "macro-1")],
        },
        Example {
            method: "GET",
            template: "/v1/tenants/{tenant}/kpis",
            path: "/v1/tenants/acme/kpis",
            body: None,
            query: &[
                ("from", "2026-11-23"),
                ("until", "2026-11-30T00:00:00+01:00"),
                ("group_by", "channel"),
                ("format", "json"),
            ],
            headers: &[],
        },
        Example {
            method: "PUT",
            template: "/v1/tenants/{tenant}/plugins/{name}/component",
            path: "/v1/tenants/acme/plugins/triage/component",
            body: None,
            query: &[("activate", "false"), ("label", "v1")],
            headers: &[],
        },
    ];

    // Every described route with a body or parameters beyond the tenant and ids of its
    // path has an example here.
    for (template, item) in d.json["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let constrained_parameters = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["in"] != "path");
            if operation["requestBody"].is_null() && !constrained_parameters {
                continue;
            }
            // A platform's own webhook body, read by its channel adapter rather than
            // checked against a schema (tests/adapters.rs posts the platforms' bodies).
            if template.starts_with("/v1/inbound/") {
                continue;
            }
            assert!(
                examples
                    .iter()
                    .any(|e| e.template == template && e.method.eq_ignore_ascii_case(method)),
                "{} {template}: give it an example in this test",
                method.to_uppercase()
            );
        }
    }

    let fresh = Cell::new(0);
    let mut checked = 0;
    for example in &examples {
        let route = format!("{} {}", example.method, example.template);
        let operation = &d.json["paths"][example.template][example.method.to_lowercase()];
        assert!(operation.is_object(), "{route} is not described");
        let call =
            |body: Option<&Value>, query: &[(String, String)], headers: &[(String, String)]| {
                let query: Vec<String> = query
                    .iter()
                    .map(|(k, v)| format!("{k}={}", encode(v)))
                    .collect();
                let path = if query.is_empty() {
                    example.path.to_string()
                } else {
                    format!("{}?{}", example.path, query.join("&"))
                };
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let token = if example.template == "/v1/tenants" {
                    OPERATOR
                } else {
                    admin.as_str()
                };
                let mut body = body.cloned();
                // A tenant's id is unique: each accepted creation gets a fresh one.
                if example.template == "/v1/tenants"
                    && let Some(Value::Object(fields)) = &mut body
                    && fields.get("id").and_then(Value::as_str) == Some("globex")
                {
                    fresh.set(fresh.get() + 1);
                    fields.insert("id".into(), json!(format!("globex-{}", fresh.get())));
                }
                let sent = body.as_ref().map(Value::to_string).unwrap_or_default();
                (
                    s.call_with(
                        example.method,
                        &path,
                        Some(token),
                        body.map(|b| b.to_string().into_bytes()),
                        &headers,
                    ),
                    sent,
                )
            };
        let query: Vec<(String, String)> = example
            .query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let headers: Vec<(String, String)> = example
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();

        // The example itself is accepted (the component route has no JSON body).
        if let Some(body) = &example.body {
            let (answer, sent) = call(Some(body), &query, &headers);
            assert!(
                (200..300).contains(&answer.status),
                "{route}: the example: {} {}\n{sent}",
                answer.status,
                answer.body
            );
            // The body's constraints.
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            let mut derived = Vec::new();
            derive(&d, schema, body, "", &mut derived);
            assert!(!derived.is_empty(), "{route}: nothing derived");
            for one in &derived {
                let mutated = apply(body, one);
                let (answer, sent) = call(Some(&mutated), &query, &headers);
                // A version number in its bounds that names no version of the plugin
                // passes the checks of the body and is not found.
                if one.expect == Expect::Accepted
                    && one.pointer == "/version"
                    && mutated["version"] != json!(1)
                {
                    assert_eq!(answer.status, 404, "{route}, {}: {}", one.what, answer.body);
                    assert!(
                        answer.body["detail"]
                            .as_str()
                            .unwrap_or("")
                            .contains("has no version"),
                        "{}",
                        answer.body
                    );
                    continue;
                }
                assert_answer(&answer, one, &route, &sent);
                checked += 1;
            }
        }

        // The parameters' constraints.
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            let location = parameter["in"].as_str().unwrap();
            let schema = &parameter["schema"];
            let mut derived = Vec::new();
            match location {
                "query" | "header" => {
                    let given = |e: &Example| {
                        e.query
                            .iter()
                            .chain(e.headers)
                            .find(|(k, _)| *k == name)
                            .map(|(_, v)| *v)
                    };
                    let Some(current) = given(example) else {
                        assert!(
                            examples
                                .iter()
                                .any(|e| e.template == example.template && given(e).is_some()),
                            "{route}: give `{name}` a value in an example"
                        );
                        continue;
                    };
                    let value = match types(d.resolve(schema)).first().map(String::as_str) {
                        Some("integer") => json!(current.parse::<i64>().unwrap()),
                        Some("boolean") => json!(current == "true"),
                        _ => json!(current),
                    };
                    derive(&d, schema, &value, "", &mut derived);
                    // Parameters are text: a value "of another type" must not read as
                    // one of the described type; any text is a string.
                    let is_string = types(d.resolve(schema)).contains(&"string".into());
                    derived.retain(|x| match &x.value {
                        Some(Value::Object(_) | Value::Array(_)) => false,
                        Some(Value::String(_)) => true,
                        _ => !is_string,
                    });
                    for one in &derived {
                        let text = match &one.value {
                            Some(Value::String(t)) => t.clone(),
                            Some(other) => other.to_string(),
                            None => continue,
                        };
                        if one.retyped
                            && (text.parse::<i64>().is_ok()
                                && types(d.resolve(schema)).contains(&"integer".into())
                                || (text == "true" || text == "false")
                                    && types(d.resolve(schema)).contains(&"boolean".into()))
                        {
                            continue;
                        }
                        let mut query = query.clone();
                        let mut headers = headers.clone();
                        let list = if location == "query" {
                            &mut query
                        } else {
                            &mut headers
                        };
                        list.retain(|(k, _)| k != name);
                        list.push((name.to_string(), text.clone()));
                        let (answer, sent) = call(example.body.as_ref(), &query, &headers);
                        let route = format!("{route} ?{name}={text:?}");
                        if example.template.ends_with("/component")
                            && one.expect == Expect::Accepted
                        {
                            // The component route: a valid parameter reaches the component
                            // check, which refuses the empty body.
                            assert_eq!(
                                answer.body["type"],
                                "https://guichet.dev/problems/invalid-component",
                                "{route}, {}: {} {}",
                                one.what,
                                answer.status,
                                answer.body
                            );
                        } else {
                            assert_answer(&answer, one, &route, &sent);
                        }
                        checked += 1;
                    }
                }
                "path" if matches!(example.method, "PUT") && name != "tenant" => {
                    // A name the route creates: at its bounds and outside them.
                    let segment = example
                        .template
                        .split('/')
                        .position(|p| p == format!("{{{name}}}"))
                        .unwrap();
                    let current = example.path.split('/').nth(segment).unwrap();
                    derive(&d, schema, &json!(current), "", &mut derived);
                    for one in &derived {
                        let Some(Value::String(text)) = &one.value else {
                            continue;
                        };
                        if text.is_empty() || text.contains(['/', '?', '#', ' ', '\u{1}']) {
                            continue;
                        }
                        let mut parts: Vec<String> =
                            example.path.split('/').map(String::from).collect();
                        parts[segment] = encode(text);
                        let path = parts.join("/");
                        let body = example.body.clone().map(|b| b.to_string().into_bytes());
                        let answer = s.call(
                            example.method,
                            &path,
                            Some(&admin),
                            body.or_else(|| Some(b"\0asm".to_vec())),
                        );
                        let one = if example.body.is_none() && one.expect == Expect::Accepted {
                            // A component route: a valid name reaches the component check.
                            Derived {
                                expect: Expect::Refused,
                                ..one.clone()
                            }
                        } else {
                            one.clone()
                        };
                        assert_answer(&answer, &one, &format!("{} {path}", example.method), "");
                        checked += 1;
                    }
                }
                _ => {}
            }
        }
    }
    assert!(checked > 60, "only {checked} derived inputs");
}

/// Percent-encodes what a URL's query or path segment cannot hold as it is.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn a_method_a_route_does_not_take_gets_a_problem_with_the_allowed_methods() {
    let s = Running::start(data_dir("api-rules-405"));
    let description = serde_json::to_value(guichet::api::description()).unwrap();
    let mut checked = 0;
    for (template, item) in description["paths"].as_object().unwrap() {
        let path = template
            .replace("{tenant}", "acme")
            .replace("{name}", "triage")
            .replace("{id}", "t-1");
        let taken: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
            if taken.iter().any(|m| m == method) {
                continue;
            }
            let url = format!("{}{path}", s.base);
            let request = ureq::http::Request::builder()
                .method(method)
                .uri(&url)
                .body(Vec::new())
                .unwrap();
            let response = s.http.run(request).expect("the service answers");
            assert_eq!(response.status().as_u16(), 405, "{method} {path}");
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            assert_eq!(
                header("content-type"),
                "application/problem+json",
                "{method} {path}"
            );
            for allowed in &taken {
                assert!(
                    header("allow").contains(allowed.as_str()),
                    "{method} {path}: {}",
                    header("allow")
                );
            }
            let body: Value =
                serde_json::from_str(&response.into_body().read_to_string().unwrap()).unwrap();
            assert_eq!(body["status"], 405);
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("`{method}`")),
                "{body}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked}");
    // A path parameter axum cannot read (not UTF-8) is a problem too.
    let answer = s.call("GET", "/v1/tenants/%FF/tickets", Some(OPERATOR), None);
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.content_type, "application/problem+json");
}

#[test]
fn the_plugin_list_says_which_world_each_plugin_is() {
    let s = Running::start(data_dir("api-rules-world"));
    let admin = s.tenant("acme");
    s.enable_triage("acme", &admin);
    let listed = s.call("GET", "/v1/tenants/acme/plugins", Some(&admin), None);
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body[0]["name"], "triage");
    assert_eq!(listed.body[0]["world"], "automation", "{}", listed.body);
    let one = s.call("GET", "/v1/tenants/acme/plugins/triage", Some(&admin), None);
    assert_eq!(one.body["world"], "automation", "{}", one.body);
    // The stored configuration is the object given, as JSON text.
    let put = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/triage",
        &admin,
        json!({"config": {"rules": []}}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["config"], r#"{"rules":[]}"#);
    assert_eq!(put.body["world"], "automation");
}

#[test]
fn every_event_kind_has_a_real_example_in_docs_events_md() {
    let text = std::fs::read_to_string(common::root().join("docs/events.md")).unwrap();
    let blocks: Vec<&str> = text
        .split("```json")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    let s = Running::start(data_dir("api-rules-events-doc"));
    let admin = s.tenant("acme");
    let mut kinds = Vec::new();
    for block in blocks {
        let value: Value = serde_json::from_str(block).unwrap_or_else(|e| panic!("{e}: {block}"));
        // What `plugin run` and plugins read.
        let event: guichet::model::Event =
            serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {block}"));
        let kind = event.kind.name();
        kinds.push(kind);
        // What the service takes from a helpdesk, and refuses to take.
        let answer = s.json("POST", "/v1/tenants/acme/events?wait=true", &admin, value);
        if matches!(kind, "timer_fired" | "scheduled_tick") {
            assert_eq!(answer.status, 400, "{kind}: {}", answer.body);
            assert!(
                answer.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("the host makes those")
            );
        } else {
            assert_eq!(answer.status, 200, "{kind}: {}", answer.body);
        }
    }
    assert_eq!(
        kinds,
        [
            "ticket_created",
            "message_added",
            "status_changed",
            "assignment_changed",
            "tags_changed",
            "fields_changed",
            "missed_call",
            "timer_fired",
            "scheduled_tick"
        ]
    );
}
