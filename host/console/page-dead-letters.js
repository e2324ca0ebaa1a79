// Dead letters: webhook deliveries (and adapters' requests) that failed every
// attempt, each with a button that puts it back in the outbox.

import { h, add, table } from './dom.js';
import { t, number } from './i18n.js';
import { api, tenantPath, session } from './api.js';
import { problemBox, heading, show, loading, notice } from './ui.js';

/** What a delivery was about, read from its body when it is an actions notice. */
function about(item) {
  try {
    const body = JSON.parse(item.body);
    if (body && body.event_id) {
      return h('span', {}, t('dead.about', { event: body.event_id }), ' ',
        body.ticket_id ? h('a', { href: `#/tickets/${encodeURIComponent(body.ticket_id)}` }, body.ticket_id) : null);
    }
  } catch {
    // Not JSON: the request of an adapter, shown below.
  }
  if (item.request && item.request.url) return h('code', { class: 'wrap' }, `${item.request.method || ''} ${item.request.url}`);
  return '—';
}

export async function render(root) {
  add(root, heading(t('dead.title')), h('p', { class: 'lead' }, t('dead.intro')));
  if (session().scope !== 'admin') {
    add(root, h('p', { class: 'notice notice-info' }, t('dead.admin_only')));
    return;
  }
  const noticeSlot = h('div', { id: 'dead-notice', 'aria-live': 'polite' });
  const listSlot = h('div', { id: 'dead-list' }, loading());
  const reload = h('button', { type: 'button', id: 'dead-reload' }, t('common.reload'));
  add(root, h('div', { class: 'button-row' }, reload), noticeSlot, listSlot);

  async function load() {
    try {
      const items = await api('GET', tenantPath('/dead-letters'));
      show(listSlot, items.length === 0
        ? h('p', { class: 'empty', testid: 'dead-empty' }, t('dead.none'))
        : table({
          id: 'dead-table',
          caption: t('dead.caption', { n: items.length }),
          columns: [t('dead.id'), t('dead.webhook'), t('dead.about_col'), t('dead.attempts'), t('dead.last_error'), t('dead.body'), ''],
          rows: items.map((item) => {
            const replay = h('button', {
              type: 'button', id: `dead-replay-${item.id}`, testid: 'dead-replay', class: 'button-primary',
              'aria-label': t('dead.replay_label', { id: item.id }),
            },
              t('dead.replay'));
            replay.addEventListener('click', async () => {
              replay.disabled = true;
              try {
                await api('POST', tenantPath(`/dead-letters/${encodeURIComponent(item.id)}/replay`));
                await load();
                show(noticeSlot, notice(t('dead.replayed', { id: item.id }), { testid: 'dead-replayed' }), true);
              } catch (err) {
                replay.disabled = false;
                show(noticeSlot, problemBox(err), true);
              }
            });
            return [
              h('code', { class: 'small' }, item.id),
              item.webhook,
              about(item),
              number(item.attempts),
              h('span', { class: 'error-text' }, item.last_error || '—'),
              h('details', {}, h('summary', {}, t('dead.show_body')), h('pre', { class: 'code' }, item.body)),
              replay,
            ];
          }),
          rowAttrs: (i) => ({ testid: `dead-row-${items[i].id}`, 'data-webhook': items[i].webhook }),
        }));
    } catch (err) {
      show(listSlot, problemBox(err));
    }
  }
  reload.addEventListener('click', load);
  await load();
}
