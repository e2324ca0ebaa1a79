//! The example plugins in other languages, built from source with their pinned
//! toolchains (`scripts/install-guest-toolchains`) and run through the real
//! `guichet plugin run` binary on their fixture files.
//!
//! Their expected output is compared without `fuel_used`: fuel depends on the exact
//! interpreter a toolchain version embeds, the actions must not.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{Lang, build_example, guichet, json_lines_without_fuel, root, text};

/// A call's deadline in these runs: the interpreters embedded in Python and JavaScript
/// components take a few milliseconds a call, but tests run side by side on a busy
/// machine, and these tests are about what the plugins decide, not how fast.
const DEADLINE_MS: &str = "2000";

/// Runs `plugin` on `input` with `config` and checks stdout against `expected`.
fn assert_run_matches(plugin: &Path, input: &str, config: &str, expected: &str) -> Output {
    let out = guichet(&[
        "plugin",
        "run",
        plugin.to_str().unwrap(),
        "--events",
        input,
        "--config",
        config,
        "--deadline-ms",
        DEADLINE_MS,
    ]);
    let want = std::fs::read_to_string(root().join(expected)).unwrap();
    assert_eq!(
        json_lines_without_fuel(&text(&out.stdout)),
        json_lines_without_fuel(&want),
        "stderr:\n{}",
        text(&out.stderr)
    );
    out
}

/// Writes `json` to a configuration file of its own (tests run in parallel) and
/// returns its path.
fn config_file(name: &str, json: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guichet-lang-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join(format!("{name}.json"));
    std::fs::write(&config, json).unwrap();
    config
}

#[test]
fn the_python_sentiment_plugin_tags_escalates_and_counts_upset_requesters() {
    let Some(plugin) = build_example(Lang::Python, "python-sentiment", "app.py", "automation")
    else {
        return;
    };

    let check = guichet(&["plugin", "check", plugin.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let listing = text(&check.stdout);
    assert!(listing.contains("world:   guichet:plugin@0.1.0 automation"));
    // componentize-py's own `exports` interface is listed apart from the plugin's
    // export, and every WASI import says what the sandbox gives it.
    assert!(
        listing
            .contains("other exports (never called by the host; a toolchain's own):\n  exports\n"),
        "{listing}"
    );
    let provision = |import: &str| {
        listing
            .lines()
            .find(|l| l.trim_start().starts_with(import))
            .unwrap_or_else(|| panic!("no {import} in {listing}"))
            .to_string()
    };
    assert!(provision("wasi:sockets/tcp@").contains("denied"));
    assert!(provision("wasi:sockets/ip-name-lookup@").contains("denied"));
    assert!(provision("wasi:filesystem/preopens@").contains("no preopened directories"));
    assert!(provision("wasi:cli/environment@").contains("no variables"));

    let out = assert_run_matches(
        &plugin,
        "examples/python-sentiment/events.jsonl",
        "examples/python-sentiment/config.json",
        "examples/python-sentiment/expected.jsonl",
    );
    assert!(out.status.success());
    // Its log goes through the host's log interface, one line per scored message.
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("[evt-1] debug: score -4 from ['inadmissible', 'decue', 'honte']"),
        "{stderr}"
    );
}

#[test]
fn the_python_sentiment_plugin_names_an_unknown_configuration_key() {
    let Some(plugin) = build_example(Lang::Python, "python-sentiment", "app.py", "automation")
    else {
        return;
    };
    let config = config_file("python-sentiment", r#"{"escalate_below": -3}"#);
    let out = guichet(&[
        "plugin",
        "run",
        plugin.to_str().unwrap(),
        "--events",
        "examples/python-sentiment/events.jsonl",
        "--config",
        config.to_str().unwrap(),
        "--deadline-ms",
        DEADLINE_MS,
    ]);
    assert!(!out.status.success());
    let first = json_lines_without_fuel(&text(&out.stdout)).remove(0);
    let error = first["error"].as_str().unwrap();
    assert!(
        error.contains("unknown configuration key(s): escalate_below"),
        "{error}"
    );
}

#[test]
fn the_javascript_macros_plugin_lists_and_renders_its_macros() {
    let Some(plugin) = build_example(Lang::JavaScript, "js-macros", "macros.js", "macros") else {
        return;
    };

    let check = guichet(&["plugin", "check", plugin.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("world:   guichet:plugin@0.1.0 macros"));

    let out = assert_run_matches(
        &plugin,
        "examples/js-macros/requests.jsonl",
        "examples/js-macros/config.json",
        "examples/js-macros/expected.jsonl",
    );
    assert!(out.status.success());

    // Errors the plugin returns keep their kind through the host.
    let bad = assert_run_matches(
        &plugin,
        "tests/fixtures/macros-bad-requests.jsonl",
        "examples/js-macros/config.json",
        "tests/fixtures/macros-bad-requests.expected.jsonl",
    );
    assert!(!bad.status.success());
}

#[test]
fn the_javascript_vip_routing_plugin_routes_vips_and_tells_the_lead_of_waiting_tickets() {
    let Some(plugin) = build_example(
        Lang::JavaScript,
        "js-vip-routing",
        "vip-routing.js",
        "automation",
    ) else {
        return;
    };

    let check = guichet(&["plugin", "check", plugin.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("world:   guichet:plugin@0.1.0 automation"));

    let out = assert_run_matches(
        &plugin,
        "examples/js-vip-routing/events.jsonl",
        "examples/js-vip-routing/config.json",
        "examples/js-vip-routing/expected.jsonl",
    );
    assert!(out.status.success());
    // The log says which rule matched, and the count kept in storage from one call
    // to the next.
    let stderr = text(&out.stderr);
    for line in [
        "[evt-1] info: ticket t-1: VIP requester, e-mail domain maison-lumiere.fr is in vip_domains",
        "[evt-4] debug: ticket t-1: requester message 1 of 2 without an agent",
        "[evt-5] debug: ticket t-1: requester message 2 of 2 without an agent",
    ] {
        assert!(stderr.contains(line), "{stderr}");
    }
}

#[test]
fn the_javascript_vip_routing_plugin_names_an_unknown_configuration_key() {
    let Some(plugin) = build_example(
        Lang::JavaScript,
        "js-vip-routing",
        "vip-routing.js",
        "automation",
    ) else {
        return;
    };
    let config = config_file(
        "js-vip-routing",
        r#"{"vip_emails": ["claire.dubois@maison-lumiere.fr"]}"#,
    );
    let out = guichet(&[
        "plugin",
        "run",
        plugin.to_str().unwrap(),
        "--events",
        "examples/js-vip-routing/events.jsonl",
        "--config",
        config.to_str().unwrap(),
        "--deadline-ms",
        DEADLINE_MS,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let first = json_lines_without_fuel(&text(&out.stdout)).remove(0);
    let error = first["error"].as_str().unwrap();
    assert!(
        error.contains("unknown configuration key(s): vip_emails"),
        "{error}"
    );
}
