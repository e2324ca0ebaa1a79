//! E-mail dates (RFC 5322 section 3.3, with the obsolete forms of section 4.3) to
//! milliseconds since the Unix epoch, without a date crate: the format is small, and
//! a fixed table of month names and zones covers it.
//!
//! Postmark passes the sender's `Date` header through as written, so RFC 3339
//! (`2026-11-23T09:30:00Z`) is accepted too, for senders that use it.

/// Milliseconds since 1970-01-01T00:00:00Z for an RFC 5322 or RFC 3339 date, `None`
/// when it cannot be read.
pub fn parse(value: &str) -> Option<i64> {
    let value = value.trim();
    rfc5322(value).or_else(|| rfc3339(value))
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `[day-of-week ","] day month year hour ":" minute [":" second] [zone]`, comments
/// removed; also `month day` order, which some mailers write.
fn rfc5322(value: &str) -> Option<i64> {
    let text = without_comments(value).replace(',', " ");
    let mut tokens: Vec<&str> = text.split_whitespace().collect();
    if tokens
        .first()
        .is_some_and(|t| t.len() >= 3 && DAYS.contains(&t[..3].to_ascii_lowercase().as_str()))
        && tokens
            .first()
            .is_some_and(|t| t.chars().all(|c| c.is_ascii_alphabetic()))
    {
        tokens.remove(0);
    }
    if tokens.len() < 4 {
        return None;
    }
    let (day, month) = match (number(tokens[0]), month(tokens[0])) {
        (Some(day), _) => (day, month(tokens[1])?),
        (None, Some(month)) => (number(tokens[1])?, month),
        _ => return None,
    };
    let year = match tokens[2] {
        y if y.len() == 2 => {
            let y = number(y)?;
            if y < 50 { 2000 + y } else { 1900 + y }
        }
        y if y.len() == 3 => 1900 + number(y)?,
        y if y.len() == 4 => number(y)?,
        _ => return None,
    };
    let mut time = tokens[3].split(':');
    let hour = number(time.next()?)?;
    let minute = number(time.next()?)?;
    let second = match time.next() {
        Some(s) => number(s)?,
        None => 0,
    };
    if time.next().is_some() {
        return None;
    }
    let offset = match tokens.get(4) {
        Some(zone) => zone_offset(zone)?,
        None => 0,
    };
    epoch_ms(year, month, day, hour, minute, second, offset)
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
fn rfc3339(value: &str) -> Option<i64> {
    let (date, rest) = value.split_once(['T', 't', ' '])?;
    let mut date = date.split('-');
    let year = number(date.next()?)?;
    let month = number(date.next()?)?;
    let day = number(date.next()?)?;
    if date.next().is_some() {
        return None;
    }
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let (time, millis) = match time.split_once('.') {
        Some((time, fraction)) => {
            let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
            (time, number(&digits)?)
        }
        None => (time, 0),
    };
    let mut time = time.split(':');
    let hour = number(time.next()?)?;
    let minute = number(time.next()?)?;
    let second = number(time.next()?)?;
    if time.next().is_some() {
        return None;
    }
    let offset = match zone {
        "" | "Z" | "z" => 0,
        zone => zone_offset(zone)?,
    };
    epoch_ms(year, month, day, hour, minute, second, offset).map(|ms| ms + millis)
}

/// The text without its `( … )` comments (nested ones included).
fn without_comments(value: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn number(token: &str) -> Option<i64> {
    if token.is_empty() || token.len() > 4 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

fn month(token: &str) -> Option<i64> {
    if token.len() < 3 || !token.is_char_boundary(3) {
        return None;
    }
    let prefix = token[..3].to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == prefix)
        .map(|i| i as i64 + 1)
}

/// A zone's offset east of UTC, in minutes: `+hhmm`, `-hhmm`, `+hh:mm`, `UT`, `GMT`,
/// the North-American names of RFC 5322 section 4.3; other letters (military zones,
/// unknown names) count as UTC, as section 4.3 asks.
fn zone_offset(zone: &str) -> Option<i64> {
    if let Some(sign) = zone.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 {
            return None;
        }
        let hours = number(&digits[..2])?;
        let minutes = number(&digits[2..])?;
        if minutes > 59 {
            return None;
        }
        let offset = hours * 60 + minutes;
        return Some(if sign == '-' { -offset } else { offset });
    }
    if !zone.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let hours = match zone.to_ascii_uppercase().as_str() {
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        _ => 0,
    };
    Some(hours * 60)
}

fn epoch_ms(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    offset_minutes: i64,
) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // A leap second reads as the last second of its minute.
    let second = second.min(59);
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5322_dates() {
        // 2012-04-05T14:59:01Z
        assert_eq!(
            parse("Thu, 5 Apr 2012 16:59:01 +0200"),
            Some(1_333_637_941_000)
        );
        assert_eq!(parse("5 Apr 2012 14:59:01 GMT"), Some(1_333_637_941_000));
        assert_eq!(
            parse("Thu, 05 Apr 2012 14:59:01 +0000 (UTC)"),
            Some(1_333_637_941_000)
        );
        assert_eq!(
            parse("Thu, 5 Apr 2012 10:59:01 EDT"),
            Some(1_333_637_941_000)
        );
        // Postmark's own example writes the zone with a colon.
        assert_eq!(
            parse("Fri, 1 Aug 2014 16:45:32 -04:00"),
            Some(1_406_925_932_000)
        );
        // Seconds are optional; no zone reads as UTC; two-digit years.
        assert_eq!(parse("Thu, 5 Apr 12 14:59 +0000"), Some(1_333_637_940_000));
        assert_eq!(parse("Thu, 5 Apr 2012 14:59:01"), Some(1_333_637_941_000));
        // Month first, full names, case.
        assert_eq!(
            parse("Thursday, April 5 2012 14:59:01 ut"),
            Some(1_333_637_941_000)
        );
        assert_eq!(
            parse("Mon, 23 Nov 2026 09:30:00 +0100"),
            Some(1_795_422_600_000)
        );
        assert_eq!(parse("Thu, 1 Jan 1970 00:00:00 +0000"), Some(0));
        assert_eq!(parse("29 Feb 2024 12:00:00 +0000"), Some(1_709_208_000_000));
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(parse("2012-04-05T14:59:01Z"), Some(1_333_637_941_000));
        assert_eq!(
            parse("2012-04-05T16:59:01.250+02:00"),
            Some(1_333_637_941_250)
        );
    }

    #[test]
    fn bad_dates_are_refused() {
        for bad in [
            "",
            "yesterday",
            "Thu, 31 Apr 2012 10:00:00 +0000",
            "29 Feb 2023 12:00:00 +0000",
            "5 Foo 2012 10:00:00 +0000",
            "5 Apr 2012 24:00:00 +0000",
            "5 Apr 2012 10:00:00 +02",
            "5 Apr 2012 10:00 +0260",
            "5 Apr 2012",
            "2012-04-05",
            "2012-13-05T10:00:00Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
