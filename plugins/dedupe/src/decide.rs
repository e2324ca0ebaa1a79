//! The decision: whether a ticket duplicates an older open ticket, and the index
//! upkeep every subscribed event needs.

use crate::config::{Config, channel_name};
use crate::guichet::plugin::log::Level;
use crate::guichet::plugin::types::{
    Action, AuthorRole, Channel, Event, EventKind, FieldChange, Message, Ticket, TicketStatus,
};
use crate::host::Host;
use crate::identity::Requester;
use crate::numbers;
use crate::reviews;
use crate::text::Words;

/// How two texts are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Shared stems over the smaller set of stems.
    Containment,
    /// Shared stems over all stems.
    Jaccard,
}

/// The measure the plugin uses (see the README for the figures behind the choice).
pub const MEASURE: Measure = Measure::Containment;

/// The spelling-tolerant measure stands in for the stem measure when it is higher:
/// shared character trigrams, weighed by this factor (typos and SMS spelling change a
/// stem but few trigrams).
pub const GRAM_WEIGHT: f64 = 0.8;

/// The factor applied when both texts cite order, contract or claim references and
/// share none: two orders are two problems.
pub const OTHER_REFERENCE_FACTOR: f64 = 0.25;

/// What the same person writing again on the same channel adds to the score, when
/// the topics of both texts agree and one at least is shared: a re-send is the likely
/// reason. Conflicting topics or references take it away.
pub const SAME_CHANNEL_PRIOR: f64 = 0.05;

/// A same-person ticket that says it follows up an earlier message ("je relance",
/// "still no reply", "I emailed you yesterday") is taken as a follow-up of that
/// person's closest open ticket of the window whose topics it does not contradict
/// and whose references it does not conflict with: its score is raised to the
/// threshold (see [`SHORTLY_MS`] for the person's only ticket). What it adds is this
/// (`FOLLOW_UP` in the note).
pub const FOLLOW_UP: &str = "follows up";

/// How soon after a person's only open ticket of the window, on the same channel, a
/// follow-up goes to it whatever its words: 24 hours.
pub const SHORTLY_MS: i64 = 24 * 3_600_000;

/// How far below the best score a same-person candidate may be and still be
/// preferred for being older (the group's first ticket): scores closer than this do
/// not tell two tickets apart.
pub const CLOSE_MARGIN: f64 = 0.05;

/// The signals behind a text score, for the decision and its note.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Signals {
    /// The stem measure (or 1 for the same subject line).
    pub stems: f64,
    /// The trigram measure, weighed by [`GRAM_WEIGHT`].
    pub grams: f64,
    /// How far the topics agree, from 0 to 1.
    pub topics: f64,
    /// Whether the texts cite different references.
    pub other_references: bool,
    /// The same-channel prior added.
    pub prior: f64,
    /// Whether the score was raised to the threshold because the new text says it
    /// follows up an earlier message.
    pub follow_up: bool,
    /// The score: the higher text measure × topics × references, plus the prior.
    pub score: f64,
}

impl Signals {
    /// The note's account of the score: "text similarity 0.81", with what lowered or
    /// raised it.
    pub fn explain(&self) -> String {
        let mut out = format!("text similarity {:.2}", self.score);
        let mut why = Vec::new();
        if self.grams > self.stems {
            why.push(format!("spelling-tolerant {:.2}", self.grams));
        } else {
            why.push(format!("words {:.2}", self.stems));
        }
        if self.topics < 1.0 {
            why.push(format!("topics agree {:.2}", self.topics));
        }
        if self.other_references {
            why.push("other references".to_string());
        }
        if self.prior > 0.0 {
            why.push(format!("same channel +{:.2}", self.prior));
        }
        if self.follow_up {
            why.push(FOLLOW_UP.to_string());
        }
        out.push_str(&format!(": {}", why.join(", ")));
        out
    }
}

impl Measure {
    /// How alike two same-person texts are, from 0 to 1: the measure of their stems,
    /// or 1 when their subject lines say the same thing; lowered as far as their
    /// topics conflict (see [`Words::topic_agreement`]).
    pub fn score(self, a: &Words, b: &Words) -> f64 {
        self.signals(a, b, false).score
    }

    /// The signals of two same-person texts; `same_channel` when both came on one
    /// channel (see [`SAME_CHANNEL_PRIOR`]).
    pub fn signals(self, a: &Words, b: &Words, same_channel: bool) -> Signals {
        let stems = if a.same_subject(b) {
            1.0
        } else {
            match self {
                Measure::Containment => a.containment(b),
                Measure::Jaccard => a.jaccard(b),
            }
        };
        let grams = match self {
            Measure::Containment => GRAM_WEIGHT * a.gram_containment(b),
            Measure::Jaccard => 0.0,
        };
        let topics = if a.shares_detail(b) {
            1.0
        } else {
            a.topic_agreement(b)
        };
        let other_references = a.other_references(b);
        let mut score = stems.max(grams) * topics;
        if other_references {
            score *= OTHER_REFERENCE_FACTOR;
        }
        let prior = if same_channel
            && self == Measure::Containment
            && topics >= 1.0
            && !other_references
            && a.shares_topic(b)
        {
            SAME_CHANNEL_PRIOR
        } else {
            0.0
        };
        Signals {
            stems,
            grams,
            topics,
            other_references,
            prior,
            follow_up: false,
            score: (score + prior).min(1.0),
        }
    }
}

/// Whether a ticket can still take a merge: not solved, closed or merged.
pub fn is_open(status: TicketStatus) -> bool {
    !matches!(
        status,
        TicketStatus::Solved | TicketStatus::Closed | TicketStatus::Merged
    )
}

/// The longest chain of merges followed to the ticket a merged one ended in.
const MAX_CHAIN: usize = 32;

/// Why a ticket is a duplicate, for the note.
#[derive(Debug, Clone)]
enum Reason {
    /// The same person, on two channels (`identity` is the one they share).
    CrossChannel {
        identity: String,
        on: Channel,
        target_on: Channel,
    },
    /// The same person again on one channel.
    SameChannel { identity: String, on: Channel },
    /// The ticket cites the target's number.
    CitesNumber { number: String, identity: String },
    /// Nearly the same store review.
    SameReview,
}

/// A duplicate found: the older open ticket to merge into, why, and the text
/// similarity.
#[derive(Debug, Clone)]
struct Found {
    target: String,
    reason: Reason,
    signals: Signals,
}

impl Found {
    fn note(&self) -> String {
        let why = match &self.reason {
            Reason::CrossChannel {
                identity,
                on,
                target_on,
            } => format!(
                "same requester, {identity}, on {} and {}",
                channel_name(*on),
                channel_name(*target_on)
            ),
            Reason::SameChannel { identity, on } => {
                format!("same requester, {identity}, again on {}", channel_name(*on))
            }
            Reason::CitesNumber { number, identity } => {
                format!("cites ticket number {number}, same requester, {identity}")
            }
            Reason::SameReview => "same review text".to_string(),
        };
        format!(
            "Duplicate of {} ({why}; {}) — merged.",
            self.target,
            self.signals.explain()
        )
    }

    fn actions(&self, config: &Config) -> Vec<Action> {
        vec![
            Action::AddTags(vec![config.tag.clone()]),
            Action::InternalNote(self.note()),
            Action::MergeInto(self.target.clone()),
        ]
    }
}

/// Decides what to do about one event, with the plugin's measure.
pub fn on_event(host: &dyn Host, config: &Config, event: &Event) -> Result<Vec<Action>, String> {
    on_event_with(host, config, event, MEASURE)
}

/// Decides what to do about one event, comparing texts with `measure`.
pub fn on_event_with(
    host: &dyn Host,
    config: &Config,
    event: &Event,
    measure: Measure,
) -> Result<Vec<Action>, String> {
    let Some(ticket) = &event.ticket else {
        return Ok(Vec::new());
    };
    match &event.kind {
        EventKind::TicketCreated => on_created(host, config, ticket, measure),
        EventKind::MessageAdded(message) => on_message(host, config, ticket, message, measure),
        EventKind::StatusChanged(_) => {
            reindex_number(host, ticket)?;
            Ok(Vec::new())
        }
        EventKind::FieldsChanged(change) => {
            on_fields(host, ticket, &change.fields)?;
            Ok(Vec::new())
        }
        _ => Ok(Vec::new()),
    }
}

/// The subject and first requester message of a new ticket.
fn new_ticket_text(ticket: &Ticket) -> (Option<&str>, Option<&str>) {
    let first = ticket
        .messages
        .iter()
        .find(|m| matches!(m.author_role, AuthorRole::Requester))
        .map(|m| m.body.as_str());
    (ticket.subject.as_deref(), first)
}

/// The words of a candidate: its subject and every requester message (those merged
/// into it included).
fn candidate_words(ticket: &Ticket) -> Words {
    Words::of_requester(
        ticket.requester.name.as_deref(),
        ticket.subject.as_deref(),
        ticket
            .messages
            .iter()
            .filter(|m| matches!(m.author_role, AuthorRole::Requester))
            .map(|m| m.body.as_str()),
    )
}

/// Whether `candidate` was created before `ticket` (ids break a tie of instants).
fn is_older(candidate: &Ticket, ticket: &Ticket) -> bool {
    (candidate.created_at, &candidate.id) < (ticket.created_at, &ticket.id)
}

fn on_created(
    host: &dyn Host,
    config: &Config,
    ticket: &Ticket,
    measure: Measure,
) -> Result<Vec<Action>, String> {
    if !config.considers(ticket.channel) || !is_open(ticket.status) {
        return Ok(Vec::new());
    }
    let (subject, first) = new_ticket_text(ticket);
    let words = Words::of_requester(ticket.requester.name.as_deref(), subject, first);
    let review = matches!(ticket.channel, Channel::AppStoreReview);
    let requester = Requester::of(host, config, ticket);

    let mut cited_text = subject.unwrap_or_default().to_string();
    cited_text.push('\n');
    cited_text.push_str(first.unwrap_or_default());
    let mut found = if review {
        None
    } else {
        by_number(host, config, ticket, &requester, &cited_text, &words)
    };
    let bands = if review {
        reviews::band_hashes(&words.stems)
    } else {
        Vec::new()
    };
    let since = ticket.created_at - config.window_ms;
    if found.is_none() {
        found = if review {
            by_review(host, config, ticket, &bands)
        } else {
            by_requester(
                host,
                config,
                ticket,
                &requester,
                &words,
                !numbers::cited_numbers(&cited_text).is_empty(),
                measure,
            )
        };
    }

    // Upkeep: links, number and review files, whatever was decided.
    requester.remember(host)?;
    if let Some(number) = numbers::number_of(ticket) {
        let holder = found
            .as_ref()
            .map_or(ticket.id.as_str(), |f| f.target.as_str());
        numbers::insert(host, &number, holder)?;
    }
    if review && found.is_none() && !bands.is_empty() {
        reviews::file(host, &bands, &ticket.id, ticket.created_at, since)?;
    }

    Ok(match found {
        Some(found) => {
            host.log(
                Level::Info,
                &format!("ticket {}: {}", ticket.id, found.note()),
            );
            found.actions(config)
        }
        None => Vec::new(),
    })
}

/// Follows merges from `id` to the open ticket they end in, if any.
fn open_end(host: &dyn Host, id: &str) -> Option<Ticket> {
    let mut current = host.get(id)?;
    for _ in 0..MAX_CHAIN {
        match (current.status, &current.merged_into) {
            (TicketStatus::Merged, Some(next)) => current = host.get(next)?,
            (status, _) => return is_open(status).then_some(current),
        }
    }
    None
}

/// The older open ticket of the same person whose number `text` cites. Window and
/// text do not matter: a cited number says which ticket is meant.
fn by_number(
    host: &dyn Host,
    config: &Config,
    ticket: &Ticket,
    requester: &Requester,
    text: &str,
    words: &Words,
) -> Option<Found> {
    for number in numbers::cited_numbers(text) {
        let Some(holder) = numbers::lookup(host, &number).or_else(|| {
            // A guichet id cited as is, for tickets without a number field.
            host.get(&number).map(|t| t.id)
        }) else {
            continue;
        };
        let Some(target) = open_end(host, &holder) else {
            continue;
        };
        if target.id == ticket.id
            || !is_older(&target, ticket)
            || !config.considers(target.channel)
            || matches!(target.channel, Channel::AppStoreReview)
        {
            continue;
        }
        let Some(identity) = requester.shared_with(&target, config) else {
            continue;
        };
        return Some(Found {
            signals: MEASURE.signals(
                words,
                &candidate_words(&target),
                target.channel == ticket.channel,
            ),
            target: target.id,
            reason: Reason::CitesNumber { number, identity },
        });
    }
    None
}

/// The open ticket of the same person, within the window, whose text passes the
/// threshold with the best score, the oldest of those within [`CLOSE_MARGIN`] of it.
fn by_requester(
    host: &dyn Host,
    config: &Config,
    ticket: &Ticket,
    requester: &Requester,
    words: &Words,
    cites_number: bool,
    measure: Measure,
) -> Option<Found> {
    let since = ticket.created_at - config.window_ms;
    let mut seen: Vec<String> = Vec::new();
    let mut scored: Vec<(Signals, Ticket)> = Vec::new();
    for query in requester.queries(config) {
        for candidate in host.open_by_identity(&query) {
            if seen.contains(&candidate.id) {
                continue;
            }
            seen.push(candidate.id.clone());
            if candidate.id == ticket.id
                || !is_open(candidate.status)
                || !is_older(&candidate, ticket)
                || candidate.created_at < since
                || !config.considers(candidate.channel)
                || matches!(candidate.channel, Channel::AppStoreReview)
                || !requester.is_requester_of(&candidate, config)
            {
                continue;
            }
            let signals = measure.signals(
                words,
                &candidate_words(&candidate),
                candidate.channel == ticket.channel,
            );
            scored.push((signals, candidate));
        }
    }
    // A follow-up goes to a ticket whose topics it does not contradict, or, shortly
    // after, to the person's only open ticket of the window on the same channel
    // whatever its words (a reminder names its problem in few words, often other
    // ones), unless it cites a ticket number: then it is about another ticket.
    let only_one = scored.len() == 1 && !cites_number;
    for (signals, candidate) in &mut scored {
        let shortly = candidate.channel == ticket.channel
            && ticket.created_at - candidate.created_at < SHORTLY_MS;
        if signals.score < config.threshold
            && words.follow_up
            && measure == Measure::Containment
            && (signals.topics >= 1.0 || (only_one && shortly))
            && !signals.other_references
        {
            signals.score = config.threshold;
            signals.follow_up = true;
        }
    }
    // The closest ticket that passes, and among those within [`CLOSE_MARGIN`] of it
    // the oldest: the group's first ticket is the one to merge into, later ones of
    // the group being merged into it already, but a person's older ticket about
    // another problem that also passes must not win over the right one.
    let passing: Vec<(Signals, Ticket)> = scored
        .into_iter()
        .filter(|(s, _)| s.score >= config.threshold)
        .collect();
    let top = passing
        .iter()
        .map(|(s, _)| s.score)
        .fold(f64::NAN, f64::max);
    let best = passing
        .into_iter()
        .filter(|(s, _)| s.score >= top - CLOSE_MARGIN)
        .min_by(|(_, a), (_, b)| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let (signals, target) = best?;
    let identity = requester.shared_with(&target, config).unwrap_or_default();
    let reason = if target.channel == ticket.channel {
        Reason::SameChannel {
            identity,
            on: ticket.channel,
        }
    } else {
        Reason::CrossChannel {
            identity,
            on: ticket.channel,
            target_on: target.channel,
        }
    };
    Some(Found {
        target: target.id,
        reason,
        signals,
    })
}

/// The older open review, within the window, whose text is the closest above the
/// review threshold.
fn by_review(host: &dyn Host, config: &Config, ticket: &Ticket, bands: &[u64]) -> Option<Found> {
    let since = ticket.created_at - config.window_ms;
    let (subject, first) = new_ticket_text(ticket);
    let mut text = subject.unwrap_or_default().to_string();
    text.push('\n');
    text.push_str(first.unwrap_or_default());
    let shingles = reviews::shingles(&text);
    let mut best: Option<(f64, Ticket)> = None;
    for id in reviews::candidates(host, bands, since) {
        let Some(candidate) = open_end(host, &id) else {
            continue;
        };
        if candidate.id == ticket.id
            || !matches!(candidate.channel, Channel::AppStoreReview)
            || !is_older(&candidate, ticket)
            || candidate.created_at < since
        {
            continue;
        }
        let score = review_score(&shingles, &candidate);
        if score < config.review_threshold {
            continue;
        }
        let better = match &best {
            None => true,
            Some((s, t)) => score > *s || (score == *s && is_older(&candidate, t)),
        };
        if better {
            best = Some((score, candidate));
        }
    }
    let (score, target) = best?;
    Some(Found {
        target: target.id,
        reason: Reason::SameReview,
        signals: Signals {
            stems: score,
            topics: 1.0,
            score,
            ..Signals::default()
        },
    })
}

/// How nearly a review is one of the candidate's reviews (those merged into it
/// included), each compared on its own: the shingle measure of
/// [`reviews::similarity`], robust to a small edit, not to other words.
fn review_score(shingles: &std::collections::BTreeSet<u64>, candidate: &Ticket) -> f64 {
    let subject = candidate.subject.as_deref().unwrap_or_default();
    candidate
        .messages
        .iter()
        .filter(|m| matches!(m.author_role, AuthorRole::Requester))
        .map(|m| {
            reviews::similarity(
                shingles,
                &reviews::shingles(&format!("{subject}\n{}", m.body)),
            )
        })
        .fold(0.0, f64::max)
}

/// A requester's new message citing another open ticket's number makes its ticket a
/// follow-up of that one (when that one is older and of the same person).
fn on_message(
    host: &dyn Host,
    config: &Config,
    ticket: &Ticket,
    message: &Message,
    _measure: Measure,
) -> Result<Vec<Action>, String> {
    if !matches!(message.author_role, AuthorRole::Requester)
        || !config.considers(ticket.channel)
        || !is_open(ticket.status)
        || matches!(ticket.channel, Channel::AppStoreReview)
    {
        return Ok(Vec::new());
    }
    let requester = Requester::of(host, config, ticket);
    let words = Words::of(None, [message.body.as_str()]);
    match by_number(host, config, ticket, &requester, &message.body, &words) {
        Some(found) => {
            host.log(
                Level::Info,
                &format!("ticket {}: {}", ticket.id, found.note()),
            );
            if let Some(number) = numbers::number_of(ticket) {
                numbers::insert(host, &number, &found.target)?;
            }
            Ok(found.actions(config))
        }
        None => Ok(Vec::new()),
    }
}

/// Keeps a ticket's number in the index while it is open, pointing to the ticket
/// it was merged into once merged, and out of it once solved or closed.
fn reindex_number(host: &dyn Host, ticket: &Ticket) -> Result<(), String> {
    let Some(number) = numbers::number_of(ticket) else {
        return Ok(());
    };
    match (ticket.status, &ticket.merged_into) {
        (TicketStatus::Merged, Some(into)) => numbers::insert(host, &number, into),
        (status, _) if is_open(status) => numbers::insert(host, &number, &ticket.id),
        _ => numbers::remove(host, &number, &ticket.id),
    }
}

/// A number field ([`numbers::NUMBER_FIELDS`]) set, changed or removed.
fn on_fields(host: &dyn Host, ticket: &Ticket, changes: &[FieldChange]) -> Result<(), String> {
    for change in changes
        .iter()
        .filter(|c| numbers::NUMBER_FIELDS.contains(&c.name.as_str()))
    {
        if let Some(previous) = change.previous.as_ref().and_then(numbers::field_number) {
            numbers::remove(host, &previous, &ticket.id)?;
        }
    }
    reindex_number(host, ticket)
}
