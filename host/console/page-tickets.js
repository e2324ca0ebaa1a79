// The tenant's tickets, filtered as the API filters them.

import { h, add, field, table } from './dom.js';
import { t, dateTime } from './i18n.js';
import { api, tenantPath, query } from './api.js';
import { problemBox, heading, show, loading } from './ui.js';

const STATUSES = ['new', 'open', 'waiting_on_requester', 'waiting_on_agent', 'on_hold', 'solved', 'closed', 'merged'];

export function statusBadge(status) {
  const kind = { solved: 'ok', closed: 'muted', merged: 'muted', waiting_on_agent: 'warn', new: 'info' }[status] || 'info';
  return h('span', { class: `badge badge-${kind}` }, t(`status.${status}`));
}

export async function render(root, _params, search) {
  const status = h('select', { id: 'tickets-status' },
    h('option', { value: '' }, t('tickets.any_status')),
    STATUSES.map((s) => h('option', { value: s, selected: search.get('status') === s }, t(`status.${s}`))));
  const group = h('input', { id: 'tickets-group', autocomplete: 'off', value: search.get('group') || '' });
  const assignee = h('input', { id: 'tickets-assignee', autocomplete: 'off', value: search.get('assignee') || '' });
  const requester = h('input', { id: 'tickets-requester', autocomplete: 'off', value: search.get('requester') || '' });
  const limit = h('input', { id: 'tickets-limit', type: 'number', min: '0', max: '10000', value: search.get('limit') || '200' });
  const form = h('form', { id: 'tickets-filter', class: 'card filters', role: 'search' },
    field(t('tickets.status'), status),
    field(t('tickets.group'), group),
    field(t('tickets.assignee'), assignee),
    field(t('tickets.requester'), requester),
    field(t('tickets.limit'), limit),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', id: 'tickets-apply', class: 'button-primary' }, t('tickets.apply'))));
  const listSlot = h('div', { id: 'tickets-list', 'aria-live': 'polite' }, loading());
  add(root, heading(t('tickets.title')), h('p', { class: 'lead' }, t('tickets.intro')), form, listSlot);

  const filters = () => ({
    status: status.value, group: group.value.trim(), assignee: assignee.value.trim(),
    requester: requester.value.trim(), limit: limit.value,
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    // The filters go into the address, so that they survive a reload and Back.
    const next = `#/tickets${query(filters())}`;
    if (location.hash === next) reload();
    else location.hash = next;
  });

  async function reload() {
    show(listSlot, loading());
    try {
      await load();
    } catch (err) {
      show(listSlot, problemBox(err));
    }
  }

  async function load() {
    const tickets = await api('GET', tenantPath(`/tickets${query(filters())}`));
    show(listSlot, tickets.length === 0
      ? h('p', { class: 'empty', testid: 'tickets-empty' }, t('tickets.none'))
      : table({
        id: 'tickets-table',
        caption: t('tickets.caption', { n: tickets.length }),
        columns: [t('tickets.id'), t('tickets.subject'), t('tickets.channel'), t('tickets.status'),
          t('tickets.priority'), t('tickets.group'), t('tickets.assignee'), t('common.updated')],
        rows: tickets.map((x) => [
          h('a', { href: `#/tickets/${encodeURIComponent(x.id)}`, testid: `ticket-link-${x.id}` }, x.id),
          x.subject || h('span', { class: 'muted' }, t('tickets.no_subject')),
          t(`channel.${x.channel}`),
          statusBadge(x.status),
          t(`priority.${x.priority}`),
          x.group || '—',
          x.assignee || '—',
          dateTime(x.updated_at),
        ]),
        rowAttrs: (i) => ({ testid: `ticket-row-${tickets[i].id}` }),
      }));
  }

  await reload();
}
