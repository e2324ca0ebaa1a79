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

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};

/// Minutes in a day: a day's intervals run from minute 0 (00:00) to at most this one
/// (24:00, that is 00:00 of the next day).
const DAY_MINUTES: u32 = 24 * 60;
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
        /// Opening intervals per weekday (Monday first), sorted, as minutes since
        /// local midnight: `[open, close)`, with `close` up to 1440 (24:00, the next
        /// day's 00:00 — the day's end itself, not a moment before it).
        week: [Vec<(u32, u32)>; 7],
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
        let mut week: [Vec<(u32, u32)>; 7] = Default::default();
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
    /// `from`, in order, until it returns true. The intervals it visits are disjoint,
    /// non-empty and increasing, whatever daylight saving does to a day's hours: a day's
    /// intervals are placed in UTC, sorted and merged (an interval that opens in the
    /// spring gap can start after a later one), and each starts no earlier than the
    /// previous one ended.
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
        // The day before `from`'s local date too: its intervals end at its 24:00 at the
        // latest, which a daylight-saving change at midnight could put after `from`.
        let first = zone.timestamp_millis_opt(from).single().map_or_else(
            || {
                DateTime::<Utc>::from_timestamp_millis(from)
                    .unwrap()
                    .date_naive()
            },
            |t| t.date_naive(),
        ) - Duration::days(1);
        let mut floor = i64::MIN;
        let mut day: Vec<(i64, i64)> = Vec::new();
        for offset in 0..=MAX_DAYS {
            let date = first + Duration::days(offset);
            if holidays.contains(&date) {
                continue;
            }
            day.clear();
            for &(open, close) in &week[date.weekday().num_days_from_monday() as usize] {
                let (open, close) = (local(zone, date, open), local(zone, date, close));
                if close > open {
                    day.push((open, close));
                }
            }
            day.sort_unstable();
            let mut merged: Vec<(i64, i64)> = Vec::with_capacity(day.len());
            for &(open, close) in &day {
                match merged.last_mut() {
                    Some(last) if open <= last.1 => last.1 = last.1.max(close),
                    _ => merged.push((open, close)),
                }
            }
            for (open, close) in merged {
                let open = open.max(floor);
                if close <= open || close <= from {
                    continue;
                }
                floor = close;
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
/// first occurrence. `minutes` counts from the date's midnight; 1440 (24:00) is the
/// next date's 00:00.
fn local(zone: &Tz, date: NaiveDate, minutes: u32) -> i64 {
    let (date, minutes) = if minutes >= DAY_MINUTES {
        (date + Duration::days(1), minutes - DAY_MINUTES)
    } else {
        (date, minutes)
    };
    let time = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap();
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

/// An interval `HH:MM-HH:MM` as minutes since midnight; `24:00` closes at the day's
/// very end (minute 1440, the next day's 00:00).
fn parse_interval(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("`{text}` is not an interval like `09:00-18:00`");
    let (open, close) = text.split_once('-').ok_or_else(bad)?;
    let time = |t: &str| {
        if t.trim() == "24:00" {
            return Ok(DAY_MINUTES);
        }
        NaiveTime::parse_from_str(t.trim(), "%H:%M")
            .map(|t| t.hour() * 60 + t.minute())
            .map_err(|_| bad())
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
    fn a_day_open_until_midnight_ends_at_midnight_not_a_millisecond_before() {
        // Open around the clock every day: 24 working hours from midnight end at the
        // next midnight, and a week of them seven midnights later, to the millisecond.
        let config: CalendarConfig =
            serde_json::from_str(r#"{"hours": {"mon-sun": ["00:00-24:00"]}}"#).unwrap();
        let calendar = Calendar::from_config(&config).unwrap();
        let midnight = ms("2026-11-23T00:00:00Z");
        assert_eq!(
            calendar.add(midnight, 24 * HOUR),
            ms("2026-11-24T00:00:00Z")
        );
        assert_eq!(
            calendar.add(midnight, 7 * 24 * HOUR),
            ms("2026-11-30T00:00:00Z")
        );
        assert_eq!(
            calendar.between(midnight, ms("2026-11-30T00:00:00Z")),
            7 * 24 * HOUR
        );
        // In Paris across the spring change, 29 March 2026 has 23 hours: 48 working
        // hours from midnight on the 28th (23:00 UTC on the 27th) are 48 real hours.
        let config: CalendarConfig = serde_json::from_str(
            r#"{"time_zone": "Europe/Paris", "hours": {"mon-sun": ["00:00-24:00"]}}"#,
        )
        .unwrap();
        let calendar = Calendar::from_config(&config).unwrap();
        assert_eq!(
            calendar.add(ms("2026-03-27T23:00:00Z"), 48 * HOUR),
            ms("2026-03-29T23:00:00Z")
        );
    }

    #[test]
    fn an_evening_until_midnight_runs_on_into_the_next_morning() {
        // Friday 20:00-24:00 then Saturday 00:00-02:00 (UTC): six hours in one stretch.
        let config: CalendarConfig =
            serde_json::from_str(r#"{"hours": {"fri": ["20:00-24:00"], "sat": ["00:00-02:00"]}}"#)
                .unwrap();
        let calendar = Calendar::from_config(&config).unwrap();
        let friday = ms("2026-11-27T20:00:00Z");
        assert_eq!(calendar.add(friday, 6 * HOUR), ms("2026-11-28T02:00:00Z"));
        assert_eq!(calendar.add(friday, 4 * HOUR), ms("2026-11-28T00:00:00Z"));
        assert_eq!(
            calendar.between(friday, ms("2026-11-28T02:00:00Z")),
            6 * HOUR
        );
        assert_eq!(
            calendar.between(friday, ms("2026-11-28T00:00:00Z")),
            4 * HOUR
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
