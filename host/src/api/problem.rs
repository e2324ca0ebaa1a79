//! Errors as RFC 9457 problem details: `application/problem+json` with a `type`, a
//! `title`, the `status` and a `detail` that says what to fix.
//!
//! Written here rather than taken from a crate: the type is a dozen lines, and the
//! problem-details crates on crates.io pin their own `http`/`axum` versions, which
//! would tie the service's upgrades to theirs.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer. `kind` becomes the last segment of the `type` URI and names the
/// problem for programs; `detail` is for people.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `https://guichet.dev/problems/<kind>`: stable, for programs to branch on.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase.
    #[schema(value_type = String)]
    pub title: &'static str,
    pub status: u16,
    /// What went wrong and what to fix, for people.
    pub detail: String,
    /// For a configuration a plugin refused (`invalid-config`): each problem it
    /// found, with its place (an RFC 9457 extension member).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub problems: Option<Vec<crate::model::ConfigProblem>>,
    /// Seconds after which to try again, sent as the `Retry-After` header (RFC 9110
    /// §10.2.3) with a `429` or `503`.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("https://guichet.dev/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            problems: None,
            retry_after: None,
        }
    }

    pub fn bad_request(kind: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, kind, detail)
    }

    pub fn not_found(what: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", what)
    }

    pub fn internal(error: impl std::fmt::Display) -> Problem {
        tracing::error!(%error, "internal error");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the service could not complete the request; it has been logged, and nothing was \
             changed unless the response said so",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<crate::store::StoreError> for Problem {
    fn from(e: crate::store::StoreError) -> Self {
        Problem::internal(e)
    }
}
