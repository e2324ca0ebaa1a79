//! Working-time arithmetic checked against a brute-force reference: random weekly
//! calendars (closed days, split days, `00:00-24:00`), holidays and time zones with
//! daylight-saving changes, random starts and durations. The reference marks every
//! working minute of a window and counts them one by one; all inputs are whole
//! minutes, so the library must agree with it to the millisecond.
//!
//! The reference places a local time in UTC on its own, with the rule the library
//! documents: the earliest occurrence of a repeated time; for a time skipped by a
//! spring change, the offset in force before the change.

use std::collections::BTreeMap;

use business_hours::{Calendar, CalendarConfig};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

const MINUTE: i64 = 60_000;
const DAY: i64 = 1_440 * MINUTE;
/// The reference looks this far before and after the start.
const BEFORE_DAYS: i64 = 2;
const AFTER_DAYS: i64 = 30;

const ZONES: [&str; 4] = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Starts near the 2026 daylight-saving changes of Paris (29 March, 25 October) and
/// New York (8 March, 1 November), and an ordinary week.
const BASES: [&str; 5] = [
    "2026-03-28T00:00:00Z",
    "2026-10-24T00:00:00Z",
    "2026-03-07T00:00:00Z",
    "2026-10-31T00:00:00Z",
    "2026-06-10T00:00:00Z",
];

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// One day's hours: closed, open all day, or up to three intervals on a grid of
/// `step` minutes (some ending at 24:00).
fn day_hours() -> impl Strategy<Value = Vec<(u32, u32)>> {
    prop_oneof![
        2 => Just(vec![]),
        2 => Just(vec![(0, 1_440)]),
        5 => (
            prop::sample::select(vec![1u32, 15, 30, 60]),
            prop::collection::btree_set(0u32..=96, 2..=6)
        )
            .prop_map(|(step, points)| {
                // Sorted distinct points, paired: disjoint intervals within the day.
                let points: Vec<u32> = points
                    .into_iter()
                    .map(|p| (p * 15 / step * step).min(1_440))
                    .collect();
                points
                    .chunks_exact(2)
                    .map(|w| (w[0], w[1]))
                    .filter(|(o, c)| o < c)
                    .collect()
            }),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    zone: &'static str,
    week: Vec<Vec<(u32, u32)>>,
    /// Holidays, as days after the start's date.
    holidays: Vec<i64>,
    start: i64,
    /// Working time to add, and the span for `between`, in minutes.
    working: i64,
    span: i64,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(ZONES.to_vec()),
        prop::collection::vec(day_hours(), 7),
        prop::collection::vec(-1i64..20, 0..4),
        prop::sample::select(BASES.to_vec()),
        0i64..(6 * 1_440),
        prop_oneof![Just(0i64), 0i64..600, 0i64..(5 * 1_440)],
        0i64..(10 * 1_440),
    )
        .prop_map(|(zone, week, holidays, base, shift, working, span)| Case {
            zone,
            week,
            holidays,
            start: base
                .parse::<chrono::DateTime<Utc>>()
                .unwrap()
                .timestamp_millis()
                + shift * MINUTE,
            working,
            span,
        })
}

impl Case {
    fn calendar(&self) -> Option<Calendar> {
        let mut hours = BTreeMap::new();
        for (day, intervals) in DAYS.iter().zip(&self.week) {
            if !intervals.is_empty() {
                let texts = intervals
                    .iter()
                    .map(|(o, c)| format!("{}-{}", hhmm(*o), hhmm(*c)))
                    .collect();
                hours.insert(day.to_string(), texts);
            }
        }
        if hours.is_empty() {
            return None;
        }
        let start_date = Utc.timestamp_millis_opt(self.start).unwrap().date_naive();
        let config = CalendarConfig {
            time_zone: self.zone.to_string(),
            hours,
            holidays: self
                .holidays
                .iter()
                .map(|d| start_date + Duration::days(*d))
                .collect(),
        };
        Some(Calendar::from_config(&config).unwrap())
    }
}

/// The reference: one flag per minute from `base` on.
struct Minutes {
    base: i64,
    working: Vec<bool>,
}

fn offset_at(zone: Tz, utc_ms: i64) -> i64 {
    let t = Utc.timestamp_millis_opt(utc_ms).unwrap().naive_utc();
    i64::from(zone.offset_from_utc_datetime(&t).fix().local_minus_utc()) * 1_000
}

/// When the wall clock of `zone` reads `naive`, by the documented rule, from the
/// UTC-to-local direction only (which is never ambiguous).
fn reference_instant(zone: Tz, naive: NaiveDateTime) -> i64 {
    let wall = naive.and_utc().timestamp_millis();
    // The offset in force a day before: no zone here changes twice in two days.
    let before = offset_at(zone, wall - DAY);
    let first = wall - before;
    if offset_at(zone, first) == before {
        return first;
    }
    let after = offset_at(zone, first);
    let second = wall - after;
    if offset_at(zone, second) == after {
        return second;
    }
    // In the spring gap: the offset before the change.
    first
}

impl Minutes {
    fn new(case: &Case) -> Minutes {
        let zone: Tz = case.zone.parse().unwrap();
        let base = case.start - BEFORE_DAYS * DAY;
        let end = case.start + AFTER_DAYS * DAY;
        let mut working = vec![false; ((end - base) / MINUTE) as usize];
        let start_date = Utc.timestamp_millis_opt(case.start).unwrap().date_naive();
        let holidays: Vec<NaiveDate> = case
            .holidays
            .iter()
            .map(|d| start_date + Duration::days(*d))
            .collect();
        for offset in -(BEFORE_DAYS + 1)..=(AFTER_DAYS + 1) {
            let date = start_date + Duration::days(offset);
            if holidays.contains(&date) {
                continue;
            }
            let at = |minutes: u32| {
                let midnight = date.and_hms_opt(0, 0, 0).unwrap();
                reference_instant(zone, midnight + Duration::minutes(i64::from(minutes)))
            };
            for &(open, close) in &case.week[date.weekday().num_days_from_monday() as usize] {
                let mut t = at(open);
                while t < at(close) {
                    if t >= base && t < end {
                        working[((t - base) / MINUTE) as usize] = true;
                    }
                    t += MINUTE;
                }
            }
        }
        Minutes { base, working }
    }

    fn index(&self, t: i64) -> usize {
        ((t - self.base) / MINUTE) as usize
    }

    /// Working time in `[from, to)`, minute by minute.
    fn between(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let n = self.working[self.index(from)..self.index(to)]
            .iter()
            .filter(|w| **w)
            .count();
        n as i64 * MINUTE
    }

    /// The end of the minute in which `working` of working time is reached (with
    /// zero, the first working minute at or after `start`); none past the window.
    fn add(&self, start: i64, working: i64) -> Option<i64> {
        let mut left = working / MINUTE;
        for i in self.index(start)..self.working.len() {
            if !self.working[i] {
                continue;
            }
            let t = self.base + i as i64 * MINUTE;
            if left == 0 {
                return Some(t);
            }
            left -= 1;
            if left == 0 {
                return Some(t + MINUTE);
            }
        }
        None
    }

    fn end(&self) -> i64 {
        self.base + self.working.len() as i64 * MINUTE
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn business_time_is_exact_to_the_millisecond(case in cases()) {
        let Some(calendar) = case.calendar() else {
            return Ok(());
        };
        let reference = Minutes::new(&case);
        let working = case.working * MINUTE;
        let to = case.start + case.span * MINUTE;
        let end = calendar.add(case.start, working);
        match reference.add(case.start, working) {
            Some(expected) => {
                prop_assert_eq!(end, expected);
                prop_assert_eq!(calendar.between(case.start, end), working);
            }
            None => prop_assert!(end >= reference.end(), "{} before {}", end, reference.end()),
        }
        prop_assert_eq!(calendar.between(case.start, to), reference.between(case.start, to));
        // From a moment before the start too: walks that begin on the previous day.
        let earlier = case.start - (case.span % 1_440) * MINUTE;
        prop_assert_eq!(
            calendar.between(earlier, case.start),
            reference.between(earlier, case.start)
        );
    }
}
