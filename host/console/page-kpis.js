// The tenant's KPIs over a range of days (`GET /v1/tenants/{t}/kpis`): the totals,
// a bar chart per group, the daily backlog as a line, and the same report as CSV.

import { h, add, field, table } from './dom.js';
import { t, number, percent, duration, date } from './i18n.js';
import { api, tenantPath, query } from './api.js';
import { problemBox, heading, show, loading } from './ui.js';
import { barChart, lineChart } from './charts.js';

const GROUPS = ['none', 'channel', 'group', 'agent', 'priority', 'day'];
const TIMES = ['first_response', 'next_reply', 'resolution'];

/** The median of durations: in business hours when the tenant has a business
 * calendar (the report then has them), else in calendar time. */
function median(d) {
  return (d?.business ?? d?.calendar)?.median_ms ?? null;
}

/** The metrics a group chart can show: how to read each from a K object. */
const METRICS = {
  tickets_created: { read: (k) => k.tickets_created, format: (v) => number(v) },
  first_response: { read: (k) => median(k.first_response), format: duration },
  resolution: { read: (k) => median(k.resolution), format: duration },
  sla_attainment: { read: (k) => slaOverall(k), format: percent },
  missed_rate: { read: (k) => k.calls?.missed_rate, format: percent },
  reopen_rate: { read: (k) => k.reopens?.reopen_rate, format: percent },
  plugin_share: { read: (k) => k.actions?.plugin_share, format: percent },
};

/** Attainment over every SLA target: attained / completed. */
function slaOverall(k) {
  const sla = k.sla || [];
  const completed = sla.reduce((n, s) => n + (s.completed || 0), 0);
  const attained = sla.reduce((n, s) => n + (s.attained || 0), 0);
  return completed ? attained / completed : null;
}

function dayInput(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The date `days` after a `YYYY-MM-DD`, as `YYYY-MM-DD`. The API reads a date as
 * its midnight in the tenant's time zone, so the range is the tenant's days. */
function dayAfter(day, days) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function stat(key, value, testid) {
  return h('div', { class: 'stat' }, h('dt', {}, t(key)), h('dd', { testid }, value));
}

function totals(k, inboxZeroDays) {
  return h('dl', { class: 'stats stats-wide', id: 'kpi-totals', testid: 'kpi-totals' },
    stat('kpi.tickets_created', number(k.tickets_created), 'kpi-tickets_created'),
    stat('kpi.first_response_median', duration(median(k.first_response)), 'kpi-first_response'),
    stat('kpi.sla_attainment', percent(slaOverall(k)), 'kpi-sla_attainment'),
    stat('kpi.missed_rate', percent(k.calls?.missed_rate), 'kpi-missed_rate'),
    stat('kpi.reopen_rate', percent(k.reopens?.reopen_rate), 'kpi-reopen_rate'),
    stat('kpi.plugin_share', percent(k.actions?.plugin_share), 'kpi-plugin_share'),
    stat('kpi.merged', number(k.merged), 'kpi-merged'),
    stat('kpi.reassigned', number(k.reassigned), 'kpi-reassigned'),
    stat('kpi.inbox_zero_days', number(inboxZeroDays), 'kpi-inbox_zero_days'));
}

function timesTable(k) {
  return table({
    id: 'kpi-times',
    caption: t('kpi.times_caption'),
    columns: [t('kpi.measure'), t('kpi.count'), t('kpi.calendar_median'), t('kpi.calendar_p90'),
      t('kpi.business_median'), t('kpi.business_p90')],
    rows: TIMES.map((key) => {
      const m = k[key] || {};
      return [t(`kpi.${key}`), number(m.count), duration(m.calendar?.median_ms), duration(m.calendar?.p90_ms),
        duration(m.business?.median_ms), duration(m.business?.p90_ms)];
    }),
  });
}

function countsTable(k) {
  const c = k.calls || {};
  const r = k.reopens || {};
  const a = k.actions || {};
  return table({
    id: 'kpi-counts',
    caption: t('kpi.counts_caption'),
    columns: [t('kpi.measure'), t('kpi.value')],
    rows: [
      [t('kpi.calls'), t('kpi.calls_value', { calls: number(c.calls), missed: number(c.missed), rate: percent(c.missed_rate) })],
      [t('kpi.reopens'), t('kpi.reopens_value', { resolved: number(r.resolved), reopened: number(r.reopened), rate: percent(r.reopen_rate) })],
      [t('kpi.actions'), t('kpi.actions_value', { plugins: number(a.by_plugins), agents: number(a.by_agents), share: percent(a.plugin_share) })],
      [t('kpi.merged'), number(k.merged)],
      [t('kpi.reassigned'), number(k.reassigned)],
    ],
  });
}

function slaTable(k) {
  const sla = k.sla || [];
  if (sla.length === 0) return h('p', { class: 'empty' }, t('kpi.sla_none'));
  return table({
    id: 'kpi-sla',
    caption: t('kpi.sla_caption'),
    columns: [t('kpi.policy'), t('kpi.metric'), t('kpi.completed'), t('kpi.attained'), t('kpi.attainment'), t('kpi.breaches')],
    rows: sla.map((s) => [s.policy, h('code', {}, s.metric), number(s.completed), number(s.attained), percent(s.attainment), number(s.breaches)]),
  });
}

function groupSection(report) {
  const groups = report.groups || [];
  if (!report.group_by || report.group_by === 'none' || groups.length === 0) return null;
  const metric = h('select', { id: 'kpi-chart-metric', class: 'select-short' },
    Object.keys(METRICS).map((key) => h('option', { value: key }, t(`kpi.metric_${key}`))));
  const chartSlot = h('div', { class: 'chart-box' });
  const draw = () => {
    const m = METRICS[metric.value];
    chartSlot.replaceChildren(barChart({
      id: 'kpi-group-chart',
      title: t('kpi.group_chart', { metric: t(`kpi.metric_${metric.value}`), group: t(`kpi.group_${report.group_by}`) }),
      items: groups.map((g) => ({ label: report.group_by === 'day' ? date(g.key) : (g.key || '—'), value: m.read(g.kpis || {}) ?? null })),
      format: m.format,
    }));
  };
  metric.addEventListener('change', draw);
  draw();
  return h('section', { class: 'card', 'aria-labelledby': 'kpi-groups-title' },
    h('h2', { id: 'kpi-groups-title' }, t('kpi.groups_title', { group: t(`kpi.group_${report.group_by}`) })),
    field(t('kpi.chart_metric'), metric),
    chartSlot,
    table({
      id: 'kpi-groups-table',
      columns: [t(`kpi.group_${report.group_by}`), t('kpi.tickets_created'), t('kpi.first_response_median'), t('kpi.sla_attainment')],
      rows: groups.map((g) => [g.key || '—', number(g.kpis?.tickets_created), duration(median(g.kpis?.first_response)), percent(slaOverall(g.kpis || {}))]),
      rowAttrs: (i) => ({ testid: `kpi-group-${groups[i].key}` }),
    }));
}

function backlogSection(report) {
  const days = report.days || [];
  if (days.length === 0) return null;
  return h('section', { class: 'card', 'aria-labelledby': 'kpi-backlog-title' },
    h('h2', { id: 'kpi-backlog-title' }, t('kpi.backlog_title')),
    h('p', { class: 'hint' }, t('kpi.backlog_hint')),
    h('div', { class: 'chart-box' }, lineChart({
      id: 'kpi-backlog-chart',
      title: t('kpi.backlog_title'),
      points: days.map((d) => ({ label: d.date, value: d.backlog, mark: d.inbox_zero })),
      xLabel: (p) => date(p.label),
      format: (v) => number(v),
      integer: true,
    })),
    h('details', {}, h('summary', {}, t('kpi.days_table')), table({
      id: 'kpi-days',
      columns: [t('kpi.day'), t('kpi.backlog'), t('kpi.inbox_zero')],
      rows: days.map((d) => [date(d.date), number(d.backlog), d.inbox_zero ? t('common.yes') : t('common.no')]),
    })));
}

export async function render(root, _params, search) {
  const today = new Date();
  const from = h('input', { id: 'kpi-from', type: 'date', required: true, value: search.get('from') || dayInput(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29)) });
  const until = h('input', { id: 'kpi-until', type: 'date', required: true, value: search.get('until') || dayInput(today) });
  const groupBy = h('select', { id: 'kpi-group-by' },
    GROUPS.map((g) => h('option', { value: g, selected: (search.get('group_by') || 'channel') === g }, t(`kpi.group_${g}`))));
  const form = h('form', { id: 'kpi-form', class: 'card filters' },
    field(t('kpi.from'), from),
    field(t('kpi.until'), until),
    field(t('kpi.group_by'), groupBy),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', id: 'kpi-apply', class: 'button-primary' }, t('kpi.apply'))));
  const slot = h('div', { id: 'kpi-report', 'aria-live': 'polite' }, loading());
  add(root, heading(t('kpi.title')), h('p', { class: 'lead' }, t('kpi.intro')), form, slot);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = `#/kpis${query({ from: from.value, until: until.value, group_by: groupBy.value })}`;
    // The same range again: read it again (the hash does not change).
    if (location.hash === next) reload();
    else location.hash = next;
  });

  const params = { from: from.value, until: dayAfter(until.value, 1), group_by: groupBy.value };
  const path = tenantPath(`/kpis${query(params)}`);
  const csvPath = tenantPath(`/kpis${query({ ...params, format: 'csv' })}`);
  // The API needs the token: the link fetches the CSV with it, then saves it.
  const csv = h('a', { href: csvPath, id: 'kpi-csv', class: 'button-link', download: `kpis-${from.value}-${until.value}.csv` }, t('kpi.csv'));
  const csvStatus = h('span', { id: 'kpi-csv-status', role: 'status' });
  csv.addEventListener('click', async (e) => {
    e.preventDefault();
    try {
      const blob = await api('GET', csvPath, { as: 'blob' });
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: csv.getAttribute('download'), hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      csvStatus.textContent = t('kpi.csv_done');
    } catch (err) {
      csvStatus.replaceChildren(problemBox(err));
    }
  });

  async function reload() {
    show(slot, loading());
    try {
      await load();
    } catch (err) {
      show(slot, problemBox(err, { testid: 'kpi-problem' }));
    }
  }

  async function load() {
    const report = await api('GET', path);
    const k = report.totals || {};
    show(slot, h('div', { testid: 'kpi-loaded' },
      h('p', { class: 'hint', testid: 'kpi-range' }, t('kpi.range', {
        from: date(report.from), until: date(new Date(Date.parse(report.until) - 1).toISOString()), zone: report.time_zone || 'UTC',
      }), ' ', t(report.business_calendar ? 'kpi.clock_business' : 'kpi.clock_calendar')),
      h('div', { class: 'button-row' }, csv, csvStatus),
      h('section', { class: 'card', 'aria-labelledby': 'kpi-totals-title' },
        h('h2', { id: 'kpi-totals-title' }, t('kpi.totals')),
        totals(k, report.inbox_zero_days ?? k.inbox_zero_days), timesTable(k), countsTable(k), slaTable(k)),
      groupSection(report),
      backlogSection(report)));
  }

  await reload();
}
