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

/// Every reference plugin.
pub const ALL: &[ReferencePlugin] = &[TRIAGE, SLA, FOLLOWUP, REASSIGN];

/// The reference plugin called `name`, if any.
pub fn find(name: &str) -> Option<&'static ReferencePlugin> {
    ALL.iter().find(|p| p.name == name)
}
