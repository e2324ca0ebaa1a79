// Sign in with a token: a tenant's admin token (with the tenant's id), or the
// operator's (without), which leads to the list of tenants.

import { h, add, field } from './dom.js';
import { t } from './i18n.js';
import { api, ApiError, signIn, signOut, endedBecause } from './api.js';
import { problemBox, heading, show } from './ui.js';

/** Finds out what the token is: the operator's, or a tenant's admin or
 * integration token. Answers the session to keep, or throws. */
async function probe(token, tenant) {
  if (tenant) {
    const base = `/v1/tenants/${encodeURIComponent(tenant)}`;
    try {
      await api('GET', `${base}/plugins`, { token });
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'operator-outside-tenants') {
        return { token, scope: 'operator' };
      }
      throw e;
    }
    // Only an admin token may list the tenant's tokens.
    try {
      await api('GET', `${base}/tokens`, { token });
      return { token, tenant, scope: 'admin' };
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) return { token, tenant, scope: 'integration' };
      throw e;
    }
  }
  try {
    await api('GET', '/v1/tenants', { token });
    return { token, scope: 'operator' };
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      throw Object.assign(new Error(t('signin.need_tenant')), { local: true });
    }
    throw e;
  }
}

export async function render(root, _params, search) {
  const tenantInput = h('input', {
    id: 'signin-tenant', name: 'tenant', autocomplete: 'off', spellcheck: 'false',
    value: search.get('tenant') || '', pattern: '[a-z][a-z0-9-]{0,63}',
  });
  const tokenInput = h('input', {
    id: 'signin-token', name: 'token', type: 'password', autocomplete: 'off', required: true,
    spellcheck: 'false',
  });
  const errorSlot = h('div', { id: 'signin-error', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', id: 'signin-submit', class: 'button-primary' }, t('signin.submit'));
  const form = h('form', { id: 'signin-form', class: 'card narrow', novalidate: true },
    field(t('signin.tenant'), tenantInput, t('signin.tenant_hint')),
    field(t('signin.token'), tokenInput, t('signin.token_hint')),
    errorSlot,
    h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = tokenInput.value.trim();
    const tenant = tenantInput.value.trim();
    if (!token) {
      show(errorSlot, problemBox({ local: true, message: t('signin.token_missing') }));
      tokenInput.focus();
      return;
    }
    submit.disabled = true;
    show(errorSlot, null);
    try {
      const s = await probe(token, tenant);
      signIn(s);
      location.hash = s.scope === 'operator' ? '#/tenants' : '#/plugins';
    } catch (err) {
      signOut();
      show(errorSlot, problemBox(err, { testid: 'signin-problem' }));
      tokenInput.focus();
    } finally {
      submit.disabled = false;
    }
  });
  const ended = endedBecause();
  add(root,
    heading(t('signin.title')),
    ended ? h('p', { class: 'notice notice-info', role: 'status', testid: 'signin-ended' }, t('signin.ended', { why: ended })) : null,
    h('p', { class: 'lead' }, t('signin.intro')),
    search.get('tenant') ? h('p', { class: 'notice notice-info' }, t('signin.for_tenant', { tenant: search.get('tenant') })) : null,
    form);
  (search.get('tenant') ? tokenInput : tenantInput).focus();
}
