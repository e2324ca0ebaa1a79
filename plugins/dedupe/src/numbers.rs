//! Ticket numbers: the references a customer cites ("Re: [#48213]", "demande
//! n°48213", "votre référence 48213"), and the plugin's index from a number to the
//! ticket carrying it in one of its number fields ([`NUMBER_FIELDS`]).
//!
//! The index is kept in [`BUCKETS`] storage keys, `num/00` to `num/ff`, chosen by a
//! hash of the number, each a small JSON map from number to ticket id: a look-up
//! reads one key, and 10,000 numbered tickets take about 40 entries (1.5 KiB) per key,
//! far under the 64 KiB a value may hold and the 10,000 keys a plugin may keep.

use std::collections::BTreeMap;

use crate::guichet::plugin::types::{FieldValue, Ticket};
use crate::host::Host;
use crate::text::fold;

/// The custom fields that may hold the number customers see, in order of precedence:
/// `number` (set by hand or by any bridge), `zammad_number` (set by the Zammad bridge
/// from Zammad's `number`) and `chatwoot_display_id` (set by the Chatwoot bridge from
/// the conversation's `display_id`). A ticket's number is the first of them present,
/// as text or number; all are indexed the same way.
pub const NUMBER_FIELDS: &[&str] = &["number", "zammad_number", "chatwoot_display_id"];
/// How many storage keys the index is spread over.
pub const BUCKETS: u64 = 256;

/// Words that, before a number, make it a ticket reference.
const TICKET_WORDS: &[&str] = &[
    "ticket",
    "tickets",
    "demande",
    "dossier",
    "ref",
    "reference",
    "requete",
    "request",
    "case",
];

/// Words that, right before a ticket word, make the number another kind of
/// reference: "commande réf. 48213", "order reference 48213", "contrat n° dossier".
const OTHER_REFERENCE_WORDS: &[&str] = &[
    "commande",
    "order",
    "facture",
    "invoice",
    "contrat",
    "contract",
    "client",
    "customer",
    "account",
    "compte",
    "transaction",
    "colis",
    "parcel",
    "tracking",
    "suivi",
    "sinistre",
    "claim",
    "booking",
    "reservation",
    "paiement",
    "payment",
];

/// Words between the keyword and the number: "demande n° 48213", "ticket no. 48213".
const NUMBER_WORDS: &[&str] = &["n", "no", "nr", "num", "numero", "number", "nb"];

/// 64-bit FNV-1a: a hash that stays the same across builds and platforms.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The ticket numbers `text` cites, in order, without repeats. A number counts when a
/// ticket word comes right before it (`ticket`, `demande`, `dossier`, `ref.`,
/// `référence`, possibly with `n°` or `#`), or when it is written `[#48213]`;
/// "commande 48213" or "order #48213" do not count.
pub fn cited_numbers(text: &str) -> Vec<String> {
    let folded = fold(text);
    let bytes = folded.as_bytes();
    let mut found: Vec<String> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let before = &folded[..start];
        let glued = before
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric());
        let glued_after = folded[i..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric());
        if glued || glued_after || !(4..=10).contains(&(i - start)) {
            continue;
        }
        if cites_ticket(before) {
            let number = folded[start..i].to_string();
            if !found.contains(&number) {
                found.push(number);
            }
        }
    }
    found
}

/// Whether the text right before a number makes it a ticket reference.
fn cites_ticket(before: &str) -> bool {
    let separators = |c: char| " \t#:°º.[(-_\u{a0}".contains(c);
    if before.trim_end_matches(' ').ends_with("[#") {
        return true;
    }
    let mut rest = before.trim_end_matches(separators);
    // "n°", "no.", "numéro" between the keyword and the number.
    let last = last_word(rest);
    if NUMBER_WORDS.contains(&last) {
        rest = rest[..rest.len() - last.len()].trim_end_matches(separators);
    }
    let keyword = last_word(rest);
    if !TICKET_WORDS.contains(&keyword) {
        return false;
    }
    // "commande réf. 48213", "numéro de client dossier 48213": another reference.
    let mut before_keyword = rest[..rest.len() - keyword.len()].trim_end_matches(separators);
    for filler in ["de", "du", "d", "la", "le", "of", "the", "my", "ma", "mon"] {
        if last_word(before_keyword) == filler {
            before_keyword =
                before_keyword[..before_keyword.len() - filler.len()].trim_end_matches(separators);
        }
    }
    !OTHER_REFERENCE_WORDS.contains(&last_word(before_keyword))
}

fn last_word(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(0, |(i, c)| i + c.len_utf8());
    &text[start..]
}

/// The number a ticket carries: the value of the first of [`NUMBER_FIELDS`] it has,
/// if any.
pub fn number_of(ticket: &Ticket) -> Option<String> {
    NUMBER_FIELDS.iter().find_map(|name| {
        ticket
            .fields
            .iter()
            .find(|f| f.name == *name)
            .and_then(|f| field_number(&f.value))
    })
}

/// A number field's value as the text customers cite.
pub fn field_number(value: &FieldValue) -> Option<String> {
    let text = match value {
        FieldValue::Text(text) => text.trim().trim_start_matches('#').trim().to_string(),
        FieldValue::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn bucket_key(number: &str) -> String {
    format!("num/{:02x}", fnv1a(number.as_bytes()) % BUCKETS)
}

fn read_bucket(host: &dyn Host, key: &str) -> BTreeMap<String, String> {
    host.storage_get(key)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write_bucket(
    host: &dyn Host,
    key: &str,
    bucket: &BTreeMap<String, String>,
) -> Result<(), String> {
    if bucket.is_empty() {
        host.storage_delete(key);
        return Ok(());
    }
    let bytes = serde_json::to_vec(bucket).map_err(|e| e.to_string())?;
    host.storage_set(key, &bytes)
        .map_err(|e| format!("could not keep the ticket-number index key {key}: {e}"))
}

/// The ticket id the index holds for `number`. O(log n) in the plugin's keys.
pub fn lookup(host: &dyn Host, number: &str) -> Option<String> {
    read_bucket(host, &bucket_key(number)).remove(number)
}

/// Records that `number` designates `ticket_id`. O(log n) in the plugin's keys.
pub fn insert(host: &dyn Host, number: &str, ticket_id: &str) -> Result<(), String> {
    let key = bucket_key(number);
    let mut bucket = read_bucket(host, &key);
    if bucket.get(number).map(String::as_str) == Some(ticket_id) {
        return Ok(());
    }
    bucket.insert(number.to_string(), ticket_id.to_string());
    write_bucket(host, &key, &bucket)
}

/// Forgets `number`, if it still designates `ticket_id`. O(log n) in the plugin's
/// keys.
pub fn remove(host: &dyn Host, number: &str, ticket_id: &str) -> Result<(), String> {
    let key = bucket_key(number);
    let mut bucket = read_bucket(host, &key);
    if bucket.get(number).map(String::as_str) != Some(ticket_id) {
        return Ok(());
    }
    bucket.remove(number);
    write_bucket(host, &key, &bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_ticket_references() {
        for (text, number) in [
            ("Re: [#48213] Remboursement", "48213"),
            ("voir ticket 48213", "48213"),
            ("ticket #48213 toujours ouvert", "48213"),
            ("ma demande n°48213", "48213"),
            ("ma demande n° 48213", "48213"),
            ("[Ticket#48213] colis", "48213"),
            ("Dossier 48213", "48213"),
            ("ref. 48213", "48213"),
            ("Votre référence 48213.", "48213"),
            ("ticket no. 48213", "48213"),
        ] {
            assert_eq!(cited_numbers(text), [number], "{text}");
        }
    }

    #[test]
    fn order_and_invoice_numbers_are_not_references() {
        for text in [
            "commande 48213",
            "order #48213",
            "facture 48213",
            "invoice n° 48213",
            "commande réf. 48213",
            "order reference 48213",
            "facture référence n° 48213",
            "numéro de contrat dossier 48213",
            "incident 48213",
            "#48213",
            "ticket 48213abc",
            "ticket 123",
            "appelez le 0639981234",
        ] {
            assert!(cited_numbers(text).is_empty(), "{text}");
        }
        assert_eq!(
            cited_numbers("ticket 48213, puis dossier 48213 et ref 50000"),
            ["48213", "50000"]
        );
    }

    #[test]
    fn hash_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
