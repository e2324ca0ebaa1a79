// Replays: a version of an automation plugin over the events the tenant received in
// a time range, on a simulated clock; its decisions beside those recorded, and, when
// the service computes them, how the KPIs would have moved.

import { h, add, field, table } from './dom.js';
import { t, number, duration, percent } from './i18n.js';
import { api, tenantPath, session } from './api.js';
import { problemBox, heading, show, loading, diffTable, summary, parseConfig } from './ui.js';

/** A `datetime-local` value (the browser's zone) for a Date. */
export function localInput(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A KPI value in a delta table: durations in ms as durations, ratios as percents. */
function kpiValue(kpi, v) {
  if (v === null || v === undefined) return '—';
  if (/_ms$/.test(kpi)) return (v < 0 ? '−' : '') + duration(Math.abs(v));
  if (/rate|share|attainment/.test(kpi)) return percent(v);
  return number(v, { maximumFractionDigits: 2 });
}

export function kpiDeltas(deltas) {
  const changes = (deltas && deltas.changes) || [];
  if (changes.length === 0) return h('p', { class: 'empty', testid: 'kpi-deltas-empty' }, t('replay.kpi_none'));
  return table({
    id: 'replay-kpi-deltas',
    testid: 'replay-kpi-deltas',
    caption: t('replay.kpi_caption'),
    columns: [t('replay.kpi'), t('replay.before'), t('replay.after'), t('replay.delta')],
    rows: changes.map((c) => [
      h('code', {}, c.kpi),
      kpiValue(c.kpi, c.before),
      kpiValue(c.kpi, c.after),
      h('span', { class: c.delta > 0 ? 'delta-up' : c.delta < 0 ? 'delta-down' : null },
        c.delta === null || c.delta === undefined ? '—' : (c.delta > 0 ? '+' : '') + kpiValue(c.kpi, c.delta)),
    ]),
  });
}

export async function render(root) {
  const admin = session().scope === 'admin';
  add(root, heading(t('replay.title')), h('p', { class: 'lead' }, t('replay.intro')));
  if (!admin) {
    add(root, h('p', { class: 'notice notice-info' }, t('replay.admin_only')));
    return;
  }
  const pluginSelect = h('select', { id: 'replay-plugin', required: true });
  const versionSelect = h('select', { id: 'replay-version' });
  const component = h('input', { id: 'replay-component', autocomplete: 'off', spellcheck: 'false', pattern: '[0-9a-f]{64}' });
  const now = new Date();
  const from = h('input', { id: 'replay-from', type: 'datetime-local', required: true, value: localInput(new Date(now.getTime() - 24 * 3600 * 1000)) });
  const until = h('input', { id: 'replay-until', type: 'datetime-local', required: true, value: localInput(new Date(now.getTime() + 60 * 1000)) });
  const config = h('textarea', { id: 'replay-config', rows: '6', class: 'code-editor', spellcheck: 'false' });
  const submit = h('button', { type: 'submit', id: 'replay-submit', class: 'button-primary' }, t('replay.submit'));
  const result = h('div', { id: 'replay-result', 'aria-live': 'polite' });
  const form = h('form', { id: 'replay-form', class: 'card' },
    h('div', { class: 'grid-3' },
      field(t('replay.plugin'), pluginSelect),
      field(t('replay.version'), versionSelect),
      field(t('replay.component'), component, t('replay.component_hint'))),
    h('div', { class: 'grid-2' },
      field(t('replay.from'), from),
      field(t('replay.until'), until, t('replay.range_hint'))),
    field(t('replay.config'), config, t('replay.config_hint')),
    h('div', { class: 'form-actions' }, submit));
  add(root, form, result);

  let plugins = [];
  async function loadVersions() {
    versionSelect.replaceChildren(h('option', { value: '' }, t('replay.active_version')));
    if (!pluginSelect.value) return;
    try {
      const versions = await api('GET', tenantPath(`/plugins/${encodeURIComponent(pluginSelect.value)}/versions`));
      const active = plugins.find((p) => p.name === pluginSelect.value)?.active_version;
      for (const v of [...versions].reverse()) {
        versionSelect.append(h('option', { value: String(v.number) },
          t('replay.version_option', { n: v.number, label: v.label || '' }) + (v.number === active ? ` (${t('versions.active')})` : '')));
      }
    } catch (err) {
      show(result, problemBox(err));
    }
  }
  pluginSelect.addEventListener('change', loadVersions);

  try {
    plugins = (await api('GET', tenantPath('/plugins'))).filter((p) => p.world === 'automation');
    if (plugins.length === 0) {
      show(result, h('p', { class: 'empty' }, t('replay.no_plugins')));
      submit.disabled = true;
    }
    pluginSelect.replaceChildren(...plugins.map((p) => h('option', { value: p.name }, p.name)));
    await loadVersions();
  } catch (err) {
    show(result, problemBox(err));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      plugin: pluginSelect.value,
      from: new Date(from.value).toISOString(),
      until: new Date(until.value).toISOString(),
    };
    if (versionSelect.value) body.version = Number(versionSelect.value);
    if (component.value.trim()) body.component = component.value.trim();
    try {
      if (config.value.trim()) body.config = parseConfig(config.value);
    } catch (err) {
      show(result, problemBox(err), true);
      return;
    }
    submit.disabled = true;
    show(result, loading());
    try {
      const report = await api('POST', tenantPath('/replays'), { body });
      show(result, renderReport(report));
      result.querySelector('h2').focus();
    } catch (err) {
      show(result, problemBox(err, { testid: 'replay-problem' }));
      result.firstChild.setAttribute('tabindex', '-1');
      result.firstChild.focus();
    } finally {
      submit.disabled = false;
    }
  });
}

function renderReport(r) {
  const fact = (key, value) => h('div', { class: 'stat' }, h('dt', {}, t(key)), h('dd', {}, value));
  return h('section', { class: 'card', testid: 'replay-report', 'aria-labelledby': 'replay-report-title' },
    h('h2', { id: 'replay-report-title', tabindex: '-1' }, t('replay.report', {
      plugin: r.plugin,
      candidate: r.candidate.number != null ? t('diff.version', { n: r.candidate.number }) : r.candidate.sha256.slice(0, 12),
      active: r.active.number != null ? t('diff.version', { n: r.active.number }) : r.active.sha256.slice(0, 12),
    })),
    h('dl', { class: 'stats' },
      fact('replay.events_replayed', number(r.events_replayed)),
      fact('replay.timers_fired', number(r.timers_fired)),
      fact('replay.tickets_compared', number(r.tickets_compared))),
    summary(r.summary, 'replay-summary'),
    'kpi_deltas' in r ? h('div', {}, h('h3', {}, t('replay.kpi_title')), kpiDeltas(r.kpi_deltas)) : null,
    h('h3', {}, t('replay.diffs')),
    diffTable(r.diffs, { id: 'replay-diffs', testid: 'replay-diffs' }),
    r.other_plugins && r.other_plugins.length
      ? h('div', {}, h('h3', {}, t('replay.other_plugins')), diffTable(r.other_plugins, { id: 'replay-other', testid: 'replay-other' }))
      : null);
}
