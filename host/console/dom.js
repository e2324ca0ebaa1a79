// Building the page: elements from data, never from HTML text, so that nothing the
// API answers (a ticket's subject, a plugin's log) can become markup or script.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (name === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (name === 'testid') {
      el.setAttribute('data-testid', value);
    } else if (name === 'value' && 'value' in el && !(el instanceof SVGElement)) {
      el.value = value;
    } else if (name === 'checked' || name === 'selected' || name === 'disabled') {
      el[name] = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: `h('a', {href: '#/x', class: 'c'}, 'text', otherNode)`. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element, drawn by charts.js. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Appends `children` to `el`, leaving out null, undefined and false. */
export function add(el, ...children) {
  append(el, children);
  return el;
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table: `columns` are header texts, `rows` arrays of cells (nodes or text). */
export function table({ id, testid, caption, columns, rows, rowAttrs }) {
  return h('div', { class: 'table-wrap' },
    h('table', { id, testid },
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((cells, i) =>
        h('tr', rowAttrs ? rowAttrs(i) : {}, cells.map((c) => h('td', {}, c)))))));
}

/** A labelled form field: the label, the control, and an optional hint. */
export function field(label, control, hint) {
  const id = control.id;
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

/** A short form of a SHA-256 for display. */
export function short(sha) {
  return sha ? String(sha).slice(0, 12) : '';
}
