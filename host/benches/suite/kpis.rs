//! Section 5 of the suite: how long a tenant with a million tickets waits for a
//! month's KPIs, beside a tenant that has only that month's tickets (the same facts in
//! the range, a twelfth of the history).
//!
//! The store is filled with the facts the pipeline commits (`EventCommit::kpi`), one
//! commit per thousand tickets, not through the pipeline itself (a million tickets
//! through it would take hours on 2 cores; the pipeline's own cost is section 3):
//! what is measured is the report's path, `kpi::compute` on the sled store, as
//! `GET /v1/tenants/{tenant}/kpis` runs it.

use guichet::store::EventLog;
use guichet::store::TenantStore;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use guichet::kpi::{self, Actor, Fact, FactKind, GroupBy, ReplyClock, SlaTargets};
use guichet::model::{Channel, Event, EventKind, Priority};
use guichet::store::{Enqueued, EventCommit, KpiFacts, SledStore, Tenant};

/// Tickets of the big tenant, spread evenly over a year.
pub const TICKETS: usize = 1_000_000;
/// Tickets per commit while filling.
const BATCH: usize = 1_000;

/// A query to measure: tenant, name, range and grouping.
type Case = (
    &'static str,
    &'static str,
    DateTime<Utc>,
    DateTime<Utc>,
    GroupBy,
);

/// One measured query: its name, the facts it read and its times.
pub struct Query {
    pub tenant: &'static str,
    pub name: &'static str,
    pub facts: usize,
    /// Reading the range's facts alone (`KpiFacts::kpi_facts`), median.
    pub read: Duration,
    /// The whole report (`kpi::compute`), median and max.
    pub median: Duration,
    pub max: Duration,
}

/// The filled store's size, the time it took, and the queries.
pub struct Measured {
    pub tickets: usize,
    pub facts: usize,
    pub fill: Duration,
    pub queries: Vec<Query>,
}

fn start() -> DateTime<Utc> {
    "2025-12-01T00:00:00Z".parse().unwrap()
}

/// The facts of ticket `n` created at `created`: creation, backlog in and out, a first
/// reply, for a third a next reply, the resolution, the actions of a plugin and of
/// an agent; one in ten has an SLA breach, one in eight is a phone call.
fn ticket_facts(n: usize, created: DateTime<Utc>) -> Vec<Fact> {
    let channels = [
        Channel::Email,
        Channel::Chat,
        Channel::Whatsapp,
        Channel::Phone,
    ];
    let agents = ["ana", "bob", "carl", "dana", "eve", "farid", "gus", "hana"];
    let minutes = |m: usize| TimeDelta::minutes(m as i64);
    let base = Fact {
        at: created,
        ticket: format!("t-{n}").into(),
        channel: channels[n % channels.len()],
        group: Some(["care", "billing", "fraud"][n % 3].into()),
        agent: Some(agents[n % agents.len()].into()),
        priority: [
            Priority::Normal,
            Priority::High,
            Priority::Low,
            Priority::Urgent,
        ][n % 4],
        sla_policy: Some("standard".into()),
        sla_targets: Default::default(),
        kind: FactKind::Created,
    };
    let at = |offset: TimeDelta, kind: FactKind| {
        let mut fact = base.clone();
        fact.at = created + offset;
        if matches!(kind, FactKind::Reply { .. } | FactKind::Resolved { .. }) {
            fact.sla_targets = SlaTargets::parse("first_reply next_reply resolution");
        }
        fact.kind = kind;
        fact
    };
    let replied = minutes(5 + n * 7 % 600);
    let solved = replied + minutes(60 + n * 13 % 4_000);
    let mut facts = vec![
        at(TimeDelta::zero(), FactKind::Created),
        at(
            TimeDelta::zero(),
            FactKind::Backlog {
                unsolved: 1,
                awaiting: 1,
            },
        ),
        at(
            replied,
            FactKind::Reply {
                clock: ReplyClock::FirstResponse,
                since: created,
            },
        ),
    ];
    if n.is_multiple_of(3) {
        let asked = replied + minutes(30);
        facts.push(at(
            asked + minutes(n % 240),
            FactKind::Reply {
                clock: ReplyClock::NextReply,
                since: created + asked,
            },
        ));
    }
    if n.is_multiple_of(10) {
        facts.push(at(
            replied - minutes(1),
            FactKind::SlaBreach {
                metric: "first_reply".into(),
            },
        ));
    }
    if n.is_multiple_of(8) {
        facts.push(at(
            TimeDelta::zero(),
            FactKind::Call {
                missed: n.is_multiple_of(16),
            },
        ));
    }
    facts.push(at(
        TimeDelta::zero(),
        FactKind::Actions {
            by: Actor::Plugin,
            count: 2,
        },
    ));
    facts.push(at(
        replied,
        FactKind::Actions {
            by: Actor::Agent,
            count: 1,
        },
    ));
    facts.push(at(solved, FactKind::Resolved { since: created }));
    facts.push(at(
        solved,
        FactKind::Backlog {
            unsolved: -1,
            awaiting: -1,
        },
    ));
    facts
}

/// Commits the facts of tickets `range`, created evenly from `from` every `every`.
fn fill(
    store: &SledStore,
    tenant: &str,
    range: std::ops::Range<usize>,
    from: DateTime<Utc>,
    every: TimeDelta,
) -> usize {
    let mut count = 0;
    let tickets: Vec<usize> = range.collect();
    for chunk in tickets.chunks(BATCH) {
        let facts: Vec<Fact> = chunk
            .iter()
            .enumerate()
            .flat_map(|(i, &n)| ticket_facts(n, from + every * (chunk[0] - tickets[0] + i) as i32))
            .collect();
        count += facts.len();
        let event = Event {
            id: format!("fill-{tenant}-{}", chunk[0]),
            kind: EventKind::TicketCreated,
            ticket: None,
            occurred_at: from,
        };
        let Enqueued::New(stored) = store.enqueue_event(tenant, &event, None, from).unwrap() else {
            unreachable!("no idempotency key")
        };
        store
            .commit_event(&EventCommit {
                tenant: tenant.to_string(),
                seq: stored.seq,
                ticket: None,
                timers: Vec::new(),
                audit: Vec::new(),
                follow_ups: Vec::new(),
                plugin_writes: Vec::new(),
                outbox: Vec::new(),
                shadow: Vec::new(),
                kpi: facts,
            })
            .unwrap();
    }
    count
}

fn tenant(id: &str) -> Tenant {
    Tenant {
        id: id.into(),
        name: id.into(),
        time_zone: "Europe/Paris".into(),
        created_at: start(),
        business_calendar: Some(serde_json::json!({
            "time_zone": "Europe/Paris", "hours": {"mon-fri": ["09:00-18:00"]},
            "holidays": ["2026-05-01", "2026-05-08", "2026-05-14"]})),
    }
}

/// Fills `dir` (unless a previous run filled it: its file `filled` holds the counts)
/// and measures the queries; `rounds` runs of each.
pub fn measure(dir: &Path, rounds: usize) -> Measured {
    let store = SledStore::open(dir).unwrap();
    let (big, small) = (tenant("big"), tenant("small"));
    let span = TimeDelta::days(365);
    let every = span / TICKETS as i32;
    // The month measured: May 2026 (Paris), with three holidays. The small tenant has
    // the big one's tickets of that month only.
    let month_from: DateTime<Utc> = "2026-04-30T22:00:00Z".parse().unwrap();
    let month_until: DateTime<Utc> = "2026-05-31T22:00:00Z".parse().unwrap();
    let index = |at: DateTime<Utc>| {
        ((at - start()).num_milliseconds() / every.num_milliseconds().max(1)) as usize
    };
    let (first, last) = (index(month_from), index(month_until));
    let marker = dir.join("filled");
    let t = Instant::now();
    let facts = match std::fs::read_to_string(&marker) {
        Ok(count) => count.trim().parse().unwrap(),
        Err(_) => {
            store.create_tenant(&big).unwrap();
            store.create_tenant(&small).unwrap();
            let facts = fill(&store, "big", 0..TICKETS, start(), every)
                + fill(&store, "small", first..last, month_from, every);
            store.flush().unwrap();
            std::fs::write(&marker, facts.to_string()).unwrap();
            facts
        }
    };
    let fill_time = t.elapsed();

    let day_from: DateTime<Utc> = "2026-05-12T22:00:00Z".parse().unwrap();
    // The year last: it reads a year of facts, which leaves less of the month in the
    // page cache for what would come after it.
    let cases: [Case; 6] = [
        (
            "big",
            "a month, totals",
            month_from,
            month_until,
            GroupBy::None,
        ),
        (
            "small",
            "a month, totals",
            month_from,
            month_until,
            GroupBy::None,
        ),
        (
            "big",
            "a month, by day",
            month_from,
            month_until,
            GroupBy::Day,
        ),
        (
            "big",
            "a month, by agent",
            month_from,
            month_until,
            GroupBy::Agent,
        ),
        (
            "big",
            "a day, totals",
            day_from,
            day_from + TimeDelta::days(1),
            GroupBy::None,
        ),
        (
            "big",
            "a year, totals",
            start(),
            start() + span,
            GroupBy::None,
        ),
    ];
    let mut queries = Vec::new();
    for (id, name, from, until, group_by) in cases {
        let record = if id == "big" { &big } else { &small };
        let (mut times, mut reads) = (Vec::new(), Vec::new());
        let mut read = 0;
        // The year reads 12 times as much: fewer rounds.
        let runs = if name.starts_with("a year") {
            2
        } else {
            rounds
        };
        for _ in 0..runs {
            let t = Instant::now();
            let report = kpi::compute(&store, record, from, until, group_by).unwrap();
            times.push(t.elapsed());
            std::hint::black_box(report);
            let t = Instant::now();
            read = store.kpi_facts(id, from, until).unwrap().len();
            reads.push(t.elapsed());
        }
        times.sort();
        reads.sort();
        queries.push(Query {
            tenant: id,
            name,
            facts: read,
            read: reads[reads.len() / 2],
            median: times[times.len() / 2],
            max: *times.last().unwrap(),
        });
    }
    Measured {
        tickets: TICKETS + (last - first),
        facts,
        fill: fill_time,
        queries,
    }
}
