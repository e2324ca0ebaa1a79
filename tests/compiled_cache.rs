//! The compile cache across restarts: the service on a data directory where several
//! tenants use the same components compiles each distinct component once; a restart
//! loads them all from `<data-dir>/compiled` and compiles nothing; an entry that is
//! not this engine's (another engine key in its name) or is corrupt is never used; a
//! plugin whose component cannot be loaded is skipped, and the service starts.

mod common;

use guichet::store::EventLog;
use guichet::store::PluginStore;
use std::path::{Path, PathBuf};

use serde_json::json;

use common::service::{Running, data_dir};
use guichet::reference_plugins;
use guichet::runtime::sha256_hex;
use guichet::store::{InstalledPlugin, SledStore};

const TENANTS: [&str; 3] = ["acme", "globex", "initech"];

/// `triage`'s component with a custom section appended: the same code, other bytes,
/// so another component (another SHA-256) to upload.
fn custom_component() -> Vec<u8> {
    let mut bytes = reference_plugins::find("triage")
        .unwrap()
        .component
        .to_vec();
    let name = b"guichet-test";
    let payload = b"compiled-cache";
    // A custom section: id 0, its size, then its name (length-prefixed) and payload.
    bytes.push(0);
    bytes.push((1 + name.len() + payload.len()) as u8);
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(payload);
    bytes
}

/// `(compiled, loaded)` as `GET /metrics` counts them.
fn counts(s: &Running) -> (u64, u64) {
    let mut response = s
        .http
        .get(format!("{}/metrics", s.base))
        .call()
        .expect("metrics");
    let text = response.body_mut().read_to_string().unwrap();
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    };
    (
        value("guichet_components_compiled_total "),
        value("guichet_components_loaded_total "),
    )
}

fn warmed_up(s: &Running) -> guichet::serve::WarmUp {
    s.runtime.block_on(s.service.as_ref().unwrap().warmed_up())
}

/// The cache's entries: file name → bytes.
fn entries(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The entry of the component `sha256`: its path, and the engine key in its name.
fn entry_of(dir: &Path, sha256: &str) -> (PathBuf, String) {
    let name = entries(dir)
        .into_keys()
        .find(|n| n.starts_with(sha256))
        .unwrap_or_else(|| panic!("no entry for {sha256} in {}", dir.display()));
    let key = name
        .strip_prefix(&format!("{sha256}-"))
        .and_then(|rest| rest.strip_suffix(".cwasm"))
        .unwrap_or_else(|| panic!("entry {name} is not <sha256>-<engine key>.cwasm"))
        .to_string();
    (dir.join(name), key)
}

#[test]
fn each_component_is_compiled_once_and_a_restart_compiles_nothing() {
    let dir = data_dir("compiled-cache");
    let compiled_dir = dir.join("compiled");
    let triage = sha256_hex(reference_plugins::find("triage").unwrap().component);
    let sla = sha256_hex(reference_plugins::find("sla").unwrap().component);
    let custom = custom_component();
    let custom_sha = sha256_hex(&custom);

    // Three tenants, each with the same three components: two reference plugins and
    // one uploaded (the same bytes by each tenant). Triage is enabled in the first.
    let s = Running::start(dir.clone());
    assert_eq!(warmed_up(&s).components, 0);
    assert_eq!(counts(&s), (0, 0));
    let mut admins = Vec::new();
    for tenant in TENANTS {
        let admin = s.tenant(tenant);
        for reference in ["triage", "sla"] {
            let answer = s.json(
                "PUT",
                &format!("/v1/tenants/{tenant}/plugins/{reference}"),
                &admin,
                json!({"reference": reference}),
            );
            assert_eq!(answer.status, 200, "{}", answer.body);
        }
        let answer = s.call(
            "PUT",
            &format!("/v1/tenants/{tenant}/plugins/custom/component"),
            Some(&admin),
            Some(custom.clone()),
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
        assert_eq!(answer.body["sha256"], custom_sha.as_str());
        admins.push(admin);
    }
    s.enable_triage(TENANTS[0], &admins[0]);
    assert_eq!(counts(&s), (3, 0), "each distinct component compiled once");
    let written = entries(&compiled_dir);
    assert_eq!(written.len(), 3, "{:?}", written.keys());
    let (_, key) = entry_of(&compiled_dir, &triage);
    assert_eq!(key.len(), 64);
    for sha in [&triage, &sla, &custom_sha] {
        assert_eq!(entry_of(&compiled_dir, sha).1, key, "one engine, one key");
    }
    s.stop();

    // A restart loads every component from the cache at start, compiles none, and
    // runs what it loaded.
    let s = Running::start(dir.clone());
    let warm = warmed_up(&s);
    assert_eq!(
        (
            warm.plugins,
            warm.components,
            warm.compiled,
            warm.loaded,
            warm.failed
        ),
        (9, 3, 0, 3, 0),
        "{warm:?}"
    );
    assert!(!warm.interrupted);
    let event: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(common::root().join("examples/triage/events.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let answer = s.json(
        "POST",
        &format!("/v1/tenants/{}/events?wait=true", TENANTS[0]),
        &admins[0],
        event,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let decision = &answer.body["outcomes"][0]["decisions"][0];
    assert_eq!(decision["plugin"], "triage", "{}", answer.body);
    assert!(decision.get("error").is_none(), "{decision}");
    assert_eq!(counts(&s), (0, 3), "nothing compiled after a restart");
    assert_eq!(
        entries(&compiled_dir),
        written,
        "the entries are left as they were"
    );
    s.stop();

    // Triage's entry moved under another engine key (as another wasmtime version or
    // setting would name it), sla's overwritten with garbage under its right name.
    let (triage_entry, _) = entry_of(&compiled_dir, &triage);
    let foreign = compiled_dir.join(format!("{triage}-{}.cwasm", "0".repeat(64)));
    std::fs::rename(&triage_entry, &foreign).unwrap();
    let (sla_entry, _) = entry_of(&compiled_dir, &sla);
    std::fs::write(&sla_entry, b"not a compiled component at all").unwrap();

    // And a plugin whose component is missing from the store: skipped at start.
    let missing = "f".repeat(64);
    {
        let store = SledStore::open(&dir.join("store")).unwrap();
        let broken: InstalledPlugin = serde_json::from_value(json!({
            "name": "broken", "source": {"type": "uploaded", "sha256": missing},
            "version": missing, "config": "{}", "order": 0, "subscriptions": [],
            "enabled": false, "updated_at": "2026-11-30T09:00:00Z",
        }))
        .unwrap();
        store.put_plugin(TENANTS[1], &broken).unwrap();
        store.flush().unwrap();
    }

    let s = Running::start(dir.clone());
    let warm = warmed_up(&s);
    assert_eq!(
        (warm.components, warm.compiled, warm.loaded, warm.failed),
        (4, 2, 1, 1),
        "{warm:?}"
    );
    assert_eq!(counts(&s), (2, 1));
    // Both written again under this engine's key; the foreign entry is left alone.
    assert_eq!(
        std::fs::read(&triage_entry).unwrap(),
        written[&file_name(&triage_entry)]
    );
    let rewritten = std::fs::read(&sla_entry).unwrap();
    assert!(
        rewritten.starts_with(b"\x7fELF"),
        "an entry is wasmtime's ELF image"
    );
    assert_eq!(rewritten, written[&file_name(&sla_entry)]);
    assert!(foreign.is_file());
    s.stop();

    // And the next restart loads all three again.
    let s = Running::start(dir.clone());
    let warm = warmed_up(&s);
    assert_eq!(
        (warm.compiled, warm.loaded, warm.failed),
        (0, 3, 1),
        "{warm:?}"
    );
    assert_eq!(counts(&s), (0, 3));
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}
