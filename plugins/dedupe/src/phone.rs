//! Phone numbers to E.164, however they are written: `06 39 98 12 34`,
//! `+33 (0)6 39 98 12 34`, `0033 6 39 98 12 34`, `+33639981234`, or a WhatsApp id
//! `33639981234`.
//!
//! A maintained library (`phonenumber`, libphonenumber's metadata) builds for
//! wasm32-wasip2 but parses its whole metadata on first use: about 1.3 billion fuel
//! units for one number, in every call since each call runs in a fresh instance,
//! which is past the host's 100 ms deadline. This module does what the comparison of
//! identities needs, for the regions of [`REGIONS`]: read the international prefix,
//! the trunk prefix and the `(0)` some write after the country code, and check the
//! length. It does not validate number ranges: two writings of one number give the
//! same E.164 string, which is what identity matching asks.

/// A region national numbers can be read in.
#[derive(Debug, PartialEq, Eq)]
pub struct Region {
    /// ISO 3166 alpha-2 code, upper case.
    pub code: &'static str,
    /// Country calling code, digits.
    pub calling_code: &'static str,
    /// The prefix dialled before a national number (`0` in France), if any.
    pub trunk: Option<&'static str>,
    /// The prefix dialled before an international number (`00`, `011`).
    pub international: &'static str,
    /// The lengths of a national significant number (without trunk prefix).
    pub lengths: (usize, usize),
}

const fn region(
    code: &'static str,
    calling_code: &'static str,
    trunk: Option<&'static str>,
    international: &'static str,
    lengths: (usize, usize),
) -> Region {
    Region {
        code,
        calling_code,
        trunk,
        international,
        lengths,
    }
}

/// The regions `default_region` may name.
pub static REGIONS: [Region; 40] = [
    region("AT", "43", Some("0"), "00", (4, 13)),
    region("AU", "61", Some("0"), "0011", (9, 9)),
    region("BE", "32", Some("0"), "00", (8, 9)),
    region("BR", "55", Some("0"), "00", (10, 11)),
    region("CA", "1", Some("1"), "011", (10, 10)),
    region("CH", "41", Some("0"), "00", (9, 9)),
    region("CI", "225", None, "00", (10, 10)),
    region("CM", "237", None, "00", (9, 9)),
    region("CZ", "420", None, "00", (9, 9)),
    region("DE", "49", Some("0"), "00", (6, 13)),
    region("DK", "45", None, "00", (8, 8)),
    region("DZ", "213", Some("0"), "00", (8, 9)),
    region("ES", "34", None, "00", (9, 9)),
    region("FI", "358", Some("0"), "00", (5, 12)),
    region("FR", "33", Some("0"), "00", (9, 9)),
    region("GB", "44", Some("0"), "00", (9, 10)),
    region("GR", "30", None, "00", (10, 10)),
    region("HU", "36", Some("06"), "00", (8, 9)),
    region("IE", "353", Some("0"), "00", (7, 10)),
    region("IN", "91", Some("0"), "00", (10, 10)),
    region("IT", "39", None, "00", (6, 11)),
    region("JP", "81", Some("0"), "010", (9, 10)),
    region("LU", "352", None, "00", (4, 11)),
    region("MA", "212", Some("0"), "00", (9, 9)),
    region("MC", "377", None, "00", (8, 9)),
    region("MX", "52", None, "00", (10, 10)),
    region("NL", "31", Some("0"), "00", (9, 9)),
    region("NO", "47", None, "00", (8, 8)),
    region("NZ", "64", Some("0"), "00", (8, 10)),
    region("PL", "48", None, "00", (9, 9)),
    region("PT", "351", None, "00", (9, 9)),
    region("RO", "40", Some("0"), "00", (9, 9)),
    region("SE", "46", Some("0"), "00", (7, 10)),
    region("SG", "65", None, "000", (8, 8)),
    region("SN", "221", None, "00", (9, 9)),
    region("TN", "216", None, "00", (8, 8)),
    region("TR", "90", Some("0"), "00", (10, 10)),
    region("US", "1", Some("1"), "011", (10, 10)),
    region("ZA", "27", Some("0"), "00", (9, 9)),
    region("PE", "51", Some("0"), "00", (8, 9)),
];

impl Region {
    /// The region of an ISO 3166 alpha-2 code, in any case.
    pub fn find(code: &str) -> Option<&'static Region> {
        REGIONS.iter().find(|r| r.code.eq_ignore_ascii_case(code))
    }

    /// Every known code, sorted.
    pub fn codes() -> Vec<&'static str> {
        let mut codes: Vec<&str> = REGIONS.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        codes
    }
}

/// The trunk prefix of the regions of a calling code, if they all use `0`: what some
/// write between the country code and the number (`+33 06 …`).
fn zero_trunk_after(calling_code_and_rest: &str) -> Option<usize> {
    REGIONS
        .iter()
        .filter(|r| r.trunk == Some("0"))
        .find(|r| {
            calling_code_and_rest.starts_with(r.calling_code)
                && calling_code_and_rest[r.calling_code.len()..].starts_with('0')
        })
        .map(|r| r.calling_code.len())
}

/// `raw` in E.164 (`+33639981234`), read in `region` when written nationally; `None`
/// when it is not a phone number (letters, too short or too long).
///
/// `international_digits` says that digits without a prefix are an international
/// number (a WhatsApp id, `33639981234`) rather than a national one.
pub fn to_e164(raw: &str, region: &Region, international_digits: bool) -> Option<String> {
    let text = raw.trim();
    let plus = text.starts_with('+');
    let mut digits = String::with_capacity(text.len());
    let mut rest = if plus { &text[1..] } else { text };
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("(0)") {
            // `+33 (0)6 …`: the trunk prefix some show in brackets.
            if !digits.is_empty() {
                rest = &rest[3..];
                continue;
            }
        }
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '\u{a0}' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return None,
        }
        rest = &rest[c.len_utf8()..];
    }
    let national = |digits: &str| format!("{}{digits}", region.calling_code);
    let fits = |n: usize| (region.lengths.0..=region.lengths.1).contains(&n);
    let mut full = if plus {
        digits
    } else if let Some(after) = digits.strip_prefix(region.international) {
        after.to_string()
    } else if let Some(after) = digits
        .strip_prefix("00")
        .filter(|_| region.international != "00")
    {
        after.to_string()
    } else if international_digits && !digits.starts_with('0') {
        digits
    } else if let Some(after) = region
        .trunk
        .and_then(|t| digits.strip_prefix(t))
        .filter(|after| fits(after.len()))
    {
        national(after)
    } else if fits(digits.len()) && !digits.starts_with('0') {
        national(&digits)
    } else {
        digits
    };
    // `+33 06 …`: a trunk prefix kept after the country code.
    if let Some(at) = zero_trunk_after(&full) {
        let candidate = format!("{}{}", &full[..at], &full[at + 1..]);
        if (8..=15).contains(&candidate.len()) {
            full = candidate;
        }
    }
    if !(8..=15).contains(&full.len()) || full.starts_with('0') {
        return None;
    }
    Some(format!("+{full}"))
}

/// The ways adapters commonly write `e164` in an identity: with `+`, digits without
/// `+` (WhatsApp), and the national form when it is a number of `region`.
pub fn spellings(e164: &str, region: &Region) -> Vec<String> {
    let digits = e164.trim_start_matches('+');
    let mut out = vec![e164.to_string(), digits.to_string()];
    if let (Some(national), Some(trunk)) = (digits.strip_prefix(region.calling_code), region.trunk)
    {
        out.push(format!("{trunk}{national}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr() -> &'static Region {
        Region::find("FR").unwrap()
    }

    #[test]
    fn every_writing_of_a_french_number_gives_one_e164() {
        for raw in [
            "06 39 98 12 34",
            "06.39.98.12.34",
            "0639981234",
            "+33 (0)6 39 98 12 34",
            "+33 6 39 98 12 34",
            "0033 6 39 98 12 34",
            "+33639981234",
            "+33 06 39 98 12 34",
            "639981234",
        ] {
            assert_eq!(
                to_e164(raw, fr(), false).as_deref(),
                Some("+33639981234"),
                "{raw}"
            );
        }
        assert_eq!(
            to_e164("33639981234", fr(), true).as_deref(),
            Some("+33639981234")
        );
        assert_eq!(
            to_e164("+33639981234", fr(), true).as_deref(),
            Some("+33639981234")
        );
    }

    #[test]
    fn international_numbers_keep_their_country() {
        assert_eq!(
            to_e164("+44 7700 900123", fr(), false).as_deref(),
            Some("+447700900123")
        );
        assert_eq!(
            to_e164("+44 (0)7700 900123", fr(), false).as_deref(),
            Some("+447700900123")
        );
        assert_eq!(
            to_e164("0044 7700 900123", fr(), false).as_deref(),
            Some("+447700900123")
        );
        assert_eq!(
            to_e164("447700900123", fr(), true).as_deref(),
            Some("+447700900123")
        );
        let gb = Region::find("gb").unwrap();
        assert_eq!(
            to_e164("07700 900123", gb, false).as_deref(),
            Some("+447700900123")
        );
        let us = Region::find("US").unwrap();
        assert_eq!(
            to_e164("(415) 555-2671", us, false).as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            to_e164("1 415 555 2671", us, false).as_deref(),
            Some("+14155552671")
        );
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        assert_eq!(to_e164("zoe@example.fr", fr(), false), None);
        assert_eq!(to_e164("12", fr(), false), None);
        assert_eq!(to_e164("", fr(), true), None);
        assert_eq!(to_e164("+33 6 39 98 12 34 56 78 90 12", fr(), false), None);
    }

    #[test]
    fn spellings_cover_what_adapters_write() {
        assert_eq!(
            spellings("+33639981234", fr()),
            ["+33639981234", "33639981234", "0639981234"]
        );
        assert_eq!(
            spellings("+447700900123", fr()),
            ["+447700900123", "447700900123"]
        );
    }
}
