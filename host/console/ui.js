// Pieces the pages share: problems shown as the API tells them, actions, and the
// side-by-side diff of two versions' decisions (shadow runs and replays).

import { h, short } from './dom.js';
import { t, dateTime } from './i18n.js';

/** An error as the page shows it: the problem's title and detail, and each
 * configuration problem with its JSON Pointer. `role=alert` so it is read out. */
export function problemBox(err, { id, testid } = {}) {
  const status = err && err.status;
  let title;
  let detail;
  if (err && err.local) {
    title = t('error.input');
    detail = err.message;
  } else if (!err || status === undefined) {
    title = t('error.unexpected');
    detail = String((err && err.message) || err);
  } else if (status === 0) {
    title = t('error.network');
    detail = err.detail;
  } else {
    title = `${status} ${err.title || ''}`.trim();
    detail = err.detail;
  }
  return h('div', { class: 'problem', role: 'alert', id, testid: testid || 'problem' },
    h('p', { class: 'problem-title' }, title),
    detail ? h('p', { class: 'problem-detail' }, detail) : null,
    err && err.problems && err.problems.length ? problemList(err.problems) : null);
}

/** The problems of an `invalid-config` answer: where (JSON Pointer) and what. */
export function problemList(problems, id) {
  return h('ul', { class: 'config-problems', id, testid: 'config-problems' },
    problems.map((p) => h('li', { testid: 'config-problem' },
      h('code', { class: 'pointer' }, p.path || t('config.root')), ' ', h('span', {}, p.message))));
}

/** A message after an action; focused, so that keyboard users land on it. */
export function notice(text, { testid = 'notice', kind = 'ok' } = {}) {
  return h('p', { class: `notice notice-${kind}`, role: 'status', tabindex: '-1', testid }, text);
}

export function loading() {
  return h('p', { class: 'loading', 'aria-busy': 'true' }, t('common.loading'));
}

/** Puts `child` in place of whatever `slot` holds, and focuses it when asked. */
export function show(slot, child, focus) {
  slot.replaceChildren(child || '');
  if (focus && child && child.focus) child.focus();
}

function valueText(v) {
  if (v === null || v === undefined) return '∅';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** One action: its type, then its fields (`assign group=p2p/L1`). */
export function action(a, testid = 'action') {
  const { type, ...rest } = a || {};
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => h('span', { class: 'action-field' }, `${k}=${valueText(v)}`));
  return h('span', { class: 'action', testid }, h('code', { class: 'action-type' }, type), ' ', fields);
}

/** A list of actions, or a dash when there are none. */
export function actionList(actions, { testid = 'action', others } = {}) {
  if (!actions || actions.length === 0) return h('span', { class: 'muted' }, t('actions.none'));
  const otherTexts = others ? new Set(others.map((o) => JSON.stringify(o))) : null;
  return h('ul', { class: 'actions' }, actions.map((a) => h('li', {
    class: otherTexts && !otherTexts.has(JSON.stringify(a)) ? 'only' : null,
  }, action(a, testid))));
}

/** What one side of a diff decided: its version, its actions or its error. */
function decided(side, other, which) {
  if (!side) return h('span', { class: 'muted' }, t('diff.did_not_run'));
  return h('div', { class: 'decided', testid: `diff-${which}` },
    h('p', { class: 'decided-version' },
      side.version != null ? t('diff.version', { n: side.version }) : '',
      side.sha256 ? h('code', { class: 'sha', title: side.sha256 }, ` ${short(side.sha256)}`) : null),
    side.error
      ? h('p', { class: 'error-text' }, t('diff.error', { error: side.error }))
      : actionList(side.actions, { testid: `${which}-action`, others: other ? other.actions : [] }));
}

const VERDICT_CLASS = { agree: 'ok', differ: 'warn', candidate_failed: 'bad' };

export function verdict(v) {
  return h('span', { class: `badge badge-${VERDICT_CLASS[v] || 'muted'}`, testid: 'verdict' },
    t(`verdict.${v}`));
}

/** Diffs side by side: the event, then what the active version and the candidate
 * decided, the actions only one of them took marked. */
export function diffTable(diffs, { id, testid, ticketLink = true } = {}) {
  if (!diffs || diffs.length === 0) {
    return h('p', { class: 'empty', id, testid: `${testid || 'diffs'}-empty` }, t('diff.none'));
  }
  return h('div', { class: 'table-wrap' },
    h('table', { id, testid: testid || 'diffs', class: 'diff-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('diff.event')),
        h('th', { scope: 'col' }, t('diff.verdict')),
        h('th', { scope: 'col' }, t('diff.active')),
        h('th', { scope: 'col' }, t('diff.candidate')))),
      h('tbody', {}, diffs.map((d) => h('tr', {
        testid: 'diff-row', 'data-verdict': d.verdict, class: `verdict-${d.verdict}`,
      },
      h('td', {},
        h('div', {}, h('code', {}, d.event_kind)),
        h('div', { class: 'small' }, d.event_id),
        d.ticket_id
          ? h('div', { class: 'small' }, t('diff.ticket'), ' ',
            ticketLink ? h('a', { href: `#/tickets/${encodeURIComponent(d.ticket_id)}` }, d.ticket_id) : d.ticket_id)
          : null,
        h('div', { class: 'small muted' }, dateTime(d.at))),
      h('td', {}, verdict(d.verdict)),
      h('td', {}, decided(d.active, d.candidate, 'active')),
      h('td', {}, decided(d.candidate, d.active, 'candidate')))))));
}

/** The counts of a run by verdict. */
export function summary(sum, testid = 'summary') {
  const item = (key, value) => h('div', { class: 'stat', testid: `${testid}-${key}` },
    h('dt', {}, t(`summary.${key}`)), h('dd', {}, String(value ?? 0)));
  return h('dl', { class: 'stats', testid },
    item('events', sum.events), item('agree', sum.agree), item('differ', sum.differ),
    item('candidate_failed', sum.candidate_failed));
}

/** Pretty JSON of a configuration kept as text. */
export function prettyConfig(text) {
  if (!text) return '{}';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Parses a JSON object typed in an editor; throws an error fit for problemBox. */
export function parseConfig(text) {
  let value;
  try {
    value = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch (e) {
    throw { local: true, message: t('config.not_json', { error: e.message }) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw { local: true, message: t('config.not_object') };
  }
  return value;
}

/** A source as text: `reference triage` or `uploaded 1a2b3c…`. */
export function sourceText(source) {
  if (!source) return '—';
  if (source.type === 'reference') return t('source.reference', { name: source.name });
  return t('source.uploaded', { sha: short(source.sha256) });
}

/** A page's heading, focusable so that navigation can move focus to it. */
export function heading(text, testid = 'page-title') {
  return h('h1', { tabindex: '-1', id: 'page-title', testid }, text);
}
