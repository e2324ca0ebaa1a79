//! The reference plugins of `plugins/`, compiled to components by `host/build.rs` and
//! embedded in the binary, so that every tenant has them without building anything.

/// A plugin shipped with guichet.
#[derive(Debug, Clone, Copy)]
pub struct ReferencePlugin {
    /// Its name, as in `plugins/<name>`.
    pub name: &'static str,
    /// What it does, in one line.
    pub summary: &'static str,
    /// The component's bytes.
    pub component: &'static [u8],
}

/// `triage`: routes a new ticket to a vertical and a level, sets priority and tags.
pub const TRIAGE: ReferencePlugin = ReferencePlugin {
    name: "triage",
    summary: "routes new tickets to a group and a level, sets priority and tags, from keyword and pattern rules",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/triage.wasm")),
};

/// `sla`: first-reply, next-reply and resolution targets, warnings and breaches.
pub const SLA: ReferencePlugin = ReferencePlugin {
    name: "sla",
    summary: "first-reply, next-reply and resolution targets in business or calendar hours, paused while waiting on the requester; warns before a breach, tags and escalates at it",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/sla.wasm")),
};

/// `followup`: reminds a requester who does not answer, twice, then closes the ticket.
pub const FOLLOWUP: ReferencePlugin = ReferencePlugin {
    name: "followup",
    summary: "reminds a requester who does not answer (twice, after set delays in calendar or business hours), then closes the ticket; any requester message calls it off",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/followup.wasm")),
};

/// `reassign`: hands tickets waiting on an agent too long back to the group's pool,
/// and offers new tickets to a group's agents in cascade order.
pub const REASSIGN: ReferencePlugin = ReferencePlugin {
    name: "reassign",
    summary: "hands a ticket left waiting on its agent too long back to its group's pool, and offers each new ticket of a group to its agents in cascade order before the pool",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/reassign.wasm")),
};

/// `dedupe`: merges a new ticket into the open ticket it duplicates.
pub const DEDUPE: ReferencePlugin = ReferencePlugin {
    name: "dedupe",
    summary: "merges a new ticket into the older open ticket it duplicates: the same person across channels (identities normalised, E.164 phones, linked identities), a repeat on one channel, a ticket number cited, or the same store review; tagged, with a note giving the reason and the score",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/dedupe.wasm")),
};

/// `macros`: canned replies in the tone of the channel and the requester's language.
pub const MACROS: ReferencePlugin = ReferencePlugin {
    name: "macros",
    summary: "macros world: canned replies with placeholders and fallbacks, in a variant per channel tone (vous by e-mail, tu in the app) and requester language, with bundled actions (status, tags, note)",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/macros.wasm")),
};

/// `zammad`: a bridge to a Zammad helpdesk (trigger webhooks in, REST calls out).
pub const ZAMMAD: ReferencePlugin = ReferencePlugin {
    name: "zammad",
    summary: "channel adapter: Zammad's trigger webhooks in (X-Hub-Signature), the plugins' actions back as Zammad REST calls (ticket updates, articles, tags, merge)",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/zammad.wasm")),
};

/// `chatwoot`: a bridge to a Chatwoot account (webhooks in, API calls out).
pub const CHATWOOT: ReferencePlugin = ReferencePlugin {
    name: "chatwoot",
    summary: "channel adapter: Chatwoot's account webhooks in (X-Chatwoot-Signature), the plugins' actions back as Chatwoot API calls (messages, private notes, assignments, labels, status, priority)",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/chatwoot.wasm")),
};

/// `email`: e-mail through Postmark's inbound webhook and send API.
pub const EMAIL: ReferencePlugin = ReferencePlugin {
    name: "email",
    summary: "channel adapter: e-mail in from Postmark's inbound webhook (threaded by References/In-Reply-To and a [#ticket] subject), replies out through Postmark's send API",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/email.wasm")),
};

/// `whatsapp`: WhatsApp Cloud API webhooks in, replies through the Graph API.
pub const WHATSAPP: ReferencePlugin = ReferencePlugin {
    name: "whatsapp",
    summary: "channel adapter: WhatsApp Cloud API webhooks in (hub.challenge handshake, X-Hub-Signature-256), replies out through the Graph API's messages endpoint",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/whatsapp.wasm")),
};

/// `messenger`: Messenger Platform webhooks in, replies through the Send API.
pub const MESSENGER: ReferencePlugin = ReferencePlugin {
    name: "messenger",
    summary: "channel adapter: Messenger Platform webhooks in (hub.challenge handshake, X-Hub-Signature-256), replies out through the Send API",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/messenger.wasm")),
};

/// `phone`: missed calls from Twilio's voice status callbacks, replies by SMS.
pub const PHONE: ReferencePlugin = ReferencePlugin {
    name: "phone",
    summary: "channel adapter: Twilio voice status callbacks in (X-Twilio-Signature); a missed call opens or updates the caller's ticket with a missed_call event; replies out as SMS",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/phone.wasm")),
};

/// `app-reviews`: App Store and Google Play reviews posted by a relay, replies out.
pub const APP_REVIEWS: ReferencePlugin = ReferencePlugin {
    name: "app-reviews",
    summary: "channel adapter: App Store Connect and Google Play review lists posted by the team's relay (signed); each review a ticket, an edit a new message; replies as the stores' reply requests",
    component: include_bytes!(concat!(env!("GUICHET_GUEST_DIR"), "/app_reviews.wasm")),
};

/// Every reference plugin.
pub const ALL: &[ReferencePlugin] = &[
    TRIAGE,
    SLA,
    FOLLOWUP,
    REASSIGN,
    DEDUPE,
    MACROS,
    ZAMMAD,
    CHATWOOT,
    EMAIL,
    WHATSAPP,
    MESSENGER,
    PHONE,
    APP_REVIEWS,
];

/// The reference plugin called `name`, if any.
pub fn find(name: &str) -> Option<&'static ReferencePlugin> {
    ALL.iter().find(|p| p.name == name)
}
