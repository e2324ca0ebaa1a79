//! Dates as Twilio writes them: RFC 2822 (`Sun, 25 Mar 2018 09:53:19 +0000`), read
//! into milliseconds since the Unix epoch.

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

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Reads an RFC 2822 date-time (day name optional; zone `+hhmm`, `-hhmm`, `GMT`, `UT`,
/// `UTC` or `Z`) into milliseconds since the epoch; `None` if it is not one.
pub fn parse_rfc2822(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = match text.split_once(',') {
        Some((_day_name, rest)) => rest,
        None => text,
    };
    let mut parts = text.split_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| month_name.starts_with(m))? as u32 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let clock = parts.next()?;
    let zone = parts.next().unwrap_or("+0000");
    if parts.next().is_some() || !(1..=31).contains(&day) {
        return None;
    }
    let mut hms = clock.split(':');
    let hour: i64 = hms.next()?.parse().ok()?;
    let minute: i64 = hms.next()?.parse().ok()?;
    let second: i64 = match hms.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset_minutes = match zone.to_ascii_uppercase().as_str() {
        "GMT" | "UT" | "UTC" | "Z" => 0,
        z => {
            let (sign, digits) = match z.as_bytes().first()? {
                b'+' => (1, &z[1..]),
                b'-' => (-1, &z[1..]),
                _ => return None,
            };
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hh: i64 = digits[..2].parse().ok()?;
            let mm: i64 = digits[2..].parse().ok()?;
            sign * (hh * 60 + mm)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_timestamps() {
        // 2018-03-25T09:53:19Z
        assert_eq!(
            parse_rfc2822("Sun, 25 Mar 2018 09:53:19 +0000"),
            Some(1_521_971_599_000)
        );
        // The same instant written with another offset, and without a day name.
        assert_eq!(
            parse_rfc2822("25 Mar 2018 11:53:19 +0200"),
            Some(1_521_971_599_000)
        );
        assert_eq!(parse_rfc2822("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_rfc2822("Tue, 29 Feb 2028 23:59 -0100"),
            Some(1_835_485_140_000)
        );
    }

    #[test]
    fn not_dates() {
        for text in [
            "",
            "yesterday",
            "Sun, 25 Mar 2018",
            "Sun, 25 Foo 2018 09:53:19 +0000",
            "Sun, 25 Mar 2018 25:53:19 +0000",
            "Sun, 25 Mar 2018 09:53:19 Etc/UTC",
            "2018-03-25T09:53:19Z",
        ] {
            assert_eq!(parse_rfc2822(text), None, "{text}");
        }
    }
}
