//! A real PostgreSQL 15 server for a test binary, and fresh databases on it.
//!
//! This module owns the server's whole life: [`server`] starts one per test process on
//! first use, in a fresh temporary directory (its data directory, log and unix socket
//! all inside it), listening on a free loopback port; [`Server::database`] hands out a
//! new empty database on it for each caller. The binaries are Debian's `postgresql-15`
//! in [`Server::bin_dir`], installed by `scripts/install-postgres`.
//!
//! Test binaries never run the destructors of statics, so the server is not stopped by
//! a `Drop`: a small detached guardian process (`sh`), started before the cluster is
//! even created, waits for the test process to end — however it ends: returning,
//! panicking, or killed — then stops the server (`pg_ctl -m immediate`) and removes the
//! temporary directory. It runs in a process group of its own, so that a Ctrl-C or a
//! kill of the test's process group does not take it along, with its standard streams
//! on `/dev/null`, so that nothing waiting for the test's output waits for it too.
//!
//! PostgreSQL refuses to run as root: when the tests run as root, every PostgreSQL
//! binary is run as the `postgres` system user (through `runuser`), and the temporary
//! directory is given to that user. Otherwise they run as the current user.
//!
//! The server is tuned for tests, not durability: no `fsync`, no synchronous commit, no
//! full-page writes, and 200 connections.
//!
//! Any failure panics, saying what failed and that `scripts/install-postgres` installs
//! the server; a server that does not start adds the tail of its log. Nothing is ever
//! skipped silently.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// What to do when the server cannot be run here.
const INSTALL_HINT: &str = "run scripts/install-postgres (it installs Debian's postgresql-15, \
     whose binaries are in /usr/lib/postgresql/15/bin)";

/// The binaries the harness runs, all in [`Server::bin_dir`].
const TOOLS: [&str; 4] = ["initdb", "pg_ctl", "postgres", "createdb"];

/// The settings the server starts with, after its address, port and socket directory:
/// fast rather than durable, and enough connections for several pools at once.
const SETTINGS: &str =
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";

/// [`durable_server`]'s settings: PostgreSQL's defaults but for the connections.
const DURABLE_SETTINGS: &str = "-c max_connections=200";

/// How many times the server is started on a new free port when the port it was given
/// was taken in between by someone else.
const START_ATTEMPTS: u32 = 3;

/// The guardian's script. Arguments: the test process's id, the temporary directory,
/// the path of `pg_ctl`, and `postgres` when PostgreSQL's binaries must be run as the
/// `postgres` user (anything else: as the current user). The shell that runs it starts
/// the guardian proper in the background and exits at once, so that the guardian is
/// nobody's child but init's (and, in the background of a shell without job control,
/// ignores SIGINT and SIGQUIT). It polls every 200 ms.
const GUARDIAN: &str = r#"
(
  owner=$4
  as_owner() { if [ "$owner" = postgres ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  while kill -0 "$1" 2>/dev/null; do sleep 0.2; done
  if [ -f "$2/data/postmaster.pid" ]; then
    as_owner "$3" -D "$2/data" -m immediate -w -t 30 stop
  fi
  if [ -f "$2/data/postmaster.pid" ]; then
    kill -KILL "$(head -n 1 "$2/data/postmaster.pid")"
  fi
  rm -rf "$2"
) &
"#;

/// A PostgreSQL 15 server started for this test process by [`server`], on
/// `127.0.0.1:`[`port`](Server::port) with user `postgres` and trust authentication (no
/// password). Stopped, and its directory removed, when the process ends.
pub struct Server {
    /// The temporary directory: `data/` (the cluster), `server.log`, and the unix socket.
    dir: PathBuf,
    port: u16,
    /// Whether PostgreSQL's binaries run as the `postgres` user (the tests run as root).
    as_postgres: bool,
    /// How many databases [`Server::database`] has created (or begun to).
    next_database: AtomicU64,
}

/// The server of this test process, started on first use (about a second) and shared
/// by every test in the binary; later calls return it at once.
///
/// # Panics
///
/// When PostgreSQL 15's binaries are missing, when the `postgres` user is missing
/// while running as root, or when the cluster cannot be created or the server does not
/// start (then with the tail of the server's log). The message says to run
/// `scripts/install-postgres`. A call after such a panic tries again from scratch.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| Server::start(SETTINGS))
}

/// A server like [`server`]'s but with PostgreSQL's default durability (`fsync`,
/// synchronous commit and full-page writes on: a commit waits for its WAL to be on
/// disk), for benchmarks that compare it with sled's durable acknowledgement. A
/// process that calls both gets two servers.
///
/// # Panics
///
/// As [`server`].
pub fn durable_server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| Server::start(DURABLE_SETTINGS))
}

impl Server {
    /// The directory of PostgreSQL 15's server binaries (initdb, pg_ctl, postgres,
    /// createdb, psql), where Debian's `postgresql-15` package puts them:
    /// `/usr/lib/postgresql/15/bin`. It is not checked here; [`server`] checks it.
    pub fn bin_dir() -> PathBuf {
        PathBuf::from("/usr/lib/postgresql/15/bin")
    }

    /// The TCP port the server listens on, on 127.0.0.1 only.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates a new, empty database with a name no other call in this process gets
    /// (`test_1`, `test_2`, …), owned by `postgres`, and returns its URL:
    /// `postgres://postgres@127.0.0.1:{port}/{name}` (no password: trust
    /// authentication). Takes about 0.2 s (a copy of `template1`); calls from several
    /// threads run at once.
    ///
    /// # Panics
    ///
    /// When `createdb` cannot be run or fails, with its output.
    pub fn database(&self) -> String {
        let number = self.next_database.fetch_add(1, Ordering::Relaxed) + 1;
        let name = format!("test_{number}");
        let output = run(self
            .tool("createdb")
            .arg("-h")
            .arg(&self.dir)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", "postgres", &name]));
        assert!(
            output.status.success(),
            "createdb {name} on the test PostgreSQL server (port {}) failed: {}\n{}",
            self.port,
            output_text(&output),
            self.log_tail(),
        );
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates the temporary directory, starts its guardian, creates the cluster and
    /// starts the server.
    fn start(settings: &str) -> Server {
        let bin = Self::bin_dir();
        for tool in TOOLS {
            let path = bin.join(tool);
            assert!(
                path.is_file(),
                "PostgreSQL 15 is not installed here ({} is missing): {INSTALL_HINT}",
                path.display()
            );
        }
        let as_postgres = running_as_root();
        if as_postgres {
            let user = Command::new("id").args(["-u", "postgres"]).output();
            assert!(
                user.is_ok_and(|o| o.status.success()),
                "the tests run as root, which PostgreSQL refuses, and there is no `postgres` \
                 user to run it as: {INSTALL_HINT} (the package creates that user)"
            );
        }

        let dir = fresh_dir();
        if as_postgres {
            let output = run(Command::new("chown").arg("postgres:postgres").arg(&dir));
            assert!(
                output.status.success(),
                "chown postgres:postgres {} failed: {}",
                dir.display(),
                output_text(&output)
            );
        }
        spawn_guardian(&dir, as_postgres);

        let mut server = Server {
            dir,
            port: 0,
            as_postgres,
            next_database: AtomicU64::new(0),
        };
        let data = server.dir.join("data");
        let output = run(server
            .tool("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8"])
            .args(["--no-locale", "--no-sync"]));
        let reach = if as_postgres {
            format!(
                "\n(the tests run as root, so PostgreSQL runs as the `postgres` user, which \
                 must be able to reach {}: set TMPDIR elsewhere if it cannot)",
                server.dir.display()
            )
        } else {
            String::new()
        };
        assert!(
            output.status.success(),
            "initdb {} failed: {}{reach}\n{INSTALL_HINT}",
            data.display(),
            output_text(&output)
        );

        for attempt in 1..=START_ATTEMPTS {
            server.port = free_port();
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k '{}' {settings}",
                server.port,
                server.dir.display()
            );
            let output = run(server
                .tool("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(server.log_path())
                .args(["-w", "-t", "30", "-o", &options, "start"]));
            if output.status.success() {
                return server;
            }
            let log = server.log_tail();
            let port_taken = log.contains("Address already in use");
            if !(port_taken && attempt < START_ATTEMPTS) {
                panic!(
                    "the test PostgreSQL server did not start (pg_ctl start, port {}): {}\n\
                     {log}\n{INSTALL_HINT}",
                    server.port,
                    output_text(&output)
                );
            }
        }
        unreachable!("every attempt returns or panics")
    }

    /// A command running the PostgreSQL binary `tool`, as the `postgres` user when the
    /// tests run as root, in the temporary directory (which that user can read).
    fn tool(&self, tool: &str) -> Command {
        let path = Self::bin_dir().join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        command.current_dir(&self.dir);
        command
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The last lines of the server's log, headed, for a panic message.
    fn log_tail(&self) -> String {
        let path = self.log_path();
        match std::fs::read_to_string(&path) {
            Ok(log) => {
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(30)..].join("\n");
                format!("server log ({}), last lines:\n{tail}", path.display())
            }
            Err(e) => format!("no server log ({}): {e}", path.display()),
        }
    }
}

/// Runs `command` to completion, capturing its output; panics when it cannot be
/// started at all.
fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}\n{INSTALL_HINT}"))
}

/// A command's standard output and error, for a message.
fn output_text(output: &Output) -> String {
    format!(
        "{}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether this process's effective user is root: from `/proc/self/status`, or `id -u`
/// where there is no `/proc`.
fn running_as_root() -> bool {
    let from_proc = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let uids = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
            // Real, effective, saved, file system.
            uids.split_whitespace().nth(1).map(|uid| uid == "0")
        });
    from_proc.unwrap_or_else(|| {
        let output = Command::new("id")
            .arg("-u")
            .output()
            .expect("cannot run `id -u` to know whether the tests run as root");
        String::from_utf8_lossy(&output.stdout).trim() == "0"
    })
}

/// A new empty directory under the system's temporary directory, named after this
/// process and the time.
fn fresh_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("guichet-pg-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A loopback port nothing listens on at the moment.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("cannot bind a loopback port")
        .port()
}

/// Starts the process that stops the server in `dir` and removes `dir` once this
/// process has ended (see the module's documentation). It runs as the current user, so
/// that it may watch this process; only `pg_ctl` runs as `postgres`.
fn spawn_guardian(dir: &Path, as_postgres: bool) {
    let started = Command::new("sh")
        .arg("-c")
        .arg(GUARDIAN)
        .arg("guichet-postgres-guardian")
        .arg(std::process::id().to_string())
        .arg(dir)
        .arg(Server::bin_dir().join("pg_ctl"))
        .arg(if as_postgres { "postgres" } else { "self" })
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .status()
        .unwrap_or_else(|e| panic!("cannot start the PostgreSQL guardian (sh): {e}"));
    assert!(
        started.success(),
        "cannot start the PostgreSQL guardian (sh): {started}"
    );
}
