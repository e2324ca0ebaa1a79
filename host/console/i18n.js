// Every string the console shows comes from one dictionary per language
// (lang-en.js, lang-fr.js). The language is the one chosen with the switch, kept in
// localStorage, or else the browser's (`navigator.language`), or else English.

import en from './lang-en.js';
import fr from './lang-fr.js';

export const LANGUAGES = { en, fr };
const KEY = 'guichet.lang';

function initial() {
  const chosen = localStorage.getItem(KEY);
  if (chosen && LANGUAGES[chosen]) return chosen;
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES[base]) return base;
  }
  return 'en';
}

let current = initial();

export function lang() {
  return current;
}

export function setLang(code) {
  if (!LANGUAGES[code]) return;
  current = code;
  localStorage.setItem(KEY, code);
  document.documentElement.lang = code;
}

/** The string `key` in the current language, with `{name}` replaced from `params`. */
export function t(key, params) {
  const text = LANGUAGES[current][key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** Fills the elements of the static page that carry `data-i18n` (text) or
 * `data-i18n-label` (aria-label). */
export function translateStatic(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  }
  document.title = t('app.title');
}

export function number(n, options) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return new Intl.NumberFormat(current, options).format(n);
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined) return '—';
  return number(ratio, { style: 'percent', maximumFractionDigits: 1 });
}

export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}

export function date(iso) {
  if (!iso) return '—';
  // A calendar date (2026-03-02) stays that date whatever the browser's zone.
  const calendar = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const d = calendar ? new Date(`${iso}T12:00:00Z`) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const options = calendar ? { dateStyle: 'medium', timeZone: 'UTC' } : { dateStyle: 'medium' };
  return new Intl.DateTimeFormat(current, options).format(d);
}

/** A duration in milliseconds, as "2 h 05 min", "12 min 30 s" or "850 ms". */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  const u = (k) => t(`unit.${k}`);
  if (ms < 1000) return `${number(Math.round(ms))} ${u('ms')}`;
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hr = Math.floor(s / 3600);
  s -= hr * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const pad = (n) => String(n).padStart(2, '0');
  if (d > 0) return `${d} ${u('d')} ${pad(hr)} ${u('h')}`;
  if (hr > 0) return `${hr} ${u('h')} ${pad(m)} ${u('min')}`;
  if (m > 0) return `${m} ${u('min')} ${pad(s)} ${u('s')}`;
  return `${s} ${u('s')}`;
}
