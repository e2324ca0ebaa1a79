// vip-routing: VIP requesters go straight to the VIP desk, and are not left waiting.
//
// A guichet `automation` plugin in JavaScript (built with componentize-js). Who is a
// VIP comes from the plugin's configuration (see config.json beside this file):
//
// - on `ticket_created`, a requester whose e-mail domain is in `vip_domains`, or who
//   has one of the identities of `vip_identities`, gets the ticket moved to `group`,
//   its priority raised to `priority` (never lowered), the tag `tag`, and an internal
//   note saying which rule matched;
// - on `message_added` from the requester of a VIP ticket that no agent has taken yet,
//   it counts the messages in the plugin's storage and, on the `nudge_after`-th one,
//   notifies the lead of the ticket's group, then starts counting again.
//
// Other tickets and events get no actions.

import { get as getConfig } from 'guichet:plugin/config@0.1.0';
import { log } from 'guichet:plugin/log@0.1.0';
import {
  get as getStored,
  set as setStored,
  delete as deleteStored,
} from 'guichet:plugin/storage@0.1.0';

const DEFAULTS = {
  vip_domains: [],
  vip_identities: [],
  group: 'care/vip',
  priority: 'high',
  tag: 'vip',
  nudge_after: 3,
};
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const IDENTITY_KINDS = new Set([
  'email', 'phone', 'whatsapp', 'messenger', 'app-store', 'app-user', 'external',
]);

// Configuration JSON uses snake_case, like the rest of guichet's JSON; the WIT
// bindings use kebab-case enum values (`app_user` is `app-user`).
const kebab = (value) => String(value).replaceAll('_', '-');
const snake = (value) => String(value).replaceAll('-', '_');

// An error result is returned by throwing it: the string is what the tenant's admin
// reads in the audit trail, so it says what to fix.
function loadConfig() {
  let given;
  try {
    given = JSON.parse(getConfig() || '{}');
  } catch (error) {
    throw `configuration is not valid JSON: ${error.message}`;
  }
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw 'configuration must be a JSON object';
  }
  const unknown = Object.keys(given).filter((key) => !(key in DEFAULTS)).sort();
  if (unknown.length) {
    throw `unknown configuration key(s): ${unknown.join(', ')}; known: ${Object.keys(DEFAULTS).join(', ')}`;
  }
  const config = { ...DEFAULTS, ...given };
  if (!PRIORITIES.includes(config.priority)) {
    throw `configuration: unknown priority \`${config.priority}\`; one of ${PRIORITIES.join(', ')}`;
  }
  if (!Number.isInteger(config.nudge_after) || config.nudge_after < 1) {
    throw 'configuration: `nudge_after` must be a whole number, 1 or more';
  }
  if (!Array.isArray(config.vip_domains) || !Array.isArray(config.vip_identities)) {
    throw 'configuration: `vip_domains` and `vip_identities` must be lists';
  }
  // Tags are stored lower case: compare the ticket's with the tag as it will be stored.
  config.tag = String(config.tag).toLowerCase();
  config.vip_domains = config.vip_domains.map((d) => String(d).toLowerCase());
  config.vip_identities = config.vip_identities.map((entry) => {
    const { kind, value } = entry ?? {};
    if (!IDENTITY_KINDS.has(kebab(kind))) {
      throw `configuration: unknown identity kind \`${kind}\` in \`vip_identities\``;
    }
    return { kind: kebab(kind), value: String(value) };
  });
  return config;
}

// E-mail addresses are compared without case, as the host's look-ups do; other
// identities (phone numbers, account ids) as they are.
function sameIdentity(a, b) {
  if (a.kind !== b.kind) return false;
  return a.kind === 'email' ? a.value.toLowerCase() === b.value.toLowerCase() : a.value === b.value;
}

// Which rule makes the requester a VIP, in words for the note; `undefined` if none.
// A listed domain also covers its subdomains, but `not-maison-lumiere.fr` is not
// `maison-lumiere.fr`: the match is on whole labels.
function vipRule(requester, config) {
  for (const identity of requester.identities) {
    if (config.vip_identities.some((vip) => sameIdentity(vip, identity))) {
      return `${snake(identity.kind)} ${identity.value} is in vip_identities`;
    }
  }
  for (const identity of requester.identities) {
    if (identity.kind !== 'email') continue;
    const domain = identity.value.slice(identity.value.lastIndexOf('@') + 1).toLowerCase();
    const listed = config.vip_domains.find((d) => domain === d || domain.endsWith(`.${d}`));
    if (listed === domain) return `e-mail domain ${domain} is in vip_domains`;
    if (listed) return `e-mail domain ${domain} is under ${listed}, in vip_domains`;
  }
  return undefined;
}

function routeNewTicket(ticket, rule, config) {
  const actions = [];
  const done = [];
  if (ticket.group !== config.group) {
    actions.push({ tag: 'assign', val: { agent: undefined, group: config.group } });
    done.push(`routed to ${config.group}`);
  }
  if (PRIORITIES.indexOf(ticket.priority) < PRIORITIES.indexOf(config.priority)) {
    actions.push({ tag: 'set-priority', val: config.priority });
    done.push(`priority raised to ${config.priority}`);
  } else {
    done.push(`priority kept at ${ticket.priority}`);
  }
  if (!ticket.tags.includes(config.tag)) actions.push({ tag: 'add-tags', val: [config.tag] });
  if (!actions.length) return [];
  actions.push({ tag: 'internal-note', val: `VIP requester: ${rule}; ${done.join(', ')}.` });
  return actions;
}

// The count lives in storage because nothing survives a call in the plugin's memory.
// It is kept per ticket, and dropped once the lead has been told, or at the
// requester's next message after an agent took the ticket.
function countWhileUnassigned(ticket, config) {
  const key = `unassigned-messages/${ticket.id}`;
  if (ticket.assignee) {
    log('debug', `ticket ${ticket.id}: ${ticket.assignee} has it, nothing to count`);
    deleteStored(key);
    return [];
  }
  const stored = getStored(key);
  const count = (stored ? Number(new TextDecoder().decode(stored)) : 0) + 1;
  log('debug', `ticket ${ticket.id}: requester message ${count} of ${config.nudge_after} without an agent`);
  if (count < config.nudge_after) {
    try {
      setStored(key, new TextEncoder().encode(String(count)));
    } catch (error) {
      throw `cannot keep the message count of ticket ${ticket.id}: ${error.payload ?? error}`;
    }
    return [];
  }
  deleteStored(key);
  const group = ticket.group ?? config.group;
  return [
    {
      tag: 'notify',
      val: {
        recipient: { tag: 'group-lead', val: group },
        message: `VIP ticket ${ticket.id}: ${count} messages from the requester and still no agent on it.`,
      },
    },
  ];
}

export const rules = {
  onEvent(event) {
    const { ticket, kind } = event;
    if (!ticket) return [];
    if (kind.tag === 'message-added' && kind.val.authorRole !== 'requester') return [];
    if (kind.tag !== 'ticket-created' && kind.tag !== 'message-added') return [];

    const config = loadConfig();
    const rule = vipRule(ticket.requester, config);
    if (!rule) return [];
    if (kind.tag === 'ticket-created') {
      log('info', `ticket ${ticket.id}: VIP requester, ${rule}`);
      return routeNewTicket(ticket, rule, config);
    }
    return countWhileUnassigned(ticket, config);
  },
};
