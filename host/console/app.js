// The console's shell: the hash router, the navigation, the language switch and the
// session. Each page is a module whose `render(root, params)` fills `root`.

import { h, fill } from './dom.js';
import { t, lang, setLang, LANGUAGES, translateStatic } from './i18n.js';
import { session, signOut } from './api.js';
import * as signin from './page-signin.js';
import * as tenants from './page-tenants.js';
import * as plugins from './page-plugins.js';
import * as plugin from './page-plugin.js';
import * as replays from './page-replays.js';
import * as tickets from './page-tickets.js';
import * as ticket from './page-ticket.js';
import * as deadLetters from './page-dead-letters.js';
import * as inbound from './page-inbound.js';
import * as kpis from './page-kpis.js';

// Pages inside a tenant, in the navigation's order.
const NAV = [
  { key: 'plugins', href: '#/plugins' },
  { key: 'replays', href: '#/replays' },
  { key: 'tickets', href: '#/tickets' },
  { key: 'dead_letters', href: '#/dead-letters' },
  { key: 'inbound', href: '#/inbound' },
  { key: 'kpis', href: '#/kpis' },
];

const ROUTES = [
  { path: /^\/signin$/, page: signin, nav: null, open: true },
  { path: /^\/tenants$/, page: tenants, nav: 'tenants', operator: true },
  { path: /^\/plugins$/, page: plugins, nav: 'plugins' },
  { path: /^\/plugins\/([^/]+)$/, page: plugin, nav: 'plugins' },
  { path: /^\/replays$/, page: replays, nav: 'replays' },
  { path: /^\/tickets$/, page: tickets, nav: 'tickets' },
  { path: /^\/tickets\/([^/]+)$/, page: ticket, nav: 'tickets' },
  { path: /^\/dead-letters$/, page: deadLetters, nav: 'dead_letters' },
  { path: /^\/inbound$/, page: inbound, nav: 'inbound' },
  { path: /^\/kpis$/, page: kpis, nav: 'kpis' },
];

function home() {
  const s = session();
  if (!s) return '#/signin';
  return s.scope === 'operator' ? '#/tenants' : '#/plugins';
}

/** The route of the current hash: its page and parameters, after the session's
 * redirections (signed out: the sign-in page; the operator: the tenants). */
function resolve() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
  const [path, search] = raw.split('?');
  const s = session();
  for (const route of ROUTES) {
    const m = path.match(route.path);
    if (!m) continue;
    if (!route.open && !s) return { redirect: '#/signin' };
    if (s && route.operator && s.scope !== 'operator') return { redirect: home() };
    if (s && !route.operator && !route.open && s.scope === 'operator') return { redirect: '#/tenants' };
    return {
      route,
      params: m.slice(1).map(decodeURIComponent),
      search: new URLSearchParams(search || ''),
    };
  }
  return { redirect: home() };
}

function renderNav(active) {
  const s = session();
  const nav = document.getElementById('nav');
  const list = document.getElementById('nav-list');
  const items = !s ? [] : s.scope === 'operator' ? [{ key: 'tenants', href: '#/tenants' }] : NAV;
  nav.hidden = items.length === 0;
  fill(list, items.map((item) => h('li', {},
    h('a', {
      href: item.href,
      id: `nav-${item.key}`,
      'aria-current': item.key === active ? 'page' : null,
    }, t(`nav.${item.key}`)))));
  const info = document.getElementById('session-info');
  info.textContent = !s ? '' : s.scope === 'operator'
    ? t('session.operator')
    : t('session.tenant', { tenant: s.tenant, scope: t(`scope.${s.scope}`) });
  document.getElementById('sign-out').hidden = !s;
}

function renderLanguages() {
  const select = document.getElementById('lang-select');
  fill(select, Object.keys(LANGUAGES).map((code) =>
    h('option', { value: code, selected: code === lang(), lang: code }, LANGUAGES[code]['lang.name'])));
}

let lastHash = null;

/** Shows the page of the current hash. Focus moves to the new page's heading when
 * the hash changed (not on a re-render in place, nor on the first load). */
export async function render({ keepFocus = false } = {}) {
  const target = resolve();
  if (target.redirect) {
    location.replace(target.redirect);
    return;
  }
  const { route, params, search } = target;
  renderNav(route.nav);
  const main = document.getElementById('main');
  const root = h('div', { class: 'page', testid: 'page' });
  fill(main, root);
  const moved = lastHash !== null && lastHash !== location.hash && !keepFocus;
  lastHash = location.hash;
  try {
    await route.page.render(root, params, search);
  } catch (e) {
    root.append(h('p', { class: 'problem', role: 'alert' }, String(e && e.message ? e.message : e)));
  }
  const heading = root.isConnected ? root.querySelector('h1') : null;
  if (heading) {
    // The page's name first in the window's title, for tabs and screen readers.
    document.title = `${heading.textContent} — ${t('app.title')}`;
    if (moved) heading.focus();
  }
}

function start() {
  document.documentElement.lang = lang();
  translateStatic(document);
  renderLanguages();
  document.getElementById('lang-select').addEventListener('change', (e) => {
    setLang(e.target.value);
    translateStatic(document);
    renderLanguages();
    render({ keepFocus: true });
    document.getElementById('lang-select').focus();
  });
  document.getElementById('sign-out').addEventListener('click', () => {
    signOut();
    location.hash = '#/signin';
  });
  // The skip link goes to the content without changing the route.
  document.getElementById('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#/') || location.hash === '') render();
  });
  render();
}

start();
