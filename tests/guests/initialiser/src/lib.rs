//! A guest that asks to be pre-initialised (it exports `wizer-initialize`) and whose
//! initialiser does what its configuration names, so that the host's snapshots can be
//! tested on good and bad initialisers:
//!
//! - `count`: counts its runs in a global; each event tags the ticket `runs-N`, so a
//!   snapshot's events say `runs-1` and a plain instance's `runs-0`;
//! - `loop`: never returns; `trap`: panics; `grow-memory`: takes memory until the
//!   limit stops it;
//! - `print`: writes to stdout (the WASI stream it opens is the instance's own);
//! - `read-storage`: reads its storage and looks a ticket up (it finds none).
//!
//! Every event also prints a line, so that a snapshot whose stdout is broken shows.

wit_bindgen::generate!({
    path: "../../../wit/v0.3.0",
    inline: "
        package guichet:initialiser;
        world initialiser {
            include guichet:plugin/automation@0.3.0;
            export wizer-initialize: func();
        }
    ",
    world: "guichet:initialiser/initialiser",
    generate_all,
});

use std::sync::atomic::{AtomicU32, Ordering};

use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::rules::Guest as Rules;
use guichet::plugin::types::{Action, Event};
use guichet::plugin::{config, storage, tickets};

static RUNS: AtomicU32 = AtomicU32::new(0);

struct Initialiser;

impl Guest for Initialiser {
    fn wizer_initialize() {
        RUNS.fetch_add(1, Ordering::Relaxed);
        match config::get().trim_matches('"') {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "trap" => panic!("the initialiser gives up"),
            "grow-memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    let mut block = vec![0u8; 1 << 20];
                    block[0] = 1;
                    hoard.push(std::hint::black_box(block));
                }
            }
            "print" => println!("initialised"),
            "read-storage" => {
                assert!(storage::get("anything").is_none());
                assert!(tickets::get("t-1").is_none());
            }
            _ => {}
        }
    }
}

impl Rules for Initialiser {
    fn on_event(_event: Event) -> Result<Vec<Action>, String> {
        println!("event");
        Ok(vec![Action::AddTags(vec![format!(
            "runs-{}",
            RUNS.load(Ordering::Relaxed)
        )])])
    }
}

impl config_check::Guest for Initialiser {
    fn check_config(_config: String) -> Vec<ConfigProblem> {
        Vec::new()
    }
}

export!(Initialiser);
