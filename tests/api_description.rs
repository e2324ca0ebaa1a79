//! The OpenAPI description (`GET /v1/openapi.json`) is generated from the handlers;
//! `docs/openapi.json` is a copy for readers, checked here so that it cannot drift.
//! After changing the API, regenerate it with
//! `GUICHET_BLESS=1 cargo test --test api_description` and commit both.
//!
//! The other tests check that the description is whole: every operation says who may
//! call it and what it answers, and every schema it names exists.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

const COPY: &str = "docs/openapi.json";

fn description() -> Value {
    serde_json::to_value(guichet::api::description()).unwrap()
}

/// Every operation: (path, method, operation).
fn operations(description: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in description["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    all
}

#[test]
fn docs_openapi_json_is_the_served_description() {
    let generated = guichet::api::description().to_pretty_json().unwrap() + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(COPY);
    if std::env::var_os("GUICHET_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{COPY} is out of date with the API: run `GUICHET_BLESS=1 cargo test --test \
         api_description` and commit the result"
    );
}

#[test]
fn every_tenant_route_needs_a_token_and_answers_problems() {
    let description = description();
    let schemes: BTreeSet<&str> = description["components"]["securitySchemes"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        schemes,
        BTreeSet::from(["admin_token", "integration_token", "operator_token"])
    );
    // The inbound address takes no token (platforms cannot send one): the address
    // is the key, and the adapter checks the platform's signature.
    let open = BTreeSet::from([
        "/v1/health",
        "/v1/openapi.json",
        "/metrics",
        "/v1/inbound/{address}",
    ]);
    let all = operations(&description);
    assert!(all.len() >= 24, "only {} operations described", all.len());
    for (path, method, operation) in all {
        let name = format!("{} {path}", method.to_uppercase());
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|status| status.starts_with('2')),
            "{name} describes no success answer"
        );
        assert!(
            operation["summary"].is_string() || operation["description"].is_string(),
            "{name} has no summary: document the handler"
        );
        if open.contains(path.as_str()) {
            assert!(
                operation["security"].is_null(),
                "{name} should need no token"
            );
            continue;
        }
        let security = operation["security"].as_array().unwrap_or_else(|| {
            panic!("{name} does not say which token it needs");
        });
        for requirement in security {
            for scheme in requirement.as_object().unwrap().keys() {
                assert!(
                    schemes.contains(scheme.as_str()),
                    "{name}: unknown scheme {scheme}"
                );
            }
        }
        let mut errors = vec!["401"];
        if security.len() < schemes.len() {
            errors.push("403");
        }
        if path.contains("{tenant}") {
            errors.push("404");
        }
        if !operation["requestBody"].is_null() {
            errors.extend(["400", "413"]);
        }
        for status in errors {
            let answer = &responses
                .get(status)
                .unwrap_or_else(|| panic!("{name} does not describe its {status} answer"));
            assert_eq!(
                answer["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{name} {status}"
            );
        }
    }
}

#[test]
fn every_schema_the_description_names_is_defined() {
    fn refs(value: &Value, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.insert(target.clone());
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let description = description();
    let mut found = BTreeSet::new();
    refs(&description, &mut found);
    assert!(
        found.contains("#/components/schemas/IncomingEvent"),
        "{found:?}"
    );
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {target}"));
        assert!(
            description["components"]["schemas"][name].is_object(),
            "{target} is named but not defined"
        );
    }
}
