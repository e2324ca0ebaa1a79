//! The admin console (`/console/`) in a real browser: Debian's Chromium, headless,
//! driven through chromedriver (WebDriver) by fantoccini, against the service on a
//! loopback port. One admin's afternoon, in one test: sign in with a tenant's admin
//! token, upload a plugin's component, configure it (a refused configuration shows
//! its problems beside the editor), make a candidate version and run it in shadow,
//! read the shadow diff, activate it, see the plugin's action in a ticket's timeline,
//! see a KPI move, roll back, replay, replay a dead letter, read an adapter's inbound
//! address, switch to French, and sign in as the operator. Each page is saved as
//! `target/console-screenshots/<page>.png`.
//!
//! Chromium and chromedriver come from `scripts/install-browser` (which
//! `scripts/test` runs). Without them this test says so and passes, except under CI
//! (`CI` set), where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use common::service::{OPERATOR, Running, data_dir, free_port};
use common::{guest_path, in_ci, root};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long the page may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(30);
/// The window: a laptop's.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;

/// Whether the browser is installed. When it is not: under CI this panics, failing
/// the test; elsewhere it says so on stderr and the test returns.
fn browser_present() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "{} missing: run scripts/install-browser (it installs Debian's chromium and \
         chromium-driver)",
        missing.join(" and ")
    );
    if in_ci() {
        panic!("{message}");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "NOT TESTED: {message}");
    false
}

/// chromedriver on a free port, in a process group of its own (with the Chromium it
/// starts), and the browser profile's directory; both go at the end, even after a
/// failed step.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Driver {
    fn start() -> Driver {
        use std::os::unix::process::CommandExt;
        let port = free_port();
        let profile =
            std::env::temp_dir().join(format!("guichet-console-chromium-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let driver = Driver {
            child,
            port,
            profile,
        };
        let http = common::service::client();
        let until = Instant::now() + PATIENCE;
        loop {
            let ready = http
                .get(format!("{}/status", driver.url()))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                return driver;
            }
            assert!(Instant::now() < until, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A headless Chromium session, in English.
    async fn session(&self) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--lang=en-US",
                    format!("--window-size={WIDTH},{HEIGHT}"),
                    format!("--user-data-dir={}", self.profile.display()),
                ],
                // Downloads (the KPIs' CSV) into the profile, removed at the end.
                "prefs": {
                    "intl.accept_languages": "en-US,en",
                    "download.default_directory": self.profile.join("downloads"),
                    "download.prompt_for_download": false,
                },
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url())
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group this test started.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The browser and what the steps share.
struct Page {
    c: Client,
    base: String,
    shots: PathBuf,
    /// Where the browser saves downloads.
    downloads: PathBuf,
}

impl Page {
    async fn goto(&self, route: &str) {
        self.c
            .goto(&format!("{}/console/{route}", self.base))
            .await
            .unwrap();
    }

    /// The element `css` once it is on the page.
    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
    }

    /// The text of `css`, once it contains `needle` (panics with what it says
    /// instead after a while).
    async fn text_with(&self, css: &str, needle: &str) -> String {
        let until = Instant::now() + PATIENCE;
        loop {
            let text = match self.c.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            if Instant::now() > until {
                let url = self.c.current_url().await.unwrap();
                self.shot("failed").await;
                panic!("`{css}` on {url} does not say {needle:?}; it says {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Types `text` into the field `css`, after emptying it, as a person would.
    async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Runs `script` in the page (with `arguments`) and answers its value.
    async fn js(&self, script: &str, arguments: Vec<Value>) -> Value {
        self.c.execute(script, arguments).await.unwrap()
    }

    /// The `id` of the element that has the focus.
    async fn focused(&self) -> String {
        self.js("return document.activeElement.id", vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn press(&self, key: Key) {
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key.into() })
            .then(KeyAction::Up { value: key.into() });
        self.c.perform_actions(keys).await.unwrap();
    }

    /// Saves the whole page as `<name>.png`: the window is made as tall as the page
    /// for the shot.
    async fn shot(&self, name: &str) {
        self.shot_at(name, WIDTH).await;
    }

    /// [`Page::shot`] with the window `width` pixels wide.
    async fn shot_at(&self, name: &str, width: u32) {
        // The page's height, plus what the window has around the page.
        let height = self
            .js(
                "return Math.max(document.documentElement.scrollHeight, \
                 document.body.scrollHeight) + window.outerHeight - window.innerHeight",
                vec![],
            )
            .await
            .as_u64()
            .unwrap_or(HEIGHT as u64)
            .clamp(HEIGHT as u64, 8000) as u32;
        self.c.set_window_size(width, height).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let png = self.c.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
        self.c.set_window_size(width, HEIGHT).await.unwrap();
    }

    /// The text of the first file the browser downloaded whose name ends with
    /// `suffix`, once it is whole.
    async fn download(&self, suffix: &str) -> String {
        let until = Instant::now() + PATIENCE;
        loop {
            let done = std::fs::read_dir(&self.downloads)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(suffix));
            if let Some(path) = done {
                return std::fs::read_to_string(path).unwrap();
            }
            assert!(Instant::now() < until, "nothing downloaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The texts of every element `css` matches.
    async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for e in self.c.find_all(Locator::Css(css)).await.unwrap() {
            texts.push(e.text().await.unwrap());
        }
        texts
    }
}

/// A new ticket `id` on `channel`, now.
fn ticket_created(id: &str, channel: &str) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    json!({"id": format!("{id}-created"), "kind": {"type": "ticket_created"}, "occurred_at": now,
           "ticket": {"id": id, "channel": channel, "subject": format!("Virement bloqué ({id})"),
                      "requester": {"identities": [{"kind": "email", "value": "zoe@example.fr"}]},
                      "created_at": now, "updated_at": now,
                      "messages": [{"id": format!("{id}-m"), "author_role": "requester",
                                    "channel": channel, "body": "Bonjour, mon virement est bloqué.",
                                    "created_at": now}]}})
}

/// Triage sending every ticket to group `group`.
fn routing(group: &str) -> String {
    json!({"rules": [], "default": {"group": group, "level": "L1", "tags": ["triaged"]}})
        .to_string()
}

#[test]
fn an_admin_runs_a_plugins_lifecycle_from_the_console_in_chromium() {
    if !browser_present() {
        return;
    }
    let started = Instant::now();
    let s = Running::start(data_dir("console"));
    // As the README's walk-through does: the operator makes a tenant, whose admin
    // token signs in. A webhook nobody answers fills the dead letters, and an e-mail
    // adapter gets an inbound address.
    let admin = s.tenant("acme");
    let hook = s.json(
        "PUT",
        "/v1/tenants/acme/webhooks/helpdesk",
        &admin,
        json!({"url": format!("http://127.0.0.1:{}/hooks", free_port())}),
    );
    assert_eq!(hook.status, 200, "{}", hook.body);
    let email = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/email",
        &admin,
        json!({"reference": "email"}),
    );
    assert_eq!(email.status, 200, "{}", email.body);
    let inbound_path = email.body["inbound_path"].as_str().unwrap().to_string();

    // The console's files: the policy the page must live with, and `/` leading there.
    let index = s.call("GET", "/console/", None, None);
    assert_eq!(index.status, 200);
    let http = common::service::client();
    let mut answer = http
        .get(format!("{}/console/app.js", s.base))
        .call()
        .unwrap();
    assert_eq!(
        answer.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .split(';')
            .next(),
        Some("default-src 'self'")
    );
    assert!(
        answer
            .body_mut()
            .read_to_string()
            .unwrap()
            .contains("import")
    );

    let shots = root().join("target/console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let driver = Driver::start();
    let browser = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    browser.block_on(async {
        let page = Page {
            c: driver.session().await,
            base: s.base.clone(),
            shots,
            downloads: driver.profile.join("downloads"),
        };
        afternoon(&page, &s, &admin, &inbound_path).await;
        page.c.close().await.unwrap();
    });
    eprintln!(
        "console test: {:.1} s; screenshots in target/console-screenshots/",
        started.elapsed().as_secs_f64()
    );
}

/// Every step of the flow, in order.
async fn afternoon(page: &Page, s: &Running, admin: &str, inbound_path: &str) {
    // `/` leads to the console, which asks who you are.
    page.c.goto(&format!("{}/", page.base)).await.unwrap();
    page.find("#signin-form").await;
    assert!(
        page.c
            .current_url()
            .await
            .unwrap()
            .as_str()
            .ends_with("/console/#/signin"),
        "{}",
        page.c.current_url().await.unwrap()
    );
    assert_eq!(page.c.title().await.unwrap(), "Sign in — guichet — console");

    // A wrong token: the API's problem, its title and detail, on the page.
    page.type_into("#signin-tenant", "acme").await;
    page.type_into("#signin-token", "gch_not_a_token").await;
    page.click("#signin-submit").await;
    let problem = page.text_with("#signin-error", "401 Unauthorized").await;
    assert!(problem.contains("the token is not valid"), "{problem}");
    page.shot("signin").await;

    // The admin token of tenant acme.
    page.type_into("#signin-token", admin).await;
    page.click("#signin-submit").await;
    page.text_with("[data-testid=plugin-row-email]", "channel adapter")
        .await;
    page.text_with("#session-info", "Tenant acme · admin").await;
    // The token stays in the tab's session storage, nowhere else.
    let stored = page
        .js(
            "return [sessionStorage.getItem('guichet.token'), \
             localStorage.getItem('guichet.token')]",
            vec![],
        )
        .await;
    assert_eq!(stored, json!([admin, null]));

    // With the keyboard: the first Tab reaches the skip link, which leads to the
    // content.
    page.c.refresh().await.unwrap();
    page.find("#upload-form").await;
    page.press(Key::Tab).await;
    assert_eq!(page.focused().await, "skip-link");
    page.press(Key::Enter).await;
    assert_eq!(page.focused().await, "main");
    page.press(Key::Tab).await;
    assert_ne!(page.focused().await, "skip-link");

    // Upload triage's component as plugin `triage`, activated: version 1.
    let wasm = guest_path("triage").canonicalize().unwrap();
    page.type_into("#upload-name", "triage").await;
    page.find("#upload-file")
        .await
        .send_keys(wasm.to_str().unwrap())
        .await
        .unwrap();
    page.type_into("#upload-label", "first upload").await;
    page.click("#upload-submit").await;
    page.text_with(
        "#upload-result",
        "Version 1 of triage is active (automation component, contract 0.2.0)",
    )
    .await;
    page.text_with("[data-testid=plugin-row-triage]", "uploaded")
        .await;
    page.text_with("#reference-table", "dedupe").await;
    page.shot("plugins").await;

    // Its page: a configuration the plugin refuses is shown beside the editor, with
    // the problem's place; then a good one, enabled on new tickets: version 2.
    page.click("#upload-open").await;
    page.text_with("#page-title", "Plugin triage").await;
    page.text_with("[data-testid=plugin-active-version]", "1")
        .await;
    page.type_into(
        "#config-editor",
        r#"{"rules": [], "default": {"group": 5}}"#,
    )
    .await;
    page.click("#settings-enabled").await;
    page.type_into("#settings-subscriptions", "ticket_created")
        .await;
    page.click("#settings-save").await;
    let refused = page
        .text_with("#config-editor-problems", "422 Unprocessable Entity")
        .await;
    assert!(
        refused.contains("invalid triage configuration"),
        "{refused}"
    );
    let invalid = page
        .find("#config-editor")
        .await
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    assert_eq!(page.texts("[data-testid=config-problem]").await.len(), 1);
    page.shot("plugin-config-error").await;

    page.type_into("#config-editor", &routing("v1")).await;
    page.type_into("#settings-label", "to v1").await;
    page.click("#settings-save").await;
    page.text_with("#plugin-notice", "Saved: version 2 is active.")
        .await;
    page.text_with("[data-testid=plugin-enabled]", "yes").await;

    // A candidate, not activated: everything to group v2. Version 3.
    page.type_into("#new-version-config", &routing("v2")).await;
    page.type_into("#new-version-label", "all to v2").await;
    page.click("#new-version-submit").await;
    page.text_with("#plugin-notice", "Version 3 made, not activated.")
        .await;

    // In shadow beside version 2.
    page.click("#shadow-3").await;
    page.text_with("#plugin-notice", "Version 3 now runs in shadow.")
        .await;
    page.text_with(
        "[data-testid=shadow-status]",
        "Version 3 runs in shadow beside active version 2",
    )
    .await;

    // A live event (through the API): version 2 decides, version 3 is recorded.
    let posted = s.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        admin,
        ticket_created("t-1", "email"),
    );
    assert_eq!(posted.status, 200, "{}", posted.body);
    page.click("#shadow-refresh").await;
    page.text_with("#plugin-notice", "Shadow diff refreshed.")
        .await;
    let row = page
        .text_with("#shadow-diffs [data-testid=diff-row]", "ticket_created")
        .await;
    assert!(row.contains("t-1"), "{row}");
    let verdict = page.texts("#shadow-diffs [data-testid=verdict]").await;
    assert_eq!(verdict, ["differ"]);
    let active = page
        .texts("#shadow-diffs [data-testid=active-action]")
        .await
        .join("\n");
    let candidate = page
        .texts("#shadow-diffs [data-testid=candidate-action]")
        .await
        .join("\n");
    assert!(
        active.contains("assign") && active.contains("group=v1/L1"),
        "{active}"
    );
    assert!(candidate.contains("group=v2/L1"), "{candidate}");
    assert!(!candidate.contains("group=v1/L1"), "{candidate}");
    page.text_with("[data-testid=shadow-summary-differ]", "1")
        .await;
    page.shot("plugin-shadow").await;

    // The KPIs before the next ticket.
    page.goto("#/kpis").await;
    let before: u64 = page
        .find("[data-testid=kpi-tickets_created]")
        .await
        .text()
        .await
        .unwrap()
        .trim()
        .parse()
        .expect("a count of tickets");
    assert!(before >= 1, "{before}");

    // Activate version 3; the next ticket goes to v2, and its timeline says why.
    page.goto("#/plugins/triage").await;
    page.click("#activate-3").await;
    page.text_with(
        "#plugin-notice",
        "Version 3 is active from the next event on.",
    )
    .await;
    page.text_with("[data-testid=plugin-active-version]", "3")
        .await;
    let posted = s.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        admin,
        ticket_created("t-2", "chat"),
    );
    assert_eq!(posted.status, 200, "{}", posted.body);

    page.goto("#/tickets").await;
    page.text_with("#tickets-table", "t-2").await;
    let rows = page.texts("#tickets-table tbody tr").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.contains("t-1") && r.contains("v1/L1")),
        "{rows:?}"
    );
    page.shot("tickets").await;

    page.click("[data-testid=ticket-link-t-2]").await;
    page.text_with("#page-title", "Ticket t-2").await;
    let call = page
        .text_with("#timeline [data-testid=timeline-call]", "triage")
        .await;
    assert!(call.contains("version 3"), "{call}");
    let actions = page
        .texts("#timeline [data-testid=timeline-action]")
        .await
        .join("\n");
    assert!(actions.contains("assign group=v2/L1"), "{actions}");
    assert!(actions.contains("triaged"), "{actions}");
    page.text_with("#timeline", "Event ticket_created").await;
    page.text_with("#timeline", "fuel").await;
    page.text_with("[data-testid=ticket-group]", "v2/L1").await;
    page.text_with("#ticket-timers", "No pending timer.").await;
    page.text_with("#ticket-messages", "mon virement est bloqué")
        .await;
    page.shot("ticket").await;
    // On a phone's width, the same page in one column.
    page.c.set_window_size(390, HEIGHT).await.unwrap();
    let overflow = page
        .js(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await;
    assert_eq!(overflow, json!(false), "the page scrolls sideways");
    page.shot_at("ticket-narrow", 390).await;
    page.c.set_window_size(WIDTH, HEIGHT).await.unwrap();

    // The KPI moved by the new ticket.
    page.goto("#/kpis").await;
    page.text_with(
        "[data-testid=kpi-tickets_created]",
        &(before + 1).to_string(),
    )
    .await;
    page.text_with("#kpi-groups-table", "chat").await;
    let bars = page
        .c
        .find_all(Locator::Css("#kpi-group-chart [data-testid=chart-bar]"))
        .await
        .unwrap();
    assert!(bars.len() >= 2, "a bar per channel");
    page.find("#kpi-backlog-chart").await;
    page.shot("kpis").await;
    // The CSV, fetched with the token (a link alone could not send it).
    page.click("#kpi-csv").await;
    page.text_with("#kpi-csv-status", "CSV downloaded.").await;
    let csv = page.download(".csv").await;
    assert!(
        csv.lines().next().unwrap().contains("tickets_created"),
        "{csv}"
    );
    assert!(csv.contains("chat"), "{csv}");

    // Roll back to version 2.
    page.goto("#/plugins/triage").await;
    page.click("#rollback-2").await;
    page.text_with(
        "#plugin-notice",
        "Rolled back: version 2 is active from the next event on.",
    )
    .await;
    page.text_with("[data-testid=plugin-active-version]", "2")
        .await;
    page.text_with("[data-testid=version-row-2]", "active")
        .await;
    page.shot("plugin-rollback").await;

    // A replay of version 3 over today's events: t-1 was decided by version 2
    // (differ), t-2 by version 3 (agree).
    page.goto("#/replays").await;
    page.find("#replay-version option[value='3']").await;
    page.find("#replay-version")
        .await
        .select_by_value("3")
        .await
        .unwrap();
    page.click("#replay-submit").await;
    page.text_with(
        "#replay-result",
        "Replay of triage: version 3 against version 2",
    )
    .await;
    page.text_with("[data-testid=replay-summary-differ]", "1")
        .await;
    page.text_with("[data-testid=replay-summary-agree]", "1")
        .await;
    let verdicts = page.texts("#replay-diffs [data-testid=verdict]").await;
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    page.shot("replays").await;

    // The webhook nobody answers: its deliveries are dead letters, one replayed.
    page.goto("#/dead-letters").await;
    let until = Instant::now() + PATIENCE;
    while page.c.find(Locator::Css("#dead-table")).await.is_err() {
        assert!(Instant::now() < until, "no dead letter");
        tokio::time::sleep(Duration::from_millis(300)).await;
        page.click("#dead-reload").await;
    }
    page.text_with("#dead-table", "helpdesk").await;
    page.shot("dead-letters").await;
    page.click("[data-testid=dead-replay]").await;
    page.text_with("#dead-notice", "is queued again.").await;

    // The e-mail adapter's inbound address, as a full URL.
    page.goto("#/inbound").await;
    let url = page
        .text_with("[data-testid=inbound-url-email]", inbound_path)
        .await;
    assert_eq!(url, format!("{}{inbound_path}", page.base));
    page.shot("inbound").await;

    // In French, from the switch.
    page.find("#lang-select")
        .await
        .select_by_value("fr")
        .await
        .unwrap();
    page.text_with("#page-title", "Adresses entrantes").await;
    page.text_with("#nav", "Indicateurs").await;
    assert_eq!(
        page.js("return document.documentElement.lang", vec![])
            .await,
        json!("fr")
    );
    page.goto("#/tickets").await;
    page.text_with("#tickets-table", "Objet").await;
    page.text_with("#tickets-table", "e-mail").await;
    page.shot("tickets-fr").await;
    page.find("#lang-select")
        .await
        .select_by_value("en")
        .await
        .unwrap();
    page.text_with("#page-title", "Tickets").await;

    // The admin token is revoked: the next call ends the session, and the sign-in
    // page says why.
    let tokens = s.call("GET", "/v1/tenants/acme/tokens", Some(admin), None);
    let id = tokens.body[0]["id"].as_str().unwrap().to_string();
    let revoked = s.call(
        "DELETE",
        &format!("/v1/tenants/acme/tokens/{id}"),
        Some(admin),
        None,
    );
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    page.click("#tickets-apply").await;
    page.text_with("[data-testid=signin-ended]", "the token is not valid")
        .await;
    assert_eq!(
        page.js("return sessionStorage.getItem('guichet.token')", vec![])
            .await,
        Value::Null
    );

    // The operator lists the tenants, then signs out.
    page.type_into("#signin-tenant", "").await;
    page.type_into("#signin-token", OPERATOR).await;
    page.click("#signin-submit").await;
    page.text_with("#tenants-table", "acme").await;
    page.text_with("#session-info", "Operator").await;
    page.shot("tenants").await;
    page.click("#sign-out").await;
    page.find("#signin-form").await;
    assert_eq!(
        page.js("return sessionStorage.length", vec![]).await,
        json!(0)
    );
}
