//! Working-time arithmetic for the time-based reference plugins (`sla`, `reassign`,
//! `followup`): "four business hours after Friday 17:55" and "how much business time
//! passed between these two moments", for a calendar of weekly hours in a time zone,
//! with holidays — or around the clock ("calendar hours").
//!
//! Times are milliseconds since the Unix epoch, as in the WIT contract. Days are walked
//! in the calendar's own time zone, so that 09:00 stays 09:00 across a daylight-saving
//! change. This crate computes; it knows nothing of tickets or plugins.
//!
//! It also reads and writes the durations those plugins' configurations hold
//! (`"1h30m"`, see [`parse_duration`]) and writes instants for their notes
//! ([`format_time`]), so that every plugin spells them the same way.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

mod duration;

pub use duration::{format_duration, parse_duration};

/// A calendar as plugins' configurations write it:
///
/// ```json
/// {"time_zone": "Europe/Paris",
///  "hours": {"mon-fri": ["09:00-12:30", "13:30-18:00"], "sat": ["10:00-14:00"]},
///  "holidays": ["2026-12-25"]}
/// ```
///
/// Day keys are `mon` … `sun` or a range such as `mon-fri`; a day not named is closed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    #[serde(default = "utc")]
    pub time_zone: String,
    pub hours: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

fn utc() -> String {
    "UTC".to_string()
}

/// An instant (epoch milliseconds) as people read it in a note: `2026-11-23 10:05:00 UTC`.
pub fn format_time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(
        || format!("{ms} ms after 1970"),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// When work is done: always, or during weekly hours outside holidays.
#[derive(Debug, Clone)]
pub enum Calendar {
    /// Calendar hours: every millisecond counts.
    Always,
    Business {
        zone: Tz,
        /// Opening intervals per weekday (Monday first), sorted, in local time.
        week: [Vec<(NaiveTime, NaiveTime)>; 7],
        holidays: BTreeSet<NaiveDate>,
    },
}

/// The longest a search walks, in days: a calendar open one day a year still
/// answers; one with no hours at all is refused when it is read.
const MAX_DAYS: i64 = 3 * 366;

impl Calendar {
    /// Reads a calendar; the error says what to fix.
    pub fn from_config(config: &CalendarConfig) -> Result<Calendar, String> {
        let zone: Tz = config
            .time_zone
            .parse()
            .map_err(|_| format!("`{}` is not an IANA time zone", config.time_zone))?;
        let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        for (days, intervals) in &config.hours {
            for day in weekdays(days)? {
                for interval in intervals {
                    week[day.num_days_from_monday() as usize].push(parse_interval(interval)?);
                }
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err("a business calendar needs opening hours on at least one day".into());
        }
        for day in &mut week {
            day.sort();
            if day.windows(2).any(|w| w[0].1 > w[1].0) {
                return Err("a day's opening intervals overlap".into());
            }
        }
        Ok(Calendar::Business {
            zone,
            week,
            holidays: config.holidays.iter().copied().collect(),
        })
    }

    /// Reads an optional calendar: none means calendar hours.
    pub fn from_optional(config: Option<&CalendarConfig>) -> Result<Calendar, String> {
        config.map_or(Ok(Calendar::Always), Calendar::from_config)
    }

    /// The moment at which `working` milliseconds of working time have passed since
    /// `start`. With zero, the first working moment at or after `start`. A calendar
    /// too sparse to reach it within about three years answers the end of that range:
    /// a moment far enough away to wait for, never `start` again.
    pub fn add(&self, start: i64, working: i64) -> i64 {
        let mut left = working.max(0);
        let mut result = start.saturating_add(MAX_DAYS * 86_400_000);
        self.walk(start, |open, close| {
            let open = open.max(start);
            if close - open >= left {
                result = open + left;
                return true;
            }
            left -= close - open;
            false
        });
        result
    }

    /// Working time between `from` and `to` (zero if `to` is not after `from`).
    pub fn between(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        self.walk(from, |open, close| {
            if open >= to {
                return true;
            }
            total += close.min(to) - open.max(from);
            close >= to
        });
        total
    }

    /// Calls `visit` with each working interval (UTC milliseconds) that ends after
    /// `from`, in order, until it returns true.
    fn walk(&self, from: i64, mut visit: impl FnMut(i64, i64) -> bool) {
        let Calendar::Business {
            zone,
            week,
            holidays,
        } = self
        else {
            visit(from, i64::MAX);
            return;
        };
        let first = zone.timestamp_millis_opt(from).single().map_or_else(
            || {
                DateTime::<Utc>::from_timestamp_millis(from)
                    .unwrap()
                    .date_naive()
            },
            |t| t.date_naive(),
        );
        for offset in 0..MAX_DAYS {
            let date = first + Duration::days(offset);
            if holidays.contains(&date) {
                continue;
            }
            for (open, close) in &week[date.weekday().num_days_from_monday() as usize] {
                let (open, close) = (local(zone, date, *open), local(zone, date, *close));
                if close <= from {
                    continue;
                }
                if visit(open, close) {
                    return;
                }
            }
        }
    }
}

/// A local wall-clock time as UTC milliseconds. A time skipped by a daylight-saving
/// change is read with the offset in force before the change (02:30 on the night
/// Paris springs forward is 01:30 UTC, that is 03:30 summer time), so that an interval
/// around the gap keeps its real length; a time that happens twice counts from its
/// first occurrence.
fn local(zone: &Tz, date: NaiveDate, time: NaiveTime) -> i64 {
    let naive = date.and_time(time);
    match zone.from_local_datetime(&naive).earliest() {
        Some(t) => t.timestamp_millis(),
        None => zone
            .from_local_datetime(&(naive - Duration::hours(1)))
            .earliest()
            .map_or(0, |t| t.timestamp_millis() + 3_600_000),
    }
}

fn weekdays(key: &str) -> Result<Vec<Weekday>, String> {
    let day = |name: &str| -> Result<Weekday, String> {
        name.parse::<Weekday>()
            .map_err(|_| format!("`{name}` is not a day; use mon, tue, wed, thu, fri, sat, sun"))
    };
    match key.split_once('-') {
        None => Ok(vec![day(key)?]),
        Some((first, last)) => {
            let (mut d, last) = (day(first)?, day(last)?);
            let mut days = vec![d];
            while d != last {
                d = d.succ();
                days.push(d);
            }
            Ok(days)
        }
    }
}

fn parse_interval(text: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let bad = || format!("`{text}` is not an interval like `09:00-18:00`");
    let (open, close) = text.split_once('-').ok_or_else(bad)?;
    let time = |t: &str| {
        if t.trim() == "24:00" {
            return Ok(NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap());
        }
        NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad())
    };
    let (open, close) = (time(open)?, time(close)?);
    if close <= open {
        return Err(format!("`{text}` closes before it opens"));
    }
    Ok((open, close))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        text.parse::<DateTime<Utc>>().unwrap().timestamp_millis()
    }

    const HOUR: i64 = 3_600_000;

    fn office(extra: &str) -> Calendar {
        let config: CalendarConfig = serde_json::from_str(&format!(
            r#"{{"time_zone": "Europe/Paris", "hours": {{"mon-fri": ["09:00-18:00"]}}{extra}}}"#
        ))
        .unwrap();
        Calendar::from_config(&config).unwrap()
    }

    #[test]
    fn four_business_hours_from_friday_evening_end_on_monday_morning() {
        // 17:55 in Paris on Friday 20 November 2026 is 16:55 UTC.
        let calendar = office("");
        let start = ms("2026-11-20T16:55:00Z");
        assert_eq!(calendar.add(start, 4 * HOUR), ms("2026-11-23T11:55:00Z"));
        assert_eq!(calendar.add(start, 3 * HOUR), ms("2026-11-23T10:55:00Z"));
        assert_eq!(
            calendar.between(start, ms("2026-11-23T11:55:00Z")),
            4 * HOUR
        );
        // Outside hours, zero working time is the next opening.
        assert_eq!(
            calendar.add(ms("2026-11-21T10:00:00Z"), 0),
            ms("2026-11-23T08:00:00Z")
        );
    }

    #[test]
    fn holidays_are_skipped_and_daylight_saving_keeps_local_hours() {
        let calendar = office(r#", "holidays": ["2026-11-23"]"#);
        assert_eq!(
            calendar.add(ms("2026-11-20T16:55:00Z"), 4 * HOUR),
            ms("2026-11-24T11:55:00Z")
        );
        // Paris goes to summer time on 29 March 2026: 18:00 is 17:00 UTC on Friday
        // 27 March, 09:00 is 07:00 UTC on Monday 30 March. From 17:30 on Friday, an
        // hour of work is half an hour on each day.
        let calendar = office("");
        assert_eq!(
            calendar.add(ms("2026-03-27T16:30:00Z"), HOUR),
            ms("2026-03-30T07:30:00Z")
        );
    }

    #[test]
    fn instants_are_written_in_utc() {
        assert_eq!(
            format_time(ms("2026-11-23T10:05:00Z")),
            "2026-11-23 10:05:00 UTC"
        );
    }

    #[test]
    fn a_calendar_that_cannot_reach_the_target_answers_far_away_not_now() {
        let calendar = office("");
        let start = ms("2026-11-20T16:55:00Z");
        let end = calendar.add(start, 20_000 * HOUR);
        assert!(end > start + 1_000 * 86_400_000, "{end}");
    }

    #[test]
    fn hours_across_the_spring_gap_keep_their_real_length() {
        // On 29 March 2026 Paris skips 02:00-03:00. Open 01:00-04:00 that Sunday: two
        // real hours, from 00:00 to 02:00 UTC.
        let config: CalendarConfig = serde_json::from_str(
            r#"{"time_zone": "Europe/Paris", "hours": {"sun": ["01:00-04:00"]}}"#,
        )
        .unwrap();
        let calendar = Calendar::from_config(&config).unwrap();
        assert_eq!(
            calendar.between(ms("2026-03-28T00:00:00Z"), ms("2026-03-30T00:00:00Z")),
            2 * HOUR
        );
        // A day that opens in the gap opens as a clock that did not change would read
        // 02:30: half an hour after the change.
        let config: CalendarConfig = serde_json::from_str(
            r#"{"time_zone": "Europe/Paris", "hours": {"sun": ["02:30-05:00"]}}"#,
        )
        .unwrap();
        let calendar = Calendar::from_config(&config).unwrap();
        assert_eq!(
            calendar.add(ms("2026-03-28T00:00:00Z"), 0),
            ms("2026-03-29T01:30:00Z")
        );
    }

    #[test]
    fn calendar_hours_count_every_moment() {
        let always = Calendar::Always;
        assert_eq!(always.add(1_000, 5_000), 6_000);
        assert_eq!(always.between(1_000, 6_000), 5_000);
    }

    #[test]
    fn split_days_and_bad_configurations() {
        let config: CalendarConfig =
            serde_json::from_str(r#"{"hours": {"mon": ["09:00-12:00", "14:00-18:00"]}}"#).unwrap();
        let calendar = Calendar::from_config(&config).unwrap();
        // Monday 23 November 2026, UTC: 11:00 + 2 h of work = 12:00, then 14:00-15:00.
        assert_eq!(
            calendar.add(ms("2026-11-23T11:00:00Z"), 2 * HOUR),
            ms("2026-11-23T15:00:00Z")
        );
        for (text, error) in [
            (r#"{"hours": {}}"#, "at least one day"),
            (
                r#"{"hours": {"mon": ["18:00-09:00"]}}"#,
                "closes before it opens",
            ),
            (r#"{"hours": {"mon-fry": ["09:00-18:00"]}}"#, "is not a day"),
            (
                r#"{"time_zone": "Paris", "hours": {"mon": ["09:00-18:00"]}}"#,
                "IANA",
            ),
        ] {
            let config: CalendarConfig = serde_json::from_str(text).unwrap();
            let e = Calendar::from_config(&config).unwrap_err();
            assert!(e.contains(error), "{text}: {e}");
        }
    }
}
