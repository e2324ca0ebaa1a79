//! A guest that misbehaves on purpose, to prove that the host's per-call limits hold.
//!
//! Its configuration is one word that names the misbehaviour:
//! `loop`, `grow-memory`, `recurse`, `huge-output`, `trap`, `error`, `spam-log`,
//! `read-env`, `read-clock`, `random`; anything else behaves (returns one tag action).

wit_bindgen::generate!({
    path: "../../../wit",
    world: "guichet:plugin/automation@0.1.0",
});

use exports::guichet::plugin::rules::Guest;
use guichet::plugin::types::{Action, Event};
use guichet::plugin::{config, log};

struct Hostile;

impl Guest for Hostile {
    fn on_event(_event: Event) -> Result<Vec<Action>, String> {
        let behaviour = config::get();
        let behaviour = behaviour.trim().trim_matches('"');
        match behaviour {
            "loop" => {
                // An infinite loop the optimiser cannot remove.
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "grow-memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    let mut block = vec![0u8; 1 << 20];
                    block[0] = 1;
                    hoard.push(std::hint::black_box(block));
                }
            }
            "recurse" => Ok(vec![Action::AddTags(vec![format!("{}", recurse(1))])]),
            "huge-output" => {
                // 2,000 tags of 4 KiB: about 8 MiB of output, far over the host's cap
                // but well inside the memory limit.
                let tag = "x".repeat(4096);
                Ok(vec![Action::AddTags(vec![tag; 2000])])
            }
            "trap" => {
                let v: Vec<u32> = std::hint::black_box(Vec::new());
                #[allow(clippy::unnecessary_operation)]
                let x = v[3];
                Ok(vec![Action::AddTags(vec![x.to_string()])])
            }
            "error" => Err("the hostile plugin refuses this event".to_string()),
            "spam-log" => {
                for i in 0..100_000 {
                    println!("line {i} of a very chatty plugin that writes to stdout");
                    log::log(log::Level::Debug, &format!("log line {i}"));
                }
                Ok(vec![Action::AddTags(vec!["chatty".to_string()])])
            }
            "read-env" => {
                let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                let file = std::fs::read_to_string("/etc/passwd").is_ok();
                Ok(vec![Action::AddTags(vec![
                    format!("env-vars:{}", vars.len()),
                    format!("file-readable:{file}"),
                ])])
            }
            "read-clock" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                Ok(vec![Action::AddTags(vec![format!("now:{now}")])])
            }
            "random" => {
                let mut map = std::collections::HashMap::new();
                map.insert(1u8, ());
                // The std HashMap seed comes from wasi:random; so does this hasher.
                use std::hash::{BuildHasher, Hasher};
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u8(1);
                Ok(vec![Action::AddTags(vec![format!("hash:{}", h.finish())])])
            }
            _ => Ok(vec![Action::AddTags(vec!["behaved".to_string()])]),
        }
    }
}

#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    // A frame the optimiser cannot turn into a loop.
    let pad = std::hint::black_box([depth; 16]);
    recurse(depth + 1).wrapping_add(pad[(depth % 16) as usize])
}

export!(Hostile);
