//! Turns time into events: the timers plugins set on tickets and the cron schedules
//! they declare become `timer_fired` and `scheduled_tick` events, each for the one
//! plugin that asked for it, at its due time by the [`Clock`].
//!
//! Everything due is found in the store (timers are durable, schedules remember their
//! last tick), so a restart loses nothing: timers that fell due while the service was
//! down fire at start, soonest first. Schedules do not replay every tick they missed:
//! a schedule that missed ticks fires once, at start, for the latest of them (its
//! `scheduled_at` says which), then keeps its rhythm. A schedule seen for the first
//! time starts from the present: it has missed nothing.
//!
//! On the system clock a thread sleeps until the next due time (or until the pipeline
//! rings the [`Bell`] because a plugin set a timer). On a simulated clock nothing
//! runs by itself: [`Timekeeper::advance_to`] moves the clock from one due time to
//! the next and lets the pipeline finish each step's events before the next, so tests
//! and replays see everything happen in order, at exact times.
//!
//! This module decides when; what an event does is the pipeline's business, reached
//! only through [`Dispatch`].

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::offset::LocalResult;
use chrono::{NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::clock::{Clock, SimulatedClock};
use crate::metrics::Metrics;
use crate::model::{Event, EventKind, Timestamp};
use crate::store::{Store, StoreError, StoredEvent, Timer};

/// Where fired events go: the pipeline, in the service.
pub trait Dispatch: Send + Sync {
    /// Hands over an event already stored as pending.
    fn dispatch(&self, event: StoredEvent);
    /// Returns once every event handed over (and every event they caused) is done.
    fn wait_idle(&self);
}

/// Wakes the timekeeper's thread early: rung when a plugin sets a timer, which may
/// be due before the time the thread is sleeping until.
#[derive(Debug, Default)]
pub struct Bell {
    rung: Mutex<bool>,
    wake: Condvar,
}

impl Bell {
    pub fn ring(&self) {
        *self.rung.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_all();
    }

    /// Waits until rung or until `timeout` passes, and clears the bell.
    fn wait(&self, timeout: Duration) {
        let rung = self.rung.lock().unwrap_or_else(|p| p.into_inner());
        let (mut rung, _) = self
            .wake
            .wait_timeout_while(rung, timeout, |rung| !*rung)
            .unwrap_or_else(|p| p.into_inner());
        *rung = false;
    }
}

/// Settings of the timekeeper.
#[derive(Debug, Clone)]
pub struct TimekeeperConfig {
    /// Timers read from the store at a time.
    pub batch: usize,
    /// The longest the thread sleeps without looking: bounds how late a newly
    /// declared schedule is noticed.
    pub max_sleep: Duration,
}

impl Default for TimekeeperConfig {
    fn default() -> Self {
        TimekeeperConfig {
            batch: 1_000,
            max_sleep: Duration::from_secs(1),
        }
    }
}

/// Why a schedule or a time zone cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("`{expression}` is not a cron schedule: {reason}")]
    Cron { expression: String, reason: String },
    #[error("`{0}` is not an IANA time zone (such as `Europe/Paris` or `UTC`)")]
    TimeZone(String),
}

/// The shortest time between two ticks of a schedule: schedules are for periodic
/// work; what must happen at an exact moment of a ticket is a timer.
pub const MIN_SCHEDULE_PERIOD: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Most schedules one plugin may declare.
pub const MAX_SCHEDULES_PER_PLUGIN: usize = 10;

/// Parses a cron expression as the `cron` crate reads it: seconds, minutes, hours,
/// day of month, month, day of week, and an optional year (`0 0 9 * * Mon-Fri`).
/// Refuses a schedule that ticks more often than [`MIN_SCHEDULE_PERIOD`].
pub fn parse_schedule(expression: &str) -> Result<cron::Schedule, ScheduleError> {
    let schedule = cron::Schedule::from_str(expression).map_err(|e| ScheduleError::Cron {
        expression: expression.to_string(),
        reason: e.to_string(),
    })?;
    let ticks: Vec<Timestamp> = schedule.upcoming(Utc).take(64).collect();
    if ticks.windows(2).any(|w| w[1] - w[0] < MIN_SCHEDULE_PERIOD) {
        return Err(ScheduleError::Cron {
            expression: expression.to_string(),
            reason: "it ticks more often than once a minute; use a timer for exact moments"
                .to_string(),
        });
    }
    Ok(schedule)
}

pub fn parse_time_zone(name: &str) -> Result<Tz, ScheduleError> {
    Tz::from_str(name).map_err(|_| ScheduleError::TimeZone(name.to_string()))
}

struct Inner {
    /// When the schedules were last read and their next tick, on the system clock:
    /// reading every tenant's plugins on each of many timer wake-ups would cost more
    /// than the timers.
    schedules_seen: Mutex<Option<(std::time::Instant, Option<Timestamp>)>>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    dispatch: Arc<dyn Dispatch>,
    bell: Arc<Bell>,
    metrics: Arc<Metrics>,
    config: TimekeeperConfig,
    stopping: AtomicBool,
}

/// The running timekeeper. See the module documentation.
pub struct Timekeeper {
    inner: Arc<Inner>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Timekeeper {
    /// Starts keeping time. On the system clock this fires what fell due while the
    /// service was down and starts the thread; on a simulated clock it does nothing
    /// until [`Timekeeper::advance_to`].
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        dispatch: Arc<dyn Dispatch>,
        bell: Arc<Bell>,
        metrics: Arc<Metrics>,
        config: TimekeeperConfig,
    ) -> Timekeeper {
        let inner = Arc::new(Inner {
            schedules_seen: Mutex::new(None),
            store,
            clock,
            dispatch,
            bell,
            metrics,
            config,
            stopping: AtomicBool::new(false),
        });
        let thread = (!inner.clock.is_simulated()).then(|| {
            let inner = inner.clone();
            std::thread::Builder::new()
                .name("guichet-timekeeper".into())
                .spawn(move || run(&inner))
                .expect("spawn the timekeeper")
        });
        Timekeeper {
            inner,
            thread: Mutex::new(thread),
        }
    }

    /// Moves a simulated clock to `to`, one due time after another: at each, the
    /// timers and ticks due are fired and the pipeline finishes their events (and
    /// what they cause, timers due before `to` included) before the clock moves on.
    /// Returns how many events were fired.
    pub fn advance_to(&self, clock: &SimulatedClock, to: Timestamp) -> Result<usize, StoreError> {
        let mut fired = 0;
        loop {
            self.inner.dispatch.wait_idle();
            let (n, next) = fire_due(&self.inner)?;
            fired += n;
            if n > 0 {
                continue;
            }
            match next {
                Some(due) if due <= to => {
                    clock.set(due);
                }
                _ => break,
            }
        }
        clock.set(to);
        let (n, _) = fire_due(&self.inner)?;
        self.inner.dispatch.wait_idle();
        Ok(fired + n)
    }

    /// Stops the thread (after the round in progress). Timers and schedules wait in
    /// the store for the next start.
    pub fn stop(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.bell.ring();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Timekeeper {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(inner: &Inner) {
    while !inner.stopping.load(Ordering::SeqCst) {
        // One worker among those sharing the store fires timers and ticks.
        let lead = inner.store.lead(crate::store::Role::Timekeeper);
        inner.metrics.role("timekeeper", matches!(lead, Ok(true)));
        match lead {
            Ok(true) => {}
            Ok(false) => {
                inner.bell.wait(inner.config.max_sleep);
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot tell who keeps the timers; trying again");
                inner.bell.wait(inner.config.max_sleep);
                continue;
            }
        }
        let wait = match fire_due(inner) {
            Ok((_, Some(next))) => (next - inner.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(inner.config.max_sleep),
            Ok((_, None)) => inner.config.max_sleep,
            Err(e) => {
                tracing::error!(error = %e, "reading timers failed; trying again");
                inner.config.max_sleep
            }
        };
        if !wait.is_zero() {
            inner.bell.wait(wait);
        }
    }
}

fn fire_due(inner: &Inner) -> Result<(usize, Option<Timestamp>), StoreError> {
    let now = inner.clock.now();
    let mut fired = 0;
    loop {
        let due = inner.store.due_timers(now, inner.config.batch)?;
        let full = due.len() == inner.config.batch;
        for timer in due {
            fired += usize::from(fire_timer(inner, &timer, now)?);
        }
        if !full {
            break;
        }
    }
    let (ticks, next_tick) = fire_ticks_if_due(inner, now)?;
    fired += ticks;
    let next_timer = inner.store.next_timer_due()?;
    let next = match (next_timer, next_tick) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok((fired, next))
}

fn fire_timer(inner: &Inner, timer: &Timer, now: Timestamp) -> Result<bool, StoreError> {
    let ticket = inner.store.ticket(&timer.tenant, &timer.ticket_id)?;
    let event = Event {
        id: format!(
            "timer:{}:{}:{}:{}",
            timer.ticket_id,
            timer.plugin,
            timer.due_at.timestamp_millis(),
            timer.name,
        ),
        kind: EventKind::TimerFired {
            name: timer.name.clone(),
            due_at: timer.due_at,
        },
        ticket,
        // The plugin's "now" is the due time, not the moment the host got to it:
        // its decisions do not depend on how busy the host was.
        occurred_at: timer.due_at,
    };
    if event.ticket.is_none() {
        // Timers are only set on stored tickets, and tickets are not deleted: this is
        // a damaged store. Drop the timer rather than fire it at nothing forever.
        tracing::error!(
            tenant = %timer.tenant,
            ticket = %timer.ticket_id,
            timer = %timer.name,
            "a timer's ticket is missing; the timer is dropped"
        );
        inner.store.remove_timer(timer)?;
        return Ok(false);
    }
    let Some(stored) = inner.store.fire_timer(timer, &event, now)? else {
        return Ok(false);
    };
    let lateness = (now - timer.due_at).to_std().unwrap_or(Duration::ZERO);
    inner
        .metrics
        .timer_lateness_seconds
        .observe(lateness.as_secs_f64());
    inner.dispatch.dispatch(stored);
    Ok(true)
}

/// Reads the schedules again when a tick may be due, or a second after the last read
/// (a schedule may have been declared since); on a simulated clock, always.
fn fire_ticks_if_due(
    inner: &Inner,
    now: Timestamp,
) -> Result<(usize, Option<Timestamp>), StoreError> {
    let mut seen = inner
        .schedules_seen
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if !inner.clock.is_simulated()
        && let Some((read_at, next)) = *seen
        && read_at.elapsed() < inner.config.max_sleep
        && next.is_none_or(|next| next > now)
    {
        return Ok((0, next));
    }
    let (fired, next) = fire_ticks(inner, now)?;
    *seen = Some((std::time::Instant::now(), next));
    Ok((fired, next))
}

/// Fires the ticks due of every enabled plugin's schedules; returns how many and when
/// the next one is due.
fn fire_ticks(inner: &Inner, now: Timestamp) -> Result<(usize, Option<Timestamp>), StoreError> {
    let mut fired = 0;
    let mut next: Option<Timestamp> = None;
    for tenant in inner.store.tenants()? {
        let zone = match parse_time_zone(&tenant.time_zone) {
            Ok(zone) => zone,
            Err(e) => {
                tracing::warn!(tenant = %tenant.id, error = %e, "schedules use UTC");
                Tz::UTC
            }
        };
        for plugin in inner.store.plugins(&tenant.id)? {
            if !plugin.enabled {
                continue;
            }
            for (name, expression) in &plugin.schedules {
                let schedule = match parse_schedule(expression) {
                    Ok(schedule) => schedule,
                    Err(e) => {
                        tracing::warn!(tenant = %tenant.id, plugin = %plugin.name, error = %e, "schedule skipped");
                        continue;
                    }
                };
                let Some(mark) = inner.store.schedule_mark(&tenant.id, &plugin.name, name)? else {
                    // First seen: the schedule starts now and has missed nothing.
                    inner
                        .store
                        .fire_tick(&tenant.id, &plugin.name, name, now, None, now)?;
                    next = earliest(next, next_tick(&schedule, zone, now));
                    continue;
                };
                if let Some(tick) = latest_tick(&schedule, zone, mark, now) {
                    let event = Event {
                        id: format!("tick:{}:{name}:{}", plugin.name, tick.timestamp()),
                        kind: EventKind::ScheduledTick {
                            schedule: name.clone(),
                            scheduled_at: tick,
                        },
                        ticket: None,
                        occurred_at: tick,
                    };
                    if let Some(stored) = inner.store.fire_tick(
                        &tenant.id,
                        &plugin.name,
                        name,
                        tick,
                        Some(&event),
                        now,
                    )? {
                        let lateness = (now - tick).to_std().unwrap_or(Duration::ZERO);
                        inner
                            .metrics
                            .timer_lateness_seconds
                            .observe(lateness.as_secs_f64());
                        inner.dispatch.dispatch(stored);
                        fired += 1;
                    }
                    next = earliest(next, next_tick(&schedule, zone, tick));
                } else {
                    next = earliest(next, next_tick(&schedule, zone, mark));
                }
            }
        }
    }
    Ok((fired, next))
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a schedule runs at set times of day, and so catches up a time that a
/// spring-forward change skips. The test is Vixie cron's and cronie's: neither the
/// minute nor the hour field starts with `*` (or `?`). `0 30 2 * * *` and
/// `0 0 1,13 * * *` run at set times; `0 0 * * * *`, `0 */30 * * * *` and
/// `0 0 */6 * * *` recur through the day, and their next tick comes soon anyway.
/// Of the shorthands, only `@hourly` recurs through the day.
fn runs_at_set_times(schedule: &cron::Schedule) -> bool {
    let source = schedule.source().trim();
    if let Some(shorthand) = source.strip_prefix('@') {
        return !shorthand.eq_ignore_ascii_case("hourly");
    }
    let fields: Vec<&str> = source.split_whitespace().collect();
    fields
        .get(1..3)
        .is_some_and(|fields| fields.iter().all(|f| !f.starts_with(['*', '?'])))
}

/// The instant of a local time, by the rules in the README ("Schedules and
/// daylight-saving changes"): a local time that happens twice (a fall-back change)
/// is its first occurrence; a local time that does not happen (a spring-forward
/// change) is, for a schedule that runs at set times, the end of the gap, the first
/// instant after it (03:00 in Paris on the last Sunday of March); for a schedule that
/// recurs through the day, nothing.
fn instant_of(zone: Tz, local: NaiveDateTime, catch_up: bool) -> Option<Timestamp> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None if catch_up => gap_end(zone, local),
        LocalResult::None => None,
    }
}

/// The first instant after the gap that `local` falls in: the earliest instant of
/// the first local minute that exists after it. Modern changes of clocks fall on
/// whole minutes; the longest gap, a whole day skipped (Samoa, 2011), is crossed in
/// 1,440 steps.
fn gap_end(zone: Tz, local: NaiveDateTime) -> Option<Timestamp> {
    let minute = local.with_second(0)?.with_nanosecond(0)?;
    (1..=2 * 24 * 60).find_map(|n| {
        zone.from_local_datetime(&(minute + chrono::TimeDelta::minutes(n)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// A schedule's ticks in UTC, from the first strictly after `after`, in order and
/// each once. `cron` walks the schedule's wall-clock times (on a clock without
/// daylight-saving changes: UTC standing for the local time); [`instant_of`] places
/// each in the zone. That placing never goes backwards, so dropping what does not
/// move forward drops only what comes before `after` (the first occurrence of a
/// repeated hour, when `after` is in its second) and the wall-clock times that land
/// on the same instant (the skipped times of a gap, and the gap's end itself).
fn ticks_after(
    schedule: &cron::Schedule,
    zone: Tz,
    after: Timestamp,
) -> impl Iterator<Item = Timestamp> + '_ {
    let catch_up = runs_at_set_times(schedule);
    let mut last = after;
    schedule
        .after(&after.with_timezone(&zone).naive_local().and_utc())
        .filter_map(move |wall| instant_of(zone, wall.naive_utc(), catch_up))
        .filter(move |t| {
            let forward = *t > last;
            if forward {
                last = *t;
            }
            forward
        })
}

/// The first tick strictly after `after`.
pub fn next_tick(schedule: &cron::Schedule, zone: Tz, after: Timestamp) -> Option<Timestamp> {
    ticks_after(schedule, zone, after).next()
}

/// The latest tick in `(after, now]`, if any. Looks back from `now` in growing
/// windows, so that a per-minute schedule after a long stop costs a window's ticks,
/// not every tick since the stop.
pub fn latest_tick(
    schedule: &cron::Schedule,
    zone: Tz,
    after: Timestamp,
    now: Timestamp,
) -> Option<Timestamp> {
    if next_tick(schedule, zone, after).is_none_or(|t| t > now) {
        return None;
    }
    let mut window = chrono::Duration::hours(1);
    loop {
        let start = (now - window).max(after);
        let latest = ticks_after(schedule, zone, start)
            .take_while(|t| *t <= now)
            .last();
        if latest.is_some() || start == after {
            return latest;
        }
        window = window * 8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::DateTime;

    /// The first tick of `expression` strictly after `after` in `zone`.
    fn next_tick_of(
        expression: &str,
        zone: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, ScheduleError> {
        Ok(next_tick(
            &parse_schedule(expression)?,
            parse_time_zone(zone)?,
            after,
        ))
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn ticks_follow_the_tenants_time_zone_across_a_daylight_saving_change() {
        // 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer.
        let weekdays_at_nine = "0 0 9 * * Mon-Fri";
        assert_eq!(
            next_tick_of(weekdays_at_nine, "Europe/Paris", at("2026-11-20T09:00:00Z")).unwrap(),
            Some(at("2026-11-23T08:00:00Z"))
        );
        assert_eq!(
            next_tick_of(weekdays_at_nine, "Europe/Paris", at("2026-06-01T00:00:00Z")).unwrap(),
            Some(at("2026-06-01T07:00:00Z"))
        );
        assert_eq!(
            next_tick_of(weekdays_at_nine, "UTC", at("2026-11-20T09:00:00Z")).unwrap(),
            Some(at("2026-11-23T09:00:00Z"))
        );
    }

    #[test]
    fn the_latest_missed_tick_is_found_without_walking_every_tick() {
        let every_minute = parse_schedule("0 * * * * *").unwrap();
        let after = at("2026-01-01T00:00:00Z");
        let now = at("2026-11-23T12:34:56.500Z");
        assert_eq!(
            latest_tick(&every_minute, Tz::UTC, after, now),
            Some(at("2026-11-23T12:34:00Z"))
        );
        let weekly = parse_schedule("0 0 6 * * Sun").unwrap();
        assert_eq!(
            latest_tick(&weekly, Tz::UTC, after, now),
            Some(at("2026-11-22T06:00:00Z"))
        );
        // Nothing due yet.
        assert_eq!(
            latest_tick(&weekly, Tz::UTC, at("2026-11-22T06:00:00Z"), now),
            None
        );
    }

    #[test]
    fn ticks_never_go_back_when_clocks_fall_back() {
        // Paris leaves summer time on 25 October 2026: 02:00-03:00 local happens
        // twice (00:00-01:00 and 01:00-02:00 UTC).
        let every_quarter = parse_schedule("0 */15 * * * *").unwrap();
        let zone: Tz = "Europe/Paris".parse().unwrap();
        let mut mark = at("2026-10-24T23:50:00Z");
        let mut fired = Vec::new();
        while let Some(tick) = next_tick(&every_quarter, zone, mark) {
            if tick > at("2026-10-25T03:00:00Z") {
                break;
            }
            assert!(tick > mark, "{tick} after {mark}");
            fired.push(tick);
            mark = tick;
        }
        // Each local time ticks once: the hour that happens twice ticks in its first
        // occurrence only, as a wall clock would, never twice and never backwards.
        let expected: Vec<Timestamp> = [
            "00:00", "00:15", "00:30", "00:45", "02:00", "02:15", "02:30", "02:45", "03:00",
        ]
        .iter()
        .map(|hm| at(&format!("2026-10-25T{hm}:00Z")))
        .collect();
        assert_eq!(fired, expected);
        assert_eq!(
            latest_tick(
                &every_quarter,
                zone,
                at("2026-10-25T00:50:00Z"),
                at("2026-10-25T00:59:00Z")
            ),
            None
        );
    }

    /// The ticks of `expression` in `zone` in `(after, until]`.
    fn ticks_of(expression: &str, zone: &str, after: &str, until: &str) -> Vec<Timestamp> {
        let schedule = parse_schedule(expression).unwrap();
        let zone = parse_time_zone(zone).unwrap();
        ticks_after(&schedule, zone, at(after))
            .take_while(|t| *t <= at(until))
            .collect()
    }

    #[test]
    fn a_set_time_skipped_by_a_spring_forward_change_ticks_at_the_end_of_the_gap() {
        // Paris, 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
        assert_eq!(
            ticks_of(
                "0 30 2 * * *",
                "Europe/Paris",
                "2026-03-27T00:00:00Z",
                "2026-03-31T00:00:00Z"
            ),
            [
                "2026-03-27T01:30:00Z",
                "2026-03-28T01:30:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-30T00:30:00Z"
            ]
            .map(at)
        );
        // Two set times in the gap, and a range across it: one tick at its end.
        assert_eq!(
            ticks_of(
                "0 0,30 2 * * *",
                "Europe/Paris",
                "2026-03-28T12:00:00Z",
                "2026-03-30T12:00:00Z"
            ),
            [
                "2026-03-29T01:00:00Z",
                "2026-03-30T00:00:00Z",
                "2026-03-30T00:30:00Z"
            ]
            .map(at)
        );
        assert_eq!(
            ticks_of(
                "0 0 1-3 * * *",
                "Europe/Paris",
                "2026-03-28T23:30:00Z",
                "2026-03-29T23:00:00Z"
            ),
            [
                "2026-03-29T00:00:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-29T23:00:00Z"
            ]
            .map(at)
        );
        // The latest missed tick, after a stop across the gap, is the gap's end.
        assert_eq!(
            latest_tick(
                &parse_schedule("0 30 2 * * *").unwrap(),
                parse_time_zone("Europe/Paris").unwrap(),
                at("2026-03-28T01:30:00Z"),
                at("2026-03-29T06:00:00Z")
            ),
            Some(at("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn schedules_that_recur_through_the_day_skip_the_times_that_do_not_exist() {
        for (expression, expected) in [
            (
                "0 0 * * * *",
                [
                    "2026-03-29T00:00:00Z",
                    "2026-03-29T01:00:00Z",
                    "2026-03-29T02:00:00Z",
                ]
                .as_slice(),
            ),
            (
                "0 15 * * * *",
                &[
                    "2026-03-29T00:15:00Z",
                    "2026-03-29T01:15:00Z",
                    "2026-03-29T02:15:00Z",
                ],
            ),
            (
                "0 */30 * * * *",
                &[
                    "2026-03-29T00:00:00Z",
                    "2026-03-29T00:30:00Z",
                    "2026-03-29T01:00:00Z",
                    "2026-03-29T01:30:00Z",
                    "2026-03-29T02:00:00Z",
                    "2026-03-29T02:30:00Z",
                ],
            ),
            (
                "@hourly",
                &[
                    "2026-03-29T00:00:00Z",
                    "2026-03-29T01:00:00Z",
                    "2026-03-29T02:00:00Z",
                ],
            ),
        ] {
            assert_eq!(
                ticks_of(
                    expression,
                    "Europe/Paris",
                    "2026-03-28T23:50:00Z",
                    "2026-03-29T02:30:00Z"
                ),
                expected.iter().map(|t| at(t)).collect::<Vec<_>>(),
                "{expression}"
            );
        }
    }

    #[test]
    fn set_times_are_told_from_times_that_recur_through_the_day() {
        for set in [
            "0 30 2 * * *",
            "0 0,30 2 * * *",
            "0 0 1-3 * * Sun",
            "0 0 0 1 * *",
            "@daily",
            "@weekly",
        ] {
            assert!(runs_at_set_times(&parse_schedule(set).unwrap()), "{set}");
        }
        for recurring in [
            "0 * 2 * * *",
            "0 */30 * * * *",
            "0 0 * * * *",
            "0 0 */6 * * *",
            "@hourly",
        ] {
            assert!(
                !runs_at_set_times(&parse_schedule(recurring).unwrap()),
                "{recurring}"
            );
        }
    }

    #[test]
    fn bad_schedules_and_zones_say_what_is_wrong() {
        let e = parse_schedule("every monday").unwrap_err().to_string();
        assert!(e.contains("`every monday` is not a cron schedule"), "{e}");
        let e = parse_schedule("*/30 * * * * *").unwrap_err().to_string();
        assert!(e.contains("more often than once a minute"), "{e}");
        let e = parse_time_zone("Europe/Pariss").unwrap_err().to_string();
        assert!(e.contains("IANA time zone"), "{e}");
    }
}
