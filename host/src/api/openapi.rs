//! The OpenAPI 3.1 description of the API, served at [`PATH`].
//!
//! Paths, parameters, bodies and success answers come from each handler's
//! `#[utoipa::path]` attribute and the `ToSchema` types it names; this module adds what
//! every route shares (the token schemes, the problem answers of authentication, scope,
//! tenant and body checks), so that the handlers declare only what is theirs.
//! `docs/openapi.json` is a copy for readers, checked against this by a test.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

use super::Problem;

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
                       whose `detail` says what to fix. Tokens go in `Authorization: Bearer …`; \
                       a token of one tenant gets the same 404 for another tenant's resources \
                       as for ones that do not exist."
    ),
    tags(
        (name = "tenants", description = "Tenants (operator token) and their tokens (admin token)"),
        (name = "plugins", description = "A tenant's plugins: reference or uploaded, with their settings"),
        (name = "events", description = "Ticket events in"),
        (name = "tickets", description = "Tickets, and the audit trail that says why they changed"),
        (name = "actions", description = "Applied actions out: webhooks, dead letters, a live stream"),
        (name = "service", description = "Health, metrics and this description"),
    ),
    components(schemas(Problem))
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
             Manages tenants only.",
        ),
        (
            ADMIN,
            "A tenant's admin token: plugins, configuration, tokens, webhooks, and \
             everything an integration token may do.",
        ),
        (
            INTEGRATION,
            "A tenant's integration token: events in, tickets and audit out.",
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
    description
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
            "The token's scope does not allow this (an integration token on an admin route, \
             a tenant token on an operator route)",
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
            "The body is not valid: malformed JSON, an unknown field, a bad value",
        ));
        answers.push(("413", "The body is larger than the route accepts"));
    }
    for (status, text) in answers {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem_answer(text).into());
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
