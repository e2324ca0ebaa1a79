//! What two versions of a plugin decided on the same events, side by side: the diff
//! a shadow run records on live events and a replay computes on recorded ones.
//!
//! One [`EventDiff`] per event and plugin: the active (or recorded) version's
//! decision, the candidate's, and a [`Verdict`]; a [`DiffSummary`] counts them. This
//! module is pure: who runs the versions and where the diffs are kept belong to the
//! pipeline (shadow runs), the replay and the store.

use serde::{Deserialize, Serialize};

use crate::model::{Action, Timestamp};

/// What one version decided on one event: the actions it returned, or the error
/// that stopped its call (a trap, a limit, an error it returned, or an action the
/// host refused), in which case nothing of the call was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Decided {
    /// The version's number (see the plugin's versions), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// The SHA-256 of the component that decided (lower-case hex).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sha256: String,
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Decided {
    fn failed(&self) -> bool {
        self.error.is_some()
    }
}

/// How the candidate's decision compares with the active version's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The same actions, in the same order (or both calls failed: nothing applied
    /// either way).
    Agree,
    /// Different actions; or the active version failed where the candidate did not;
    /// or only one of them ran on the event and returned actions (a version that did
    /// not run decided nothing).
    Differ,
    /// The candidate's call failed where the active version's did not.
    CandidateFailed,
}

impl Verdict {
    /// Its name, as in JSON (`agree`, `differ`, `candidate_failed`): stable, the
    /// stores key their counts by it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Agree => "agree",
            Verdict::Differ => "differ",
            Verdict::CandidateFailed => "candidate_failed",
        }
    }
}

/// The verdict on two decisions; `None` is a version that did not run on the event.
///
/// A version that did not run and one that ran and returned no action agree: neither
/// changes the ticket.
pub fn verdict(active: Option<&Decided>, candidate: Option<&Decided>) -> Verdict {
    let none = Decided {
        version: None,
        sha256: String::new(),
        actions: Vec::new(),
        error: None,
    };
    let (active, candidate) = (active.unwrap_or(&none), candidate.unwrap_or(&none));
    match (active.failed(), candidate.failed()) {
        (true, true) => Verdict::Agree,
        (false, true) => Verdict::CandidateFailed,
        (true, false) => Verdict::Differ,
        (false, false) if active.actions == candidate.actions => Verdict::Agree,
        (false, false) => Verdict::Differ,
    }
}

/// Completes `first`, one side of a timer's firing (the active version's or the
/// candidate's: each version's timers are its own, and fire as separate events),
/// with `other`, the other side's firing of the same timer; the verdict is made
/// again. `false`, and nothing changed, when `other` is not the other side.
pub fn complete(first: &mut EventDiff, other: EventDiff) -> bool {
    let (first_active, other_active) = (first.active.is_some(), other.active.is_some());
    if first_active == other_active
        || first.active.is_some() == first.candidate.is_some()
        || other.active.is_some() == other.candidate.is_some()
    {
        return false;
    }
    if other_active {
        // Named after the active version's firing.
        first.event_id = other.event_id;
        first.at = other.at;
        first.active = other.active;
    } else {
        first.candidate = other.candidate;
    }
    first.verdict = verdict(first.active.as_ref(), first.candidate.as_ref());
    true
}

/// One event, one plugin: what the active version and the candidate decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventDiff {
    pub event_id: String,
    /// The event's kind (`ticket_created`, `timer_fired`, …).
    pub event_kind: String,
    /// The ticket it concerns; empty for a scheduled tick.
    #[serde(default)]
    pub ticket_id: String,
    /// When the event was processed (the clock of the run: live, or simulated in a
    /// replay).
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub plugin: String,
    /// The active version's decision (in a replay: what was recorded); absent when
    /// it did not run on the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Decided>,
    /// The candidate's decision; absent when it did not run on the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<Decided>,
    pub verdict: Verdict,
}

/// Counts of a run's [`EventDiff`]s by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DiffSummary {
    /// Every diff counted.
    pub events: u64,
    pub agree: u64,
    pub differ: u64,
    pub candidate_failed: u64,
}

impl DiffSummary {
    /// Counts one more diff.
    pub fn add(&mut self, verdict: Verdict) {
        self.events += 1;
        match verdict {
            Verdict::Agree => self.agree += 1,
            Verdict::Differ => self.differ += 1,
            Verdict::CandidateFailed => self.candidate_failed += 1,
        }
    }

    /// The counts of `diffs`.
    pub fn of<'a>(diffs: impl IntoIterator<Item = &'a EventDiff>) -> DiffSummary {
        let mut summary = DiffSummary::default();
        for diff in diffs {
            summary.add(diff.verdict);
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(actions: Vec<Action>, error: Option<&str>) -> Decided {
        Decided {
            version: None,
            sha256: String::new(),
            actions,
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn verdicts_compare_actions_and_failures() {
        let tag = |t: &str| Action::AddTags {
            tags: vec![t.to_string()],
        };
        let a = decided(vec![tag("vip")], None);
        let b = decided(vec![tag("vip")], None);
        let c = decided(vec![tag("billing")], None);
        let failed = decided(Vec::new(), Some("trap"));
        let empty = decided(Vec::new(), None);
        assert_eq!(verdict(Some(&a), Some(&b)), Verdict::Agree);
        assert_eq!(verdict(Some(&a), Some(&c)), Verdict::Differ);
        assert_eq!(verdict(Some(&a), Some(&failed)), Verdict::CandidateFailed);
        assert_eq!(verdict(Some(&failed), Some(&a)), Verdict::Differ);
        assert_eq!(verdict(Some(&failed), Some(&failed)), Verdict::Agree);
        assert_eq!(verdict(None, Some(&empty)), Verdict::Agree);
        assert_eq!(verdict(None, Some(&a)), Verdict::Differ);
        assert_eq!(verdict(Some(&a), None), Verdict::Differ);
        // A timer's two firings make one diff.
        let side = |id: &str, active: Option<Decided>, candidate: Option<Decided>| EventDiff {
            event_id: id.to_string(),
            event_kind: "timer_fired".to_string(),
            ticket_id: "t".to_string(),
            at: "2026-11-30T10:00:00Z".parse().unwrap(),
            plugin: "sla".to_string(),
            verdict: verdict(active.as_ref(), candidate.as_ref()),
            active,
            candidate,
        };
        let mut first = side("timer:t:sla~shadow~r:1:x", None, Some(a.clone()));
        assert_eq!(first.verdict, Verdict::Differ);
        assert!(!complete(&mut first, side("again", None, Some(a.clone()))));
        assert!(complete(
            &mut first,
            side("timer:t:sla:1:x", Some(b.clone()), None)
        ));
        assert_eq!(first.event_id, "timer:t:sla:1:x");
        assert_eq!(first.verdict, Verdict::Agree);
        let mut summary = DiffSummary::default();
        for v in [
            Verdict::Agree,
            Verdict::Differ,
            Verdict::CandidateFailed,
            Verdict::Agree,
        ] {
            summary.add(v);
        }
        assert_eq!(
            summary,
            DiffSummary {
                events: 4,
                agree: 2,
                differ: 1,
                candidate_failed: 1
            }
        );
    }
}
