//! Chatwoot's timestamps, read into milliseconds since the Unix epoch, and the
//! other way for custom attributes.
//!
//! Chatwoot writes three forms: `Message#webhook_data` gives `created_at` as Rails
//! serialises a time (`"2026-03-10T09:15:00.412Z"`, ISO 8601 with milliseconds, or an
//! offset when the server's zone is not UTC); the conversation presenter gives Unix
//! seconds (`1773134100`, and `updated_at` as a float); older documentation shows
//! `"2020-03-03 13:05:57 UTC"`.

use serde_json::Value;

/// A JSON value holding a time, in milliseconds since the epoch.
pub fn from_json(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.checked_mul(1000)
            } else {
                let f = n.as_f64()?;
                if f.is_finite() && f.abs() < 1e14 {
                    Some((f * 1000.0).round() as i64)
                } else {
                    None
                }
            }
        }
        Value::String(s) => parse_text(s),
        _ => None,
    }
}

/// A time written as text: ISO 8601 / RFC 3339 (`T` or space between date and time,
/// optional fraction, `Z`, `±hh:mm`, `±hhmm` or ` UTC`), or Unix seconds as digits.
pub fn parse_text(text: &str) -> Option<i64> {
    let s = text.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let mut scaled = 0i64;
        for (i, c) in frac[..digits].bytes().take(3).enumerate() {
            scaled += i64::from(c - b'0') * [100, 10, 1][i];
        }
        millis = scaled;
        rest = &frac[digits..];
    }
    let offset_minutes = match rest.trim_start() {
        "Z" | "z" | "UTC" | "+00:00" | "" => 0,
        other => {
            let sign = match other.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = other[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            sign * (h * 60 + m)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// `ms` as RFC 3339 in UTC (`2026-03-10T09:15:00Z`, with `.mmm` when not whole).
pub fn format_rfc3339(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (in_day / 3600, in_day % 3600 / 60, in_day % 60);
    if millis == 0 {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_rails_iso_times() {
        assert_eq!(
            parse_text("2026-03-10T09:15:00.412Z"),
            Some(1_773_134_100_412)
        );
        assert_eq!(parse_text("2026-03-10T09:15:00Z"), Some(1_773_134_100_000));
        assert_eq!(
            parse_text("2026-03-10T10:15:00.412+01:00"),
            Some(1_773_134_100_412)
        );
        assert_eq!(
            parse_text("2020-03-03 13:05:57 UTC"),
            Some(1_583_240_757_000)
        );
        assert_eq!(parse_text("1773134100"), Some(1_773_134_100_000));
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        assert_eq!(parse_text("yesterday"), None);
        assert_eq!(parse_text("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_text("2026-03-10T09:15:00+1"), None);
    }

    #[test]
    fn reads_unix_seconds_and_floats() {
        assert_eq!(from_json(&json!(1_773_134_100)), Some(1_773_134_100_000));
        assert_eq!(from_json(&json!(1_773_134_400.25)), Some(1_773_134_400_250));
        assert_eq!(from_json(&json!(null)), None);
    }

    #[test]
    fn formats_back() {
        assert_eq!(format_rfc3339(1_773_134_100_000), "2026-03-10T09:15:00Z");
        assert_eq!(
            format_rfc3339(1_773_134_100_412),
            "2026-03-10T09:15:00.412Z"
        );
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        for ms in [951_782_400_000i64, 4_107_542_399_000] {
            assert_eq!(parse_text(&format_rfc3339(ms)), Some(ms));
        }
    }
}
