//! Store reviews carry no identity: they are compared on text alone, and found
//! without reading every review through locality-sensitive hashing.
//!
//! A review's word stems get a MinHash signature of [`BANDS`] × [`ROWS`] values; each
//! band is hashed, and the review is filed under each band's hash. Two reviews whose
//! stems overlap by a Jaccard index `j` share a band with probability
//! `1 - (1 - j²)^BANDS`: 0.9998 at `j = 0.8`, 0.98 at `j = 0.6`, 0.52 at `j = 0.3`.
//! Those that share two bands or more are candidates (a copy does with probability
//! 0.996), compared on their full text by the decision.
//!
//! The files are `BANDS × BUCKETS` storage keys, `rv/<band>/<bucket>`, each a JSON
//! list of `[band hash, ticket id, created at]`; entries older than the window are
//! dropped whenever a key is written. The key count is bounded (2,048), and the
//! lists share out the reviews of one window: a review's 8 reads and writes touch
//! 1/256 of them each (about 50 bytes an entry; a key holds 1,300 entries, some
//! 330,000 reviews a window in all).

use std::collections::BTreeSet;

use crate::host::Host;
use crate::numbers::fnv1a;

/// Bands of the signature.
pub const BANDS: usize = 8;
/// Values per band.
pub const ROWS: usize = 2;
/// Storage keys per band.
pub const BUCKETS: u64 = 256;

/// SplitMix64's finaliser: mixes a hash with a seed into an independent one.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The hash of each band of `stems`' MinHash signature; empty for no stems.
pub fn band_hashes(stems: &BTreeSet<String>) -> Vec<u64> {
    if stems.is_empty() {
        return Vec::new();
    }
    let hashes: Vec<u64> = stems.iter().map(|s| fnv1a(s.as_bytes())).collect();
    let mut signature = [u64::MAX; BANDS * ROWS];
    for h in hashes {
        for (i, slot) in signature.iter_mut().enumerate() {
            let v = mix(h ^ mix(i as u64 + 1));
            if v < *slot {
                *slot = v;
            }
        }
    }
    (0..BANDS)
        .map(|band| {
            let mut bytes = Vec::with_capacity(8 * (ROWS + 1));
            bytes.extend_from_slice(&(band as u64).to_le_bytes());
            for v in &signature[band * ROWS..(band + 1) * ROWS] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            fnv1a(&bytes)
        })
        .collect()
}

fn key(band: usize, hash: u64) -> String {
    format!("rv/{band}/{:02x}", hash % BUCKETS)
}

type Entry = (u64, String, i64);

fn read(host: &dyn Host, key: &str) -> Vec<Entry> {
    host.storage_get(key)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The most reviews [`candidates`] returns: each is read and compared in full, so
/// this bounds a review's cost however many reviews of the window look alike.
pub const MAX_CANDIDATES: usize = 8;

/// The bands a candidate must share with the review. A copy (stem Jaccard 0.8)
/// shares two of the eight with probability 0.996, a review on the same topic in
/// other words (0.3) with 0.16 (one band: 0.52), so that fewer look-alikes are read.
pub const MIN_SHARED_BANDS: usize = 2;

/// The reviews filed under at least [`MIN_SHARED_BANDS`] of `bands`, created at or
/// after `since`: those that share the most bands first (the likeliest copies), then
/// the newest; at most [`MAX_CANDIDATES`]. O(BANDS log n) storage reads, plus the
/// entries of those keys (1/256 of the window's reviews each).
pub fn candidates(host: &dyn Host, bands: &[u64], since: i64) -> Vec<String> {
    // id → (bands shared, created at)
    let mut found: std::collections::BTreeMap<String, (usize, i64)> = Default::default();
    for (band, hash) in bands.iter().enumerate() {
        for (h, id, at) in read(host, &key(band, *hash)) {
            if h == *hash && at >= since {
                let entry = found.entry(id).or_insert((0, at));
                entry.0 += 1;
            }
        }
    }
    let mut ranked: Vec<(usize, i64, String)> = found
        .into_iter()
        .map(|(id, (shared, at))| (shared, at, id))
        .collect();
    ranked.sort_by(|a, b| b.cmp(a));
    ranked
        .into_iter()
        .filter(|(shared, _, _)| *shared >= MIN_SHARED_BANDS)
        .take(MAX_CANDIDATES)
        .map(|(_, _, id)| id)
        .collect()
}

/// Files review `id` under its bands, dropping entries created before `since`.
/// O(BANDS log n) storage reads and writes.
pub fn file(host: &dyn Host, bands: &[u64], id: &str, at: i64, since: i64) -> Result<(), String> {
    for (band, hash) in bands.iter().enumerate() {
        let key = key(band, *hash);
        let mut entries = read(host, &key);
        entries.retain(|(_, other, created)| *created >= since && other != id);
        entries.push((*hash, id.to_string(), at));
        let bytes = serde_json::to_vec(&entries).map_err(|e| e.to_string())?;
        host.storage_set(&key, &bytes)
            .map_err(|e| format!("could not file review {id} under {key}: {e}"))?;
    }
    Ok(())
}

/// Characters of a shingle in [`similarity`].
pub const SHINGLE_CHARS: usize = 4;

/// The least Jaccard index of shingles two reviews need besides their containment:
/// a short review ("Super appli") inside a long one about something else is not the
/// same review.
pub const MIN_SHINGLE_JACCARD: f64 = 0.5;

/// The character shingles of a review: folded (case, accents), every run of other
/// characters than letters and digits made one space, cut in overlapping runs of
/// [`SHINGLE_CHARS`] characters.
pub fn shingles(text: &str) -> BTreeSet<u64> {
    let folded = crate::text::fold(text);
    let mut flat = String::from(" ");
    for c in folded.chars() {
        if c.is_alphanumeric() {
            flat.push(c);
        } else if !flat.ends_with(' ') {
            flat.push(' ');
        }
    }
    if !flat.ends_with(' ') {
        flat.push(' ');
    }
    let chars: Vec<char> = flat.chars().collect();
    chars
        .windows(SHINGLE_CHARS)
        .map(|w| fnv1a(w.iter().collect::<String>().as_bytes()))
        .collect()
}

/// How nearly two reviews are one text, from 0 to 1: the share of the shorter one's
/// shingles found in the longer one, or 0 when their Jaccard index is under
/// [`MIN_SHINGLE_JACCARD`]. A review posted again with a word fixed, a title or a
/// sentence added ("1 star", "Edit: still not fixed") keeps most of its shingles;
/// another reviewer's words on the same problem share few.
pub fn similarity(a: &BTreeSet<u64>, b: &BTreeSet<u64>) -> f64 {
    let shared = a.intersection(b).count();
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return 0.0;
    }
    let jaccard = shared as f64 / (a.len() + b.len() - shared) as f64;
    if jaccard < MIN_SHINGLE_JACCARD {
        return 0.0;
    }
    shared as f64 / smaller as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(words: &[&str]) -> BTreeSet<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn near_identical_texts_share_a_band() {
        let a = band_hashes(&set(&["appli", "plant", "demar", "depui", "mise", "jour"]));
        let b = band_hashes(&set(&[
            "appli", "plant", "demar", "depui", "mise", "jour", "nul",
        ]));
        assert_eq!(a.len(), BANDS);
        assert!(a.iter().zip(&b).any(|(x, y)| x == y));
        let c = band_hashes(&set(&["livra", "retar", "colis"]));
        assert!(!a.iter().zip(&c).any(|(x, y)| x == y));
        assert!(band_hashes(&BTreeSet::new()).is_empty());
    }

    #[test]
    fn a_review_posted_again_with_a_small_edit_is_nearly_the_same() {
        let first = shingles(
            "Readings get bounced back every time. I've photographed the meter, it's right.",
        );
        let again = shingles(
            "Can't submit readings\nReadings get bounced back every time. I've photographed the meter, it's right. 1 star.",
        );
        assert!(similarity(&again, &first) >= 0.9);
        let other = shingles(
            "Dommage, le virement instantané ne passe jamais. Sur iPhone 13 à jour. 1 étoile en attendant.",
        );
        let base = shingles(
            "Le virement instantané ne passe jamais, message « réessayez plus tard ». Le service client ne répond pas.",
        );
        assert!(similarity(&other, &base) < 0.8);
        assert_eq!(
            similarity(
                &shingles("Super appli"),
                &shingles("Super appli mais elle plante au démarrage depuis la mise à jour")
            ),
            0.0
        );
    }
}
