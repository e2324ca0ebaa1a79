// One plugin: its settings and configuration (with the problems a plugin finds in
// it shown beside the editor), its versions (activate, roll back, shadow), a new
// version, and the shadow run's diff against the active version.

import { h, add, field, short } from './dom.js';
import { t, dateTime } from './i18n.js';
import { api, tenantPath, query, session } from './api.js';
import {
  problemBox, problemList, heading, show, loading, notice, sourceText, diffTable, summary,
  prettyConfig, parseConfig,
} from './ui.js';

const SHADOW_PAGE = 50;

/** A JSON editor with its problems beside it: `editor.showProblems(err)` puts the
 * problem (and each JSON Pointer) next to the text, `editor.clear()` removes it. */
function configEditor(id, labelText, hintText) {
  const textarea = h('textarea', {
    id, rows: '14', spellcheck: 'false', autocomplete: 'off', class: 'code-editor',
  });
  const problems = h('div', { id: `${id}-problems`, class: 'editor-problems', 'aria-live': 'polite' });
  textarea.setAttribute('aria-describedby', `${id}-hint ${id}-problems`);
  const box = h('div', { class: 'editor-grid' },
    h('div', { class: 'field' },
      h('label', { for: id }, labelText),
      h('p', { class: 'hint', id: `${id}-hint` }, hintText),
      textarea),
    h('aside', { class: 'editor-aside', 'aria-label': t('config.problems_label') }, problems));
  return {
    box,
    textarea,
    showProblems(err) {
      textarea.setAttribute('aria-invalid', 'true');
      const kids = [problemBox({ ...err, problems: [] }, { testid: `${id}-problem` })];
      if (err.problems && err.problems.length) {
        kids.push(h('p', { class: 'small' }, t('config.problems_intro')), problemList(err.problems, `${id}-problem-list`));
      }
      problems.replaceChildren(...kids);
    },
    clear() {
      textarea.removeAttribute('aria-invalid');
      problems.replaceChildren();
    },
  };
}

function versionState(v, plugin) {
  const bits = [];
  if (v.number === plugin.active_version) bits.push(h('span', { class: 'badge badge-ok', testid: `version-active-${v.number}` }, t('versions.active')));
  if (plugin.shadow && plugin.shadow.version === v.number) bits.push(h('span', { class: 'badge badge-warn' }, t('versions.in_shadow')));
  return bits.length ? bits : '—';
}

export async function render(root, [name]) {
  const admin = session().scope === 'admin';
  const base = tenantPath(`/plugins/${encodeURIComponent(name)}`);
  const noticeSlot = h('div', { id: 'plugin-notice', 'aria-live': 'polite' });
  const overview = h('div', { id: 'plugin-overview' }, loading());
  const versionsSlot = h('div', { id: 'versions' }, loading());
  const shadowSlot = h('div', { id: 'shadow' }, loading());

  const settings = configEditor('config-editor', t('settings.config'), t('settings.config_hint'));
  const enabled = h('input', { id: 'settings-enabled', type: 'checkbox' });
  const subscriptions = h('input', { id: 'settings-subscriptions', autocomplete: 'off' });
  const order = h('input', { id: 'settings-order', type: 'number', step: '1' });
  const label = h('input', { id: 'settings-label', autocomplete: 'off', maxlength: '100' });
  const settingsForm = h('form', { id: 'settings-form', class: 'card' },
    h('h2', {}, t('settings.title')),
    h('div', { class: 'check' }, enabled, h('label', { for: 'settings-enabled' }, t('settings.enabled'))),
    h('div', { class: 'grid-3' },
      field(t('settings.subscriptions'), subscriptions, t('settings.subscriptions_hint')),
      field(t('settings.order'), order),
      field(t('settings.label'), label, t('settings.label_hint'))),
    settings.box,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', id: 'settings-save', class: 'button-primary' }, t('settings.save'))));

  const fresh = configEditor('new-version-config', t('new_version.config'), t('new_version.config_hint'));
  const freshLabel = h('input', { id: 'new-version-label', autocomplete: 'off', maxlength: '100' });
  const freshComponent = h('input', { id: 'new-version-component', autocomplete: 'off', spellcheck: 'false', pattern: '[0-9a-f]{64}' });
  const newVersionForm = h('form', { id: 'new-version-form', class: 'card' },
    h('h2', {}, t('new_version.title')),
    h('p', { class: 'hint' }, t('new_version.intro')),
    h('div', { class: 'grid-2' },
      field(t('new_version.label'), freshLabel),
      field(t('new_version.component'), freshComponent, t('new_version.component_hint'))),
    fresh.box,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', id: 'new-version-submit', class: 'button-primary' }, t('new_version.submit'))));

  add(root,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/plugins' }, t('nav.plugins')), ' / ', name),
    heading(t('plugin.title', { name })),
    noticeSlot,
    overview,
    h('section', { class: 'card', 'aria-labelledby': 'versions-title' },
      h('h2', { id: 'versions-title' }, t('versions.title')), versionsSlot),
    h('section', { class: 'card', 'aria-labelledby': 'shadow-title', id: 'shadow-section' },
      h('h2', { id: 'shadow-title' }, t('shadow.title')), shadowSlot),
    admin ? settingsForm : null,
    admin ? newVersionForm : null);

  let plugin = null;

  function say(text, kind) {
    show(noticeSlot, notice(text, { kind, testid: 'plugin-notice-text' }), true);
  }
  function fail(err) {
    show(noticeSlot, problemBox(err), true);
    noticeSlot.firstChild.setAttribute('tabindex', '-1');
    noticeSlot.firstChild.focus();
  }

  /** Runs an action, then reloads the page's data and says what happened. */
  async function act(run, done) {
    try {
      const answer = await run();
      await load();
      say(done(answer));
    } catch (err) {
      fail(err);
    }
  }

  function renderOverview() {
    const item = (key, value, testid) => [h('dt', {}, t(key)), h('dd', { testid }, value)];
    const origin = location.origin;
    show(overview, h('dl', { class: 'overview', testid: 'plugin-overview' },
      item('plugins.world', plugin.world ? t(`world.${plugin.world}`) : t('plugins.not_loadable')),
      item('plugins.contract', plugin.contract || '—'),
      item('plugins.source', sourceText(plugin.source)),
      item('plugins.active_version', plugin.active_version != null ? String(plugin.active_version) : '—', 'plugin-active-version'),
      item('plugins.enabled', plugin.enabled ? t('common.yes') : t('common.no'), 'plugin-enabled'),
      item('settings.subscriptions', plugin.subscriptions.length ? plugin.subscriptions.join(', ') : t('settings.all_events')),
      item('common.updated', dateTime(plugin.updated_at)),
      plugin.inbound_path ? item('inbound.url', h('code', { class: 'wrap' }, origin + plugin.inbound_path)) : null,
      plugin.suspended ? item('plugins.state', h('div', {},
        h('p', { class: 'error-text' }, t('plugin.suspended', { at: dateTime(plugin.suspended.at), reason: plugin.suspended.reason })),
        admin ? resumeButton() : null)) : null));
  }

  function resumeButton() {
    const b = h('button', { type: 'button', id: 'plugin-resume' }, t('plugin.resume'));
    b.addEventListener('click', () => act(() => api('POST', `${base}/resume`), () => t('plugin.resumed')));
    return b;
  }

  function fillSettings() {
    enabled.checked = plugin.enabled;
    subscriptions.value = plugin.subscriptions.join(', ');
    order.value = String(plugin.order);
    if (!settings.textarea.dataset.dirty) settings.textarea.value = prettyConfig(plugin.config);
    if (!fresh.textarea.dataset.dirty) fresh.textarea.value = prettyConfig(plugin.config);
  }

  function versionButtons(v) {
    if (!admin) return '';
    const buttons = [];
    if (v.number !== plugin.active_version) {
      const newer = v.number > (plugin.active_version || 0);
      const b = h('button', {
        type: 'button', id: `${newer ? 'activate' : 'rollback'}-${v.number}`, class: newer ? 'button-primary' : null,
      }, t(newer ? 'versions.activate' : 'versions.rollback', { n: v.number }));
      b.addEventListener('click', () => act(
        () => api('POST', `${base}/versions/${v.number}/activate`),
        (p) => t(newer ? 'versions.activated' : 'versions.rolled_back', { n: p.active_version }),
      ));
      buttons.push(b);
      if (!(plugin.shadow && plugin.shadow.version === v.number)) {
        const s = h('button', { type: 'button', id: `shadow-${v.number}` }, t('versions.shadow', { n: v.number }));
        s.addEventListener('click', () => act(
          () => api('PUT', `${base}/shadow`, { body: { version: v.number } }),
          () => t('shadow.started', { n: v.number }),
        ));
        buttons.push(s);
      }
    }
    return h('div', { class: 'button-row' }, buttons);
  }

  function renderVersions(versions) {
    if (versions.length === 0) {
      show(versionsSlot, h('p', { class: 'empty' }, t('versions.none')));
      return;
    }
    const rows = [...versions].reverse();
    show(versionsSlot, h('div', { class: 'table-wrap' }, h('table', { id: 'versions-table' },
      h('caption', {}, t('versions.caption', { n: versions.length })),
      h('thead', {}, h('tr', {}, [t('versions.number'), t('versions.label'), t('plugins.source'),
        t('versions.config'), t('versions.by'), t('common.created'), t('plugins.state'), ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((v) => h('tr', { testid: `version-row-${v.number}`, class: v.number === plugin.active_version ? 'row-active' : null },
        h('td', {}, String(v.number)),
        h('td', {}, v.label || '—'),
        h('td', {}, sourceText(v.source), v.source.type === 'reference' ? h('div', { class: 'small' }, h('code', { title: v.sha256 }, short(v.sha256))) : null),
        h('td', {}, v.config ? h('details', {}, h('summary', {}, t('versions.show_config')), h('pre', { class: 'code' }, prettyConfig(v.config))) : '—'),
        h('td', {}, v.created_by),
        h('td', {}, dateTime(v.created_at)),
        h('td', {}, versionState(v, plugin)),
        h('td', {}, versionButtons(v))))))));
  }

  let shadowDiffs = [];
  async function renderShadow(after = 0) {
    if (!plugin.shadow) {
      show(shadowSlot, h('p', { class: 'empty', testid: 'shadow-none' }, t('shadow.none')));
      return;
    }
    const report = await api('GET', `${base}/shadow${query({ after: after || '', limit: SHADOW_PAGE })}`);
    shadowDiffs = after ? shadowDiffs.concat(report.diffs) : report.diffs;
    const refresh = h('button', { type: 'button', id: 'shadow-refresh' }, t('shadow.refresh'));
    refresh.addEventListener('click', async () => {
      try {
        await renderShadow();
        say(t('shadow.refreshed'));
      } catch (err) {
        fail(err);
      }
    });
    const stop = admin ? h('button', { type: 'button', id: 'shadow-stop', class: 'button-danger' }, t('shadow.stop')) : null;
    if (stop) {
      stop.addEventListener('click', () => act(() => api('DELETE', `${base}/shadow`), () => t('shadow.stopped')));
    }
    const more = report.next_after != null
      ? h('button', { type: 'button', id: 'shadow-more' }, t('shadow.more')) : null;
    if (more) more.addEventListener('click', () => renderShadow(report.next_after).catch(fail));
    const shadow = report.shadow || plugin.shadow;
    show(shadowSlot, h('div', { testid: 'shadow-report' },
      h('p', { testid: 'shadow-status' }, t('shadow.running', {
        n: shadow.version, active: report.active_version, since: dateTime(shadow.since),
      })),
      summary(report.summary, 'shadow-summary'),
      h('div', { class: 'button-row' }, refresh, stop),
      h('h3', {}, t('shadow.diffs')),
      diffTable(shadowDiffs, { id: 'shadow-diffs', testid: 'shadow-diffs' }),
      more));
  }

  async function load() {
    const [p, versions] = await Promise.all([
      api('GET', base),
      api('GET', `${base}/versions`),
    ]);
    plugin = p;
    renderOverview();
    fillSettings();
    renderVersions(versions);
    await renderShadow();
  }

  for (const editor of [settings, fresh]) {
    editor.textarea.addEventListener('input', () => {
      editor.textarea.dataset.dirty = '1';
    });
  }

  settingsForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    settings.clear();
    let config;
    try {
      config = parseConfig(settings.textarea.value);
    } catch (err) {
      settings.showProblems(err);
      settings.textarea.focus();
      return;
    }
    const body = {
      enabled: enabled.checked,
      subscriptions: subscriptions.value.split(',').map((x) => x.trim()).filter(Boolean),
    };
    if (order.value.trim() !== '') body.order = Number(order.value);
    let current = {};
    try {
      current = JSON.parse(plugin.config || '{}');
    } catch {
      // An unreadable stored configuration: send the new one.
    }
    if (JSON.stringify(current) !== JSON.stringify(config)) body.config = config;
    if (label.value.trim()) body.label = label.value.trim();
    try {
      const p = await api('PUT', base, { body });
      delete settings.textarea.dataset.dirty;
      label.value = '';
      await load();
      say(body.config ? t('settings.saved_version', { n: p.active_version }) : t('settings.saved'));
    } catch (err) {
      if (err.kind === 'invalid-config' || (err.problems && err.problems.length)) {
        settings.showProblems(err);
        settings.textarea.focus();
      } else {
        fail(err);
      }
    }
  });

  newVersionForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    fresh.clear();
    let config;
    try {
      config = parseConfig(fresh.textarea.value);
    } catch (err) {
      fresh.showProblems(err);
      fresh.textarea.focus();
      return;
    }
    const body = { config };
    if (freshLabel.value.trim()) body.label = freshLabel.value.trim();
    if (freshComponent.value.trim()) body.component = freshComponent.value.trim();
    try {
      const v = await api('POST', `${base}/versions`, { body });
      delete fresh.textarea.dataset.dirty;
      freshLabel.value = '';
      freshComponent.value = '';
      await load();
      say(t('new_version.done', { n: v.number }));
    } catch (err) {
      if (err.kind === 'invalid-config' || (err.problems && err.problems.length)) {
        fresh.showProblems(err);
        fresh.textarea.focus();
      } else {
        fail(err);
      }
    }
  });

  try {
    await load();
  } catch (err) {
    show(overview, problemBox(err));
    show(versionsSlot, '');
    show(shadowSlot, '');
  }
}
