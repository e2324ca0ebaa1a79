//! `guichet dev`, the author's loop, run as an author would: the real binary on a
//! copy of a built component in a temporary directory, the component and its
//! configuration overwritten while it watches them.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use common::{guest_path, guichet, root, text};

/// How long a build may take to be reported (the first one compiles the component).
const BUILD_TIMEOUT: Duration = Duration::from_secs(120);

/// A fresh temporary directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guichet-dev-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The triage example's configuration, with `tag` added to the tags of the rule
/// `bank`: the same plugin then decides differently on the bank events.
fn triage_config_tagging_bank_with(tag: &str) -> String {
    let text = std::fs::read_to_string(root().join("examples/triage/config.json")).unwrap();
    let mut config: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rules = config["rules"].as_array_mut().unwrap();
    let bank = rules.iter_mut().find(|r| r["name"] == "bank").unwrap();
    bank["then"]["tags"]
        .as_array_mut()
        .unwrap()
        .push(tag.into());
    serde_json::to_string_pretty(&config).unwrap()
}

/// The SHA-256 `plugin check` reports for a component.
fn sha256_of(path: &Path) -> String {
    let out = guichet(&["plugin", "check", "--json", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    info["sha256"].as_str().unwrap().to_string()
}

/// A running `guichet dev`, its stdout read line by line; killed when dropped.
struct Dev {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Dev {
    fn start(args: &[&str]) -> Dev {
        let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .arg("dev")
            .args(args)
            .current_dir(root())
            .env("GUICHET_CACHE_DIR", root().join("target/compile-cache"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run guichet dev");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Dev {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The lines printed from now until one that `last` accepts, that one included;
    /// fails the test when none comes within `timeout`.
    fn until(&mut self, timeout: Duration, last: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    let done = last(&line);
                    lines.push(line);
                    if done {
                        return lines;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no such line within {timeout:?}; output so far:\n{}",
                        self.seen.join("\n")
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("guichet dev ended; its output:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    /// The report of build `n`, from its header to its summary line.
    fn build(&mut self, n: u64) -> Vec<String> {
        let summary = format!("build {n} (sha256 ");
        let mut lines = self.until(BUILD_TIMEOUT, |line| line.starts_with(&summary));
        let header = format!("== build {n} of ");
        let start = lines
            .iter()
            .position(|l| l.starts_with(&header))
            .unwrap_or_else(|| panic!("no header in:\n{}", lines.join("\n")));
        lines.drain(..start);
        lines
    }

    /// Waits for the process to end by itself; its exit status.
    fn exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "guichet dev did not end; its output:\n{}",
                self.seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The line of `event` in a part of the report.
fn line_of<'a>(lines: &'a [String], event: &str) -> &'a str {
    let prefix = format!("  {event} ");
    lines
        .iter()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line for {event} in:\n{}", lines.join("\n")))
}

/// The lines of a report from the `against build` line on: the diff.
fn diff_part(report: &[String]) -> &[String] {
    let at = report
        .iter()
        .position(|l| l.starts_with("against build "))
        .unwrap_or_else(|| panic!("no diff in:\n{}", report.join("\n")));
    &report[at..]
}

#[test]
fn once_runs_one_build_prints_its_decisions_and_exits() {
    let triage = guest_path("triage");
    let out = guichet(&[
        "dev",
        triage.to_str().unwrap(),
        "--events",
        "examples/triage/events.jsonl",
        "--config",
        "examples/triage/config.json",
        "--once",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    let sha = sha256_of(&triage);
    assert_eq!(
        lines[0],
        format!(
            "== build 1 of {} (sha256 {}…)",
            triage.display(),
            &sha[..12]
        )
    );
    assert_eq!(
        line_of(&lines, "evt-1"),
        "  evt-1  assign \"fraud/L2\", set_field {\"name\":\"level\",\"value\":{\"text\":\"L2\"}}, \
         set_priority \"urgent\", add_tags [\"fraud\"]"
    );
    assert_eq!(line_of(&lines, "evt-6"), "  evt-6  no action");
    assert_eq!(
        lines.last().unwrap(),
        &format!("build 1 (sha256 {}…): 6 events, 0 failing", &sha[..12])
    );
    assert!(!stdout.contains("watching"), "{stdout}");
    // The plugin's log goes to stderr, as with `plugin run`.
    assert!(
        text(&out.stderr).contains("[evt-1] info: ticket t-1 matched rule `fraud`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn once_on_a_file_that_is_no_component_fails_with_the_load_error() {
    let dir = temp_dir("once-broken");
    let broken = dir.join("plugin.wasm");
    std::fs::write(&broken, b"not a component at all").unwrap();
    let out = guichet(&[
        "dev",
        broken.to_str().unwrap(),
        "--events",
        "examples/triage/events.jsonl",
        "--once",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("is not a valid guichet plugin"), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn each_new_build_is_reported_with_its_diff_and_a_broken_one_leaves_the_loop_running() {
    let dir = temp_dir("loop");
    let plugin = dir.join("plugin.wasm");
    let config = dir.join("config.json");
    let (triage, hostile) = (guest_path("triage"), guest_path("hostile"));
    std::fs::copy(&triage, &plugin).unwrap();
    std::fs::copy(root().join("examples/triage/config.json"), &config).unwrap();
    let (triage_sha, hostile_sha) = (sha256_of(&triage), sha256_of(&hostile));
    let mut dev = Dev::start(&[
        plugin.to_str().unwrap(),
        "--events",
        "examples/triage/events.jsonl",
        "--config",
        config.to_str().unwrap(),
        "--builds",
        "4",
    ]);

    let first = dev.build(1);
    assert_eq!(
        first.last().unwrap(),
        &format!(
            "build 1 (sha256 {}…): 6 events, 0 failing",
            &triage_sha[..12]
        )
    );
    assert!(!first.iter().any(|l| l.starts_with("against")), "{first:?}");

    // The same plugin, configured to tag bank events `wire` too: evt-3 and evt-5.
    std::fs::write(&config, triage_config_tagging_bank_with("wire")).unwrap();
    let second = dev.build(2);
    let diff = diff_part(&second);
    assert_eq!(
        diff[0],
        format!("against build 1 (sha256 {}…):", &triage_sha[..12])
    );
    assert_eq!(line_of(diff, "evt-1"), "  evt-1  unchanged");
    assert_eq!(
        line_of(diff, "evt-5"),
        "  evt-5  changed: …, add_tags [\"bank\"] → …, add_tags [\"bank\",\"wire\"]"
    );
    assert_eq!(
        second.last().unwrap(),
        &format!(
            "build 2 (sha256 {}…): 6 events, 4 unchanged, 2 changed, 0 newly failing, 0 fixed",
            &triage_sha[..12]
        )
    );

    // A broken build: reported, and the loop goes on with build 2 as the reference.
    std::fs::write(&plugin, vec![0x42u8; 4096]).unwrap();
    let broken = dev.until(BUILD_TIMEOUT, |l| l.starts_with("== no build"));
    assert!(
        broken.last().unwrap().contains(&format!(
            "{} is not a valid guichet plugin",
            plugin.display()
        )),
        "{broken:?}"
    );
    dev.until(Duration::from_secs(10), |l| {
        l == "build 2 stays the reference"
    });

    // Another component: it tags every event `behaved` whatever its configuration.
    std::fs::write(&plugin, std::fs::read(&hostile).unwrap()).unwrap();
    let third = dev.build(3);
    assert_eq!(
        third[0],
        format!(
            "== build 3 of {} (sha256 {}…)",
            plugin.display(),
            &hostile_sha[..12]
        )
    );
    let diff = diff_part(&third);
    assert_eq!(
        diff[0],
        format!("against build 2 (sha256 {}…):", &triage_sha[..12])
    );
    assert_eq!(
        line_of(diff, "evt-6"),
        "  evt-6  changed: no action → add_tags [\"behaved\"]"
    );
    assert_eq!(
        third.last().unwrap(),
        &format!(
            "build 3 (sha256 {}…): 6 events, 0 unchanged, 6 changed, 0 newly failing, 0 fixed",
            &hostile_sha[..12]
        )
    );

    // Configured to refuse every event: each call now fails.
    std::fs::write(&config, "\"error\"").unwrap();
    let fourth = dev.build(4);
    let diff = diff_part(&fourth);
    assert_eq!(
        line_of(diff, "evt-2"),
        "  evt-2  newly failing: the plugin returned an error: the hostile plugin refuses \
         this event (was: add_tags [\"behaved\"])"
    );
    assert_eq!(
        fourth.last().unwrap(),
        &format!(
            "build 4 (sha256 {}…): 6 events, 0 unchanged, 0 changed, 6 newly failing, 0 fixed",
            &hostile_sha[..12]
        )
    );

    // `--builds 4`: the loop ends after the fourth build, successfully.
    assert!(dev.exit().success(), "{}", dev.seen.join("\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}
