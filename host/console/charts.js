// Charts drawn as inline SVG, from data: a horizontal bar chart (one bar per group)
// and a line (a value per day). Each chart is an image with a title and a
// description for screen readers; the pages also give the numbers as a table.

import { s } from './dom.js';

const WIDTH = 640;

/** A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten. */
function niceMax(max) {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (max <= step * power) return step * power;
  }
  return 10 * power;
}

/**
 * Horizontal bars: `items` are `{label, value}` (a null value draws no bar and
 * says so), `format` writes a value.
 */
export function barChart({ id, title, description, items, format = String }) {
  const labelWidth = 170;
  const valueWidth = 90;
  const row = 30;
  const top = 8;
  const height = top * 2 + Math.max(items.length, 1) * row;
  const max = niceMax(Math.max(0, ...items.map((i) => i.value ?? 0)));
  const scale = (WIDTH - labelWidth - valueWidth) / max;
  return s('svg', {
    id, class: 'chart chart-bars', viewBox: `0 0 ${WIDTH} ${height}`, role: 'img',
    'aria-labelledby': `${id}-title ${id}-desc`, preserveAspectRatio: 'xMinYMin meet',
  },
  s('title', { id: `${id}-title` }, title),
  s('desc', { id: `${id}-desc` }, description || items.map((i) => `${i.label}: ${i.value == null ? '—' : format(i.value)}`).join('; ')),
  items.map((item, n) => {
    const y = top + n * row;
    const w = item.value == null ? 0 : Math.max(item.value * scale, item.value > 0 ? 2 : 0);
    return s('g', { class: 'chart-row', 'data-testid': 'chart-bar', 'data-label': item.label, 'data-value': item.value ?? '' },
      s('text', { x: labelWidth - 8, y: y + row / 2, class: 'chart-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' },
        item.label.length > 24 ? `${item.label.slice(0, 23)}…` : item.label),
      s('rect', { x: labelWidth, y: y + 5, width: w, height: row - 10, rx: 3, class: 'chart-bar' },
        s('title', {}, `${item.label}: ${item.value == null ? '—' : format(item.value)}`)),
      s('text', { x: labelWidth + w + 6, y: y + row / 2, class: 'chart-value', 'dominant-baseline': 'middle' },
        item.value == null ? '—' : format(item.value)));
  }));
}

/**
 * A line over days: `points` are `{label, value, mark}` in order; `mark` draws the
 * point hollow (e.g. an inbox-zero day). The y axis starts at 0; with `integer`,
 * its ticks are whole numbers.
 */
export function lineChart({ id, title, description, points, format = String, xLabel = (p) => p.label, integer = false }) {
  const height = 260;
  const left = 48;
  const right = 16;
  const top = 16;
  const bottom = 40;
  const innerW = WIDTH - left - right;
  const innerH = height - top - bottom;
  // Counts get whole ticks: an axis up to 4 at least, in quarters.
  const top0 = niceMax(Math.max(0, ...points.map((p) => p.value ?? 0)));
  const max = integer ? Math.max(4, Math.ceil(top0 / 4) * 4) : top0;
  const x = (i) => left + (points.length <= 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
  const y = (v) => top + innerH - (v / max) * innerH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const labelled = new Set([0, Math.floor((points.length - 1) / 2), points.length - 1]);
  const drawn = points.map((p, i) => ({ ...p, i })).filter((p) => p.value != null);
  return s('svg', {
    id, class: 'chart chart-line', viewBox: `0 0 ${WIDTH} ${height}`, role: 'img',
    'aria-labelledby': `${id}-title ${id}-desc`, preserveAspectRatio: 'xMinYMin meet',
  },
  s('title', { id: `${id}-title` }, title),
  s('desc', { id: `${id}-desc` }, description || points.map((p) => `${xLabel(p)}: ${p.value == null ? '—' : format(p.value)}`).join('; ')),
  ticks.map((v) => s('g', { class: 'chart-grid' },
    s('line', { x1: left, x2: WIDTH - right, y1: y(v), y2: y(v) }),
    s('text', { x: left - 6, y: y(v), 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'chart-axis' },
      format(Math.round(v * 100) / 100)))),
  points.map((p, i) => (labelled.has(i)
    ? s('text', { x: x(i), y: height - bottom + 20, 'text-anchor': i === 0 ? 'start' : i === points.length - 1 ? 'end' : 'middle', class: 'chart-axis' }, xLabel(p))
    : null)),
  drawn.length > 1
    ? s('polyline', { class: 'chart-path', points: drawn.map((p) => `${x(p.i)},${y(p.value)}`).join(' ') })
    : null,
  drawn.map((p) => s('circle', {
    cx: x(p.i), cy: y(p.value), r: 4, class: p.mark ? 'chart-dot chart-dot-mark' : 'chart-dot',
    'data-testid': 'chart-point', 'data-value': p.value,
  }, s('title', {}, `${xLabel(p)}: ${format(p.value)}`))));
}
