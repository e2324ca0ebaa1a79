//! The OpenAPI 3.1 description of the API, served at [`PATH`].
//!
//! Paths, parameters, bodies and success answers come from each handler's
//! `#[utoipa::path]` attribute and the `ToSchema` types it names; this module adds what
//! every route shares (the token schemes, the problem answers of authentication, scope,
//! tenant and body checks), so that the handlers declare only what is theirs, and the
//! schemas of the values callers choose ([`Name`], [`ExternalId`], [`TimeZone`],
//! [`CronSchedule`]…).
//!
//! The description is also the rule: JSON bodies are checked against it before they
//! are read (`conform`), so every bound it states (lengths, patterns, item counts,
//! integer ranges, closed objects) is one the service enforces, and the other way
//! round. `docs/openapi.json` is a copy for readers, checked against this by a test.

use std::borrow::Cow;
use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use super::Problem;

/// Names callers choose (tenant ids, plugin, webhook and schedule names): they end up
/// in storage keys and URLs.
pub(super) const NAME_PATTERN: &str = "^[a-z][a-z0-9-]*$";
/// The longest [`Name`].
pub(super) const NAME_MAX: usize = 64;
/// Ids that come from a helpdesk (events, tickets): anything but control characters.
pub(super) const EXTERNAL_ID_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";
/// The longest [`ExternalId`], in characters.
pub(super) const EXTERNAL_ID_MAX: usize = 256;
/// The `Idempotency-Key` header: visible ASCII, spaces inside only (HTTP trims them
/// at the ends). Written out in `events::post_events`' attribute; a test compares.
#[cfg(test)]
pub(super) const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]([ -~]*[!-~])?$";
/// The longest `Idempotency-Key`.
pub(super) const IDEMPOTENCY_KEY_MAX: usize = 256;

/// Whether `value` is a valid [`Name`].
pub(super) fn is_name(value: &str) -> bool {
    value.len() <= NAME_MAX
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Whether `value` is a valid `Idempotency-Key`.
pub(super) fn is_idempotency_key(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=IDEMPOTENCY_KEY_MAX).contains(&bytes.len())
        && bytes.iter().all(|b| (b' '..=b'~').contains(b))
        && bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
}

/// A name a caller chooses: a tenant's id, a plugin's, a webhook's or a schedule's.
pub(super) struct Name;

/// The schema of a [`Name`], for where a reference cannot stand (property names).
pub(super) fn name_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(NAME_MAX))
        .pattern(Some(NAME_PATTERN))
        .description(Some(
            "a name of 1–64 lower-case letters, digits and dashes, starting with a letter",
        ))
        .examples([json!("acme")])
        .into()
}

impl PartialSchema for Name {
    fn schema() -> RefOr<Schema> {
        name_schema().into()
    }
}

impl ToSchema for Name {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Name")
    }
}

/// An id that comes from a helpdesk: an event's, a ticket's.
pub(super) struct ExternalId;

impl PartialSchema for ExternalId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(EXTERNAL_ID_MAX))
            .pattern(Some(EXTERNAL_ID_PATTERN))
            .description(Some(
                "An id from the sender's system: 1–256 characters, none of them a control \
                 character",
            ))
            .examples([json!("t-1")])
            .into()
    }
}

impl ToSchema for ExternalId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ExternalId")
    }
}

/// An IANA time zone, by name.
pub(super) struct TimeZone;

impl PartialSchema for TimeZone {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .description(Some(
                "an IANA time zone name, such as `Europe/Paris` or `UTC` (the names of the \
                 tz database, as spelt there)",
            ))
            .examples([json!("Europe/Paris")])
            .into()
    }
}

impl ToSchema for TimeZone {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TimeZone")
    }
}

/// A cron expression, as the `cron` crate reads it (inline where it is used: in
/// a map's values).
pub(super) struct CronSchedule;

impl PartialSchema for CronSchedule {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(256))
            .pattern(Some(cron_pattern()))
            .description(Some(
                "a cron expression in the `cron` crate's syntax, fields separated by one \
                 space: the second (one number, so that it ticks at most once a minute), \
                 then minutes, hours, day of month, month, day of week and an optional \
                 year, each `*`, a value, a range `a-b` (with a ≤ b), a step `*/n` or \
                 `a-b/n`, or a comma-separated list of them; months and days of the week \
                 by number or English name (`0 0 9 * * Mon-Fri`); or one of `@hourly`, \
                 `@daily`, `@weekly`, `@monthly`, `@yearly`",
            ))
            .examples([json!("0 0 9 * * Mon-Fri")])
            .into()
    }
}

/// The pattern of a [`CronSchedule`]: the `cron` crate's grammar with each field's
/// range, and a single second (a schedule ticks at most once a minute). What it cannot
/// say, that a range goes upwards, the `cron` crate checks.
fn cron_pattern() -> String {
    // A word in any case, as the `cron` crate reads names: `[Mm][Oo][Nn]`.
    let any_case = |words: &[&str]| -> String {
        let spelt: Vec<String> = words
            .iter()
            .map(|w| {
                w.chars()
                    .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c))
                    .collect()
            })
            .collect();
        spelt.join("|")
    };
    // A field: `*`, a value, a range, steps of them, a name or a named range, `?`
    // where allowed, or a list.
    let field = |value: &str, step: &str, names: Option<&str>, question: bool| -> String {
        let mut items = vec![
            format!("\\*(/({step}))?"),
            format!("({value})(-({value}))?(/({step}))?"),
        ];
        if let Some(names) = names {
            items.push(format!("({names})(-({names})(/({step}))?)?"));
        }
        let item = format!("({})", items.join("|"));
        let list = format!("{item}(,{item})*");
        if question {
            format!("(\\?|{list})")
        } else {
            list
        }
    };
    let minute = "[1-5]?[0-9]";
    let minute_step = "[1-9]|[1-5][0-9]";
    let hour = "1?[0-9]|2[0-3]";
    let hour_step = "[1-9]|1[0-9]|2[0-3]";
    let day = "[1-9]|[12][0-9]|3[01]";
    let month = "[1-9]|1[0-2]";
    let months = any_case(&[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "oct",
        "nov",
        "dec",
    ]);
    let weekday = "[1-7]";
    let weekdays = any_case(&[
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "tues",
        "thurs",
        "sun",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
    ]);
    let year = "19[7-9][0-9]|20[0-9][0-9]|2100";
    let year_step = "[1-9][0-9]{0,2}|1[0-9]{3}|20[0-9]{2}|2100";
    format!(
        "^(@(yearly|monthly|weekly|daily|hourly)|({minute}) {} {} {} {} {}( {})?)$",
        field(minute, minute_step, None, false),
        field(hour, hour_step, None, false),
        field(day, day, None, true),
        field(month, month, Some(&months), false),
        field(weekday, weekday, Some(&weekdays), true),
        field(year, year_step, None, false),
    )
}

/// The bytes of a WebAssembly component file.
pub(super) struct ComponentBytes;

impl PartialSchema for ComponentBytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "the bytes of a `.wasm` file: a WebAssembly component of a `guichet:plugin` \
                 world",
            ))
            .into()
    }
}

impl ToSchema for ComponentBytes {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ComponentBytes")
    }
}

/// Where the service serves its description.
pub const PATH: &str = "/v1/openapi.json";

/// The token schemes, as named in each route's `security`.
pub(super) const OPERATOR: &str = "operator_token";
pub(super) const ADMIN: &str = "admin_token";
pub(super) const INTEGRATION: &str = "integration_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "guichet",
        description = "Ticket events in, plugin decisions out: the HTTP API of a guichet \
                       service. Every error is an RFC 9457 problem (`application/problem+json`) \
                       whose `detail` says what to fix, including a method a route does not \
                       take (405, with an `Allow` header). Tokens go in `Authorization: Bearer \
                       …`: the operator token creates and lists tenants (and gets a 403 inside \
                       one); a tenant's admin token does everything inside its tenant; its \
                       integration token sends events and reads tickets, plugins and audit. \
                       A token of one tenant gets the same 404 for another tenant's resources \
                       as for ones that do not exist. JSON bodies are checked against the \
                       schemas below before anything else: a body is accepted only in its \
                       described shape, within its described bounds."
    ),
    tags(
        (name = "tenants", description = "Tenants (operator token) and their tokens (admin token)"),
        (name = "plugins", description = "A tenant's plugins: reference or uploaded, with their settings"),
        (name = "events", description = "Ticket events in"),
        (name = "tickets", description = "Tickets, and the audit trail that says why they changed"),
        (name = "kpis", description = "The managers' KPIs: response and resolution times, SLA attainment, calls, backlog"),
        (name = "actions", description = "Applied actions out: webhooks, dead letters, a live stream"),
        (name = "service", description = "Health, metrics and this description"),
    ),
    components(schemas(Problem, crate::pipeline::ActionsNotice))
)]
struct Description;

/// The description's fixed parts, before routes are added.
pub(super) fn base() -> utoipa::openapi::OpenApi {
    let mut description = Description::openapi();
    // The crate's version, not utoipa's default (also the crate's, but say so).
    description.info.version = env!("CARGO_PKG_VERSION").to_string();
    description
}

/// Adds the token schemes and the answers that every route shares.
pub(super) fn finish(mut description: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = description.components.get_or_insert_with(Default::default);
    for (name, text) in [
        (
            OPERATOR,
            "The operator token: given to `guichet serve` or printed at its first start. \
             Creates and lists tenants, reads the reference plugins; cannot act inside a \
             tenant (403 there).",
        ),
        (
            ADMIN,
            "A tenant's admin token: its settings, tokens, plugins and their configuration, \
             webhooks and dead letters, and everything an integration token may do.",
        ),
        (
            INTEGRATION,
            "A tenant's integration token: events in; tickets, their audit and timers, \
             plugins (read only), ticks and the action stream out.",
        ),
    ] {
        components.add_security_scheme(
            name,
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gch_<tenant>_<secret>")
                    .description(Some(text))
                    .build(),
            ),
        );
    }
    for (path, item) in description.paths.paths.iter_mut() {
        let tenant_scoped = path.contains("{tenant}");
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            add_shared_answers(operation, tenant_scoped);
        }
    }
    // The refinements that are simplest on the JSON text; should a round trip ever
    // fail, the description is served unrefined and the tests say so.
    let refined = serde_json::to_value(&description).and_then(|mut json| {
        refine(&mut json);
        serde_json::from_value(json)
    });
    match refined {
        Ok(refined) => refined,
        Err(error) => {
            tracing::error!(%error, "the OpenAPI description could not be refined");
            description
        }
    }
}

fn add_shared_answers(operation: &mut Operation, tenant_scoped: bool) {
    let schemes = operation.security.as_ref().map_or(0, Vec::len);
    let mut answers: Vec<(&str, &str)> = Vec::new();
    if schemes > 0 {
        answers.push(("401", "No token, or a token that is not valid"));
        answers.push(("500", "The service failed; nothing was changed"));
    }
    // A route that takes any of the three tokens has no scope to refuse.
    if (1..3).contains(&schemes) {
        answers.push((
            "403",
            "The token may not do this: an integration token on an admin route, a tenant \
             token on an operator route, the operator token inside a tenant",
        ));
    }
    if tenant_scoped {
        answers.push((
            "404",
            "No such tenant or resource, or a token of another tenant",
        ));
    }
    if operation.request_body.is_some() {
        answers.push((
            "400",
            "The body is not valid: malformed JSON, not of the described shape (an unknown \
             field, a missing one, a value out of its bounds)",
        ));
        answers.push(("413", "The body is larger than the route accepts"));
    }
    if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
        answers.push((
            "400",
            "A parameter is not valid: not of its described type, pattern or range",
        ));
    }
    for (status, text) in answers {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem_answer(text).into());
    }
}

/// A `$ref` to the component schema `name`.
pub(super) fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The description as JSON, for checking bodies against it.
pub(super) fn json() -> &'static Value {
    static JSON: OnceLock<Value> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_value(super::description()).unwrap_or(Value::Null))
}

/// The bounds of an integer format, for schemas that give only the format: serde
/// refuses what is outside, so the description says so.
fn integer_bounds(format: &str, unsigned: bool) -> Option<(Value, Value)> {
    Some(match (format, unsigned) {
        ("int32", true) => (json!(0), json!(u32::MAX)),
        ("int32", false) => (json!(i32::MIN), json!(i32::MAX)),
        ("int64", true) => (json!(0), json!(u64::MAX)),
        ("int64", false) => (json!(i64::MIN), json!(i64::MAX)),
        _ => return None,
    })
}

/// Refinements of the generated description, on its JSON text:
/// - integers get the bounds of their format (a `u32` cannot be 2^32);
/// - the objects of a `oneOf` are closed (`additionalProperties: false`): serde
///   refuses unknown fields in enum variants too;
/// - `IncomingEvent` and `IncomingTicket`: an event as a helpdesk sends it, which
///   the model's `Event` (also what plugins get) is not quite: its `ticket` is
///   required, its ids are [`ExternalId`]s, and `timer_fired` and `scheduled_tick`
///   are the host's own.
fn refine(description: &mut Value) {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                let is_integer = match map.get("type") {
                    Some(Value::String(t)) => t == "integer",
                    Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
                    _ => false,
                };
                if is_integer && !map.contains_key("maximum") {
                    let unsigned = map.get("minimum") == Some(&json!(0));
                    let format = map.get("format").and_then(Value::as_str).unwrap_or("");
                    if let Some((min, max)) = integer_bounds(format, unsigned) {
                        map.entry("minimum").or_insert(min);
                        map.insert("maximum".into(), max);
                    }
                }
                if let Some(Value::Array(alternatives)) = map.get_mut("oneOf") {
                    for alternative in alternatives {
                        if alternative.get("type") == Some(&json!("object"))
                            && alternative.get("properties").is_some()
                            && let Value::Object(object) = alternative
                        {
                            object
                                .entry("additionalProperties")
                                .or_insert(Value::Bool(false));
                        }
                    }
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(description);

    let Some(Value::Object(schemas)) = description.pointer_mut("/components/schemas") else {
        return;
    };
    if let Some(Value::Object(mut ticket)) = schemas.get("Ticket").cloned() {
        ticket.insert(
            "description".into(),
            json!("The ticket an event concerns, as the helpdesk knows it."),
        );
        if let Some(Value::Object(properties)) = ticket.get_mut("properties") {
            properties.insert("id".into(), schema_ref("ExternalId"));
            // Kept by the host, not sent by helpdesks.
            properties.remove("adapter");
            properties.remove("status_changed_at");
            properties.remove("assignment_changed_at");
            properties.remove("priority_changed_at");
            properties.remove("channel_changed_at");
            properties.remove("fields_changed_at");
            properties.remove("tags_changed_at");
        }
        schemas.insert("IncomingTicket".into(), Value::Object(ticket));
    }
    let sendable: Vec<Value> = schemas
        .get("EventKind")
        .and_then(|k| k.get("oneOf"))
        .and_then(Value::as_array)
        .map(|kinds| {
            kinds
                .iter()
                .filter(|k| {
                    let name = k.pointer("/properties/type/enum/0").and_then(Value::as_str);
                    !name.is_some_and(|name| crate::model::EventKind::NOT_SENDABLE.contains(&name))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(mut event)) = schemas.get("Event").cloned() {
        event.insert(
            "description".into(),
            json!(
                "An event as a helpdesk sends it: what happened to which ticket, when. \
                 `timer_fired`, `scheduled_tick`, `external_update`, `merged_in` and \
                 `macro_applied` events are made by the host (from the timers and schedules \
                 plugins set, from its adapters' helpdesk webhooks, from merges and from the \
                 macros route), and cannot be sent."
            ),
        );
        event.insert(
            "required".into(),
            json!(["id", "kind", "ticket", "occurred_at"]),
        );
        let mut properties = Map::new();
        properties.insert("id".into(), schema_ref("ExternalId"));
        properties.insert(
            "kind".into(),
            json!({
                "oneOf": sendable,
                "description": "What happened: an object whose `type` names the kind."
            }),
        );
        properties.insert("ticket".into(), schema_ref("IncomingTicket"));
        properties.insert(
            "occurred_at".into(),
            json!({"type": "string", "format": "date-time"}),
        );
        event.insert("properties".into(), Value::Object(properties));
        schemas.insert("IncomingEvent".into(), Value::Object(event));
    }
}

/// An answer with a [`Problem`] body.
pub(super) fn problem_answer(text: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(text)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// This description, as JSON.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "service",
    responses((
        status = 200,
        description = "The OpenAPI 3.1 description of this API",
        content_type = "application/json"
    ))
)]
pub(super) async fn serve() -> Response {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| {
        super::description()
            .to_pretty_json()
            .expect("the OpenAPI description serialises")
    });
    ([(header::CONTENT_TYPE, "application/json")], text.as_str()).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every keyword of every schema in the description, with where it was seen.
    fn keywords(value: &Value, in_schema: bool, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    if in_schema {
                        found.insert(key.clone());
                    }
                    let schema_valued = matches!(
                        key.as_str(),
                        "schema" | "items" | "additionalProperties" | "propertyNames" | "not"
                    );
                    let schemas_valued = matches!(key.as_str(), "allOf" | "oneOf" | "anyOf");
                    let map_of_schemas =
                        matches!(key.as_str(), "properties") || (key == "schemas" && !in_schema);
                    if schema_valued {
                        keywords(inner, true, found);
                    } else if schemas_valued {
                        for item in inner.as_array().into_iter().flatten() {
                            keywords(item, true, found);
                        }
                    } else if map_of_schemas {
                        for item in inner.as_object().into_iter().flat_map(|m| m.values()) {
                            keywords(item, true, found);
                        }
                    } else if !in_schema {
                        keywords(inner, false, found);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| keywords(i, in_schema, found)),
            _ => {}
        }
    }

    /// The keywords of JSON Schema 2020-12, as the vocabularies' meta-schemas that the
    /// body check's validator ships declare them.
    fn json_schema_keywords() -> BTreeSet<String> {
        // A reference to the meta-schema brings the ones of its vocabularies along.
        let registry = jsonschema::Registry::new()
            .add(
                "urn:guichet:meta",
                json!({"$ref": "https://json-schema.org/draft/2020-12/schema"}),
            )
            .unwrap()
            .prepare()
            .unwrap();
        let mut keywords = BTreeSet::new();
        for vocabulary in [
            "core",
            "applicator",
            "unevaluated",
            "validation",
            "meta-data",
            "format-annotation",
            "content",
        ] {
            let uri = format!("https://json-schema.org/draft/2020-12/meta/{vocabulary}");
            let resolver = registry.resolver(jsonschema::uri::from_str(&uri).unwrap());
            let meta = resolver.lookup("").unwrap();
            let properties = meta.contents()["properties"].as_object().unwrap();
            keywords.extend(properties.keys().cloned());
        }
        keywords
    }

    /// What OpenAPI 3.1 adds to JSON Schema that changes nothing about what is valid.
    const OPENAPI_ANNOTATIONS: &[&str] = &["example"];

    /// OpenAPI's formats that JSON Schema does not define: the validator ignores them,
    /// so the description states what they mean (`int32`, `int64`: with `minimum`
    /// and `maximum`; `binary`: not a JSON body; `double`: any JSON number, as
    /// the KPIs' rates and deltas in answers are).
    const OPENAPI_FORMATS: &[&str] = &["int32", "int64", "binary", "double"];

    /// Every `format` of the description's schemas, with the schema.
    fn formats<'a>(value: &'a Value, found: &mut Vec<(&'a str, &'a Value)>) {
        match value {
            Value::Object(map) => {
                if let Some(format) = map.get("format").and_then(Value::as_str) {
                    found.push((format, value));
                }
                map.values().for_each(|inner| formats(inner, found));
            }
            Value::Array(items) => items.iter().for_each(|i| formats(i, found)),
            _ => {}
        }
    }

    #[test]
    fn the_body_check_knows_every_keyword_the_description_uses() {
        let mut found = BTreeSet::new();
        keywords(json(), false, &mut found);
        assert!(
            found.contains("pattern") && found.contains("oneOf"),
            "{found:?}"
        );
        let known = json_schema_keywords();
        assert!(known.contains("oneOf") && known.contains("maxProperties"));
        let unknown: Vec<&String> = found
            .iter()
            .filter(|k| !known.contains(*k) && !OPENAPI_ANNOTATIONS.contains(&k.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "keywords the body check ignores: {unknown:?}"
        );
        let mut used = Vec::new();
        formats(json(), &mut used);
        assert!(used.iter().any(|(f, _)| *f == "date-time"), "{used:?}");
        let options = jsonschema::options();
        for (format, schema) in used {
            if OPENAPI_FORMATS.contains(&format) {
                assert!(
                    format == "binary"
                        || format == "double"
                        || (schema["minimum"].is_i64() || schema["minimum"].is_u64())
                            && (schema["maximum"].is_i64() || schema["maximum"].is_u64()),
                    "an `{format}` without its bounds: {schema}"
                );
            } else {
                assert!(
                    options.is_known_format(jsonschema::Draft::Draft202012, format),
                    "a format the body check ignores: {format}"
                );
            }
        }
    }

    #[test]
    fn every_pattern_compiles_and_names_agree_with_their_pattern() {
        let description = json();
        let check = |schema: &Value, value: &str| {
            crate::api::conform::check(description, schema, &Value::from(value))
        };
        let name = schema_ref("Name");
        for good in ["a", "acme", "a-1", &"a".repeat(NAME_MAX)] {
            assert!(check(&name, good).is_ok() && is_name(good), "{good}");
        }
        for bad in ["", "A", "1a", "-a", "a_b", "é", &"a".repeat(NAME_MAX + 1)] {
            assert!(check(&name, bad).is_err() && !is_name(bad), "{bad}");
        }
        let id = schema_ref("ExternalId");
        assert!(check(&id, "t-1/é ü").is_ok());
        assert!(check(&id, &"é".repeat(EXTERNAL_ID_MAX)).is_ok());
        for bad in [
            "",
            "a\u{0}",
            "a\n",
            "\u{7f}",
            "\u{85}",
            &"x".repeat(EXTERNAL_ID_MAX + 1),
        ] {
            assert!(check(&id, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_idempotency_key_rule_is_the_described_one() {
        let parameter = description_parameter("/v1/tenants/{tenant}/events", "Idempotency-Key");
        assert_eq!(parameter["schema"]["pattern"], IDEMPOTENCY_KEY_PATTERN);
        assert_eq!(parameter["schema"]["maxLength"], IDEMPOTENCY_KEY_MAX);
        let schema = &parameter["schema"];
        for key in [
            "a",
            "delivery 42",
            "~!",
            &"k".repeat(256),
            "",
            " a",
            "a ",
            "a\tb",
            "é",
            &"k".repeat(257),
        ] {
            let described = crate::api::conform::check(json(), schema, &Value::from(key)).is_ok();
            assert_eq!(described, is_idempotency_key(key), "{key:?}");
        }
    }

    fn description_parameter(path: &str, name: &str) -> Value {
        json()["paths"][path]["post"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    }

    #[test]
    fn cron_schedules_of_the_pattern_are_the_ones_the_schedules_read() {
        let cron = json()["components"]["schemas"]["PluginSettings"]["properties"]["schedules"]
            ["additionalProperties"]
            .clone();
        assert!(cron["pattern"].is_string(), "{cron}");
        let described = |e: &str| crate::api::conform::check(json(), &cron, &Value::from(e));
        for good in [
            "0 0 9 * * Mon-Fri",
            "30 */15 8-18 ? JAN,Dec sun",
            "0 0 0 1,15 * ? 2027",
            "59 59 23 31 12 7 2100",
            "0 0 9-17/2 * * MON-FRI/2",
            "@daily",
        ] {
            assert!(described(good).is_ok(), "{good}: {:?}", described(good));
            assert!(crate::timekeeper::parse_schedule(good).is_ok(), "{good}");
        }
        for bad in [
            "*/30 * * * * *",
            "0,30 * * * * *",
            "0 60 * * * *",
            "0 0 24 * * *",
            "0 0 0 0 * *",
            "0 0 0 * 13 *",
            "0 0 0 * * 8",
            "0 0 0 * * Fun",
            "0 */0 * * * *",
            "0  0 9 * * *",
            " 0 0 9 * * *",
            "0 0 9 * *",
            "at nine",
            "@reboot",
        ] {
            assert!(described(bad).is_err(), "{bad}");
        }
    }

    /// What webhooks and the stream get is what the description says they get: a
    /// notice the pipeline makes, with its ticket and actions, meets `ActionsNotice`.
    #[test]
    fn the_notice_webhooks_get_meets_its_described_schema() {
        use crate::model::{Action, Event, EventKind, Priority};
        use crate::pipeline::{ActionsNotice, Decision};
        let ticket: crate::model::Ticket = serde_json::from_str(
            r#"{"id":"t-1","channel":"email","requester":{"identities":[]},
                "created_at":"2026-11-23T09:00:00Z","updated_at":"2026-11-23T09:00:00Z",
                "tags":["vip"]}"#,
        )
        .unwrap();
        let stored = crate::store::StoredEvent {
            tenant: "acme".into(),
            seq: 7,
            event: Event {
                id: "evt-1".into(),
                kind: EventKind::TicketCreated,
                ticket: Some(ticket.clone()),
                occurred_at: "2026-11-23T09:00:00Z".parse().unwrap(),
            },
            depth: 0,
            received_at: "2026-11-23T09:00:01Z".parse().unwrap(),
            target_plugin: None,
        };
        let decisions = [
            Decision {
                plugin: "triage".into(),
                actions: vec![Action::SetPriority {
                    priority: Priority::Urgent,
                }],
                error: None,
            },
            Decision {
                plugin: "broken".into(),
                actions: Vec::new(),
                error: Some("trap".into()),
            },
        ];
        let notice = ActionsNotice::of(&stored, Some(&ticket), &decisions).unwrap();
        assert_eq!(notice.decisions.len(), 1, "only the applied ones");
        let sent: Value = serde_json::from_str(&notice.body()).unwrap();
        let described = schema_ref("ActionsNotice");
        if let Err(refusal) = crate::api::conform::check(json(), &described, &sent) {
            panic!("{refusal:?}: {sent}");
        }
        assert!(ActionsNotice::of(&stored, Some(&ticket), &decisions[1..]).is_none());
    }

    #[test]
    fn time_zones_are_the_ones_the_schedules_read() {
        let zone = schema_ref("TimeZone");
        for tz in chrono_tz::TZ_VARIANTS {
            assert!(crate::timekeeper::parse_time_zone(tz.name()).is_ok());
            assert!(crate::api::conform::check(json(), &zone, &Value::from(tz.name())).is_ok());
        }
        for not in ["Paris", "europe/paris", "Mars/Olympus", ""] {
            assert!(crate::timekeeper::parse_time_zone(not).is_err(), "{not}");
            assert!(crate::api::conform::check(json(), &zone, &Value::from(not)).is_err());
        }
    }

    #[test]
    fn the_description_survives_its_refinement() {
        // What is served is what the body check reads: a round trip through utoipa's
        // types must keep every refinement.
        let served = serde_json::to_value(crate::api::description()).unwrap();
        assert!(served["components"]["schemas"]["IncomingEvent"].is_object());
        assert_eq!(
            served["components"]["schemas"]["IncomingEvent"]["required"],
            json!(["id", "kind", "ticket", "occurred_at"])
        );
        let kinds =
            &served["components"]["schemas"]["IncomingEvent"]["properties"]["kind"]["oneOf"];
        assert_eq!(kinds.as_array().unwrap().len(), 7, "{kinds}");
        assert_eq!(kinds[0]["additionalProperties"], false);
        assert_eq!(
            served["components"]["schemas"]["PluginSettings"]["properties"]["order"]["maximum"],
            json!(i64::MAX)
        );
    }
}
