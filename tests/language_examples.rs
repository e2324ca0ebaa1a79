//! The example plugins in other languages, built from source with their pinned
//! toolchains (`scripts/install-guest-toolchains`) and run through the real
//! `guichet plugin run` binary on their fixture files.
//!
//! Their expected output is compared without `fuel_used`: fuel depends on the exact
//! interpreter a toolchain version embeds, the actions must not.

mod common;

use std::path::Path;
use std::process::Output;

use common::{Lang, build_plugin, guichet, json_lines_without_fuel, root, text};

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

#[test]
fn the_python_sentiment_plugin_tags_escalates_and_counts_upset_requesters() {
    let Some(plugin) = build_plugin(
        Lang::Python,
        &root().join("examples/python-sentiment/app.py"),
        "automation",
        "python-sentiment",
    ) else {
        return;
    };

    let check = guichet(&["plugin", "check", plugin.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("world:   guichet:plugin@0.1.0 automation"));

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
    let Some(plugin) = build_plugin(
        Lang::Python,
        &root().join("examples/python-sentiment/app.py"),
        "automation",
        "python-sentiment",
    ) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("guichet-lang-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.json");
    std::fs::write(&config, r#"{"escalate_below": -3}"#).unwrap();
    let out = guichet(&[
        "plugin",
        "run",
        plugin.to_str().unwrap(),
        "--events",
        "examples/python-sentiment/events.jsonl",
        "--config",
        config.to_str().unwrap(),
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
    let Some(plugin) = build_plugin(
        Lang::JavaScript,
        &root().join("examples/js-macros/macros.js"),
        "macros",
        "js-macros",
    ) else {
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
