// One ticket, and why it is as it is: its audit trail as a timeline (each event,
// then each plugin and version that ran on it, with the actions it took, when, and
// the fuel and time it used), its pending timers and its messages.

import { h, add, table, short } from './dom.js';
import { t, dateTime, number } from './i18n.js';
import { api, tenantPath } from './api.js';
import { problemBox, heading, show, loading, actionList } from './ui.js';
import { statusBadge } from './page-tickets.js';

/** The audit records grouped by event, in the order the events were processed. */
function byEvent(records) {
  const events = new Map();
  for (const r of records) {
    const key = `${r.event_seq}\u0000${r.event_id}`;
    if (!events.has(key)) events.set(key, { seq: r.event_seq, id: r.event_id, kind: r.event_kind, at: r.at, calls: [] });
    events.get(key).calls.push(r);
  }
  return [...events.values()].sort((a, b) => a.seq - b.seq || String(a.at).localeCompare(String(b.at)));
}

function call(r) {
  const version = r.version_number != null ? t('timeline.version', { n: r.version_number }) : '';
  return h('li', { class: `call${r.error ? ' call-failed' : ''}`, testid: 'timeline-call', 'data-plugin': r.plugin },
    h('p', { class: 'call-head' },
      h('span', { class: 'arrow', 'aria-hidden': 'true' }, '→ '),
      h('a', { href: `#/plugins/${encodeURIComponent(r.plugin)}`, class: 'plugin-name' }, r.plugin),
      ' ', h('span', { class: 'badge badge-info', testid: 'timeline-version' }, version),
      ' ', h('code', { class: 'sha small', title: r.plugin_version }, short(r.plugin_version))),
    r.error
      ? h('p', { class: 'error-text', testid: 'timeline-error' }, t('timeline.error', { error: r.error }))
      : h('div', { class: 'call-actions' }, h('span', { class: 'sr-label' }, t('timeline.actions')), ' ',
        actionList(r.actions, { testid: 'timeline-action' })),
    h('p', { class: 'small muted' }, t('timeline.cost', {
      at: dateTime(r.at), fuel: number(r.fuel_used), us: number(r.duration_us),
    })),
    r.logs && r.logs.length
      ? h('details', {}, h('summary', {}, t('timeline.logs', { n: r.logs.length })), h('pre', { class: 'code' }, r.logs.join('\n')))
      : null);
}

function timeline(records) {
  if (records.length === 0) return h('p', { class: 'empty', testid: 'timeline-empty' }, t('timeline.none'));
  return h('ol', { class: 'timeline', id: 'timeline', testid: 'timeline' }, byEvent(records).map((e) =>
    h('li', { class: 'timeline-event', testid: 'timeline-event' },
      h('p', { class: 'event-head' },
        h('time', { datetime: e.at }, dateTime(e.at)), ' · ',
        h('strong', {}, t('timeline.event', { kind: e.kind })), ' ',
        h('code', { class: 'small' }, e.id), ' ',
        h('span', { class: 'small muted' }, t('timeline.seq', { seq: e.seq }))),
      h('ul', { class: 'calls' }, e.calls.map(call)))));
}

export async function render(root, [id]) {
  const base = tenantPath(`/tickets/${encodeURIComponent(id)}`);
  const details = h('div', { id: 'ticket-details' }, loading());
  const trail = h('div', { id: 'ticket-timeline' }, loading());
  const timers = h('div', { id: 'ticket-timers' }, loading());
  const messages = h('div', { id: 'ticket-messages' });
  const reload = h('button', { type: 'button', id: 'ticket-reload' }, t('common.reload'));
  reload.addEventListener('click', () => load());
  add(root,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/tickets' }, t('nav.tickets')), ' / ', id),
    heading(t('ticket.title', { id })),
    h('div', { class: 'button-row' }, reload),
    details,
    h('section', { class: 'card', 'aria-labelledby': 'timeline-title' },
      h('h2', { id: 'timeline-title' }, t('timeline.title')),
      h('p', { class: 'hint' }, t('timeline.intro')), trail),
    h('section', { class: 'card', 'aria-labelledby': 'timers-title' },
      h('h2', { id: 'timers-title' }, t('timers.title')), timers),
    h('section', { class: 'card', 'aria-labelledby': 'messages-title' },
      h('h2', { id: 'messages-title' }, t('messages.title')), messages));

  async function load() {
    try {
      const [ticket, audit, pending] = await Promise.all([
        api('GET', base), api('GET', `${base}/audit`), api('GET', `${base}/timers`),
      ]);
      const item = (key, value, testid) => [h('dt', {}, t(key)), h('dd', { testid }, value)];
      const requester = ticket.requester || {};
      show(details, h('div', { class: 'card' },
        h('p', { class: 'ticket-subject', testid: 'ticket-subject' }, ticket.subject || t('tickets.no_subject')),
        h('dl', { class: 'overview' },
          item('tickets.status', statusBadge(ticket.status), 'ticket-status'),
          item('tickets.priority', t(`priority.${ticket.priority}`), 'ticket-priority'),
          item('tickets.channel', t(`channel.${ticket.channel}`)),
          item('tickets.group', ticket.group || '—', 'ticket-group'),
          item('tickets.assignee', ticket.assignee || '—', 'ticket-assignee'),
          item('ticket.tags', ticket.tags && ticket.tags.length ? ticket.tags.join(', ') : '—', 'ticket-tags'),
          item('tickets.requester', requester.name || (requester.identities || []).map((i) => i.value).join(', ') || '—'),
          ticket.merged_into ? item('ticket.merged_into', h('a', { href: `#/tickets/${encodeURIComponent(ticket.merged_into)}` }, ticket.merged_into)) : null,
          item('common.created', dateTime(ticket.created_at)),
          item('common.updated', dateTime(ticket.updated_at)))));
      show(trail, timeline(audit));
      show(timers, pending.length === 0
        ? h('p', { class: 'empty', testid: 'timers-empty' }, t('timers.none'))
        : table({
          id: 'timers-table',
          columns: [t('timers.name'), t('timers.plugin'), t('timers.due'), t('timers.set')],
          rows: pending.map((x) => [h('code', {}, x.name), x.plugin, dateTime(x.due_at), dateTime(x.set_at)]),
        }));
      const msgs = ticket.messages || [];
      show(messages, msgs.length === 0
        ? h('p', { class: 'empty' }, t('messages.none'))
        : h('ol', { class: 'messages' }, msgs.map((m) => h('li', { class: `message message-${m.author_role}` },
          h('p', { class: 'small muted' }, `${t(`role.${m.author_role}`)}${m.author ? ` · ${m.author}` : ''} · ${t(`channel.${m.channel}`)} · ${dateTime(m.created_at)}`),
          h('p', { class: 'message-body' }, m.body)))));
    } catch (err) {
      show(details, problemBox(err));
      show(trail, '');
      show(timers, '');
    }
  }
  await load();
}
