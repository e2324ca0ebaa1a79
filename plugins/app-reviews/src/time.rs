//! Dates as the stores write them: App Store Connect's ISO 8601 with an offset
//! (`2017-11-15T08:10:34-08:00`), read into milliseconds since the Unix epoch.

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn number(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)` into milliseconds since
/// the epoch; `None` if it is not one.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut ymd = date.split('-');
    let year = number(ymd.next()?)?;
    let month = u32::try_from(number(ymd.next()?)?).ok()?;
    let day = u32::try_from(number(ymd.next()?)?).ok()?;
    if ymd.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (clock, zone) = rest.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 {
            return None;
        }
        let hh = number(&digits[..2])?;
        let mm = number(&digits[2..])?;
        (clock, sign * (hh * 60 + mm))
    };
    let (clock, fraction) = match clock.split_once('.') {
        Some((clock, fraction)) => (clock, fraction),
        None => (clock, ""),
    };
    let mut hms = clock.split(':');
    let hour = number(hms.next()?)?;
    let minute = number(hms.next()?)?;
    let second = match hms.next() {
        Some(s) => number(s)?,
        None => 0,
    };
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let millis = if fraction.is_empty() {
        0
    } else {
        let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
        number(&digits)?
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_dates() {
        // Apple's documented example: 2017-11-15T16:10:34Z.
        assert_eq!(
            parse_iso8601("2017-11-15T08:10:34-08:00"),
            Some(1_510_762_234_000)
        );
        assert_eq!(
            parse_iso8601("2017-11-15T16:10:34Z"),
            Some(1_510_762_234_000)
        );
        assert_eq!(
            parse_iso8601("2017-11-15T17:10:34.250+0100"),
            Some(1_510_762_234_250)
        );
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0));
    }

    #[test]
    fn not_dates() {
        for text in [
            "",
            "2017-11-15",
            "2017-11-15T08:10:34",
            "2017-13-15T08:10:34Z",
            "2017-11-15T08:61:34Z",
            "15/11/2017 08:10",
            "2017-11-15T08:10:34+8",
        ] {
            assert_eq!(parse_iso8601(text), None, "{text}");
        }
    }
}
