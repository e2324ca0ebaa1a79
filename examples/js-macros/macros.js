// macros: canned replies for agents, filled in for the ticket at hand.
//
// A guichet `macros` plugin in JavaScript (built with componentize-js). The macros
// come from the plugin's configuration (see config.json beside this file); each has a
// body with placeholders and the actions that go with sending it:
//
//   {{name}}             a variable the agent fills in (amount, days, ...)
//   {{requester.name}}   the requester's name, or the configured fallback
//   {{ticket.id}}, {{ticket.subject}}, {{ticket.external_id}}
//
// Short channels (SMS, WhatsApp, Messenger, chat) get the body alone; e-mail, web
// forms and the rest get the configured greeting and signature around it.

import { get as getConfig } from 'guichet:plugin/config@0.1.0';
import { log } from 'guichet:plugin/log@0.1.0';

const SHORT_CHANNELS = new Set(['sms', 'whatsapp', 'messenger', 'chat']);
const STATUSES = new Set([
  'new', 'open', 'waiting-on-requester', 'waiting-on-agent', 'on-hold', 'solved', 'closed',
]);
const PRIORITIES = new Set(['low', 'normal', 'high', 'urgent']);

// Configuration JSON uses snake_case, like the rest of guichet's JSON; the WIT
// bindings use kebab-case enum values.
const kebab = (value) => String(value).replaceAll('_', '-');

function loadConfig() {
  let config;
  try {
    config = JSON.parse(getConfig() || '{}');
  } catch (error) {
    throw { tag: 'failed', val: `configuration is not valid JSON: ${error.message}` };
  }
  const macros = config.macros ?? [];
  if (!Array.isArray(macros)) {
    throw { tag: 'failed', val: 'configuration: `macros` must be a list' };
  }
  return {
    greeting: config.greeting ?? 'Hello {{requester.name}},',
    signature: config.signature ?? '',
    fallbackName: config.fallback_name ?? 'there',
    macros,
  };
}

function actionsOf(macro) {
  const then = macro.then ?? {};
  const actions = [];
  if (then.status !== undefined) {
    const status = kebab(then.status);
    if (!STATUSES.has(status)) {
      throw { tag: 'failed', val: `macro ${macro.id}: unknown status \`${then.status}\`` };
    }
    actions.push({ tag: 'set-status', val: status });
  }
  if (then.priority !== undefined) {
    if (!PRIORITIES.has(then.priority)) {
      throw { tag: 'failed', val: `macro ${macro.id}: unknown priority \`${then.priority}\`` };
    }
    actions.push({ tag: 'set-priority', val: then.priority });
  }
  if (then.tags?.length) actions.push({ tag: 'add-tags', val: then.tags });
  if (then.note) actions.push({ tag: 'internal-note', val: then.note });
  return actions;
}

function fill(template, values) {
  return template.replace(/\{\{\s*([a-z_.]+)\s*\}\}/g, (_, name) => {
    if (!(name in values) || values[name] === '') {
      throw { tag: 'missing-value', val: name };
    }
    return values[name];
  });
}

export const macroLibrary = {
  listMacros() {
    return loadConfig().macros.map((macro) => ({
      id: macro.id,
      title: macro.title ?? macro.id,
      description: macro.description ?? '',
      channels: (macro.channels ?? []).map(kebab),
    }));
  },

  render(id, ticket, variables) {
    const config = loadConfig();
    const macro = config.macros.find((m) => m.id === id);
    if (!macro) throw { tag: 'unknown-macro', val: id };

    const values = {
      'requester.name': ticket.requester.name ?? config.fallbackName,
      'ticket.id': ticket.id,
      'ticket.subject': ticket.subject ?? '',
      'ticket.external_id': ticket.externalId ?? '',
    };
    for (const { name, value } of variables) values[name] = value;

    let body = fill(macro.body, values);
    if (!SHORT_CHANNELS.has(ticket.channel)) {
      const parts = [fill(config.greeting, values), body];
      if (config.signature) parts.push(fill(config.signature, values));
      body = parts.join('\n\n');
    }
    log('debug', `rendered ${id} for ${ticket.id} (${ticket.channel})`);
    return { body, actions: actionsOf(macro) };
  },
};
