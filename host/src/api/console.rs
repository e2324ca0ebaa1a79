//! The admin console: a single-page application for a tenant's admins, served by
//! `guichet serve` at `/console/` (`/` and `/console` redirect there). It owns the
//! routes `/`, `/console`, `/console/` and `/console/{asset}`, and the static files
//! of `host/console/` (HTML, CSS, JavaScript modules, one dictionary per language),
//! which are embedded in the binary: the console needs no build step, no Node.js at
//! run time and no file beside the binary.
//!
//! The console has no API of its own: its scripts call the `/v1` JSON API from the
//! browser, with the token the admin signs in with (kept in the tab's
//! `sessionStorage`) as `Authorization: Bearer`. These routes are therefore not in
//! the OpenAPI description, and they need no token: the files hold no tenant data.
//! Every answer carries `Content-Security-Policy: default-src 'self'` (and a few
//! stricter directives): the page loads nothing from elsewhere (no CDN, no web font)
//! and runs no inline script or event handler.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::Problem;

/// Where the console is served.
pub const PATH: &str = "/console/";

/// The policy sent with every file of the console: its own origin only, and no
/// `<base>`, framing or form posted anywhere (forms are handled by the scripts).
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file of `host/console/`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! assets {
    ($($name:literal => $content_type:literal),* $(,)?) => {
        &[$(Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../../console/", $name)),
        }),*]
    };
}

/// Every file of the console, by the name it is served under.
const ASSETS: &[Asset] = assets! {
    "index.html" => "text/html; charset=utf-8",
    "console.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "app.js" => "text/javascript; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "dom.js" => "text/javascript; charset=utf-8",
    "ui.js" => "text/javascript; charset=utf-8",
    "i18n.js" => "text/javascript; charset=utf-8",
    "lang-en.js" => "text/javascript; charset=utf-8",
    "lang-fr.js" => "text/javascript; charset=utf-8",
    "charts.js" => "text/javascript; charset=utf-8",
    "page-signin.js" => "text/javascript; charset=utf-8",
    "page-tenants.js" => "text/javascript; charset=utf-8",
    "page-plugins.js" => "text/javascript; charset=utf-8",
    "page-plugin.js" => "text/javascript; charset=utf-8",
    "page-replays.js" => "text/javascript; charset=utf-8",
    "page-tickets.js" => "text/javascript; charset=utf-8",
    "page-ticket.js" => "text/javascript; charset=utf-8",
    "page-dead-letters.js" => "text/javascript; charset=utf-8",
    "page-inbound.js" => "text/javascript; charset=utf-8",
    "page-kpis.js" => "text/javascript; charset=utf-8",
};

/// The console's routes, to merge into the service's router (outside the OpenAPI
/// description).
pub(super) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(to_console))
        .route("/console", get(to_console))
        .route(PATH, get(|| async { serve("index.html") }))
        .route(
            "/console/{asset}",
            get(|Path(name): Path<String>| async move { serve(&name) }),
        )
}

async fn to_console() -> Redirect {
    Redirect::to(PATH)
}

/// The embedded file `name`, with its type and the console's security headers.
fn serve(name: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return Problem::not_found(format!(
            "the console has no file `{name}`; it is served at {PATH}"
        ))
        .into_response();
    };
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The files change with the binary: ask the browser to check each time.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `import` of a module and every file the page links names an embedded
    /// file: a file added to `host/console/` but not to [`ASSETS`] would be a 404.
    #[test]
    fn every_file_the_console_refers_to_is_embedded() {
        let names: Vec<&str> = ASSETS.iter().map(|a| a.name).collect();
        for asset in ASSETS {
            let Ok(text) = std::str::from_utf8(asset.body) else {
                continue;
            };
            for quote in ['"', '\''] {
                for part in text.split(quote).skip(1).step_by(2) {
                    let Some(file) = part.strip_prefix("./") else {
                        continue;
                    };
                    if file.ends_with(".js") || file.ends_with(".css") || file.ends_with(".svg") {
                        assert!(
                            names.contains(&file),
                            "{} refers to `{file}`, which is not embedded",
                            asset.name
                        );
                    }
                }
            }
        }
    }

    /// No file loads anything from another origin (the SVG namespace is a name,
    /// not a request).
    #[test]
    fn no_file_refers_to_another_origin() {
        for asset in ASSETS {
            let text =
                String::from_utf8_lossy(asset.body).replace("http://www.w3.org/2000/svg", "");
            for scheme in ["http://", "https://", "//fonts.", "//cdn", "@import"] {
                assert!(!text.contains(scheme), "{} mentions `{scheme}`", asset.name);
            }
        }
    }

    /// The keys of a dictionary module (`"key": "text",` lines).
    fn keys(name: &str) -> std::collections::BTreeSet<String> {
        let asset = ASSETS.iter().find(|a| a.name == name).unwrap();
        std::str::from_utf8(asset.body)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let rest = l.trim().strip_prefix('"')?;
                let (key, _) = rest.split_once("\":")?;
                Some(key.to_string())
            })
            .collect()
    }

    /// Both languages have every string, and every string a script asks for by a
    /// literal key (`t('plugins.title')`) is in them.
    #[test]
    fn the_dictionaries_have_the_same_keys_and_every_key_used() {
        let en = keys("lang-en.js");
        let fr = keys("lang-fr.js");
        assert!(en.len() > 100, "{} keys", en.len());
        assert_eq!(
            en.symmetric_difference(&fr).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "keys in one dictionary only"
        );
        for asset in ASSETS {
            let text = String::from_utf8_lossy(asset.body);
            for marker in ["t('", "data-i18n=\"", "data-i18n-label=\""] {
                for (at, _) in text.match_indices(marker) {
                    // `t(` alone, not the end of `Event(`.
                    if text[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    {
                        continue;
                    }
                    let key: String = text[at + marker.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                        .collect();
                    assert!(
                        en.contains(&key),
                        "{} uses `{key}`, which lang-en.js lacks",
                        asset.name
                    );
                }
            }
        }
    }
}
