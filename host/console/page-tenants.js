// The operator's page: the tenants, and a new one. The operator token cannot act
// inside a tenant: to work in one, sign in with its admin token.

import { h, add, field, table } from './dom.js';
import { t, dateTime } from './i18n.js';
import { api, signIn } from './api.js';
import { problemBox, heading, show, loading } from './ui.js';

function signInLink(tenant) {
  return h('a', { href: `#/signin?tenant=${encodeURIComponent(tenant)}`, class: 'button-link', testid: `tenant-signin-${tenant}` },
    t('tenants.sign_in', { tenant }));
}

export async function render(root) {
  const list = h('div', { id: 'tenants-list' }, loading());
  const id = h('input', { id: 'tenant-id', required: true, autocomplete: 'off', pattern: '[a-z][a-z0-9-]{0,63}' });
  const name = h('input', { id: 'tenant-name', autocomplete: 'off' });
  const zone = h('input', { id: 'tenant-zone', autocomplete: 'off', placeholder: 'Europe/Paris' });
  const result = h('div', { id: 'tenant-result', 'aria-live': 'polite' });
  const form = h('form', { id: 'tenant-form', class: 'card' },
    h('h2', {}, t('tenants.new')),
    h('div', { class: 'grid-3' },
      field(t('tenants.id'), id, t('tenants.id_hint')),
      field(t('tenants.name'), name),
      field(t('tenants.zone'), zone, t('tenants.zone_hint'))),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', id: 'tenant-create', class: 'button-primary' }, t('tenants.create'))),
    result);
  add(root, heading(t('tenants.title')), h('p', { class: 'lead' }, t('tenants.intro')), list, form);

  async function load() {
    try {
      const tenants = await api('GET', '/v1/tenants');
      show(list, tenants.length === 0
        ? h('p', { class: 'empty' }, t('tenants.none'))
        : table({
          id: 'tenants-table',
          caption: t('tenants.caption', { n: tenants.length }),
          columns: [t('tenants.id'), t('tenants.name'), t('tenants.zone'), t('common.created'), ''],
          rows: tenants.map((x) => [h('code', {}, x.id), x.name, x.time_zone || 'UTC', dateTime(x.created_at), signInLink(x.id)]),
        }));
    } catch (err) {
      show(list, problemBox(err));
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { id: id.value.trim() };
    if (name.value.trim()) body.name = name.value.trim();
    if (zone.value.trim()) body.time_zone = zone.value.trim();
    try {
      const created = await api('POST', '/v1/tenants', { body });
      const use = h('button', { type: 'button', id: 'tenant-use', class: 'button-primary' }, t('tenants.use_token'));
      use.addEventListener('click', () => {
        signIn({ token: created.admin_token, tenant: created.tenant.id, scope: 'admin' });
        location.hash = '#/plugins';
      });
      show(result, h('div', { class: 'notice notice-ok', role: 'status', tabindex: '-1', testid: 'tenant-created' },
        h('p', {}, t('tenants.created', { tenant: created.tenant.id })),
        h('p', {}, t('tenants.token_once')),
        h('p', {}, h('code', { class: 'secret', id: 'tenant-admin-token' }, created.admin_token)),
        use), true);
      await load();
    } catch (err) {
      show(result, problemBox(err), true);
    }
  });
  await load();
}
