//! The triage configuration and the decision it yields for one ticket.
//!
//! Patterns use `regex-lite`: the configuration is parsed and its patterns compiled
//! once per configuration when the host pre-initialises the plugin
//! (`wizer-initialize`), else on every call (each call runs in a fresh instance);
//! `regex`'s Unicode automata cost about 2.7 million instructions to compile per pattern, against a few
//! thousand here. Matching speed does not matter on a ticket's text, and the text is
//! folded to lower case without accents first, so ASCII case-insensitivity suffices.

use regex_lite::Regex;
use serde::Deserialize;

use crate::fold::{contains_words, fold};
use crate::guichet::plugin::types::{
    Action, Assignment, AuthorRole, Channel, FieldUpdate, FieldValue, Priority, Ticket,
};

/// The configuration as the admin writes it (JSON). Unknown fields are refused so that
/// a typo ("kewords") is reported instead of silently matching nothing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    default: Route,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    #[serde(default)]
    when: RawCondition,
    then: Route,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    requesters: Vec<String>,
}

/// Where a matching rule sends the ticket.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct Route {
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

struct Rule {
    name: String,
    keywords: Vec<String>,
    patterns: Vec<Regex>,
    channels: Vec<Channel>,
    requesters: Vec<String>,
    then: Route,
}

/// A validated configuration.
pub struct Config {
    rules: Vec<Rule>,
    default: Route,
}

/// What the rules look at, folded once.
pub struct Subject {
    text: String,
    channel: Channel,
    identities: Vec<String>,
}

impl Subject {
    /// The subject line and the requester's messages, folded; the channel; the
    /// requester's identities, folded.
    pub fn of(ticket: &Ticket) -> Subject {
        let mut text = ticket.subject.clone().unwrap_or_default();
        for message in &ticket.messages {
            if matches!(message.author_role, AuthorRole::Requester) {
                text.push('\n');
                text.push_str(&message.body);
            }
        }
        Subject {
            text: fold(&text),
            channel: ticket.channel,
            identities: ticket
                .requester
                .identities
                .iter()
                .map(|identity| fold(&identity.value))
                .collect(),
        }
    }
}

/// The outcome for one ticket.
pub struct Decision {
    /// The name of the rule that routed the ticket; `None` when defaults applied.
    pub matched: Option<String>,
    route: Route,
    tags: Vec<String>,
}

impl Config {
    /// Parse and check the configuration; the error says what to fix.
    pub fn parse(json: &str) -> Result<Config, String> {
        let raw: RawConfig =
            serde_json::from_str(json).map_err(|e| format!("invalid triage configuration: {e}"))?;
        check_route("default", &raw.default)?;
        let mut rules = Vec::with_capacity(raw.rules.len());
        for rule in raw.rules {
            check_route(&rule.name, &rule.then)?;
            let patterns = rule
                .when
                .patterns
                .iter()
                .map(|p| {
                    Regex::new(&format!("(?i){p}"))
                        .map_err(|e| format!("rule `{}`: invalid pattern `{p}`: {e}", rule.name))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let channels = rule
                .when
                .channels
                .iter()
                .map(|c| {
                    parse_channel(c).ok_or_else(|| {
                        format!(
                            "rule `{}`: unknown channel `{c}` (expected one of email, chat, \
                             whatsapp, messenger, phone, app_store_review, sms, web_form, api)",
                            rule.name
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            rules.push(Rule {
                keywords: rule.when.keywords.iter().map(|k| fold(k.trim())).collect(),
                requesters: rule
                    .when
                    .requesters
                    .iter()
                    .map(|r| fold(r.trim()))
                    .collect(),
                name: rule.name,
                patterns,
                channels,
                then: rule.then,
            });
        }
        Ok(Config {
            rules,
            default: raw.default,
        })
    }

    /// The first matching rule routes the ticket; every matching rule adds its tags.
    pub fn decide(&self, subject: &Subject) -> Decision {
        let mut matched: Option<&Rule> = None;
        let mut tags = Vec::new();
        for rule in self.rules.iter().filter(|rule| rule.matches(subject)) {
            tags.extend(rule.then.tags.iter().map(|t| t.to_lowercase()));
            matched.get_or_insert(rule);
        }
        let route = matched.map_or_else(|| self.default.clone(), |rule| rule.then.clone());
        if matched.is_none() {
            tags.extend(route.tags.iter().map(|t| t.to_lowercase()));
        }
        Decision {
            matched: matched.map(|rule| rule.name.clone()),
            route,
            tags,
        }
    }
}

impl Rule {
    fn matches(&self, subject: &Subject) -> bool {
        let channel_ok = self.channels.is_empty() || self.channels.contains(&subject.channel);
        let requester_ok = self.requesters.is_empty()
            || self.requesters.iter().any(|wanted| {
                subject.identities.iter().any(|identity| {
                    // "@example.com" names a whole e-mail domain; anything else must
                    // equal an identity.
                    if wanted.starts_with('@') {
                        identity.ends_with(wanted.as_str())
                    } else {
                        identity == wanted
                    }
                })
            });
        let text_ok = (self.keywords.is_empty() && self.patterns.is_empty())
            || self
                .keywords
                .iter()
                .any(|keyword| contains_words(&subject.text, keyword))
            || self.patterns.iter().any(|re| re.is_match(&subject.text));
        channel_ok && requester_ok && text_ok
    }
}

impl Decision {
    /// The actions that bring `ticket` to this decision; nothing already true is
    /// repeated, and a group set by someone else is kept.
    pub fn into_actions(self, ticket: &Ticket) -> Vec<Action> {
        let mut actions = Vec::new();
        if let Some(group) = &self.route.group {
            let group = match &self.route.level {
                Some(level) => format!("{group}/{level}"),
                None => group.clone(),
            };
            if ticket.group.is_none() {
                actions.push(Action::Assign(Assignment {
                    agent: None,
                    group: Some(group),
                }));
            }
        }
        if let Some(level) = &self.route.level {
            actions.push(Action::SetField(FieldUpdate {
                name: "level".to_string(),
                value: FieldValue::Text(level.clone()),
            }));
        }
        if let Some(priority) = self.route.priority.as_deref().and_then(parse_priority)
            && priority != ticket.priority
        {
            actions.push(Action::SetPriority(priority));
        }
        let mut new_tags: Vec<String> = Vec::new();
        for tag in self.tags {
            if !ticket.tags.contains(&tag) && !new_tags.contains(&tag) {
                new_tags.push(tag);
            }
        }
        if !new_tags.is_empty() {
            actions.push(Action::AddTags(new_tags));
        }
        actions
    }
}

fn check_route(rule: &str, route: &Route) -> Result<(), String> {
    if let Some(p) = &route.priority
        && parse_priority(p).is_none()
    {
        return Err(format!(
            "rule `{rule}`: unknown priority `{p}` (expected low, normal, high or urgent)"
        ));
    }
    Ok(())
}

fn parse_priority(s: &str) -> Option<Priority> {
    Some(match s {
        "low" => Priority::Low,
        "normal" => Priority::Normal,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        _ => return None,
    })
}

fn parse_channel(s: &str) -> Option<Channel> {
    Some(match s {
        "email" => Channel::Email,
        "chat" => Channel::Chat,
        "whatsapp" => Channel::Whatsapp,
        "messenger" => Channel::Messenger,
        "phone" => Channel::Phone,
        "app_store_review" => Channel::AppStoreReview,
        "sms" => Channel::Sms,
        "web_form" => Channel::WebForm,
        "api" => Channel::Api,
        _ => return None,
    })
}
