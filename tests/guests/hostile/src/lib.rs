//! A guest that misbehaves on purpose, to prove that the host's per-call limits hold.
//!
//! Its configuration is one word that names the misbehaviour (or an object
//! `{"behaviour": "<word>"}`, as a tenant's plugin settings give it):
//! `loop`, `grow-memory`, `recurse`, `recurse-shadow-stack`, `huge-output`, `trap`,
//! `error`, `spam-log`,
//! `read-env`, `read-clock`, `random`, `sleep`, `sleep-forever`, `sleep-loop`,
//! `read-stdin`, `giant-note`, `grow-memory-retry`, `storage-flood`, `delete-flood`,
//! `storage-churn`, `storage-call-flood`, `ticket-lookup-flood`, `random-trap`,
//! `noop`; anything else behaves (returns one tag action).
//!
//! The host-call floods call the host without end (storage reads and writes; ticket
//! look-ups, which the first contract already has) until a limit stops them.
//! `random-trap` works for a while, the amount derived from the event's id, then
//! traps, one of several ways. `noop` decides nothing: no action at all.

wit_bindgen::generate!({
    path: "../../../wit/v0.1.0",
    world: "guichet:plugin/automation@0.1.0",
});

use exports::guichet::plugin::rules::Guest;
use guichet::plugin::types::{Action, Event};
use guichet::plugin::{config, log, storage, tickets};

struct Hostile;

impl Guest for Hostile {
    fn on_event(event: Event) -> Result<Vec<Action>, String> {
        let config = config::get();
        // The word alone, or as a tenant configures it: `{"behaviour": "loop"}`.
        let behaviour = match config.trim() {
            object if object.starts_with('{') => object.split('"').nth(3).unwrap_or(""),
            word => word.trim_matches('"'),
        };
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
            "recurse-shadow-stack" => Ok(vec![Action::AddTags(vec![format!(
                "{}",
                recurse_with_frames(1)
            )])]),
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
                for i in 0..10_000 {
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
            "sleep" => {
                // Becomes a WASI monotonic-clock pollable and a `poll` in the host.
                let started = std::time::Instant::now();
                std::thread::sleep(std::time::Duration::from_secs(30));
                let slept = started.elapsed().as_millis();
                Ok(vec![Action::AddTags(vec![format!("slept-ms:{slept}")])])
            }
            "sleep-forever" => {
                // A timer due in 584 years: a pollable that would never be ready
                // on a real clock.
                std::thread::sleep(std::time::Duration::from_nanos(u64::MAX));
                Ok(vec![Action::AddTags(vec!["woke".to_string()])])
            }
            "sleep-loop" => loop {
                // Waiting without end, one short sleep at a time.
                std::thread::sleep(std::hint::black_box(std::time::Duration::from_millis(1)));
            },
            "read-stdin" => {
                let mut line = String::new();
                let read = std::io::stdin().read_line(&mut line).unwrap_or(usize::MAX);
                Ok(vec![Action::AddTags(vec![format!("stdin-bytes:{read}")])])
            }
            "giant-note" => {
                // A 48 MiB internal note: under the memory limit, far over the output
                // limit.
                Ok(vec![Action::InternalNote("n".repeat(48 << 20))])
            }
            "grow-memory-retry" => {
                // Asks for 1 GiB, over any memory limit: the allocator must get "no"
                // (memory.grow returns -1), and the plugin goes on with less.
                let mut big: Vec<u8> = Vec::new();
                let refused = big.try_reserve_exact(1 << 30).is_err();
                let mut small: Vec<u8> = Vec::new();
                let retried = small.try_reserve_exact(1 << 20).is_ok();
                small.resize(1 << 20, 1);
                let sum: u64 = std::hint::black_box(&small).iter().map(|b| *b as u64).sum();
                Ok(vec![Action::AddTags(vec![
                    format!("refused:{refused}"),
                    format!("retried:{retried}"),
                    format!("sum:{sum}"),
                ])])
            }
            "storage-flood" => {
                // 64 KiB values under new keys until the host says no.
                let value = vec![7u8; 64 * 1024];
                let mut stored = 0;
                let refusal = loop {
                    match storage::set(&format!("flood-{stored}"), &value) {
                        Ok(()) => stored += 1,
                        Err(e) => break refusal(e).to_string(),
                    }
                    if stored == 100_000 {
                        break "never refused".to_string();
                    }
                };
                Ok(vec![Action::AddTags(vec![
                    format!("stored:{stored}"),
                    format!("refused:{refusal}"),
                ])])
            }
            "delete-flood" => {
                // 200,000 deletes of distinct 200-byte keys: the host must not keep
                // them all.
                let pad = "d".repeat(190);
                for n in 0..200_000u32 {
                    storage::delete(&format!("{pad}{n:08}"));
                }
                Ok(vec![Action::AddTags(vec!["deleted".to_string()])])
            }
            "storage-churn" => {
                // Overwrites of existing keys and a delete do not count as new keys.
                for n in 0..5 {
                    storage::set(&format!("k{n}"), b"again").map_err(|e| refusal(e).to_string())?;
                }
                storage::delete("k5");
                let outcomes: Vec<String> = (1..=3)
                    .map(|n| match storage::set(&format!("new-{n}"), b"v") {
                        Ok(()) => format!("new-{n}:ok"),
                        Err(e) => format!("new-{n}:{}", refusal(e)),
                    })
                    .collect();
                Ok(vec![Action::AddTags(outcomes)])
            }
            "storage-call-flood" => {
                // Reads of keys that are not there (each a look-up in the host's
                // store) and small writes, without end.
                let mut n: u64 = 0;
                loop {
                    let _ = std::hint::black_box(storage::get(&format!("absent-{}", n % 1024)));
                    let _ = std::hint::black_box(storage::set(
                        &format!("spin-{}", n % 64),
                        &n.to_le_bytes(),
                    ));
                    n = n.wrapping_add(1);
                }
            }
            "ticket-lookup-flood" => {
                // Every kind of ticket look-up, over and over: the event's ticket, the
                // 50 most recent tickets, the requester's open tickets.
                let ticket = event.ticket.as_ref();
                let id = ticket.map(|t| t.id.clone()).unwrap_or_default();
                let identity = ticket.and_then(|t| t.requester.identities.first());
                let mut seen: u64 = 0;
                loop {
                    seen =
                        seen.wrapping_add(tickets::get(&id).map_or(0, |t| t.messages.len()) as u64);
                    seen = seen.wrapping_add(tickets::recent(0, 50).len() as u64);
                    if let Some(identity) = identity {
                        seen = seen.wrapping_add(tickets::open_by_identity(identity).len() as u64);
                    }
                    std::hint::black_box(seen);
                }
            }
            "random-trap" => random_trap(&event.id),
            "noop" => Ok(Vec::new()),
            _ => Ok(vec![Action::AddTags(vec!["behaved".to_string()])]),
        }
    }
}

/// Works for a pseudo-random while (up to a few million rounds of arithmetic, with a
/// storage write now and then), the amount and the way it ends derived from `id`,
/// then traps: an index out of bounds, `unreachable`, or a division by zero.
fn random_trap(id: &str) -> Result<Vec<Action>, String> {
    // FNV-1a of the id, then xorshift rounds.
    let mut x = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) | 1;
    let rounds = x % 4_000_000;
    for round in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = std::hint::black_box(x);
        if round.is_multiple_of(500_000) {
            // Writes a trap must drop.
            let _ = storage::set(&format!("before-trap-{round}"), &x.to_le_bytes());
        }
    }
    match x % 3 {
        0 => {
            let v: Vec<u64> = std::hint::black_box(Vec::new());
            #[allow(clippy::unnecessary_operation)]
            let at = v[(x % 8) as usize];
            Ok(vec![Action::AddTags(vec![at.to_string()])])
        }
        1 => core::arch::wasm32::unreachable(),
        _ => {
            let zero: u64 = std::hint::black_box(0);
            Ok(vec![Action::AddTags(vec![(x / zero).to_string()])])
        }
    }
}

/// The WIT name of a storage refusal.
fn refusal(error: storage::StorageError) -> &'static str {
    match error {
        storage::StorageError::InvalidKey => "invalid-key",
        storage::StorageError::ValueTooLarge => "value-too-large",
        storage::StorageError::QuotaExceeded => "quota-exceeded",
    }
}

/// Recursion whose frames live on the Wasm stack only (locals, no address taken):
/// it overflows the engine's stack.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1).wrapping_add(depth)
}

/// Recursion whose frames hold an array in linear memory: Rust keeps those on a
/// "shadow stack" in linear memory, which overflows (past address 0) before the
/// engine's stack does.
#[inline(never)]
fn recurse_with_frames(depth: u64) -> u64 {
    let pad = std::hint::black_box([depth; 64]);
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse_with_frames(depth + 1).wrapping_add(pad[(depth % 64) as usize])
}

export!(Hostile);
