//! Who wrote: identities compared after normalisation, and the links between the
//! identities of one person.
//!
//! An identity's canonical form is `kind:value` with e-mail addresses in lower case
//! (nothing cleverer: `zoe.martin+shop@example.fr` is another address) and phone,
//! WhatsApp and SMS numbers in E.164 under the single kind `tel`, so that a WhatsApp
//! id `33639981234` and a phone `06 39 98 12 34` are one identity.
//!
//! Identities seen together on one ticket are linked, transitively, from then on. The
//! links are kept in a fixed number of storage keys, [`BUCKETS`] of them (`id/000` to
//! `id/fff`, chosen by a hash of the canonical identity), each a JSON map from a
//! canonical identity to its entry: the other identities of its person and the
//! unusual spellings of the person's phone numbers (`06 39 98 12 34`), which the
//! host's index compares as written. An identity seen alone and written in a usual
//! form gets no entry: the host's index finds its tickets. The key count stays the
//! same whatever the tenant's size; a key's size grows with the linked identities
//! (about 62 bytes an entry), capped at [`MAX_BUCKET_BYTES`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::guichet::plugin::types::{Identity, IdentityKind, Ticket};
use crate::host::Host;
use crate::numbers::fnv1a;
use crate::phone;

/// The most identities one person record holds: past it, new links are not learnt
/// (a shared switchboard number would otherwise tie thousands of customers together).
pub const MAX_PERSON: usize = 32;

fn kind_name(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::Email => "email",
        IdentityKind::Phone => "phone",
        IdentityKind::Whatsapp => "whatsapp",
        IdentityKind::Messenger => "messenger",
        IdentityKind::AppStore => "app_store",
        IdentityKind::AppUser => "app_user",
        IdentityKind::External => "external",
    }
}

fn kind_of(name: &str) -> Option<IdentityKind> {
    Some(match name {
        "email" => IdentityKind::Email,
        "phone" => IdentityKind::Phone,
        "whatsapp" => IdentityKind::Whatsapp,
        "messenger" => IdentityKind::Messenger,
        "app_store" => IdentityKind::AppStore,
        "app_user" => IdentityKind::AppUser,
        "external" => IdentityKind::External,
        _ => return None,
    })
}

/// The canonical form of an identity: `email:zoe@example.fr`, `tel:+33639981234`,
/// `messenger:1234`.
pub fn canonical(identity: &Identity, config: &Config) -> String {
    let value = identity.value.trim();
    match identity.kind {
        IdentityKind::Email => format!("email:{}", value.to_lowercase()),
        IdentityKind::Phone | IdentityKind::Whatsapp => {
            let international = matches!(identity.kind, IdentityKind::Whatsapp);
            match phone::to_e164(value, config.region, international) {
                Some(e164) => format!("tel:{e164}"),
                None => format!("{}:{value}", kind_name(identity.kind)),
            }
        }
        kind => format!("{}:{value}", kind_name(kind)),
    }
}

/// The identities to ask the host's index for, to find the tickets of a canonical
/// identity: every usual spelling of a phone number, as phone and as WhatsApp.
fn queries_of(canon: &str, config: &Config, out: &mut Vec<Identity>) {
    let Some((kind, value)) = canon.split_once(':') else {
        return;
    };
    if kind == "tel" {
        for spelling in phone::spellings(value, config.region) {
            for kind in [IdentityKind::Phone, IdentityKind::Whatsapp] {
                push_query(out, kind, &spelling);
            }
        }
    } else if let Some(kind) = kind_of(kind) {
        push_query(out, kind, value);
    }
}

fn push_query(out: &mut Vec<Identity>, kind: IdentityKind, value: &str) {
    if !out.iter().any(|q| q.kind == kind && q.value == value) {
        out.push(Identity {
            kind,
            value: value.to_string(),
        });
    }
}

/// An identity as written on a ticket, `kind:value`, kept when the host's index
/// would not find it under a usual spelling.
fn unusual_spelling(identity: &Identity, canon: &str, config: &Config) -> Option<String> {
    let e164 = canon.strip_prefix("tel:")?;
    let value = identity.value.trim();
    let usual = phone::spellings(e164, config.region);
    (!usual.iter().any(|s| s == value)).then(|| format!("{}:{value}", kind_name(identity.kind)))
}

/// How many storage keys the link graph is spread over, `id/000` to `id/fff`, chosen
/// by a hash of the canonical identity: 10,000 linked identities put about 2 entries
/// (150 bytes) in a key, 1,000,000 about 244 (15 KiB; 18 KiB, 304 entries, in the
/// fullest key).
pub const BUCKETS: u64 = 4096;
/// The most bytes a link key may hold (the host allows 64 KiB): a link that would
/// make one larger is not learnt, and a warning is logged. Reached in the fullest
/// key at about 2.7 million linked identities (660 entries a key on average).
pub const MAX_BUCKET_BYTES: usize = 48 << 10;
/// Identities longer than this are compared but never linked: a bucket holds short
/// entries only.
const MAX_LINKED_LEN: usize = 200;

/// One person: canonical identities and unusual spellings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Person {
    ids: BTreeSet<String>,
    spellings: BTreeSet<String>,
}

/// What a link key holds for one identity: the other identities of its person and
/// the person's unusual spellings, `{"i": [...], "s": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    #[serde(rename = "i", default, skip_serializing_if = "BTreeSet::is_empty")]
    others: BTreeSet<String>,
    #[serde(rename = "s", default, skip_serializing_if = "BTreeSet::is_empty")]
    spellings: BTreeSet<String>,
}

/// One link key: canonical identity → entry.
type Bucket = BTreeMap<String, Entry>;

/// The link key of a canonical identity.
fn bucket_key(canon: &str) -> String {
    format!("id/{:03x}", fnv1a(canon.as_bytes()) % BUCKETS)
}

/// The link keys read during one call, each read once.
struct Links<'h> {
    host: &'h dyn Host,
    buckets: BTreeMap<String, Bucket>,
}

impl<'h> Links<'h> {
    fn new(host: &'h dyn Host) -> Self {
        Links {
            host,
            buckets: BTreeMap::new(),
        }
    }

    fn bucket(&mut self, key: &str) -> &mut Bucket {
        let host = self.host;
        self.buckets.entry(key.to_string()).or_insert_with(|| {
            host.storage_get(key)
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .unwrap_or_default()
        })
    }

    /// The person of `canon`, from its link key. O(log n + b): one read, b the entries
    /// of a link key.
    fn person(&mut self, canon: &str) -> Option<Person> {
        if canon.len() > MAX_LINKED_LEN {
            return None;
        }
        let entry = self.bucket(&bucket_key(canon)).get(canon)?;
        let mut ids = entry.others.clone();
        ids.insert(canon.to_string());
        Some(Person {
            ids,
            spellings: entry.spellings.clone(),
        })
    }
}

/// The requester of a ticket, with every identity linked to theirs.
#[derive(Debug, Clone, Default)]
pub struct Requester {
    /// The canonical identities on the ticket itself.
    pub own: BTreeSet<String>,
    /// The ticket's identities and every one linked to them.
    pub linked: BTreeSet<String>,
    /// Unusual spellings of the linked phone numbers, `kind:value`.
    pub spellings: BTreeSet<String>,
    /// Those of the ticket itself.
    own_spellings: BTreeSet<String>,
}

impl Requester {
    /// Reads the requester of `ticket` and their links. O(k log n): one storage read
    /// per identity on the ticket.
    pub fn of(host: &dyn Host, config: &Config, ticket: &Ticket) -> Requester {
        let mut requester = Requester::default();
        let mut links = Links::new(host);
        for identity in &ticket.requester.identities {
            if identity.value.trim().is_empty() {
                continue;
            }
            let canon = canonical(identity, config);
            if let Some(spelling) = unusual_spelling(identity, &canon, config) {
                requester.own_spellings.insert(spelling.clone());
                requester.spellings.insert(spelling);
            }
            if let Some(person) = links.person(&canon) {
                requester.linked.extend(person.ids);
                requester.spellings.extend(person.spellings);
            }
            requester.linked.insert(canon.clone());
            requester.own.insert(canon);
        }
        requester
    }

    /// The identities to ask the host's index for.
    pub fn queries(&self, config: &Config) -> Vec<Identity> {
        let mut out = Vec::new();
        for canon in &self.linked {
            queries_of(canon, config, &mut out);
        }
        for spelling in &self.spellings {
            if let Some((kind, value)) = spelling.split_once(':')
                && let Some(kind) = kind_of(kind)
            {
                push_query(&mut out, kind, value);
            }
        }
        out
    }

    /// Whether `ticket`'s requester is this person: an identity in common after
    /// normalisation, or linked.
    pub fn is_requester_of(&self, ticket: &Ticket, config: &Config) -> bool {
        ticket
            .requester
            .identities
            .iter()
            .any(|i| self.linked.contains(&canonical(i, config)))
    }

    /// The identity shared with `ticket`'s requester, for the note: one on this
    /// ticket if there is one, else one linked to it.
    pub fn shared_with(&self, ticket: &Ticket, config: &Config) -> Option<String> {
        let theirs: Vec<String> = ticket
            .requester
            .identities
            .iter()
            .map(|i| canonical(i, config))
            .collect();
        theirs
            .iter()
            .find(|c| self.own.contains(*c))
            .or_else(|| theirs.iter().find(|c| self.linked.contains(*c)))
            .map(|c| c.split_once(':').map_or(c.clone(), |(_, v)| v.to_string()))
    }

    /// Learns the links this ticket shows: its identities belong to one person from
    /// now on. Rewrites, whole, the link keys of the person's identities whose entry
    /// changes; none for a lone identity written in a usual form. O(p log n + p·b)
    /// for a person of p identities, b the entries of a link key.
    pub fn remember(&self, host: &dyn Host) -> Result<(), String> {
        let own: BTreeSet<&String> = self
            .own
            .iter()
            .filter(|c| c.len() <= MAX_LINKED_LEN)
            .collect();
        if own.len() < 2 && self.own_spellings.is_empty() {
            return Ok(());
        }
        let mut links = Links::new(host);
        let mut person = Person::default();
        for canon in &own {
            if let Some(stored) = links.person(canon) {
                person.ids.extend(stored.ids);
                person.spellings.extend(stored.spellings);
            }
        }
        person.ids.extend(own.iter().map(|c| (*c).clone()));
        person.ids.retain(|c| c.len() <= MAX_LINKED_LEN);
        person.spellings.extend(self.own_spellings.iter().cloned());
        let warn = |why: String| {
            host.log(
                crate::guichet::plugin::log::Level::Warn,
                &format!(
                    "identities {} not linked: {why}",
                    own.iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            )
        };
        if person.ids.len() > MAX_PERSON {
            warn(format!(
                "the person would hold {} identities, more than {MAX_PERSON}",
                person.ids.len()
            ));
            return Ok(());
        }
        let mut changed: BTreeSet<String> = BTreeSet::new();
        for canon in &person.ids {
            let mut others = person.ids.clone();
            others.remove(canon);
            let entry = Entry {
                others,
                spellings: person.spellings.clone(),
            };
            let key = bucket_key(canon);
            let bucket = links.bucket(&key);
            if bucket.get(canon) != Some(&entry) {
                bucket.insert(canon.clone(), entry);
                changed.insert(key);
            }
        }
        let mut writes = Vec::with_capacity(changed.len());
        for key in changed {
            let bytes = serde_json::to_vec(&links.buckets[&key]).map_err(|e| e.to_string())?;
            if bytes.len() > MAX_BUCKET_BYTES {
                warn(format!(
                    "the link key {key} would hold {} bytes, more than {MAX_BUCKET_BYTES}",
                    bytes.len()
                ));
                return Ok(());
            }
            writes.push((key, bytes));
        }
        for (key, bytes) in writes {
            host.storage_set(&key, &bytes)
                .map_err(|e| format!("could not keep the identity links key {key}: {e}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fullest link key of `people` people of an e-mail address and a phone
    /// number each: (average bytes, largest bytes, entries of the largest).
    fn fullest(people: usize) -> (usize, usize, usize) {
        let mut buckets: BTreeMap<String, Bucket> = BTreeMap::new();
        let mut counts = vec![0usize; BUCKETS as usize];
        let email = |i: usize| format!("email:client.{i}@example.fr");
        let phone = |i: usize| format!("tel:+336{:08}", 10_000_000 + i);
        for i in 0..people {
            for canon in [email(i), phone(i)] {
                counts[(fnv1a(canon.as_bytes()) % BUCKETS) as usize] += 1;
            }
        }
        let (top, _) = counts.iter().enumerate().max_by_key(|(_, c)| **c).unwrap();
        let top = format!("id/{top:03x}");
        let mut total = 0;
        for i in 0..people {
            let (a, b) = (email(i), phone(i));
            for (canon, other) in [(&a, &b), (&b, &a)] {
                let entry_bytes = serde_json::to_vec(&(
                    canon,
                    Entry {
                        others: [other.clone()].into(),
                        spellings: BTreeSet::new(),
                    },
                ))
                .unwrap()
                .len();
                total += entry_bytes;
                if bucket_key(canon) == top {
                    buckets.entry(top.clone()).or_default().insert(
                        canon.clone(),
                        Entry {
                            others: [other.clone()].into(),
                            spellings: BTreeSet::new(),
                        },
                    );
                }
            }
        }
        let bucket = &buckets[&top];
        let bytes = serde_json::to_vec(bucket).unwrap().len();
        (total / BUCKETS as usize, bytes, bucket.len())
    }

    #[test]
    fn link_keys_stay_small_at_a_million_identities() {
        for people in [5_000, 500_000] {
            let (average, largest, entries) = fullest(people);
            println!(
                "{} linked identities: {average} bytes a link key on average, {largest} in the fullest ({entries} entries)",
                2 * people
            );
            assert!(largest < MAX_BUCKET_BYTES / 2, "{largest} bytes");
        }
    }

    #[test]
    fn link_keys_are_id_and_three_hex_digits() {
        for canon in [
            "email:zoe@example.fr",
            "tel:+33639981234",
            "app_user:u-4812",
            "",
        ] {
            let key = bucket_key(canon);
            assert_eq!(key.len(), 6, "{key}");
            assert!(key.starts_with("id/"), "{key}");
            assert!(key[3..].chars().all(|c| c.is_ascii_hexdigit()), "{key}");
        }
    }
}
