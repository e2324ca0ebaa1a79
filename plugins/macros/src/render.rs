//! Rendering a macro for a ticket: the variant (the requester's locale, the tone of the
//! ticket's channel), the values of its placeholders, and the actions it bundles.

use crate::config::{Config, Tone, channel_name};
use crate::exports::guichet::plugin::macro_library::{RenderError, Variable};
use crate::guichet::plugin::types::{Action, Assignment, FieldValue, Ticket};
use crate::template::{Placeholder, Template};

/// The custom fields that carry the number customers see, in the order they are
/// looked for: `number` (set by any system through guichet's API), `zammad_number`
/// (Zammad's ticket `number`, set by the `zammad` bridge) and `chatwoot_display_id`
/// (the conversation's `display_id`, set by the `chatwoot` bridge).
pub const NUMBER_FIELDS: [&str; 3] = ["number", "zammad_number", "chatwoot_display_id"];

/// Where a placeholder's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// `requester.first_name`: the first word of the requester's name.
    RequesterFirstName,
    /// `requester.name`: the requester's name.
    RequesterName,
    /// `ticket.number`: the first of [`NUMBER_FIELDS`] the ticket has, else the
    /// external id, else the id.
    TicketNumber,
    /// `ticket.subject`: the subject line.
    TicketSubject,
    /// `agent.name`: the caller's variable `agent.name`.
    AgentName,
    /// `field.<name>`: a custom field of the ticket.
    Field(&'a str),
    /// A name without a dot (`amount`): the caller's variable of that name.
    Variable(&'a str),
}

impl<'a> Source<'a> {
    /// The source of placeholder `name`; `None` for a name guichet does not know.
    pub fn of(name: &'a str) -> Option<Source<'a>> {
        Some(match name {
            "requester.first_name" => Source::RequesterFirstName,
            "requester.name" => Source::RequesterName,
            "ticket.number" => Source::TicketNumber,
            "ticket.subject" => Source::TicketSubject,
            "agent.name" => Source::AgentName,
            _ => {
                if let Some(field) = name.strip_prefix("field.") {
                    if field.is_empty() {
                        return None;
                    }
                    Source::Field(field)
                } else if name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    Source::Variable(name)
                } else {
                    return None;
                }
            }
        })
    }
}

/// A rendered macro, with the variant chosen.
#[derive(Debug)]
pub struct Output {
    /// The locale of the variant used.
    pub locale: String,
    /// The tone of the ticket's channel.
    pub tone: Tone,
    /// The reply.
    pub body: String,
    /// The actions bundled with it.
    pub actions: Vec<Action>,
}

/// The language code of a BCP 47 tag: `fr-BE` is `fr`, `EN_gb` is `en`.
pub fn language_of(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (!primary.is_empty()).then_some(primary)
}

/// Renders macro `id` of `config` for `ticket`, with the caller's `variables`.
pub fn render(
    config: &Config,
    id: &str,
    ticket: &Ticket,
    variables: &[Variable],
) -> Result<Output, RenderError> {
    let m = config
        .find(id)
        .ok_or_else(|| RenderError::UnknownMacro(id.to_string()))?;
    let channel = ticket.channel;
    if !m.offered_on(channel) {
        return Err(RenderError::Failed(format!(
            "macro `{id}` is not offered on {}; it is offered on {}",
            channel_name(channel),
            m.channels
                .iter()
                .map(|c| channel_name(*c))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let locale = ticket
        .requester
        .language
        .as_deref()
        .and_then(language_of)
        .filter(|locale| m.speaks(locale))
        .unwrap_or_else(|| config.default_locale.clone());
    let tone = config.tone_of(channel);
    let variant = m.variant(&locale, channel, tone).ok_or_else(|| {
        RenderError::Failed(format!(
            "macro `{id}` has no `{locale}` variant for {} ({} tone)",
            channel_name(channel),
            tone.name()
        ))
    })?;
    let fill = |template: &Template| {
        template.fill(|placeholder| value(config, &locale, placeholder, ticket, variables))
    };
    let body = fill(&variant.body)?;

    let a = &m.actions;
    let mut actions = Vec::new();
    if let Some(status) = a.status {
        actions.push(Action::SetStatus(status));
    }
    if let Some(priority) = a.priority {
        actions.push(Action::SetPriority(priority));
    }
    if let Some((agent, group)) = &a.assign {
        actions.push(Action::Assign(Assignment {
            agent: agent.clone(),
            group: group.clone(),
        }));
    }
    if !a.add_tags.is_empty() {
        actions.push(Action::AddTags(a.add_tags.clone()));
    }
    if !a.remove_tags.is_empty() {
        actions.push(Action::RemoveTags(a.remove_tags.clone()));
    }
    if let Some(note) = &a.internal_note {
        actions.push(Action::InternalNote(fill(note)?));
    }
    Ok(Output {
        locale,
        tone,
        body,
        actions,
    })
}

/// The text for `placeholder`: its value, else its own fallback, else the fallback the
/// configuration gives it in `locale`; with none of them, `missing-value`.
fn value(
    config: &Config,
    locale: &str,
    placeholder: &Placeholder,
    ticket: &Ticket,
    variables: &[Variable],
) -> Result<String, RenderError> {
    let name = placeholder.name.as_str();
    let source = Source::of(name)
        .ok_or_else(|| RenderError::Failed(format!("unknown placeholder `{{{{{name}}}}}`")))?;
    let found = lookup(source, ticket, variables)?;
    found
        .or_else(|| placeholder.fallback.clone())
        .or_else(|| config.fallback(locale, name).map(str::to_string))
        .ok_or_else(|| RenderError::MissingValue(name.to_string()))
}

/// The value of `source` for `ticket`; blank text counts as no value.
fn lookup(
    source: Source,
    ticket: &Ticket,
    variables: &[Variable],
) -> Result<Option<String>, RenderError> {
    let present = |text: Option<&str>| {
        text.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let variable = |name: &str| {
        present(
            variables
                .iter()
                .find(|v| v.name == name)
                .map(|v| v.value.as_str()),
        )
    };
    let field = |name: &str| ticket.fields.iter().find(|f| f.name == name);
    Ok(match source {
        Source::RequesterFirstName => ticket
            .requester
            .name
            .as_deref()
            .and_then(|n| n.split_whitespace().next())
            .map(str::to_string),
        Source::RequesterName => present(ticket.requester.name.as_deref()),
        Source::TicketSubject => present(ticket.subject.as_deref()),
        Source::AgentName => variable("agent.name"),
        Source::Variable(name) => variable(name),
        Source::TicketNumber => {
            let number =
                NUMBER_FIELDS
                    .iter()
                    .find_map(|name| match field(name).map(|f| &f.value) {
                        Some(FieldValue::Text(text)) => present(Some(text)),
                        Some(FieldValue::Number(n)) => Some(n.to_string()),
                        _ => None,
                    });
            number
                .or_else(|| present(ticket.external_id.as_deref()))
                .or_else(|| Some(ticket.id.clone()))
        }
        Source::Field(name) => match field(name).map(|f| &f.value) {
            None => None,
            Some(FieldValue::Text(text)) => present(Some(text)),
            Some(FieldValue::Number(n)) => Some(n.to_string()),
            Some(FieldValue::Flag(_) | FieldValue::Time(_)) => {
                return Err(RenderError::Failed(format!(
                    "custom field `{name}` is a flag or a time; only text and number fields can be placed in a reply"
                )));
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guichet::plugin::types::{Channel, CustomField, Priority, Requester, TicketStatus};

    fn example() -> Config {
        Config::parse(include_str!("../config.example.json")).unwrap()
    }

    fn ticket(channel: Channel, name: Option<&str>, language: Option<&str>) -> Ticket {
        Ticket {
            id: "t-1".to_string(),
            external_id: None,
            channel,
            requester: Requester {
                name: name.map(str::to_string),
                identities: Vec::new(),
                language: language.map(str::to_string),
            },
            subject: None,
            status: TicketStatus::Open,
            priority: Priority::Normal,
            assignee: None,
            group: None,
            tags: Vec::new(),
            fields: Vec::new(),
            created_at: 0,
            updated_at: 0,
            first_agent_response_at: None,
            last_requester_message_at: None,
            last_agent_message_at: None,
            merged_into: None,
            messages: Vec::new(),
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<Variable> {
        pairs
            .iter()
            .map(|(name, value)| Variable {
                name: name.to_string(),
                value: value.to_string(),
            })
            .collect()
    }

    fn refund(channel: Channel, language: Option<&str>) -> Output {
        render(
            &example(),
            "refund-delay",
            &ticket(channel, Some("Zoé Martin"), language),
            &vars(&[("amount", "42,00 €"), ("agent.name", "Camille")]),
        )
        .unwrap()
    }

    #[test]
    fn french_email_is_formal() {
        let out = refund(Channel::Email, Some("fr"));
        assert_eq!((out.locale.as_str(), out.tone), ("fr", Tone::Formal));
        assert!(out.body.starts_with("Bonjour Zoé,\n\n"), "{}", out.body);
        assert!(out.body.contains("votre remboursement de 42,00 €"));
        assert!(out.body.contains("Camille"));
        assert!(!out.body.contains(" ton "));
        let web = refund(Channel::WebForm, Some("fr"));
        assert_eq!(web.body, out.body);
        assert_eq!(refund(Channel::Phone, Some("fr")).tone, Tone::Formal);
    }

    #[test]
    fn french_app_and_chat_are_friendly() {
        for channel in [
            Channel::Chat,
            Channel::Whatsapp,
            Channel::Messenger,
            Channel::AppStoreReview,
        ] {
            let out = refund(channel, Some("fr"));
            assert_eq!(out.tone, Tone::Friendly);
            assert!(out.body.contains("Ton remboursement"), "{}", out.body);
            assert!(!out.body.contains("votre"), "{}", out.body);
        }
    }

    #[test]
    fn english_follows_the_same_tones() {
        let formal = refund(Channel::Email, Some("en"));
        assert_eq!((formal.locale.as_str(), formal.tone), ("en", Tone::Formal));
        assert!(formal.body.starts_with("Dear Zoé,"), "{}", formal.body);
        let friendly = refund(Channel::Chat, Some("en-GB"));
        assert_eq!(friendly.locale, "en");
        assert!(friendly.body.starts_with("Hi Zoé!"), "{}", friendly.body);
    }

    #[test]
    fn a_regional_tag_falls_back_to_its_language_and_unknown_to_the_default() {
        assert_eq!(refund(Channel::Email, Some("fr-BE")).locale, "fr");
        assert_eq!(refund(Channel::Email, Some("de")).locale, "fr");
        assert_eq!(refund(Channel::Email, None).locale, "fr");
    }

    #[test]
    fn a_variant_for_the_channel_comes_before_the_tone() {
        let out = render(
            &example(),
            "card-blocked",
            &ticket(Channel::Sms, Some("Zoé Martin"), Some("fr")),
            &vars(&[]),
        )
        .unwrap();
        assert_eq!(
            out.body,
            "Ta carte est bloquée par sécurité. Débloque-la dans l'appli (Carte > Débloquer). Réf. t-1"
        );
        // The English SMS has no variant of its own: the friendly one.
        let out = render(
            &example(),
            "card-blocked",
            &ticket(Channel::Sms, Some("Tom Baker"), Some("en")),
            &vars(&[("agent.name", "Sam")]),
        )
        .unwrap();
        assert!(out.body.starts_with("Hi Tom!"), "{}", out.body);
    }

    #[test]
    fn actions_come_with_the_reply() {
        let out = refund(Channel::Email, Some("fr"));
        let actions: Vec<String> = out.actions.iter().map(|a| format!("{a:?}")).collect();
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert!(actions[0].contains("WaitingOnRequester"), "{actions:?}");
        assert_eq!(out.actions[1], Action::AddTags(vec!["refund".to_string()]));
        assert_eq!(
            out.actions[2],
            Action::InternalNote(
                "Remboursement de 42,00 € annoncé par Camille (macro refund-delay).".to_string()
            )
        );
    }

    #[test]
    fn fallbacks_inline_then_per_locale() {
        let config = example();
        let nameless = ticket(Channel::Email, None, Some("fr"));
        let variables = vars(&[("amount", "10 €"), ("agent.name", "Camille")]);
        let out = render(&config, "refund-delay", &nameless, &variables).unwrap();
        assert!(
            out.body.starts_with("Bonjour Madame, Monsieur,"),
            "{}",
            out.body
        );
        let chat = ticket(Channel::Chat, None, Some("en"));
        let out = render(&config, "refund-delay", &chat, &variables).unwrap();
        assert!(out.body.starts_with("Hi there!"), "{}", out.body);
        // A blank name is no name.
        let blank = ticket(Channel::Email, Some("  "), Some("en"));
        let out = render(&config, "refund-delay", &blank, &variables).unwrap();
        assert!(out.body.starts_with("Dear customer,"), "{}", out.body);
    }

    #[test]
    fn a_missing_value_is_named() {
        let config = example();
        let t = ticket(Channel::Email, Some("Zoé Martin"), Some("fr"));
        let err = render(
            &config,
            "refund-delay",
            &t,
            &vars(&[("agent.name", "Camille")]),
        )
        .unwrap_err();
        assert_eq!(err, RenderError::MissingValue("amount".to_string()));
        let err = render(&config, "refund-delay", &t, &vars(&[("amount", "5 €")])).unwrap_err();
        assert_eq!(err, RenderError::MissingValue("agent.name".to_string()));
        let err = render(
            &config,
            "refund-delay",
            &t,
            &vars(&[("amount", " "), ("agent.name", "Camille")]),
        )
        .unwrap_err();
        assert_eq!(err, RenderError::MissingValue("amount".to_string()));
    }

    #[test]
    fn unknown_macro_and_channel_not_offered() {
        let config = example();
        let t = ticket(Channel::Chat, Some("Zoé"), Some("fr"));
        assert_eq!(
            render(&config, "refund-dealy", &t, &[]).unwrap_err(),
            RenderError::UnknownMacro("refund-dealy".to_string())
        );
        assert_eq!(
            render(&config, "ask-statement", &t, &[]).unwrap_err(),
            RenderError::Failed(
                "macro `ask-statement` is not offered on chat; it is offered on email, web_form"
                    .to_string()
            )
        );
    }

    #[test]
    fn ticket_number_is_the_number_field_then_external_id_then_id() {
        let config = Config::parse(
            r#"{"macros": [{"id": "n", "title": "N", "description": "d",
                "variants": [{"locale": "fr", "body": "{{ticket.number}} {{field.plan | \"aucun\"}} {{ticket.subject | \"(sans objet)\"}} {{requester.name}}"}]}]}"#,
        )
        .unwrap();
        let mut t = ticket(Channel::Email, Some("Zoé Martin"), None);
        let body = |t: &Ticket| render(&config, "n", t, &[]).unwrap().body;
        assert_eq!(body(&t), "t-1 aucun (sans objet) Zoé Martin");
        t.external_id = Some("z-77".to_string());
        t.subject = Some("Remboursement".to_string());
        assert_eq!(body(&t), "z-77 aucun Remboursement Zoé Martin");
        t.fields = vec![
            CustomField {
                name: "number".to_string(),
                value: FieldValue::Text("48213".to_string()),
            },
            CustomField {
                name: "plan".to_string(),
                value: FieldValue::Text("Premium".to_string()),
            },
        ];
        assert_eq!(body(&t), "48213 Premium Remboursement Zoé Martin");
        t.fields[0].value = FieldValue::Number(48214);
        assert_eq!(body(&t), "48214 Premium Remboursement Zoé Martin");
        t.fields[1].value = FieldValue::Flag(true);
        assert!(matches!(
            render(&config, "n", &t, &[]).unwrap_err(),
            RenderError::Failed(message) if message.starts_with("custom field `plan` is a flag")
        ));
    }

    #[test]
    fn placeholder_sources() {
        assert_eq!(Source::of("amount"), Some(Source::Variable("amount")));
        assert_eq!(Source::of("agent.name"), Some(Source::AgentName));
        assert_eq!(Source::of("field.plan"), Some(Source::Field("plan")));
        assert_eq!(Source::of("field."), None);
        assert_eq!(Source::of("requester.email"), None);
        assert_eq!(Source::of("2fa"), None);
        assert_eq!(language_of("EN_gb").as_deref(), Some("en"));
        assert_eq!(language_of(""), None);
    }
}
