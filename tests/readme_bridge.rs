//! The README's walk-through of connecting a Zammad instance ("Walk-through: a Zammad
//! instance"), run as written against the real binary, with the fake helpdesk in
//! place of Zammad: the script's own commands, only the binary, the port and the data
//! directory changed to the test's.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::recorder::Recorder;

/// The shell block under the walk-through's heading.
fn walk_through() -> String {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let section = readme
        .split("### Walk-through: a Zammad instance")
        .nth(1)
        .expect("the README has the walk-through");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a sh block");
    block.to_string()
}

#[test]
fn the_readme_connects_zammad_and_the_helpdesk_gets_its_calls() {
    let helpdesk = Recorder::ok();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = common::root().join(format!(
        "target/service-tests/readme-bridge-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&data);
    let script = walk_through()
        .replace("cargo run --", env!("CARGO_BIN_EXE_guichet"))
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{port}"))
        .replace("/tmp/guichet-bridge-demo", data.to_str().unwrap());
    assert!(
        script.contains(env!("CARGO_BIN_EXE_guichet")),
        "the script starts the service"
    );
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(common::root())
        .env("HELPDESK", &helpdesk.base)
        .env(
            "GUICHET_CACHE_DIR",
            common::root().join("target/compile-cache"),
        )
        .output()
        .expect("bash runs");
    let stdout = common::text(&output.stdout);
    assert!(
        output.status.success(),
        "the script failed:\n{stdout}\n{}",
        common::text(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("Zammad's webhook endpoint: https://guichet.example.com/v1/inbound/"),
        "{stdout}"
    );
    assert_eq!(
        &lines[1..],
        [
            "ticket_created",
            "True",
            "401",
            "p2p/L1",
            "the adapter refused the request: rejected: X-Hub-Signature does not match the body"
        ],
        "{stdout}"
    );
    assert!(helpdesk.wait(Duration::from_secs(5), |r| r.len() >= 2));
    std::thread::sleep(Duration::from_millis(300));
    let calls: Vec<(String, String, String)> = helpdesk
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.text()))
        .collect();
    assert_eq!(
        calls,
        [
            (
                "PUT".to_string(),
                "/api/v1/tickets/512".to_string(),
                r#"{"group":"p2p/L1","level":"L1"}"#.to_string()
            ),
            (
                "POST".to_string(),
                "/api/v1/tags/add".to_string(),
                r#"{"item":"untriaged","o_id":512,"object":"Ticket"}"#.to_string()
            ),
        ]
    );
    let _ = std::fs::remove_dir_all(&data);
}
