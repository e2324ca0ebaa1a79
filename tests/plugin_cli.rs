//! The `guichet plugin` commands, run as a user would: the real binary, fixture files.

mod common;

use serde_json::Value;

use common::{guest_path, guichet, root, text};

#[test]
fn check_prints_the_world_of_the_built_triage_component() {
    let path = guest_path("triage");
    let out = guichet(&["plugin", "check", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("world:   guichet:plugin@0.2.0 automation"),
        "{stdout}"
    );
    assert!(stdout.contains("guichet:plugin/rules@0.2.0"), "{stdout}");
    assert!(
        stdout.contains("guichet:plugin/config-check@0.2.0"),
        "{stdout}"
    );
    assert!(stdout.contains("size:    "), "{stdout}");
    // Each WASI import says what the sandbox gives it.
    let environment = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("wasi:cli/environment@"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        environment.contains("no variables, no arguments"),
        "{stdout}"
    );
    assert!(!stdout.contains("other exports"), "{stdout}");
    assert!(
        stdout.contains("pre-initialisable: yes (exports wizer-initialize: the service runs it"),
        "{stdout}"
    );
}

#[test]
fn check_refuses_a_random_file_with_a_readable_error() {
    let dir = std::env::temp_dir().join(format!("guichet-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("random.wasm");
    let bytes: Vec<u8> = (0u32..2048)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, bytes).unwrap();

    let out = guichet(&["plugin", "check", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("is not a valid guichet plugin"), "{stderr}");
    assert!(stderr.contains("component header"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn check_names_the_missing_file() {
    let out = guichet(&["plugin", "check", "no/such/plugin.wasm"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no/such/plugin.wasm: no such file"));
}

/// Runs `plugin` over `examples/<example>`'s events and configuration and checks that
/// it decides what the example's `expected.jsonl` says.
fn run_matches_example(plugin: &str, example: &str) -> std::process::Output {
    let events = format!("examples/{example}/events.jsonl");
    let config = format!("examples/{example}/config.json");
    let out = guichet(&[
        "plugin", "run", plugin, "--events", &events, "--config", &config,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected =
        std::fs::read_to_string(root().join(format!("examples/{example}/expected.jsonl"))).unwrap();
    let got: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want: Vec<Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), want.len());
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got["event"], want["event"]);
        assert_eq!(got["actions"], want["actions"], "event {}", want["event"]);
    }
    out
}

#[test]
fn run_prints_the_expected_actions_of_triage() {
    let out = run_matches_example(guest_path("triage").to_str().unwrap(), "triage");
    // The plugin's log names the rule that routed each ticket.
    assert!(text(&out.stderr).contains("[evt-1] info: ticket t-1 matched rule `fraud`"));
}

#[test]
fn run_prints_the_expected_actions_of_sla_by_its_reference_name() {
    // The example's ticket opens on Friday at 17:55 in Paris; its timers are due on
    // Monday at 10:55 (warning, 2 working hours left) and 12:55 (breach).
    let out = run_matches_example("sla", "sla");
    assert!(
        text(&out.stderr).contains(
            "[evt-1] debug: policy `standard`: sla:first_reply:warning at Mon 23 Nov 2026 10:55 CET"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn run_accepts_a_reference_plugin_by_name() {
    let out = guichet(&[
        "plugin",
        "run",
        "triage",
        "--events",
        "examples/triage/events.jsonl",
        "--config",
        "examples/triage/config.json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 6);
}

#[test]
fn run_refuses_a_configuration_the_plugin_refuses_before_any_call() {
    let out = guichet(&[
        "plugin",
        "run",
        "triage",
        "--events",
        "examples/triage/events.jsonl",
        "--config",
        "tests/fixtures/triage-bad-config.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // The plugin's `check-config` answered, as the service would on a PUT: no event
    // is run with it.
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("configuration: invalid triage configuration: unknown field `kewords`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the plugin refuses this configuration"),
        "{stderr}"
    );
}

/// A plugin built against 0.1.0 is not sent `fields_changed`, in the harness as in
/// the service: the line says so, and the run does not fail.
#[test]
fn run_skips_an_event_the_plugins_contract_does_not_have() {
    let timers = guest_path("timers");
    let out = guichet(&[
        "plugin",
        "run",
        timers.to_str().unwrap(),
        "--events",
        "tests/fixtures/fields-changed-events.jsonl",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0]["skipped"].is_null(), "{}", lines[0]);
    assert_eq!(
        lines[1]["skipped"],
        "a guichet:plugin@0.1.0 plugin is not sent `fields_changed` events"
    );
    assert!(lines[1].get("actions").is_none());
}

/// With `--apply`, a merge is applied as the service applies it: the change events it
/// causes and the target's gained message follow its line, and a later merge into a closed ticket is refused with
/// the host's reason. Without it, the actions are only printed.
#[test]
fn run_with_apply_applies_merges_and_runs_their_change_events() {
    let timers = guest_path("timers");
    let run = |apply: bool| {
        let mut args = vec![
            "plugin",
            "run",
            timers.to_str().unwrap(),
            "--events",
            "tests/fixtures/merge-events.jsonl",
        ];
        if apply {
            args.push("--apply");
        }
        let out = guichet(&args);
        let lines: Vec<Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (out, lines)
    };
    let (out, lines) = run(true);
    assert!(!out.status.success(), "a refused merge fails the run");
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    // b's merge makes a status change and a tag change, run after it.
    assert_eq!(
        events,
        [
            "a-created",
            "b-created",
            "b-created/1",
            "b-created/2",
            "b-created:merge/m-2",
            "c-created",
            "a-merge"
        ]
    );
    // a is told of the message it gained ("merge a", which the guest then tries on
    // a itself: refused).
    assert!(
        lines[4]["error"]
            .as_str()
            .unwrap()
            .contains("merge of ticket a into itself refused"),
        "{}",
        lines[4]
    );
    assert_eq!(lines[1]["actions"][1]["type"], "merge_into");
    assert_eq!(lines[1]["actions"][1]["ticket_id"], "a");
    assert!(lines[2]["error"].is_null(), "{}", lines[2]);
    assert_eq!(
        lines[6]["error"],
        "the host refused the plugin's actions: merge into ticket c refused: c is closed"
    );

    let (out, lines) = run(false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lines.len(), 4, "no change events without --apply");
    assert_eq!(lines[1]["actions"][1]["type"], "merge_into");
}

#[test]
fn run_names_the_bad_line_of_an_events_file() {
    let out = guichet(&[
        "plugin",
        "run",
        "triage",
        "--events",
        "tests/fixtures/bad-events.jsonl",
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("tests/fixtures/bad-events.jsonl:2: not a valid event"),
        "{stderr}"
    );
    assert!(stderr.contains("ticket_exploded"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing runs when the file is invalid"
    );
}

/// A reader that stops early (`| head -1`) ends the command quietly, with no panic on
/// the broken pipe.
#[test]
fn output_read_in_part_ends_the_command_quietly() {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' plugin check triage | head -1",
            env!("CARGO_BIN_EXE_guichet")
        ))
        .current_dir(root())
        .env("GUICHET_CACHE_DIR", root().join("target/compile-cache"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "reference plugin `triage`: a valid guichet plugin\n"
    );
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}
