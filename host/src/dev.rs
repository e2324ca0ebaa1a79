//! The plugin author's loop, `guichet dev`: a plugin is run over a file of events
//! again whenever its component (or its configuration, or the events) changes, and
//! each build's decisions are printed with the diff against the previous build.
//!
//! This module holds the loop's parts that do not run plugins: [`Watch`] polls the
//! files for a change and waits until they have settled (a build writes its `.wasm`
//! in several steps); [`Session`] keeps the previous build's decisions, compares a
//! new build's with them ([`compare`], with the shared [`diff`](crate::diff) rules:
//! the previous build is the active version, the new one the candidate) and renders
//! the report's lines. The command line loads each build and runs it in the
//! [harness](crate::harness), with a fresh in-memory tenant (tickets, storage) per
//! build, so that runs are repeatable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::diff::{Decided, DiffSummary, Verdict, verdict};
use crate::harness::EventOutcome;
use crate::model::Action;

/// How often [`Watch`] looks at the files.
pub const POLL: Duration = Duration::from_millis(250);

/// How long the files must stay unchanged after a change before the build is read.
pub const SETTLE: Duration = Duration::from_millis(300);

/// What a file looked like when polled: its size and modification time, or absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(Option<(u64, Option<SystemTime>)>);

impl Stamp {
    /// The file's stamp now; an unreadable or missing file has the stamp of absence.
    pub fn of(path: &Path) -> Stamp {
        Stamp(
            std::fs::metadata(path)
                .ok()
                .map(|meta| (meta.len(), meta.modified().ok())),
        )
    }
}

/// Polls files for a change: [`wait_for_change`](Watch::wait_for_change) returns once
/// one of them changed since the last look and all have then stayed the same for
/// the settling time.
#[derive(Debug)]
pub struct Watch {
    files: Vec<(PathBuf, Stamp)>,
    poll: Duration,
    settle: Duration,
}

impl Watch {
    /// Watches `paths`, polling every [`POLL`] and settling for [`SETTLE`]; their
    /// stamps now are the reference for the first change.
    pub fn new(paths: impl IntoIterator<Item = PathBuf>) -> Watch {
        Watch::with_timing(paths, POLL, SETTLE)
    }

    /// Watches `paths` with the given polling interval and settling time.
    pub fn with_timing(
        paths: impl IntoIterator<Item = PathBuf>,
        poll: Duration,
        settle: Duration,
    ) -> Watch {
        let files = paths
            .into_iter()
            .map(|path| {
                let stamp = Stamp::of(&path);
                (path, stamp)
            })
            .collect();
        Watch {
            files,
            poll,
            settle,
        }
    }

    /// The watched files whose stamp differs from the last one seen, without
    /// waiting.
    pub fn changed(&self) -> Vec<&Path> {
        self.files
            .iter()
            .filter(|(path, stamp)| Stamp::of(path) != *stamp)
            .map(|(path, _)| path.as_path())
            .collect()
    }

    /// Blocks until a watched file changes, then until every file has stayed the
    /// same for the settling time; returns the files that changed. Their stamps
    /// then are the reference for the next change.
    pub fn wait_for_change(&mut self) -> Vec<PathBuf> {
        while self.changed().is_empty() {
            std::thread::sleep(self.poll);
        }
        let mut now = self.stamps();
        loop {
            std::thread::sleep(self.settle);
            let later = self.stamps();
            if later == now {
                break;
            }
            now = later;
        }
        self.files
            .iter_mut()
            .zip(now)
            .filter_map(|((path, seen), stamp)| {
                let differs = *seen != stamp;
                *seen = stamp;
                differs.then(|| path.clone())
            })
            .collect()
    }

    fn stamps(&self) -> Vec<Stamp> {
        self.files.iter().map(|(path, _)| Stamp::of(path)).collect()
    }
}

/// What one build decided on one event (or on an event its actions caused).
#[derive(Debug, Clone, PartialEq)]
pub struct EventDecision {
    /// The event's id.
    pub event: String,
    /// What the build decided; `None` when it was not called on the event.
    pub decided: Option<Decided>,
    /// Why it was not called (an event its contract does not have).
    pub skipped: Option<String>,
}

impl EventDecision {
    /// The decision in the harness's `outcome` of the component `sha256`.
    pub fn from_outcome(outcome: &EventOutcome, sha256: &str) -> EventDecision {
        let decided = match (&outcome.actions, &outcome.error) {
            _ if outcome.skipped.is_some() => None,
            (_, Some(error)) => Some(Decided {
                version: None,
                sha256: sha256.to_string(),
                actions: Vec::new(),
                error: Some(error.clone()),
            }),
            (actions, None) => Some(Decided {
                version: None,
                sha256: sha256.to_string(),
                actions: actions.clone().unwrap_or_default(),
                error: None,
            }),
        };
        EventDecision {
            event: outcome.event.clone(),
            decided,
            skipped: outcome.skipped.clone(),
        }
    }

    fn failed(&self) -> bool {
        self.decided.as_ref().is_some_and(|d| d.error.is_some())
    }
}

/// One build's run over the events.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildRun {
    /// The build's number in the session, from 1.
    pub number: u64,
    /// The component's SHA-256 (lower-case hex).
    pub sha256: String,
    /// Its decisions, in the order the events ran.
    pub decisions: Vec<EventDecision>,
}

/// How an event's decision changed from the previous build to this one.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The same actions (or both failed).
    Unchanged,
    /// Different actions (or a build that was not called on the event where the
    /// other decided something).
    Changed {
        before: Vec<Action>,
        after: Vec<Action>,
    },
    /// The call fails where the previous build's did not.
    NewlyFailing { before: Vec<Action>, error: String },
    /// The call succeeds where the previous build's failed.
    Fixed { error: String, after: Vec<Action> },
    /// The previous build did not see this event (the events file changed).
    New,
}

/// One event's [`Change`].
#[derive(Debug, Clone, PartialEq)]
pub struct EventChange {
    pub event: String,
    pub change: Change,
}

/// Counts of a comparison: [`DiffSummary`]'s verdicts, with `differ` split into
/// changed and fixed, and the events the previous build did not see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// The verdicts of the events both builds saw.
    pub summary: DiffSummary,
    /// Of `summary.differ`, the events that failed before and no longer do.
    pub fixed: u64,
    /// Events only the new build saw.
    pub new: u64,
}

impl Tally {
    /// The counts of `changes`.
    pub fn of(changes: &[EventChange]) -> Tally {
        let mut tally = Tally::default();
        for change in changes {
            match change.change {
                Change::Unchanged => tally.summary.add(Verdict::Agree),
                Change::Changed { .. } => tally.summary.add(Verdict::Differ),
                Change::Fixed { .. } => {
                    tally.summary.add(Verdict::Differ);
                    tally.fixed += 1;
                }
                Change::NewlyFailing { .. } => tally.summary.add(Verdict::CandidateFailed),
                Change::New => tally.new += 1,
            }
        }
        tally
    }

    /// Events whose actions changed without a failure on either side.
    pub fn changed(&self) -> u64 {
        self.summary.differ - self.fixed
    }
}

/// Compares `current`'s decisions with `previous`'s, event by event: an event is
/// matched by its id (the n-th decision on an id with the n-th one of the previous
/// build, for ids seen more than once), the previous build being the active version
/// and the current one the candidate of [`verdict`].
pub fn compare(previous: &BuildRun, current: &BuildRun) -> Vec<EventChange> {
    let mut before: HashMap<&str, Vec<&EventDecision>> = HashMap::new();
    for decision in previous.decisions.iter().rev() {
        before.entry(&decision.event).or_default().push(decision);
    }
    current
        .decisions
        .iter()
        .map(|now| {
            let change = match before.get_mut(now.event.as_str()).and_then(Vec::pop) {
                None => Change::New,
                Some(was) => change(was, now),
            };
            EventChange {
                event: now.event.clone(),
                change,
            }
        })
        .collect()
}

fn change(was: &EventDecision, now: &EventDecision) -> Change {
    let actions = |d: &EventDecision| {
        d.decided
            .as_ref()
            .map(|d| d.actions.clone())
            .unwrap_or_default()
    };
    let error = |d: &EventDecision| {
        d.decided
            .as_ref()
            .and_then(|d| d.error.clone())
            .unwrap_or_default()
    };
    match verdict(was.decided.as_ref(), now.decided.as_ref()) {
        Verdict::Agree => Change::Unchanged,
        Verdict::CandidateFailed => Change::NewlyFailing {
            before: actions(was),
            error: error(now),
        },
        Verdict::Differ if was.failed() => Change::Fixed {
            error: error(was),
            after: actions(now),
        },
        Verdict::Differ => Change::Changed {
            before: actions(was),
            after: actions(now),
        },
    }
}

/// The builds of one `guichet dev` session: numbers them and renders each one's
/// report against the previous successful one.
#[derive(Debug, Default)]
pub struct Session {
    builds: u64,
    previous: Option<BuildRun>,
}

impl Session {
    /// How many builds were run so far.
    pub fn builds(&self) -> u64 {
        self.builds
    }

    /// The number the next build gets.
    pub fn next_number(&self) -> u64 {
        self.builds + 1
    }

    /// The last build run, the reference of the next one.
    pub fn previous(&self) -> Option<&BuildRun> {
        self.previous.as_ref()
    }

    /// Records a build's decisions and returns its report: a header, each event's
    /// decision, then (from the second build) each event's change against the
    /// previous build, and a one-line summary, last.
    pub fn record(
        &mut self,
        origin: &str,
        sha256: &str,
        decisions: Vec<EventDecision>,
    ) -> Vec<String> {
        self.builds += 1;
        let run = BuildRun {
            number: self.builds,
            sha256: sha256.to_string(),
            decisions,
        };
        let mut lines = vec![format!(
            "== build {} of {origin} (sha256 {})",
            run.number,
            short(&run.sha256)
        )];
        lines.extend(decision_lines(&run.decisions));
        let summary = match &self.previous {
            None => first_summary(&run),
            Some(previous) => {
                let changes = compare(previous, &run);
                lines.push(format!(
                    "against build {} (sha256 {}):",
                    previous.number,
                    short(&previous.sha256)
                ));
                lines.extend(change_lines(&changes));
                summary_line(&run, &Tally::of(&changes))
            }
        };
        lines.push(summary);
        self.previous = Some(run);
        lines
    }
}

/// The first 12 hex digits of a SHA-256, with an ellipsis.
pub fn short(sha256: &str) -> String {
    format!("{}…", sha256.get(..12).unwrap_or(sha256))
}

/// Actions compactly, on one line: each its `type` and its fields' JSON (the value
/// alone for an action with one field; absent fields left out), separated by
/// commas; `no action` for none.
pub fn render_actions(actions: &[Action]) -> String {
    if actions.is_empty() {
        return "no action".to_string();
    }
    actions
        .iter()
        .map(render_action)
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_action(action: &Action) -> String {
    let mut fields = match serde_json::to_value(action) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => return action.name().to_string(),
    };
    fields.remove("type");
    fields.retain(|_, value| !value.is_null());
    let mut values = fields.values();
    match (values.next(), values.next()) {
        (None, _) => action.name().to_string(),
        (Some(only), None) => format!("{} {only}", action.name()),
        _ => format!(
            "{} {}",
            action.name(),
            serde_json::Value::Object(fields.clone())
        ),
    }
}

/// Two lists of actions that differ, compactly: the actions both start and end
/// with are written `…` on each side, so that what changed stands out.
pub fn render_difference(before: &[Action], after: &[Action]) -> (String, String) {
    let start = before.iter().zip(after).take_while(|(b, a)| b == a).count();
    let end = before[start..]
        .iter()
        .rev()
        .zip(after[start..].iter().rev())
        .take_while(|(b, a)| b == a)
        .count();
    let side = |actions: &[Action]| {
        if start == 0 && end == 0 {
            return render_actions(actions);
        }
        let middle = &actions[start..actions.len() - end];
        let mut parts = Vec::new();
        if start > 0 {
            parts.push("…".to_string());
        }
        if !middle.is_empty() {
            parts.push(render_actions(middle));
        }
        if end > 0 {
            parts.push("…".to_string());
        }
        parts.join(", ")
    };
    (side(before), side(after))
}

fn decision_text(decision: &EventDecision) -> String {
    match (&decision.decided, &decision.skipped) {
        (Some(Decided { error: Some(e), .. }), _) => format!("error: {e}"),
        (Some(decided), _) => render_actions(&decided.actions),
        (None, Some(why)) => format!("skipped: {why}"),
        (None, None) => "not run".to_string(),
    }
}

/// One line per decision: the event's id, then what was decided.
pub fn decision_lines(decisions: &[EventDecision]) -> Vec<String> {
    let width = decisions.iter().map(|d| d.event.len()).max().unwrap_or(0);
    decisions
        .iter()
        .map(|d| format!("  {:width$}  {}", d.event, decision_text(d)))
        .collect()
}

/// One line per event: the event's id, then how its decision changed.
pub fn change_lines(changes: &[EventChange]) -> Vec<String> {
    let width = changes.iter().map(|c| c.event.len()).max().unwrap_or(0);
    changes
        .iter()
        .map(|c| {
            let text = match &c.change {
                Change::Unchanged => "unchanged".to_string(),
                Change::Changed { before, after } => {
                    let (before, after) = render_difference(before, after);
                    format!("changed: {before} → {after}")
                }
                Change::NewlyFailing { before, error } => {
                    format!("newly failing: {error} (was: {})", render_actions(before))
                }
                Change::Fixed { error, after } => {
                    format!("fixed: {} (was: error: {error})", render_actions(after))
                }
                Change::New => "new event".to_string(),
            };
            format!("  {:width$}  {text}", c.event)
        })
        .collect()
}

fn first_summary(run: &BuildRun) -> String {
    let failing = run.decisions.iter().filter(|d| d.failed()).count();
    format!(
        "build {} (sha256 {}): {} events, {failing} failing",
        run.number,
        short(&run.sha256),
        run.decisions.len()
    )
}

/// The one-line summary of a build compared with the previous one.
pub fn summary_line(run: &BuildRun, tally: &Tally) -> String {
    let mut line = format!(
        "build {} (sha256 {}): {} events, {} unchanged, {} changed, {} newly failing, {} fixed",
        run.number,
        short(&run.sha256),
        run.decisions.len(),
        tally.summary.agree,
        tally.changed(),
        tally.summary.candidate_failed,
        tally.fixed,
    );
    if tally.new > 0 {
        line.push_str(&format!(", {} new", tally.new));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(tags: &[&str]) -> Vec<Action> {
        vec![Action::AddTags {
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }]
    }

    fn ok(event: &str, actions: Vec<Action>) -> EventDecision {
        EventDecision {
            event: event.to_string(),
            decided: Some(Decided {
                version: None,
                sha256: String::new(),
                actions,
                error: None,
            }),
            skipped: None,
        }
    }

    fn failed(event: &str, error: &str) -> EventDecision {
        EventDecision {
            event: event.to_string(),
            decided: Some(Decided {
                version: None,
                sha256: String::new(),
                actions: Vec::new(),
                error: Some(error.to_string()),
            }),
            skipped: None,
        }
    }

    fn run(number: u64, decisions: Vec<EventDecision>) -> BuildRun {
        BuildRun {
            number,
            sha256: format!("{number:0>64}"),
            decisions,
        }
    }

    #[test]
    fn each_event_is_unchanged_changed_newly_failing_fixed_or_new() {
        let before = run(
            1,
            vec![
                ok("e1", tags(&["vip"])),
                ok("e2", tags(&["vip"])),
                ok("e3", tags(&["vip"])),
                failed("e4", "trap"),
                failed("e5", "trap"),
            ],
        );
        let after = run(
            2,
            vec![
                ok("e1", tags(&["vip"])),
                ok("e2", tags(&["billing"])),
                failed("e3", "out of fuel"),
                ok("e4", Vec::new()),
                failed("e5", "another trap"),
                ok("e6", Vec::new()),
            ],
        );
        let changes: Vec<Change> = compare(&before, &after)
            .into_iter()
            .map(|c| c.change)
            .collect();
        assert_eq!(
            changes,
            vec![
                Change::Unchanged,
                Change::Changed {
                    before: tags(&["vip"]),
                    after: tags(&["billing"])
                },
                Change::NewlyFailing {
                    before: tags(&["vip"]),
                    error: "out of fuel".into()
                },
                Change::Fixed {
                    error: "trap".into(),
                    after: Vec::new()
                },
                Change::Unchanged,
                Change::New,
            ]
        );
        let tally = Tally::of(&compare(&before, &after));
        assert_eq!(
            (
                tally.summary.events,
                tally.summary.agree,
                tally.changed(),
                tally.summary.candidate_failed,
                tally.fixed,
                tally.new
            ),
            (5, 2, 1, 1, 1, 1)
        );
    }

    #[test]
    fn a_repeated_id_is_matched_in_order_and_a_skipped_event_decided_nothing() {
        let skipped = EventDecision {
            event: "e2".into(),
            decided: None,
            skipped: Some("a 0.1.0 plugin is not sent `fields_changed` events".into()),
        };
        let before = run(
            1,
            vec![ok("e1", tags(&["a"])), ok("e1", tags(&["b"])), skipped],
        );
        let after = run(
            2,
            vec![
                ok("e1", tags(&["a"])),
                ok("e1", tags(&["c"])),
                ok("e2", Vec::new()),
            ],
        );
        let changes: Vec<Change> = compare(&before, &after)
            .into_iter()
            .map(|c| c.change)
            .collect();
        assert_eq!(changes[0], Change::Unchanged);
        assert_eq!(
            changes[1],
            Change::Changed {
                before: tags(&["b"]),
                after: tags(&["c"])
            }
        );
        assert_eq!(changes[2], Change::Unchanged);
    }

    #[test]
    fn the_report_lists_decisions_then_changes_then_the_summary() {
        let mut session = Session::default();
        let first = session.record(
            "plugin.wasm",
            &"ab".repeat(32),
            vec![ok("evt-1", tags(&["fraud"])), failed("evt-22", "trap")],
        );
        assert_eq!(
            first,
            vec![
                "== build 1 of plugin.wasm (sha256 abababababab…)",
                "  evt-1   add_tags [\"fraud\"]",
                "  evt-22  error: trap",
                "build 1 (sha256 abababababab…): 2 events, 1 failing",
            ]
        );
        let second = session.record(
            "plugin.wasm",
            &"cd".repeat(32),
            vec![ok("evt-1", Vec::new()), ok("evt-22", tags(&["x"]))],
        );
        assert_eq!(
            second,
            vec![
                "== build 2 of plugin.wasm (sha256 cdcdcdcdcdcd…)",
                "  evt-1   no action",
                "  evt-22  add_tags [\"x\"]",
                "against build 1 (sha256 abababababab…):",
                "  evt-1   changed: add_tags [\"fraud\"] → no action",
                "  evt-22  fixed: add_tags [\"x\"] (was: error: trap)",
                "build 2 (sha256 cdcdcdcdcdcd…): 2 events, 0 unchanged, 1 changed, 0 newly \
                 failing, 1 fixed",
            ]
        );
        assert_eq!(session.builds(), 2);
        assert_eq!(session.previous().map(|b| b.number), Some(2));
    }

    #[test]
    fn actions_render_compactly_without_absent_fields() {
        let actions = vec![
            Action::Assign {
                agent: None,
                group: Some("fraud/L2".into()),
            },
            Action::Close,
            Action::MergeInto {
                ticket_id: "t-1".into(),
            },
        ];
        assert_eq!(
            render_actions(&actions),
            "assign \"fraud/L2\", close, merge_into \"t-1\""
        );
        let both = Action::Assign {
            agent: Some("ana".into()),
            group: Some("g".into()),
        };
        assert_eq!(
            render_actions(&[both]),
            "assign {\"agent\":\"ana\",\"group\":\"g\"}"
        );
        assert_eq!(render_actions(&[]), "no action");
    }

    #[test]
    fn a_difference_leaves_out_the_actions_both_sides_share() {
        let close = Action::Close;
        let (a, b) = (tags(&["a"]).remove(0), tags(&["b"]).remove(0));
        let pair = |before: Vec<Action>, after: Vec<Action>| render_difference(&before, &after);
        assert_eq!(
            pair(
                vec![close.clone(), a.clone()],
                vec![close.clone(), b.clone()]
            ),
            ("…, add_tags [\"a\"]".into(), "…, add_tags [\"b\"]".into())
        );
        assert_eq!(
            pair(vec![a.clone(), close.clone()], vec![close.clone()]),
            ("add_tags [\"a\"], …".into(), "…".into())
        );
        assert_eq!(
            pair(vec![close.clone()], vec![close.clone(), close.clone()]),
            ("…".into(), "…, close".into())
        );
        assert_eq!(
            pair(vec![a.clone()], vec![]),
            ("add_tags [\"a\"]".into(), "no action".into())
        );
    }

    #[test]
    fn a_watch_returns_once_a_changed_file_has_settled() {
        let dir = std::env::temp_dir().join(format!("guichet-dev-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.wasm"), dir.join("b.json"));
        std::fs::write(&a, b"one").unwrap();
        std::fs::write(&b, b"{}").unwrap();
        let mut watch = Watch::with_timing(
            [a.clone(), b.clone()],
            Duration::from_millis(10),
            Duration::from_millis(200),
        );
        assert!(watch.changed().is_empty());
        let writer = {
            let a = a.clone();
            std::thread::spawn(move || {
                // Written in steps, as a build does.
                std::fs::write(&a, b"tw").unwrap();
                std::thread::sleep(Duration::from_millis(20));
                std::fs::write(&a, b"two, longer").unwrap();
            })
        };
        let changed = watch.wait_for_change();
        writer.join().unwrap();
        assert_eq!(changed, vec![a.clone()]);
        assert_eq!(std::fs::read(&a).unwrap(), b"two, longer");
        assert!(watch.changed().is_empty());
        std::fs::remove_file(&b).unwrap();
        assert_eq!(watch.changed(), vec![b.as_path()]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
