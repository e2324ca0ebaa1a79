// The tenant's plugins: the list, the reference plugins to install, and the upload
// of a component (a `.wasm` file) as a new version of a plugin.

import { h, add, field, table, short } from './dom.js';
import { t, number } from './i18n.js';
import { api, tenantPath, query, session } from './api.js';
import { problemBox, heading, show, loading, notice, sourceText } from './ui.js';

function yesNo(value) {
  return value ? t('common.yes') : t('common.no');
}

function pluginRows(plugins) {
  return plugins.map((p) => [
    h('a', { href: `#/plugins/${encodeURIComponent(p.name)}`, testid: `plugin-link-${p.name}` }, p.name),
    p.world ? t(`world.${p.world}`) : h('span', { class: 'error-text' }, t('plugins.not_loadable')),
    p.contract || '—',
    sourceText(p.source),
    p.active_version != null ? String(p.active_version) : '—',
    h('span', { class: p.enabled ? 'badge badge-ok' : 'badge badge-muted' }, yesNo(p.enabled)),
    p.shadow ? t('plugins.shadowing', { n: p.shadow.version }) : '—',
    p.suspended ? h('span', { class: 'badge badge-bad' }, t('plugins.suspended')) : '—',
  ]);
}

export async function render(root) {
  const admin = session().scope === 'admin';
  const listSlot = h('div', { id: 'plugins-list' }, loading());
  const referenceSlot = h('div', { id: 'reference-plugins' }, loading());
  add(root, heading(t('plugins.title')), h('p', { class: 'lead' }, t('plugins.intro')), listSlot);

  async function loadList() {
    try {
      const plugins = await api('GET', tenantPath('/plugins'));
      show(listSlot, plugins.length === 0
        ? h('p', { class: 'empty', testid: 'plugins-empty' }, t('plugins.none'))
        : table({
          id: 'plugins-table',
          caption: t('plugins.caption', { n: plugins.length }),
          columns: [t('plugins.name'), t('plugins.world'), t('plugins.contract'), t('plugins.source'),
            t('plugins.active_version'), t('plugins.enabled'), t('plugins.shadow'), t('plugins.state')],
          rows: pluginRows(plugins),
          rowAttrs: (i) => ({ testid: `plugin-row-${plugins[i].name}` }),
        }));
    } catch (err) {
      show(listSlot, problemBox(err));
    }
  }

  if (admin) add(root, uploadForm(loadList), installForm(referenceSlot, loadList));
  else add(root, h('p', { class: 'notice notice-info' }, t('plugins.read_only')));
  add(root, h('section', { 'aria-labelledby': 'reference-title', class: 'card' },
    h('h2', { id: 'reference-title' }, t('plugins.reference_title')), referenceSlot));
  await Promise.all([loadList(), loadReference(referenceSlot, admin)]);
}

async function loadReference(slot, admin) {
  try {
    const refs = await api('GET', '/v1/reference-plugins');
    const select = document.getElementById('install-reference');
    if (select && admin) {
      select.replaceChildren(...refs.map((r) => h('option', { value: r.name }, r.name)));
      select.dispatchEvent(new Event('change'));
    }
    show(slot, table({
      id: 'reference-table',
      columns: [t('plugins.name'), t('plugins.summary'), t('plugins.size')],
      rows: refs.map((r) => [h('code', {}, r.name), r.summary, h('span', { class: 'nowrap' }, `${number(Math.round(r.size / 1024))} ${t('unit.kib')}`)]),
    }));
  } catch (err) {
    show(slot, problemBox(err));
  }
}

/** Upload a component: `PUT …/plugins/{name}/component[?activate=false&label=]`. */
function uploadForm(reload) {
  const name = h('input', { id: 'upload-name', required: true, autocomplete: 'off', pattern: '[a-z][a-z0-9-]{0,63}' });
  const file = h('input', { id: 'upload-file', type: 'file', accept: '.wasm,application/wasm', required: true });
  const label = h('input', { id: 'upload-label', autocomplete: 'off', maxlength: '100' });
  const activate = h('input', { id: 'upload-activate', type: 'checkbox', checked: true });
  const result = h('div', { id: 'upload-result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'upload-submit', class: 'button-primary' }, t('upload.submit'));
  const form = h('form', { id: 'upload-form', class: 'card' },
    h('h2', {}, t('upload.title')),
    h('p', { class: 'hint' }, t('upload.intro')),
    h('div', { class: 'grid-3' },
      field(t('upload.name'), name, t('upload.name_hint')),
      field(t('upload.file'), file),
      field(t('upload.label'), label, t('upload.label_hint'))),
    h('div', { class: 'check' }, activate, h('label', { for: 'upload-activate' }, t('upload.activate'))),
    h('div', { class: 'form-actions' }, submit),
    result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files && file.files[0];
    if (!name.value.trim() || !chosen) {
      show(result, problemBox({ local: true, message: t('upload.missing') }), true);
      return;
    }
    submit.disabled = true;
    show(result, h('p', { class: 'loading' }, t('upload.sending', { file: chosen.name })));
    try {
      const path = tenantPath(`/plugins/${encodeURIComponent(name.value.trim())}/component`)
        + query({ activate: activate.checked ? '' : 'false', label: label.value.trim() });
      const up = await api('PUT', path, { raw: chosen, contentType: 'application/wasm' });
      const pluginName = name.value.trim();
      show(result, h('div', { class: 'notice notice-ok', role: 'status', tabindex: '-1', testid: 'upload-done' },
        h('p', {}, t(activate.checked ? 'upload.done_active' : 'upload.done_stored', {
          n: up.version.number, plugin: pluginName, world: t(`world.${up.world}`), contract: up.contract,
        })),
        h('p', { class: 'small' }, 'SHA-256 ', h('code', { title: up.sha256 }, short(up.sha256)), ` · ${number(up.size)} ${t('unit.bytes')}`),
        h('p', {}, h('a', { href: `#/plugins/${encodeURIComponent(pluginName)}`, id: 'upload-open' }, t('upload.open', { plugin: pluginName })))), true);
      await reload();
    } catch (err) {
      show(result, problemBox(err, { testid: 'upload-problem' }), true);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** Install a reference plugin under a name: `PUT …/plugins/{name}` with `reference`. */
function installForm(_slot, reload) {
  const reference = h('select', { id: 'install-reference' });
  const name = h('input', { id: 'install-name', required: true, autocomplete: 'off', pattern: '[a-z][a-z0-9-]{0,63}' });
  reference.addEventListener('change', () => {
    if (!name.dataset.touched) name.value = reference.value;
  });
  name.addEventListener('input', () => {
    name.dataset.touched = '1';
  });
  const result = h('div', { id: 'install-result', 'aria-live': 'polite' });
  const form = h('form', { id: 'install-form', class: 'card' },
    h('h2', {}, t('install.title')),
    h('p', { class: 'hint' }, t('install.intro')),
    h('div', { class: 'grid-3' },
      field(t('install.reference'), reference),
      field(t('install.name'), name)),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', id: 'install-submit', class: 'button-primary' }, t('install.submit'))),
    result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const pluginName = name.value.trim();
    try {
      await api('PUT', tenantPath(`/plugins/${encodeURIComponent(pluginName)}`), { body: { reference: reference.value } });
      show(result, notice(t('install.done', { plugin: pluginName })), true);
      result.append(h('p', {}, h('a', { href: `#/plugins/${encodeURIComponent(pluginName)}` }, t('upload.open', { plugin: pluginName }))));
      await reload();
    } catch (err) {
      show(result, problemBox(err), true);
    }
  });
  return form;
}
