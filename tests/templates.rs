//! `guichet plugin new` for every language and kind: the project is written, the
//! build command it prints is run as printed, and the run command it prints gives
//! the expected output on the project's sample input — the same output in every
//! language (`tests/fixtures/templates/KIND.expected.jsonl`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    Lang, guichet, json_lines_without_fuel, root, text, toolchain_path, toolchain_present,
};

const KINDS: [&str; 3] = ["automation", "macros", "channel-adapter"];

/// The commands `plugin new` printed after `next:`: `cd DIR`, the build, the run.
struct Printed {
    build: String,
    run: String,
}

fn new_project(lang: &str, kind: &str, dir: &Path) -> Printed {
    let _ = std::fs::remove_dir_all(dir);
    let name = format!("my-{kind}");
    let out = guichet(&[
        "plugin",
        "new",
        &name,
        "--lang",
        lang,
        "--kind",
        kind,
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let next: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != "next:")
        .skip(1)
        .map(str::trim)
        .collect();
    assert_eq!(next.len(), 3, "{stdout}");
    assert_eq!(next[0], format!("cd {}", dir.display()));
    Printed {
        build: next[1].to_string(),
        run: next[2].to_string(),
    }
}

/// Runs a printed command in `dir` with `sh -c`, `guichet` being the binary under
/// test and `path` prepended to the PATH.
fn sh(command: &str, dir: &Path, path: Option<&Path>) -> std::process::Output {
    let guichet = Path::new(env!("CARGO_BIN_EXE_guichet"));
    let mut search = vec![guichet.parent().unwrap().to_path_buf()];
    search.extend(path.map(Path::to_path_buf));
    search.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", std::env::join_paths(search).unwrap())
        .env("GUICHET_CACHE_DIR", root().join("target/compile-cache"))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    // The outer `cargo test` sets variables meant for its own build.
    for var in [
        "CARGO_TARGET_DIR",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run `{command}`: {e}"))
}

fn check_language(lang: &str, tool_dir: Option<PathBuf>) {
    let base = root().join("target/template-tests");
    for kind in KINDS {
        let dir = base.join(format!("{lang}-{kind}"));
        let printed = new_project(lang, kind, &dir);
        if lang == "rust" {
            // One Cargo target directory for the three Rust projects, so that their
            // common dependencies compile once; the printed commands are unchanged.
            let shared = base.join("rust-target");
            std::fs::create_dir_all(&shared).unwrap();
            std::os::unix::fs::symlink(&shared, dir.join("target")).unwrap();
        }
        let build = sh(&printed.build, &dir, tool_dir.as_deref());
        assert!(
            build.status.success(),
            "{lang} {kind}: `{}` failed:\n{}\n{}",
            printed.build,
            text(&build.stdout),
            text(&build.stderr)
        );
        let run = sh(&printed.run, &dir, None);
        assert!(
            run.status.success(),
            "{lang} {kind}: `{}` failed:\n{}\n{}",
            printed.run,
            text(&run.stdout),
            text(&run.stderr)
        );
        let expected = root().join(format!("tests/fixtures/templates/{kind}.expected.jsonl"));
        assert_eq!(
            json_lines_without_fuel(&text(&run.stdout)),
            json_lines_without_fuel(&std::fs::read_to_string(expected).unwrap()),
            "{lang} {kind}: the sample output differs"
        );
        if kind == "channel-adapter" {
            check_adapter_refusals(lang, &dir, &printed.run);
        }
        check_config_refusal(lang, kind, &dir, &printed.run);
    }
}

/// A configuration the plugin's `check-config` refuses stops the run before any call,
/// each problem named with its place, the same in every language.
fn check_config_refusal(lang: &str, kind: &str, dir: &Path, run: &str) {
    let (config, expected): (&str, &[&str]) = match kind {
        "automation" => (
            r#"{"keywords": "urgent", "tag": 3}"#,
            &[
                "configuration /keywords: `keywords` must be a list of words",
                "configuration /tag: `tag` must be a string",
            ],
        ),
        "macros" => (
            r#"{"signature": ["x"]}"#,
            &["configuration /signature: `signature` must be a string"],
        ),
        _ => (
            r#"{"send_url": "ftp://x", "secret": ""}"#,
            &[
                "configuration /send_url: `send_url` must be an http(s) URL, not `ftp://x`",
                "configuration /secret: `secret` is empty",
            ],
        ),
    };
    std::fs::write(dir.join("bad-config.json"), config).unwrap();
    let out = sh(
        &run.replace("--config config.json", "--config bad-config.json"),
        dir,
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{lang} {kind}: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).is_empty(),
        "{lang} {kind}: no call is made"
    );
    let stderr = text(&out.stderr);
    let named: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("configuration "))
        .collect();
    assert_eq!(named, expected, "{lang} {kind}: {stderr}");
}

/// The shared secret of the sample configuration, which the gateway sends in
/// `X-Gateway-Secret`.
const ADAPTER_SECRET: &str = "shared-with-the-gateway";

/// Bad deliveries get `malformed` or `rejected` answers, the same in every language,
/// never a trap; a lower-case method and a capitalised header name arrive normalised.
/// The fixture's deliveries are sent with the configured secret (under a capitalised
/// name), so that what is checked is what they carry.
fn check_adapter_refusals(lang: &str, dir: &Path, run: &str) {
    let fixture = root().join("tests/fixtures/templates/channel-adapter-bad-requests.jsonl");
    let signed: Vec<String> = std::fs::read_to_string(fixture)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut call: serde_json::Value = serde_json::from_str(l).unwrap();
            if call["type"] == "inbound" {
                call["request"]["headers"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!({"name": "X-Gateway-Secret", "value": ADAPTER_SECRET}));
            }
            call.to_string()
        })
        .collect();
    std::fs::write(dir.join("bad-requests.jsonl"), signed.join("\n") + "\n").unwrap();
    let command = run.replace("sample-requests.jsonl", "bad-requests.jsonl");
    let out = sh(&command, dir, None);
    assert_eq!(out.status.code(), Some(1), "{lang}: {}", text(&out.stderr));
    let lines = json_lines_without_fuel(&text(&out.stdout));
    assert_eq!(lines.len(), 4, "{lang}: {lines:?}");
    assert_eq!(
        lines[0]["inbound"][0]["external_message_id"], "sms-82",
        "{lang}"
    );
    let errors: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["error"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        errors,
        [
            "the adapter refused the request: malformed: the body must be a JSON object",
            "the adapter refused the request: malformed: `sent_at` is missing",
            "the adapter refused the request: rejected: the requester has no phone number",
        ],
        "{lang}"
    );
    check_adapter_calls(lang, dir, run);
}

/// What 0.3.0 added: a delivery without the configured secret is refused, a delivery
/// id is read from `X-Delivery-Id`, and of the actions on a ticket only the public
/// replies are rendered, one request each, in order.
fn check_adapter_calls(lang: &str, dir: &Path, run: &str) {
    let inbound = |id: &str, headers: serde_json::Value| {
        serde_json::json!({
            "type": "inbound",
            "id": id,
            "received_at": "2026-11-23T09:00:01Z",
            "request": {
                "method": "POST",
                "path": "/sms",
                "headers": headers,
                "body": r#"{"id":"sms-84","from":"+33612345678","text":"Toujours bloquée","sent_at":1795424400000}"#,
            },
        })
    };
    let ticket = serde_json::json!({
        "id": "t-1",
        "channel": "sms",
        "requester": {"identities": [{"kind": "phone", "value": "+33612345678"}]},
        "created_at": "2026-11-23T09:00:00Z",
        "updated_at": "2026-11-23T09:30:00Z",
    });
    let calls = [
        inbound(
            "delivered",
            serde_json::json!([
                {"name": "x-gateway-secret", "value": ADAPTER_SECRET},
                {"name": "X-Delivery-Id", "value": "dlv-7"},
            ]),
        ),
        inbound(
            "forged",
            serde_json::json!([{"name": "x-gateway-secret", "value": "shared-with-the-gatewaY"}]),
        ),
        inbound("unsigned", serde_json::json!([])),
        serde_json::json!({
            "type": "render",
            "id": "replies",
            "ticket": ticket,
            "actions": [
                {"type": "internal_note", "body": "Carte vérifiée"},
                {"type": "public_reply", "body": "C'est réglé."},
                {"type": "add_tags", "tags": ["carte"]},
                {"type": "public_reply", "body": "Bonne journée", "channel": "sms"},
                {"type": "close"},
            ],
            "related": [],
        }),
        serde_json::json!({
            "type": "render",
            "id": "silent",
            "ticket": ticket,
            "actions": [{"type": "set_priority", "priority": "high"}],
        }),
        serde_json::json!({
            "type": "outbound",
            "id": "note",
            "reply": {"body": "Vu", "public": false, "ticket": ticket},
        }),
    ];
    let lines: Vec<String> = calls.iter().map(|c| c.to_string() + "\n").collect();
    std::fs::write(dir.join("more-requests.jsonl"), lines.concat()).unwrap();
    let command = run.replace("sample-requests.jsonl", "more-requests.jsonl");
    let out = sh(&command, dir, None);
    assert_eq!(out.status.code(), Some(1), "{lang}: {}", text(&out.stderr));
    let lines = json_lines_without_fuel(&text(&out.stdout));
    assert_eq!(lines.len(), calls.len(), "{lang}: {lines:?}");

    let delivered = &lines[0];
    assert_eq!(delivered["request"], "delivered", "{lang}");
    assert_eq!(delivered["delivery_id"], "dlv-7", "{lang}: {delivered}");
    assert_eq!(
        delivered["inbound"][0]["external_message_id"], "sms-84",
        "{lang}: {delivered}"
    );
    assert!(delivered.get("answer").is_none(), "{lang}: {delivered}");

    let errors: Vec<&str> = lines[1..3]
        .iter()
        .map(|l| l["error"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        errors,
        [
            "the adapter refused the request: rejected: X-Gateway-Secret does not match the configured `secret`",
            "the adapter refused the request: rejected: X-Gateway-Secret is missing",
        ],
        "{lang}"
    );

    let sms = |text: &str| {
        serde_json::json!({
            "method": "POST",
            "url": "https://sms-gateway.example.com/send",
            "headers": [{"name": "content-type", "value": "application/json"}],
            "body": serde_json::json!({"text": text, "to": "+33612345678"}).to_string(),
        })
    };
    assert_eq!(
        lines[3]["requests"],
        serde_json::json!([sms("C'est réglé."), sms("Bonne journée")]),
        "{lang}: {}",
        lines[3]
    );
    assert_eq!(
        lines[4]["requests"],
        serde_json::json!([]),
        "{lang}: {}",
        lines[4]
    );
    assert_eq!(
        lines[5]["requests"],
        serde_json::json!([]),
        "{lang}: {}",
        lines[5]
    );
}

#[test]
fn rust_templates_build_and_run() {
    check_language("rust", None);
}

#[test]
fn python_templates_build_and_run() {
    if !toolchain_present(Lang::Python) {
        return;
    }
    let bin = toolchain_path(Lang::Python).parent().unwrap().to_path_buf();
    check_language("python", Some(bin));
}

#[test]
fn js_templates_build_and_run() {
    // The JavaScript projects install componentize-js themselves (`npm install`);
    // node and npm are what the installed toolchain proves present.
    if !toolchain_present(Lang::JavaScript) {
        return;
    }
    check_language("js", None);
}

#[test]
fn new_refuses_a_bad_name_and_an_existing_project() {
    let out = guichet(&[
        "plugin", "new", "My Rules", "--lang", "rust", "--kind", "macros",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("is not a usable plugin name"));

    let dir = root().join("target/template-tests/existing");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "mine").unwrap();
    let out = guichet(&[
        "plugin",
        "new",
        "rules",
        "--lang",
        "python",
        "--kind",
        "automation",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("already exists and is not empty"));
    assert_eq!(
        std::fs::read_to_string(dir.join("keep.txt")).unwrap(),
        "mine"
    );
}
