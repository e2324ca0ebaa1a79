//! The configuration: the macros with their variants and actions, the tone of each
//! channel, the default locale and the fallbacks of each locale. It is read from JSON
//! by hand rather than with derived types so that every bad value is reported, each
//! with its JSON Pointer, instead of the first one only.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::guichet::plugin::types::{Channel, Priority, TicketStatus};
use crate::render::Source;
use crate::template::Template;

/// Channels as the configuration (and guichet's JSON) spells them.
pub const CHANNELS: [(&str, Channel); 9] = [
    ("email", Channel::Email),
    ("chat", Channel::Chat),
    ("whatsapp", Channel::Whatsapp),
    ("messenger", Channel::Messenger),
    ("phone", Channel::Phone),
    ("app_store_review", Channel::AppStoreReview),
    ("sms", Channel::Sms),
    ("web_form", Channel::WebForm),
    ("api", Channel::Api),
];

/// The statuses a macro may set (`merged` is not one: merging is not a reply's doing).
const STATUSES: [(&str, TicketStatus); 7] = [
    ("new", TicketStatus::New),
    ("open", TicketStatus::Open),
    ("waiting_on_requester", TicketStatus::WaitingOnRequester),
    ("waiting_on_agent", TicketStatus::WaitingOnAgent),
    ("on_hold", TicketStatus::OnHold),
    ("solved", TicketStatus::Solved),
    ("closed", TicketStatus::Closed),
];

const PRIORITIES: [(&str, Priority); 4] = [
    ("low", Priority::Low),
    ("normal", Priority::Normal),
    ("high", Priority::High),
    ("urgent", Priority::Urgent),
];

/// The locale used when the configuration names none.
pub const DEFAULT_LOCALE: &str = "fr";

/// The name of `channel` in the configuration.
pub fn channel_name(channel: Channel) -> &'static str {
    CHANNELS
        .iter()
        .find(|(_, c)| *c == channel)
        .map(|(name, _)| *name)
        .unwrap_or("?")
}

/// How a reply addresses the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// *Vous*, "Dear …", a signature.
    Formal,
    /// *Tu*, "Hi …!", short.
    Friendly,
}

impl Tone {
    /// The tone's name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Tone::Formal => "formal",
            Tone::Friendly => "friendly",
        }
    }

    fn named(name: &str) -> Option<Tone> {
        match name {
            "formal" => Some(Tone::Formal),
            "friendly" => Some(Tone::Friendly),
            _ => None,
        }
    }

    /// The tone of a channel unless the configuration says otherwise: formal where
    /// people write letters or call (e-mail, web forms, phone, the API), friendly in
    /// messaging and reviews.
    pub fn default_of(channel: Channel) -> Tone {
        match channel {
            Channel::Email | Channel::WebForm | Channel::Phone | Channel::Api => Tone::Formal,
            Channel::Chat
            | Channel::Whatsapp
            | Channel::Messenger
            | Channel::Sms
            | Channel::AppStoreReview => Tone::Friendly,
        }
    }
}

/// Something wrong with a configuration: where (a JSON Pointer) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// JSON Pointer (RFC 6901) to the bad value; empty for the whole configuration.
    pub path: String,
    /// What is wrong, naming the value.
    pub message: String,
}

/// A configuration that passed every check.
#[derive(Debug)]
pub struct Config {
    /// The locale of requesters whose language no variant speaks.
    pub default_locale: String,
    tones: Vec<(Channel, Tone)>,
    fallbacks: BTreeMap<String, BTreeMap<String, String>>,
    /// The macros, in the configuration's order.
    pub macros: Vec<Macro>,
}

/// One macro.
#[derive(Debug)]
pub struct Macro {
    /// Stable identifier.
    pub id: String,
    /// Short title shown to agents.
    pub title: String,
    /// What it is for.
    pub description: String,
    /// The channels it is offered on; empty for every channel.
    pub channels: Vec<Channel>,
    /// Its bodies, by locale and tone or channels.
    pub variants: Vec<Variant>,
    /// What it does besides replying.
    pub actions: Actions,
}

/// One body of a macro.
#[derive(Debug)]
pub struct Variant {
    /// The language it is written in (`fr`, `en`).
    pub locale: String,
    /// The tone it is written in, for the channels of that tone.
    pub tone: Option<Tone>,
    /// The channels it is written for, before any tone.
    pub channels: Vec<Channel>,
    /// The text.
    pub body: Template,
}

/// The actions a macro bundles with its reply.
#[derive(Debug, Default)]
pub struct Actions {
    /// The status to set.
    pub status: Option<TicketStatus>,
    /// The priority to set.
    pub priority: Option<Priority>,
    /// The agent and group to assign, either possibly absent.
    pub assign: Option<(Option<String>, Option<String>)>,
    /// Tags to add.
    pub add_tags: Vec<String>,
    /// Tags to remove.
    pub remove_tags: Vec<String>,
    /// An internal note, with placeholders.
    pub internal_note: Option<Template>,
}

impl Config {
    /// The configuration, or every problem with it in one message.
    pub fn parse(text: &str) -> Result<Config, String> {
        let (config, problems) = read(text);
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(format!(
                "invalid macros configuration: {}",
                problems
                    .iter()
                    .map(|p| if p.path.is_empty() {
                        p.message.clone()
                    } else {
                        format!("{}: {}", p.path, p.message)
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }

    /// Every problem with the configuration `text`; none if it can be set.
    pub fn check(text: &str) -> Vec<Problem> {
        read(text).1
    }

    /// The macro `id`.
    pub fn find(&self, id: &str) -> Option<&Macro> {
        self.macros.iter().find(|m| m.id == id)
    }

    /// The tone of replies on `channel`.
    pub fn tone_of(&self, channel: Channel) -> Tone {
        self.tones
            .iter()
            .find(|(c, _)| *c == channel)
            .map(|(_, tone)| *tone)
            .unwrap_or_else(|| Tone::default_of(channel))
    }

    /// The configured fallback of placeholder `name` in `locale`.
    pub fn fallback(&self, locale: &str, name: &str) -> Option<&str> {
        self.fallbacks.get(locale)?.get(name).map(String::as_str)
    }
}

impl Macro {
    /// Whether the macro is offered on `channel`.
    pub fn offered_on(&self, channel: Channel) -> bool {
        self.channels.is_empty() || self.channels.contains(&channel)
    }

    /// Whether the macro has a variant in `locale`.
    pub fn speaks(&self, locale: &str) -> bool {
        self.variants.iter().any(|v| v.locale == locale)
    }

    /// The variant for `channel` in `locale`: the first written for the channel, else
    /// the first of the channel's `tone`, else the first without tone or channels.
    pub fn variant(&self, locale: &str, channel: Channel, tone: Tone) -> Option<&Variant> {
        let of_locale = || self.variants.iter().filter(move |v| v.locale == locale);
        of_locale()
            .find(|v| v.channels.contains(&channel))
            .or_else(|| of_locale().find(|v| v.channels.is_empty() && v.tone == Some(tone)))
            .or_else(|| of_locale().find(|v| v.channels.is_empty() && v.tone.is_none()))
    }
}

/// Escapes a key for a JSON Pointer (RFC 6901).
fn pointer(base: &str, key: &str) -> String {
    format!("{base}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// A value as short JSON, for messages.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Reads `text`: the configuration if it is sound, and every problem found.
fn read(text: &str) -> (Option<Config>, Vec<Problem>) {
    let mut reader = Reader::default();
    let config = match serde_json::from_str::<Value>(text) {
        Ok(value) => reader.config(&value),
        Err(e) => {
            reader.problem("", format!("not valid JSON: {e}"));
            None
        }
    };
    let problems = reader.problems;
    (config.filter(|_| problems.is_empty()), problems)
}

/// Reads the JSON, noting each problem.
#[derive(Default)]
struct Reader {
    problems: Vec<Problem>,
}

impl Reader {
    fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// `value` as an object whose keys are all among `allowed`.
    fn object<'v>(
        &mut self,
        value: &'v Value,
        path: &str,
        what: &str,
        allowed: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(object) = value.as_object() else {
            self.problem(
                path,
                format!("{what} must be an object, not {}", shown(value)),
            );
            return None;
        };
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                self.problem(
                    &pointer(path, key),
                    format!(
                        "unknown key `{key}` in {what}; expected {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(object)
    }

    /// `value` as a non-empty string.
    fn text(&mut self, value: &Value, path: &str, what: &str) -> Option<String> {
        match value.as_str() {
            Some(text) if !text.trim().is_empty() => Some(text.to_string()),
            Some(_) => {
                self.problem(path, format!("{what} must not be empty"));
                None
            }
            None => {
                self.problem(
                    path,
                    format!("{what} must be a string, not {}", shown(value)),
                );
                None
            }
        }
    }

    /// `value` as a list, each item read by `item`.
    fn list<T>(
        &mut self,
        value: &Value,
        path: &str,
        what: &str,
        mut item: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> Vec<T> {
        let Some(items) = value.as_array() else {
            self.problem(path, format!("{what} must be a list, not {}", shown(value)));
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| item(self, v, &pointer(path, &i.to_string())))
            .collect()
    }

    fn channel(&mut self, value: &Value, path: &str) -> Option<Channel> {
        let name = self.text(value, path, "a channel")?;
        let found = CHANNELS.iter().find(|(n, _)| *n == name).map(|(_, c)| *c);
        if found.is_none() {
            self.problem(
                path,
                format!(
                    "unknown channel `{name}`; expected one of {}",
                    CHANNELS.map(|(n, _)| n).join(", ")
                ),
            );
        }
        found
    }

    fn channels(&mut self, value: &Value, path: &str) -> Vec<Channel> {
        self.list(value, path, "`channels`", |r, v, p| r.channel(v, p))
    }

    /// A locale: a language code such as `fr` or `en`.
    fn locale(&mut self, value: &Value, path: &str) -> Option<String> {
        let locale = self.text(value, path, "a locale")?;
        self.locale_code(&locale, path)
    }

    fn locale_code(&mut self, locale: &str, path: &str) -> Option<String> {
        if (2..=3).contains(&locale.len()) && locale.chars().all(|c| c.is_ascii_lowercase()) {
            Some(locale.to_string())
        } else {
            self.problem(
                path,
                format!(
                    "locale `{locale}` must be a language code such as `fr` or `en` (a requester's `fr-BE` is read as `fr`)"
                ),
            );
            None
        }
    }

    fn tone(&mut self, value: &Value, path: &str) -> Option<Tone> {
        let name = self.text(value, path, "a tone")?;
        let tone = Tone::named(&name);
        if tone.is_none() {
            self.problem(
                path,
                format!("unknown tone `{name}`; expected formal or friendly"),
            );
        }
        tone
    }

    /// A template whose placeholders are all known.
    fn template(&mut self, value: &Value, path: &str, what: &str) -> Option<Template> {
        let text = self.text(value, path, what)?;
        match Template::parse(&text) {
            Ok(template) => {
                let before = self.problems.len();
                for placeholder in template.placeholders() {
                    if Source::of(&placeholder.name).is_none() {
                        self.problem(path, unknown_placeholder(&placeholder.name));
                    }
                }
                (self.problems.len() == before).then_some(template)
            }
            Err(message) => {
                self.problem(path, message);
                None
            }
        }
    }

    fn config(&mut self, value: &Value) -> Option<Config> {
        let object = self.object(
            value,
            "",
            "the configuration",
            &["default_locale", "tones", "fallbacks", "macros"],
        )?;
        let default_locale = match object.get("default_locale") {
            Some(v) => self.locale(v, "/default_locale"),
            None => Some(DEFAULT_LOCALE.to_string()),
        };
        let tones = match object.get("tones") {
            Some(v) => self.tones(v),
            None => Vec::new(),
        };
        let fallbacks = match object.get("fallbacks") {
            Some(v) => self.fallbacks(v),
            None => BTreeMap::new(),
        };
        // Without a sound default locale the macros are still read, to report their
        // own problems; their coverage is checked against the locale there is.
        let locale_for_coverage = default_locale.clone().unwrap_or_default();
        let macros = match object.get("macros") {
            Some(v) => self.list(v, "/macros", "`macros`", |r, v, p| {
                r.macro_(v, p, &locale_for_coverage, &tones)
            }),
            None => Vec::new(),
        };
        if let Some(items) = object.get("macros").and_then(Value::as_array) {
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            for (i, item) in items.iter().enumerate() {
                let Some(id) = item.get("id").and_then(Value::as_str) else {
                    continue;
                };
                match seen.get(id) {
                    Some(first) => self.problem(
                        &format!("/macros/{i}/id"),
                        format!("duplicate macro id `{id}`; /macros/{first} has it already"),
                    ),
                    None => {
                        seen.insert(id, i);
                    }
                }
            }
        }
        let default_locale = default_locale?;
        Some(Config {
            default_locale,
            tones,
            fallbacks,
            macros,
        })
    }

    fn tones(&mut self, value: &Value) -> Vec<(Channel, Tone)> {
        let Some(object) = value.as_object() else {
            self.problem(
                "/tones",
                format!("`tones` must be an object, not {}", shown(value)),
            );
            return Vec::new();
        };
        let mut tones = Vec::new();
        for (key, v) in object {
            let path = pointer("/tones", key);
            let channel = self.channel(&Value::String(key.clone()), &path);
            let tone = self.tone(v, &path);
            if let (Some(channel), Some(tone)) = (channel, tone) {
                tones.push((channel, tone));
            }
        }
        tones
    }

    fn fallbacks(&mut self, value: &Value) -> BTreeMap<String, BTreeMap<String, String>> {
        let Some(object) = value.as_object() else {
            self.problem(
                "/fallbacks",
                format!("`fallbacks` must be an object, not {}", shown(value)),
            );
            return BTreeMap::new();
        };
        let mut fallbacks = BTreeMap::new();
        for (locale, names) in object {
            let path = pointer("/fallbacks", locale);
            let locale = self.locale_code(locale, &path);
            let Some(names) = names.as_object() else {
                self.problem(
                    &path,
                    format!(
                        "the fallbacks of a locale must be an object of placeholder names, not {}",
                        shown(names)
                    ),
                );
                continue;
            };
            let mut values = BTreeMap::new();
            for (name, v) in names {
                let path = pointer(&path, name);
                if Source::of(name).is_none() {
                    self.problem(&path, unknown_placeholder(name));
                } else if let Some(text) = self.text(v, &path, "a fallback") {
                    values.insert(name.clone(), text);
                }
            }
            if let Some(locale) = locale {
                fallbacks.insert(locale, values);
            }
        }
        fallbacks
    }

    /// A macro; its variants' coverage of its channels is checked with the default
    /// locale and the channels' tones.
    fn macro_(
        &mut self,
        value: &Value,
        path: &str,
        default_locale: &str,
        tones: &[(Channel, Tone)],
    ) -> Option<Macro> {
        let before = self.problems.len();
        let object = self.object(
            value,
            path,
            "a macro",
            &[
                "id",
                "title",
                "description",
                "channels",
                "variants",
                "actions",
            ],
        )?;
        let required = |r: &mut Self, key: &str| match object.get(key) {
            Some(v) => r.text(v, &pointer(path, key), &format!("`{key}`")),
            None => {
                r.problem(path, format!("a macro needs `{key}`"));
                None
            }
        };
        let id = required(self, "id");
        let title = required(self, "title");
        let description = required(self, "description");
        let channels = match object.get("channels") {
            Some(v) => self.channels(v, &pointer(path, "channels")),
            None => Vec::new(),
        };
        let variants_path = pointer(path, "variants");
        let variants = match object.get("variants") {
            Some(v) => {
                let variants = self.list(v, &variants_path, "`variants`", |r, v, p| {
                    r.variant(v, p, &channels)
                });
                if v.as_array().is_some_and(|a| a.is_empty()) {
                    self.problem(&variants_path, "a macro needs at least one variant");
                }
                variants
            }
            None => {
                self.problem(path, "a macro needs `variants`");
                Vec::new()
            }
        };
        let actions = match object.get("actions") {
            Some(v) => self.actions(v, &pointer(path, "actions")),
            None => Some(Actions::default()),
        };
        self.overlaps(&variants, &variants_path);
        // Coverage is only meaningful once every variant could be read.
        let every_variant_read = object
            .get("variants")
            .and_then(Value::as_array)
            .is_some_and(|all| all.len() == variants.len());
        let sound = self.problems.len() == before;
        let m = Macro {
            id: id?,
            title: title?,
            description: description?,
            channels,
            variants,
            actions: actions?,
        };
        if every_variant_read {
            self.coverage(&m, &variants_path, default_locale, tones);
        }
        sound.then_some(m)
    }

    /// A variant, its `channels` checked against the macro's `offered` ones.
    fn variant(&mut self, value: &Value, path: &str, offered: &[Channel]) -> Option<Variant> {
        let object = self.object(
            value,
            path,
            "a variant",
            &["locale", "tone", "channels", "body"],
        )?;
        let locale = match object.get("locale") {
            Some(v) => self.locale(v, &pointer(path, "locale")),
            None => {
                self.problem(path, "a variant needs `locale`");
                None
            }
        };
        let tone = match object.get("tone") {
            Some(v) => Some(self.tone(v, &pointer(path, "tone"))?),
            None => None,
        };
        let channels_path = pointer(path, "channels");
        let channels = match object.get("channels") {
            Some(v) => {
                let channels = self.channels(v, &channels_path);
                if channels.is_empty() && v.as_array().is_some() {
                    self.problem(&channels_path, "`channels` of a variant must not be empty");
                }
                channels
            }
            None => Vec::new(),
        };
        if tone.is_some() && object.contains_key("channels") {
            self.problem(
                path,
                "a variant names either `tone` or `channels`, not both",
            );
        }
        for (i, channel) in channels.iter().enumerate() {
            if !offered.is_empty() && !offered.contains(channel) {
                self.problem(
                    &pointer(&channels_path, &i.to_string()),
                    format!(
                        "the macro is not offered on `{}`; add it to the macro's `channels`",
                        channel_name(*channel)
                    ),
                );
            }
        }
        let body = match object.get("body") {
            Some(v) => self.template(v, &pointer(path, "body"), "`body`"),
            None => {
                self.problem(path, "a variant needs `body`");
                None
            }
        };
        Some(Variant {
            locale: locale?,
            tone,
            channels,
            body: body?,
        })
    }

    /// Two variants of one locale that would compete for the same channel.
    fn overlaps(&mut self, variants: &[Variant], path: &str) {
        for (j, later) in variants.iter().enumerate() {
            for (i, earlier) in variants[..j].iter().enumerate() {
                if earlier.locale != later.locale {
                    continue;
                }
                let clash = if later.channels.is_empty() {
                    earlier.channels.is_empty() && earlier.tone == later.tone
                } else {
                    later.channels.iter().any(|c| earlier.channels.contains(c))
                };
                if clash {
                    let what = match (later.tone, later.channels.is_empty()) {
                        (_, false) => "a channel".to_string(),
                        (Some(tone), true) => format!("the {} tone", tone.name()),
                        (None, true) => "every tone".to_string(),
                    };
                    self.problem(
                        &pointer(path, &j.to_string()),
                        format!(
                            "duplicate `{}` variant: {path}/{i} already covers {what} of it, so this one is never used",
                            later.locale
                        ),
                    );
                }
            }
        }
    }

    /// Every channel the macro is offered on has a variant, for the channel's tone, in
    /// each of the macro's locales, and the default locale is one of them.
    fn coverage(&mut self, m: &Macro, path: &str, default_locale: &str, tones: &[(Channel, Tone)]) {
        if !default_locale.is_empty() && !m.speaks(default_locale) {
            self.problem(
                path,
                format!(
                    "macro `{}` has no variant for the default locale `{default_locale}`",
                    m.id
                ),
            );
        }
        let mut locales: Vec<&str> = m.variants.iter().map(|v| v.locale.as_str()).collect();
        locales.sort_unstable();
        locales.dedup();
        for locale in locales {
            let missing: Vec<String> = CHANNELS
                .iter()
                .map(|(_, c)| *c)
                .filter(|c| m.offered_on(*c))
                .filter_map(|c| {
                    let tone = tones
                        .iter()
                        .find(|(t, _)| *t == c)
                        .map(|(_, tone)| *tone)
                        .unwrap_or_else(|| Tone::default_of(c));
                    m.variant(locale, c, tone)
                        .is_none()
                        .then(|| format!("{} ({})", channel_name(c), tone.name()))
                })
                .collect();
            if !missing.is_empty() {
                self.problem(
                    path,
                    format!(
                        "macro `{}` has no `{locale}` variant for {}; add one with that `tone`, or one without `tone`",
                        m.id,
                        missing.join(", ")
                    ),
                );
            }
        }
    }

    fn actions(&mut self, value: &Value, path: &str) -> Option<Actions> {
        let object = self.object(
            value,
            path,
            "`actions`",
            &[
                "status",
                "priority",
                "assign",
                "add_tags",
                "remove_tags",
                "internal_note",
            ],
        )?;
        let before = self.problems.len();
        let mut actions = Actions::default();
        if let Some(v) = object.get("status") {
            let path = pointer(path, "status");
            if let Some(name) = self.text(v, &path, "`status`") {
                actions.status = STATUSES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
                if actions.status.is_none() {
                    self.problem(
                        &path,
                        format!(
                            "unknown status `{name}`; expected one of {}",
                            STATUSES.map(|(n, _)| n).join(", ")
                        ),
                    );
                }
            }
        }
        if let Some(v) = object.get("priority") {
            let path = pointer(path, "priority");
            if let Some(name) = self.text(v, &path, "`priority`") {
                actions.priority = PRIORITIES.iter().find(|(n, _)| *n == name).map(|(_, p)| *p);
                if actions.priority.is_none() {
                    self.problem(
                        &path,
                        format!(
                            "unknown priority `{name}`; expected one of {}",
                            PRIORITIES.map(|(n, _)| n).join(", ")
                        ),
                    );
                }
            }
        }
        if let Some(v) = object.get("assign") {
            let path = pointer(path, "assign");
            if let Some(assign) = self.object(v, &path, "`assign`", &["group", "agent"]) {
                let group = assign
                    .get("group")
                    .and_then(|v| self.text(v, &pointer(&path, "group"), "`group`"));
                let agent = assign
                    .get("agent")
                    .and_then(|v| self.text(v, &pointer(&path, "agent"), "`agent`"));
                if assign.is_empty() {
                    self.problem(&path, "`assign` needs a `group`, an `agent` or both");
                }
                actions.assign = Some((agent, group));
            }
        }
        for key in ["add_tags", "remove_tags"] {
            if let Some(v) = object.get(key) {
                let tags = self.list(v, &pointer(path, key), &format!("`{key}`"), |r, v, p| {
                    let tag = r.text(v, p, "a tag")?;
                    if tag.chars().any(|c| c.is_whitespace() || c.is_uppercase()) {
                        r.problem(p, format!("tag `{tag}` must be lower case, without spaces"));
                        return None;
                    }
                    Some(tag)
                });
                if key == "add_tags" {
                    actions.add_tags = tags;
                } else {
                    actions.remove_tags = tags;
                }
            }
        }
        if let Some(v) = object.get("internal_note") {
            actions.internal_note =
                self.template(v, &pointer(path, "internal_note"), "`internal_note`");
        }
        (self.problems.len() == before).then_some(actions)
    }
}

fn unknown_placeholder(name: &str) -> String {
    format!(
        "unknown placeholder `{{{{{name}}}}}`; expected requester.first_name, requester.name, ticket.number, ticket.subject, agent.name, field.<name>, or a variable name such as `amount`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(config: &str) -> Vec<(String, String)> {
        Config::check(config)
            .into_iter()
            .map(|p| (p.path, p.message))
            .collect()
    }

    #[test]
    fn the_example_configuration_is_sound() {
        assert_eq!(problems(include_str!("../config.example.json")), vec![]);
        let config = Config::parse(include_str!("../config.example.json")).unwrap();
        assert!(config.find("refund-delay").is_some());
        assert!(config.find("card-blocked").is_some());
    }

    #[test]
    fn an_empty_configuration_offers_no_macro() {
        assert!(Config::parse("{}").unwrap().macros.is_empty());
    }

    #[test]
    fn channel_tones_default_and_can_be_overridden() {
        let config = Config::parse(r#"{"tones": {"chat": "formal"}}"#).unwrap();
        assert_eq!(config.tone_of(Channel::Chat), Tone::Formal);
        assert_eq!(config.tone_of(Channel::Whatsapp), Tone::Friendly);
        assert_eq!(config.tone_of(Channel::Email), Tone::Formal);
        assert_eq!(config.tone_of(Channel::Phone), Tone::Formal);
        assert_eq!(config.tone_of(Channel::AppStoreReview), Tone::Friendly);
    }

    #[test]
    fn each_bad_value_is_a_problem_at_its_pointer() {
        let config = r#"{
            "default_locale": "fr",
            "tonnes": {},
            "tones": {"fax": "formal", "chat": "casual"},
            "fallbacks": {"fr": {"requester.nom": "client"}, "fr-BE": {}},
            "macros": [
                {"id": "a", "title": "A", "description": "d",
                 "variants": [
                    {"locale": "fr", "body": "Bonjour {{requester.firstname}} {{ticket.number}}"},
                    {"locale": "fr", "body": "Bonjour {{requester.name"},
                    {"locale": "fr", "tone": "formal", "body": "x", "colour": "red"}
                 ],
                 "actions": {"status": "pending", "priority": "urgnet", "add_tags": ["Refund"]}},
                {"id": "a", "title": "A2", "description": "d",
                 "variants": [{"locale": "en", "body": "Hello"}]}
            ]
        }"#;
        let found = problems(config);
        let expect = |path: &str, needle: &str| {
            assert!(
                found.iter().any(|(p, m)| p == path && m.contains(needle)),
                "no problem at {path} containing {needle:?} in {found:#?}"
            );
        };
        expect("/tonnes", "unknown key `tonnes`");
        expect("/tones/fax", "unknown channel `fax`");
        expect("/tones/chat", "unknown tone `casual`");
        expect(
            "/fallbacks/fr/requester.nom",
            "unknown placeholder `{{requester.nom}}`",
        );
        expect("/fallbacks/fr-BE", "locale `fr-BE` must be a language code");
        expect(
            "/macros/0/variants/0/body",
            "unknown placeholder `{{requester.firstname}}`",
        );
        expect(
            "/macros/0/variants/1/body",
            "`{{` without its closing `}}` in `{{requester.name`",
        );
        expect(
            "/macros/0/variants/2/colour",
            "unknown key `colour` in a variant",
        );
        expect("/macros/0/actions/status", "unknown status `pending`");
        expect("/macros/0/actions/priority", "unknown priority `urgnet`");
        expect(
            "/macros/0/actions/add_tags/0",
            "tag `Refund` must be lower case",
        );
        expect(
            "/macros/1/id",
            "duplicate macro id `a`; /macros/0 has it already",
        );
        expect(
            "/macros/1/variants",
            "macro `a` has no variant for the default locale `fr`",
        );
        assert_eq!(found.len(), 13, "{found:#?}");
        assert!(Config::parse(config).unwrap_err().starts_with(
            "invalid macros configuration: /tonnes: unknown key `tonnes` in the configuration"
        ));
    }

    #[test]
    fn a_locale_must_cover_every_channel_the_macro_is_offered_on() {
        let found = problems(
            r#"{"macros": [{"id": "m", "title": "M", "description": "d",
                "channels": ["email", "chat"],
                "variants": [
                    {"locale": "fr", "tone": "formal", "body": "Vous"},
                    {"locale": "fr", "tone": "friendly", "body": "Tu"},
                    {"locale": "en", "tone": "formal", "body": "You"},
                    {"locale": "en", "channels": ["sms"], "body": "U"},
                    {"locale": "fr", "tone": "formal", "body": "Vous encore"}
                ]}]}"#,
        );
        assert_eq!(
            found,
            vec![
                (
                    "/macros/0/variants/3/channels/0".to_string(),
                    "the macro is not offered on `sms`; add it to the macro's `channels`"
                        .to_string()
                ),
                (
                    "/macros/0/variants/4".to_string(),
                    "duplicate `fr` variant: /macros/0/variants/0 already covers the formal tone of it, so this one is never used".to_string()
                ),
                (
                    "/macros/0/variants".to_string(),
                    "macro `m` has no `en` variant for chat (friendly); add one with that `tone`, or one without `tone`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn not_json_and_missing_keys_are_named() {
        assert_eq!(problems("{").len(), 1);
        assert!(problems("{").remove(0).1.starts_with("not valid JSON"));
        let found = problems(r#"{"macros": [{"id": "m", "variants": []}]}"#);
        assert_eq!(
            found,
            vec![
                ("/macros/0".to_string(), "a macro needs `title`".to_string()),
                (
                    "/macros/0".to_string(),
                    "a macro needs `description`".to_string()
                ),
                (
                    "/macros/0/variants".to_string(),
                    "a macro needs at least one variant".to_string()
                ),
            ]
        );
    }
}
