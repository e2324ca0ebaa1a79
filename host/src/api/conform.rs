//! Request bodies checked against the API's own description before they are read.
//!
//! serde accepts more than the description says: a struct from a JSON array
//! (`["Renamed", "Asia/Tokyo"]` as tenant settings), an internally tagged enum from a
//! list, any length, any characters. So every JSON body is first checked against the
//! schema that the OpenAPI description (`/v1/openapi.json`) gives it, and only then
//! read into its Rust type: what the description allows is what the service accepts,
//! and a client generated from the description never sends what the service refuses.
//!
//! The checking is the `jsonschema` crate's (JSON Schema 2020-12, the dialect of
//! OpenAPI 3.1, with `format` asserted): the description is registered under
//! [`DESCRIPTION_URI`], and each schema is compiled once, its `$ref`s resolved there,
//! then kept. This module only words the refusal: where in the body, and what to fix,
//! in the description's own terms where it has them (the `description` of a pattern or
//! of a long `enum`), and, for a `oneOf`, about the alternative the body meant.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, PatternOptions, Registry, ValidationError, Validator};
use serde_json::Value;

/// Where the description is registered: its `$ref`s (`#/components/schemas/…`) are
/// resolved against this.
const DESCRIPTION_URI: &str = "urn:guichet:openapi";
/// The base URI of a schema a body is checked against, so that refusals say where in
/// it a keyword failed.
const SCHEMA_URI: &str = "urn:guichet:body-schema";

/// Why a body was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The body breaks its schema: `pointer` (RFC 6901, empty for the whole body) says
    /// where, `message` what to fix.
    #[error("{}{message}", where_(pointer))]
    Violation { pointer: String, message: String },
    /// The description itself is broken (a `$ref` to nothing, a pattern that does not
    /// compile): the service's fault, not the caller's.
    #[error("the API description is not usable: {0}")]
    Description(String),
}

fn where_(pointer: &str) -> String {
    if pointer.is_empty() {
        "the body: ".to_string()
    } else {
        format!("`{pointer}`: ")
    }
}

/// Writes the numbers of `value` that are whole (`5.0`, `1e3`) as integers: JSON
/// Schema counts them as integers, serde reads an integer field only from an integer.
/// Every number field of the bodies is an integer, so nothing is lost.
pub fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            let Some(float) = n.as_f64() else { return };
            // Exactly representable wholes only: below 2^63 in magnitude.
            if float.fract() == 0.0 && float.abs() < 9.223_372_036_854_775e18 {
                *value = Value::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// Checks `value` against `schema`, whose `$ref`s point into `description` (the
/// whole OpenAPI description, as JSON). The validator of each schema is built on its
/// first use and kept.
pub fn check(description: &'static Value, schema: &Value, value: &Value) -> Result<(), Refusal> {
    let compiled = compiled(description, schema)?;
    match compiled.validator.validate(value) {
        Ok(()) => Ok(()),
        Err(error) => Err(Wording {
            description,
            schema: &compiled.schema,
        }
        .refusal(&error)),
    }
}

/// A description's registry and the validators built on it.
struct Described {
    registry: Registry<'static>,
    /// By the schema's JSON text.
    compiled: Mutex<HashMap<String, Arc<Compiled>>>,
}

struct Compiled {
    validator: Validator,
    /// The schema, its `$ref`s made absolute: what the validator was built from.
    schema: Value,
}

fn unusable(error: impl std::fmt::Display) -> Refusal {
    Refusal::Description(error.to_string())
}

/// The validator of `schema`, built once per description and schema.
fn compiled(description: &'static Value, schema: &Value) -> Result<Arc<Compiled>, Refusal> {
    // Keyed by address: a `'static` description is never freed, so never replaced.
    static DESCRIBED: LazyLock<Mutex<HashMap<usize, Arc<Described>>>> =
        LazyLock::new(Default::default);
    let described = {
        let mut all = DESCRIBED.lock().unwrap_or_else(PoisonError::into_inner);
        let key = std::ptr::from_ref(description) as usize;
        match all.get(&key) {
            Some(found) => found.clone(),
            None => {
                let registry = Registry::new()
                    .draft(Draft::Draft202012)
                    .add(DESCRIPTION_URI, description)
                    .and_then(|builder| builder.prepare())
                    .map_err(unusable)?;
                let described = Arc::new(Described {
                    registry,
                    compiled: Mutex::default(),
                });
                all.insert(key, described.clone());
                described
            }
        }
    };
    let text = schema.to_string();
    let mut compiled = described
        .compiled
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = compiled.get(&text) {
        return Ok(found.clone());
    }
    let mut absolute = schema.clone();
    into_description(&mut absolute);
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(&described.registry)
        .with_base_uri(SCHEMA_URI)
        .offline()
        .should_validate_formats(true)
        // Linear-time matching: the texts matched are the callers'.
        .with_pattern_options(PatternOptions::regex())
        .build(&absolute)
        .map_err(unusable)?;
    let found = Arc::new(Compiled {
        validator,
        schema: absolute,
    });
    compiled.insert(text, found.clone());
    Ok(found)
}

/// Makes the `$ref`s of a schema taken from the description (`#/components/…`) point
/// into the registered description.
fn into_description(schema: &mut Value) {
    match schema {
        Value::Object(fields) => {
            for (key, inner) in fields.iter_mut() {
                match inner {
                    Value::String(reference) if key == "$ref" && reference.starts_with('#') => {
                        *reference = format!("{DESCRIPTION_URI}{reference}");
                    }
                    _ => into_description(inner),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(into_description),
        _ => {}
    }
}

/// A JSON value's kind, as messages name it.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a JSON object",
    }
}

fn type_name(name: &str) -> &'static str {
    match name {
        "null" => "null",
        "boolean" => "a boolean",
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "array" => "an array",
        "object" => "a JSON object",
        _ => "an unknown type",
    }
}

/// The types a `type` keyword wants, in the schema's order where it is known.
fn wanted_types(kind: &TypeKind, schema: Option<&Value>) -> Vec<&'static str> {
    match schema.and_then(|s| s.get("type")) {
        Some(Value::String(one)) => return vec![type_name(one)],
        Some(Value::Array(many)) => {
            return many
                .iter()
                .filter_map(Value::as_str)
                .map(type_name)
                .collect();
        }
        _ => {}
    }
    match kind {
        TypeKind::Single(one) => vec![type_name(one.as_str())],
        TypeKind::Multiple(many) => many.iter().map(|t| type_name(t.as_str())).collect(),
    }
}

/// `values` as a short list for a message: `a`, `b` or `c`.
fn listing(values: &[Value]) -> String {
    let shown: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::String(s) => format!("`{s}`"),
            other => format!("`{other}`"),
        })
        .collect();
    match shown.as_slice() {
        [] => "nothing".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// What a schema's description says (descriptions of constrained strings are written
/// as noun phrases for this).
fn described_as(schema: Option<&Value>) -> Option<&str> {
    let text = schema?.get("description")?.as_str()?;
    Some(text.trim().trim_end_matches('.'))
}

/// "`text` is not …": what the schema's description says the value is, or `otherwise`.
fn not_a(text: &str, schema: Option<&Value>, otherwise: &str) -> String {
    format!(
        "`{text}` is not {}",
        described_as(schema).unwrap_or(otherwise)
    )
}

/// `message`, followed by what the schema's description says the value is.
fn explained(message: String, schema: Option<&Value>) -> String {
    match described_as(schema) {
        Some(text) => format!("{message} ({text})"),
        None => message,
    }
}

fn length(value: &Value) -> usize {
    match value {
        Value::String(text) => text.chars().count(),
        Value::Array(items) => items.len(),
        Value::Object(fields) => fields.len(),
        _ => 0,
    }
}

/// Words the validator's errors as refusals.
struct Wording<'a> {
    description: &'a Value,
    /// The schema the body was checked against, as compiled.
    schema: &'a Value,
}

impl Wording<'_> {
    /// The schema that holds the keyword an error is about.
    fn schema_of(&self, error: &ValidationError<'_>) -> Option<&Value> {
        let location = error.absolute_keyword_location()?;
        let document = match location.strip_fragment().as_str() {
            DESCRIPTION_URI => self.description,
            SCHEMA_URI => self.schema,
            _ => return None,
        };
        let pointer = location.fragment()?.decode().to_string_lossy();
        let (parent, _keyword) = pointer.rsplit_once('/')?;
        document.pointer(parent)
    }

    /// `schema` with its `$ref`s followed (only annotations stand beside a `$ref` in
    /// the description).
    fn target<'s>(&'s self, mut schema: &'s Value) -> &'s Value {
        for _ in 0..32 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let pointer = reference
                .strip_prefix(DESCRIPTION_URI)
                .unwrap_or(reference)
                .strip_prefix('#');
            match pointer.and_then(|p| self.description.pointer(p)) {
                Some(found) => schema = found,
                None => break,
            }
        }
        schema
    }

    fn refusal(&self, error: &ValidationError<'_>) -> Refusal {
        let pointer = error.instance_path().as_str().to_string();
        let violation = |message: String| Refusal::Violation {
            pointer: pointer.clone(),
            message,
        };
        let schema = self.schema_of(error);
        let value = error.instance().as_ref();
        let text = value.as_str().unwrap_or_default();
        use ValidationErrorKind as Kind;
        violation(match error.kind() {
            Kind::Type { kind } => format!(
                "must be {}, not {}",
                wanted_types(kind, schema).join(" or "),
                kind_of(value)
            ),
            Kind::Enum { options } => {
                let allowed = options.as_array().map(Vec::as_slice).unwrap_or_default();
                if value.is_string() && allowed.len() > 12 {
                    not_a(text, schema, "one of the values the description lists")
                } else {
                    format!("must be {}", listing(allowed))
                }
            }
            Kind::Constant { expected_value } => format!("must be `{expected_value}`"),
            Kind::MinLength { limit: 1 } => explained("must not be empty".into(), schema),
            Kind::MinLength { limit } => explained(
                format!(
                    "must be at least {limit} characters long, not {}",
                    length(value)
                ),
                schema,
            ),
            Kind::MaxLength { limit } => format!(
                "must be at most {limit} characters long, not {}",
                length(value)
            ),
            Kind::Pattern { pattern } => {
                not_a(text, schema, &format!("of the pattern `{pattern}`"))
            }
            Kind::Format { format } if format == "date-time" => {
                format!("`{text}` is not an RFC 3339 date-time (`2026-11-23T09:30:00Z`)")
            }
            Kind::Format { format } => format!("`{text}` is not a valid `{format}`"),
            Kind::Minimum { limit } => format!("must be at least {limit}"),
            Kind::Maximum { limit } => format!("must be at most {limit}"),
            Kind::ExclusiveMinimum { limit } => format!("must be more than {limit}"),
            Kind::ExclusiveMaximum { limit } => format!("must be less than {limit}"),
            Kind::Required { property } => match property {
                Value::String(name) => format!("missing field `{name}`"),
                other => format!("missing field `{other}`"),
            },
            Kind::AdditionalProperties { unexpected } => {
                let name = unexpected.first().map_or("", String::as_str);
                let known: Vec<String> = schema
                    .and_then(|s| s.get("properties"))
                    .and_then(Value::as_object)
                    .map(|p| p.keys().map(|k| format!("`{k}`")).collect())
                    .unwrap_or_default();
                if known.is_empty() {
                    format!("unknown field `{name}`: no field is allowed here")
                } else {
                    format!(
                        "unknown field `{name}`; the fields are {}",
                        known.join(", ")
                    )
                }
            }
            Kind::MinProperties { limit } => format!("must have at least {limit} fields"),
            Kind::MaxProperties { limit } => {
                format!("may have at most {limit} entries, not {}", length(value))
            }
            Kind::MinItems { limit } => {
                explained(format!("must have at least {limit} items"), schema)
            }
            Kind::MaxItems { limit } => explained(
                format!("may have at most {limit} items, not {}", length(value)),
                schema,
            ),
            Kind::FalseSchema => "nothing is allowed here".into(),
            Kind::PropertyNames { error } => {
                // The name was checked as a string of its own: place it in the body.
                let name = error.instance().as_str().unwrap_or_default().to_string();
                return match self.refusal(error) {
                    Refusal::Violation { message, .. } => Refusal::Violation {
                        pointer: format!(
                            "{pointer}/{}",
                            name.replace('~', "~0").replace('/', "~1")
                        ),
                        message,
                    },
                    description => description,
                };
            }
            Kind::OneOfNotValid { context } | Kind::AnyOf { context } => {
                return self.alternative(error, schema, context);
            }
            Kind::OneOfMultipleValid { .. } => {
                "matches more than one of the shapes allowed here; see the API description".into()
            }
            Kind::Referencing(problem) => return unusable(problem),
            Kind::BacktrackLimitExceeded { error } => return unusable(error),
            Kind::RegexEngineFailure { message } => return unusable(message),
            // Keywords the description does not use: the validator's own words, without
            // the value.
            _ => error.masked_with("the value").to_string(),
        })
    }

    /// A `oneOf` or `anyOf` that no alternative matched: the refusal of the alternative
    /// the body meant. A tagged union (every alternative an object with a required
    /// one-value `enum` property, like `{"type": "ticket_created"}`, or with a single
    /// required property, like `{"text": "L2"}`) is reported on the alternative the
    /// value names, or as a list of the names; otherwise on the alternatives of the
    /// value's type (else one message naming every type allowed), the deepest refusal.
    fn alternative(
        &self,
        error: &ValidationError<'_>,
        schema: Option<&Value>,
        context: &[Vec<ValidationError<'static>>],
    ) -> Refusal {
        let at = error.instance_path().as_str();
        let value = error.instance().as_ref();
        let targets: Vec<&Value> = schema
            .and_then(|s| s.get(error.kind().keyword()))
            .and_then(Value::as_array)
            .map(|all| all.iter().map(|a| self.target(a)).collect())
            .unwrap_or_default();
        let first = |chosen: usize| {
            context
                .get(chosen)
                .and_then(|errors| errors.first())
                .map(|e| self.refusal(e))
        };
        let violation = |pointer: String, message: String| Refusal::Violation { pointer, message };
        if targets.len() == context.len()
            && let Value::Object(fields) = value
        {
            if let Some((tag, names)) = tag_of(&targets) {
                let named = fields.get(&tag).and_then(Value::as_str);
                if let Some(found) = named
                    .and_then(|name| names.iter().position(|n| n == name))
                    .and_then(first)
                {
                    return found;
                }
                let listed: Vec<Value> = names.into_iter().map(Value::String).collect();
                let pointer = format!("{at}/{}", tag.replace('~', "~0").replace('/', "~1"));
                return violation(pointer, format!("must be {}", listing(&listed)));
            }
            if let Some(keys) = keyed_by(&targets) {
                let key = fields.keys().next().filter(|_| fields.len() == 1);
                if let Some(found) = key
                    .and_then(|key| keys.iter().position(|k| k == key))
                    .and_then(first)
                {
                    return found;
                }
                let listed: Vec<Value> = keys.into_iter().map(Value::String).collect();
                return violation(
                    at.to_string(),
                    format!("must be an object with one field, {}", listing(&listed)),
                );
            }
        }
        let mut types = Vec::new();
        let mut best: Option<Refusal> = None;
        for errors in context {
            let mismatch = errors.iter().find_map(|e| match e.kind() {
                ValidationErrorKind::Type { kind } if e.instance_path().as_str() == at => {
                    Some(wanted_types(kind, self.schema_of(e)))
                }
                _ => None,
            });
            if let Some(wanted) = mismatch {
                types.extend(wanted);
                continue;
            }
            let Some(refusal) = errors.first().map(|e| self.refusal(e)) else {
                continue;
            };
            if best.as_ref().is_none_or(|b| depth(&refusal) > depth(b)) {
                best = Some(refusal);
            }
        }
        best.unwrap_or_else(|| {
            let mut named = Vec::new();
            for t in types {
                if !named.contains(&t) {
                    named.push(t);
                }
            }
            let message = if named.is_empty() {
                "matches none of the shapes allowed here".to_string()
            } else {
                format!("must be {}, not {}", named.join(" or "), kind_of(value))
            };
            violation(at.to_string(), message)
        })
    }
}

/// How deep in the body a refusal is: the more specific answer among alternatives.
fn depth(refusal: &Refusal) -> usize {
    match refusal {
        Refusal::Violation { pointer, .. } => pointer.matches('/').count(),
        Refusal::Description(_) => usize::MAX,
    }
}

/// The tag property of a tagged union, and each alternative's tag value.
fn tag_of(targets: &[&Value]) -> Option<(String, Vec<String>)> {
    let first = targets.first()?;
    let candidates = first.get("required")?.as_array()?;
    'candidate: for tag in candidates.iter().filter_map(Value::as_str) {
        let mut names = Vec::new();
        for target in targets {
            let required = target.get("required").and_then(Value::as_array);
            let property = target.get("properties").and_then(|p| p.get(tag));
            let single = property
                .and_then(|p| p.get("enum"))
                .and_then(Value::as_array)
                .filter(|e| e.len() == 1)
                .map(|e| &e[0])
                .or_else(|| property.and_then(|p| p.get("const")))
                .and_then(Value::as_str);
            match (required, single) {
                (Some(r), Some(name)) if r.iter().any(|n| n == tag) => names.push(name.to_string()),
                _ => continue 'candidate,
            }
        }
        return Some((tag.to_string(), names));
    }
    None
}

/// The keys of an externally tagged union: every alternative an object with exactly
/// one property, required, and no two alike.
fn keyed_by(targets: &[&Value]) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    for target in targets {
        let properties = target.get("properties")?.as_object()?;
        let required = target.get("required")?.as_array()?;
        if properties.len() != 1 || required.len() != 1 {
            return None;
        }
        let key = required[0].as_str()?;
        if !properties.contains_key(key) || keys.iter().any(|k| k == key) {
            return None;
        }
        keys.push(key.to_string());
    }
    (targets.len() > 1).then_some(keys)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    static DESCRIPTION: LazyLock<Value> = LazyLock::new(|| {
        json!({"components": {"schemas": {
            "Name": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,63}$"},
            "Kind": {"oneOf": [
                {"type": "object", "required": ["type"], "additionalProperties": false,
                 "properties": {"type": {"type": "string", "enum": ["one"]}}},
                {"type": "object", "required": ["type", "n"], "additionalProperties": false,
                 "properties": {"type": {"type": "string", "enum": ["two"]},
                                "n": {"type": "integer", "maximum": 3}}}
            ]},
            "Value": {"oneOf": [
                {"type": "object", "required": ["text"], "additionalProperties": false,
                 "properties": {"text": {"type": "string"}}},
                {"type": "object", "required": ["flag"], "additionalProperties": false,
                 "properties": {"flag": {"type": "boolean"}}}
            ]}
        }}})
    });

    fn run(schema: Value, value: Value) -> Result<(), Refusal> {
        check(&DESCRIPTION, &schema, &value)
    }

    fn message(result: Result<(), Refusal>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn an_object_is_not_read_from_an_array() {
        let schema = json!({"type": "object", "additionalProperties": false,
            "properties": {"name": {"type": ["string", "null"]}}});
        assert_eq!(
            message(run(schema.clone(), json!(["Renamed", "Asia/Tokyo"]))),
            "the body: must be a JSON object, not an array"
        );
        assert!(run(schema.clone(), json!({"name": null})).is_ok());
        assert_eq!(
            message(run(schema.clone(), json!({"nmae": "x"}))),
            "the body: unknown field `nmae`; the fields are `name`"
        );
        assert_eq!(
            message(run(schema, json!({"name": 1}))),
            "`/name`: must be a string or null, not an integer"
        );
    }

    #[test]
    fn lengths_count_characters_and_patterns_apply() {
        let schema = json!({"type": "string", "minLength": 1, "maxLength": 3});
        assert!(run(schema.clone(), json!("été")).is_ok());
        assert!(message(run(schema.clone(), json!("étés"))).contains("at most 3"));
        assert!(message(run(schema, json!(""))).contains("must not be empty"));
        let name = json!({"$ref": "#/components/schemas/Name"});
        assert!(run(name.clone(), json!("acme-2")).is_ok());
        assert_eq!(
            message(run(name, json!("Acme"))),
            "the body: `Acme` is not of the pattern `^[a-z][a-z0-9-]{0,63}$`"
        );
        let described = json!({"type": "string", "pattern": "^a+$", "description": "a run of a."});
        assert_eq!(
            message(run(described, json!("b"))),
            "the body: `b` is not a run of a"
        );
    }

    #[test]
    fn tagged_unions_report_on_the_alternative_named() {
        let kind = json!({"$ref": "#/components/schemas/Kind"});
        assert!(run(kind.clone(), json!({"type": "one"})).is_ok());
        assert_eq!(
            message(run(kind.clone(), json!({"type": "two", "n": 4}))),
            "`/n`: must be at most 3"
        );
        assert_eq!(
            message(run(kind.clone(), json!({"type": "three"}))),
            "`/type`: must be `one` or `two`"
        );
        assert_eq!(
            message(run(kind.clone(), json!({"n": 1}))),
            "`/type`: must be `one` or `two`"
        );
        assert_eq!(
            message(run(kind.clone(), json!({"type": "one", "n": 1}))),
            "the body: unknown field `n`; the fields are `type`"
        );
        assert_eq!(
            message(run(kind, json!({"type": "two"}))),
            "the body: missing field `n`"
        );
        let keyed = json!({"items": {"$ref": "#/components/schemas/Value"}});
        assert!(run(keyed.clone(), json!([{"text": "L2"}, {"flag": true}])).is_ok());
        assert_eq!(
            message(run(keyed.clone(), json!([{"text": "L2"}, {"flag": 1}]))),
            "`/1/flag`: must be a boolean, not an integer"
        );
        assert_eq!(
            message(run(keyed, json!([{"number": 3}]))),
            "`/0`: must be an object with one field, `text` or `flag`"
        );
    }

    #[test]
    fn options_and_batches_name_what_is_wrong() {
        let option = json!({"oneOf": [{"$ref": "#/components/schemas/Name"}, {"type": "null"}]});
        assert!(run(option.clone(), Value::Null).is_ok());
        assert!(message(run(option, json!("A"))).contains("is not of the pattern"));
        let body = json!({"oneOf": [
            {"type": "object"},
            {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "object"}}
        ]});
        assert_eq!(
            message(run(body.clone(), json!("x"))),
            "the body: must be a JSON object or an array, not a string"
        );
        assert!(message(run(body.clone(), json!([{}, {}, {}]))).contains("at most 2 items"));
        assert_eq!(
            message(run(body, json!([{}, 1]))),
            "`/1`: must be a JSON object, not an integer"
        );
    }

    #[test]
    fn numbers_compare_exactly_and_dates_are_rfc_3339() {
        let schema = json!({"type": "integer", "minimum": -9223372036854775808_i64,
            "maximum": 9223372036854775807_i64});
        assert!(run(schema.clone(), json!(9223372036854775807_i64)).is_ok());
        assert!(run(schema.clone(), json!(9223372036854775808_u64)).is_err());
        assert!(run(schema.clone(), json!(1.5)).is_err());
        let mut whole = json!({"n": [5.0, -104867.0, 1e3, 0.5, 1e300]});
        whole_numbers_as_integers(&mut whole);
        assert_eq!(whole, json!({"n": [5, -104867, 1000, 0.5, 1e300]}));
        assert!(run(schema.clone(), whole["n"][1].clone()).is_ok());
        // JSON Schema counts a whole float as an integer, whatever its size.
        assert_eq!(
            message(run(schema, whole["n"][4].clone())),
            "the body: must be at most 9223372036854775807"
        );
        let date = json!({"type": "string", "format": "date-time"});
        assert!(run(date.clone(), json!("2026-11-23T09:30:00+01:00")).is_ok());
        assert_eq!(
            message(run(date, json!("2026-11-23 09:30"))),
            "the body: `2026-11-23 09:30` is not an RFC 3339 date-time (`2026-11-23T09:30:00Z`)"
        );
    }

    #[test]
    fn a_broken_description_is_the_services_fault() {
        let nowhere = json!({"$ref": "#/components/schemas/Nowhere"});
        assert!(matches!(
            run(nowhere, json!(1)),
            Err(Refusal::Description(_))
        ));
    }

    #[test]
    fn each_schema_is_compiled_once() {
        let schema = json!({"$ref": "#/components/schemas/Name"});
        let first = compiled(&DESCRIPTION, &schema).unwrap();
        assert!(run(schema.clone(), json!("acme")).is_ok());
        assert!(Arc::ptr_eq(
            &first,
            &compiled(&DESCRIPTION, &schema).unwrap()
        ));
    }
}
