// Inbound addresses: the URL each of the tenant's channel adapters receives its
// platform's webhooks on, and the requests it refused lately.

import { h, add, table } from './dom.js';
import { t, dateTime } from './i18n.js';
import { api, tenantPath, session } from './api.js';
import { problemBox, heading, show, loading, sourceText } from './ui.js';

function copyButton(text, id) {
  const b = h('button', { type: 'button', id, class: 'button-quiet' }, t('inbound.copy'));
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = t('inbound.copied');
    } catch {
      b.textContent = t('inbound.copy_failed');
    }
  });
  return b;
}

export async function render(root) {
  add(root, heading(t('inbound.title')), h('p', { class: 'lead' }, t('inbound.intro')));
  if (session().scope !== 'admin') {
    add(root, h('p', { class: 'notice notice-info' }, t('inbound.admin_only')));
    return;
  }
  const slot = h('div', { id: 'inbound-list' }, loading());
  add(root, slot);
  try {
    const adapters = (await api('GET', tenantPath('/plugins'))).filter((p) => p.world === 'channel-adapter');
    if (adapters.length === 0) {
      show(slot, h('p', { class: 'empty', testid: 'inbound-empty' }, t('inbound.none')));
      return;
    }
    const refusals = await Promise.all(adapters.map((p) =>
      api('GET', tenantPath(`/plugins/${encodeURIComponent(p.name)}/inbound`)).then((v) => v.refusals, () => null)));
    show(slot, h('div', {},
      table({
        id: 'inbound-table',
        caption: t('inbound.caption', { n: adapters.length }),
        columns: [t('plugins.name'), t('plugins.source'), t('plugins.enabled'), t('inbound.url'), ''],
        rows: adapters.map((p) => {
          const url = p.inbound_path ? location.origin + p.inbound_path : null;
          return [
            h('a', { href: `#/plugins/${encodeURIComponent(p.name)}` }, p.name),
            sourceText(p.source),
            p.enabled ? t('common.yes') : t('common.no'),
            url ? h('code', { class: 'wrap', testid: `inbound-url-${p.name}` }, url) : h('span', { class: 'muted' }, t('inbound.no_address')),
            url ? copyButton(url, `inbound-copy-${p.name}`) : '',
          ];
        }),
        rowAttrs: (i) => ({ testid: `inbound-row-${adapters[i].name}` }),
      }),
      h('p', { class: 'hint' }, t('inbound.secret')),
      adapters.map((p, i) => {
        const list = refusals[i];
        if (!list || list.length === 0) return null;
        return h('section', { class: 'card' },
          h('h2', {}, t('inbound.refusals', { plugin: p.name, n: list.length })),
          table({
            columns: [t('inbound.at'), t('inbound.status'), t('inbound.request'), t('inbound.reason')],
            rows: list.slice(-20).reverse().map((r) => [dateTime(r.at), String(r.status), h('code', {}, `${r.method} ${r.path}`), r.reason]),
          }));
      })));
  } catch (err) {
    show(slot, problemBox(err));
  }
}
