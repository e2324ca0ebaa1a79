//! Durations as the plugins' configurations write them: `30m`, `4h`, `2d`, `1h30m`,
//! read into milliseconds and written back for notes and logs.
//!
//! A day is 24 hours of *counted* time. With a business calendar the counted time is
//! working time, so `1d` there is 24 working hours (about three working days of
//! eight hours), not "the next working day": the plugins' READMEs say so where it
//! matters.

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The units, largest first: the order they must be written in.
const UNITS: [(char, i64); 4] = [('d', DAY), ('h', HOUR), ('m', MINUTE), ('s', SECOND)];

/// The longest duration accepted: a follow-up or a reassignment a year away is a
/// mistake in the configuration, and the bound keeps sums of due times far from
/// overflowing.
pub const MAX_DURATION_MS: i64 = 366 * DAY;

/// Reads a duration such as `30m`, `4h`, `2d` or `1h30m` into milliseconds.
///
/// Units are `d` (24 hours), `h`, `m` and `s`, each written once, largest first. The
/// duration must be longer than zero and at most a year ([`MAX_DURATION_MS`]). The
/// error quotes the text and says how to write it.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = |why: &str| {
        format!(
            "`{text}` is not a duration: {why}; write it like `30m`, `4h`, `2d` or `1h30m` \
             (units d, h, m, s, largest first)"
        )
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut total: i64 = 0;
    // Index into UNITS of the next unit allowed: each must be smaller than the last.
    let mut next_unit = 0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad("a number must come before each unit"));
        }
        let (number, after) = rest.split_at(digits);
        let Some(unit) = after.chars().next() else {
            return Err(bad(&format!("`{number}` has no unit")));
        };
        if unit == '.' || unit == ',' {
            return Err(bad("numbers are whole (`1h30m`, not `1.5h`)"));
        }
        let Some(position) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(bad(&format!("`{unit}` is not a unit")));
        };
        if position < next_unit {
            return Err(bad(&format!(
                "`{unit}` comes after a smaller or equal unit"
            )));
        }
        next_unit = position + 1;
        let part = number
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(UNITS[position].1))
            .filter(|ms| *ms <= MAX_DURATION_MS)
            .ok_or_else(|| bad("it is longer than a year"))?;
        total += part;
        rest = &after[unit.len_utf8()..];
    }
    if total == 0 {
        return Err(bad("it is zero"));
    }
    if total > MAX_DURATION_MS {
        return Err(bad("it is longer than a year"));
    }
    Ok(total)
}

/// Writes a duration the way [`parse_duration`] reads it (`1h30m`), to the second;
/// under a second (or negative) is `0s`.
pub fn format_duration(ms: i64) -> String {
    let mut left = ms.max(0);
    let mut text = String::new();
    for (unit, size) in UNITS {
        let count = left / size;
        if count > 0 {
            text.push_str(&format!("{count}{unit}"));
            left -= count * size;
        }
    }
    if text.is_empty() {
        text.push_str("0s");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_milliseconds() {
        for (text, ms) in [
            ("30m", 30 * MINUTE),
            ("4h", 4 * HOUR),
            ("2d", 2 * DAY),
            ("1h30m", HOUR + 30 * MINUTE),
            ("1d2h3m4s", DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND),
            (" 90s ", 90 * SECOND),
            ("0h15m", 15 * MINUTE),
            ("366d", MAX_DURATION_MS),
        ] {
            assert_eq!(parse_duration(text), Ok(ms), "{text}");
        }
    }

    #[test]
    fn bad_durations_say_what_is_wrong() {
        for (text, why) in [
            ("", "it is empty"),
            ("30", "`30` has no unit"),
            ("h", "a number must come before each unit"),
            ("1.5h", "numbers are whole"),
            ("-2h", "a number must come before each unit"),
            ("2w", "`w` is not a unit"),
            ("1h 30m", "a number must come before each unit"),
            ("30m1h", "`h` comes after a smaller or equal unit"),
            ("1h1h", "`h` comes after a smaller or equal unit"),
            ("0m", "it is zero"),
            ("367d", "longer than a year"),
            ("365d24h1s", "longer than a year"),
            ("99999999999999999999d", "longer than a year"),
        ] {
            let error = parse_duration(text).unwrap_err();
            assert!(error.contains(why), "{text}: {error}");
            assert!(error.contains(&format!("`{text}`")), "{text}: {error}");
        }
    }

    #[test]
    fn durations_are_written_back_as_they_are_read() {
        for text in ["30m", "4h", "2d", "1h30m", "1d2h3m4s", "45s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(999), "0s");
        assert_eq!(format_duration(-5), "0s");
        assert_eq!(format_duration(HOUR + 500), "1h");
    }
}
