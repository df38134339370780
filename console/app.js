import { createApi } from './lib/api.js';
import { readCapabilities } from './lib/capabilities.js';
import { h } from './lib/dom.js';
import { ApiError, problemView } from './lib/problem.js';
import { createSession } from './lib/session.js';
import { views } from './views/index.js';

const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const main = byId('main');
const nav = byId('nav');
const keyStatus = byId('key-status');
const dialog = /** @type {HTMLDialogElement} */ (byId('key-dialog'));
const keyForm = /** @type {HTMLFormElement} */ (byId('key-form'));
const keyInput = /** @type {HTMLInputElement} */ (byId('key-input'));
const keyError = byId('key-error');

const session = createSession(sessionStorage, () => renderKeyStatus());
/** @type {AbortController | undefined} */
let current;
let capabilities = readCapabilities(null);

const api = createApi({
  getKey: () => session.key,
  onUnauthorized(error) {
    session.forget();
    if (dialog.open) keyError.replaceChildren(problemView(error));
    else lockOut(error);
  },
});

/** No data on screen without a (valid) key: the view is stopped and emptied. @param {ApiError | null} error */
function lockOut(error) {
  current?.abort();
  main.replaceChildren(
    h('h1', { tabindex: -1 }, 'An API key is needed'),
    h('p', {}, 'This service runs with API keys. The console shows nothing until you enter one.'),
    h('button', { type: 'button', onclick: () => openKeyDialog(null) }, 'Enter API key'));
  renderKeyStatus();
  openKeyDialog(error);
}

/** @param {ApiError | null} error */
function openKeyDialog(error) {
  keyError.replaceChildren(error ? problemView(error) : '');
  keyInput.value = '';
  if (!dialog.open) dialog.showModal();
  keyInput.focus();
}

keyForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const key = keyInput.value.trim();
  /** @type {{ label: string | null, scopes: string[] } | null} */
  let described = null;
  try {
    // Proves the key and its read scope before it replaces the one in use (a typo must not
    // lose a working key), and learns whether it may manage.
    if (capabilities.has('/auth/key')) described = await api.get('/auth/key', { key });
    else await api.get('/events', { query: { limit: '1' }, key });
  } catch (error) {
    const refused = error instanceof ApiError && (error.status === 401 || error.status === 403);
    const kept = session.key ? '; the console keeps the key it had' : '';
    keyError.replaceChildren(h('p', {}, refused ? `The service refused this key${kept}.` : `This key could not be checked${kept}.`), problemView(error));
    keyInput.select();
    return;
  }
  session.setKey(key);
  if (described) session.setScopes(described);
  dialog.close();
  renderKeyStatus();
  void render();
});
byId('key-cancel').addEventListener('click', () => dialog.close());

function renderKeyStatus() {
  if (!capabilities.authRequired && !session.key) return keyStatus.replaceChildren();
  const admin = session.admin === false ? ' (no admin scope)' : '';
  keyStatus.replaceChildren(
    h('span', { class: 'muted' }, session.key ? `Key ${session.label ?? 'set'}${admin}` : 'No key'),
    h('button', { type: 'button', class: 'link', onclick: () => openKeyDialog(null) }, session.key ? 'Change key' : 'Enter key'));
  if (session.key) keyStatus.append(h('button', { type: 'button', class: 'link', onclick: () => { session.forget(); lockOut(null); } }, 'Forget key'));
}

function renderNav() {
  const path = location.pathname.replace(/\/$/, '');
  nav.replaceChildren(...views.filter((v) => v.nav && (!v.available || v.available(capabilities))).map((v) => {
    const href = /** @type {{ href: string }} */ (v.nav).href;
    const active = href === '/admin' ? path === '/admin' : path === href || path.startsWith(`${href}/`);
    return h('a', { href, 'aria-current': active ? 'page' : false }, /** @type {{ label: string }} */ (v.nav).label);
  }));
}

/**
 * @param {string} href
 * @param {{ replace?: boolean, render?: boolean, focus?: string }} [options]
 */
function navigate(href, options = {}) {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  if (options.render !== false) void render({ focus: options.focus ?? true });
}

/**
 * @param {{ focus?: boolean | string }} [options] after the view is built, focus goes to its
 * heading (true), or to the element of that id: a control that navigates on change keeps it
 */
async function render({ focus = false } = {}) {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  renderNav();
  renderKeyStatus();
  if (capabilities.authRequired && !session.key) return lockOut(null);
  const rest = location.pathname.replace(/^\/admin\/?/, '').replace(/\/$/, '');
  const found = views.map((view) => ({ view, m: view.route.exec(rest) })).find((x) => x.m && (!x.view.available || x.view.available(capabilities)));
  main.replaceChildren();
  if (!found?.m) {
    main.append(h('h1', { tabindex: -1 }, 'No such view'), h('p', {}, h('a', { href: '/admin' }, 'Go to the overview')));
    return;
  }
  document.title = `${found.view.title} · event-service admin`;
  const params = found.m.slice(1).map((s) => decodeURIComponent(s ?? ''));
  const ctx = { api, main, params, query: new URLSearchParams(location.search), signal: controller.signal, navigate, capabilities, session };
  const rendering = found.view.render(ctx);
  if (focus) ((typeof focus === 'string' && document.getElementById(focus)) || main.querySelector('h1'))?.focus();
  try {
    await rendering;
  } catch (error) {
    if (controller.signal.aborted || (error instanceof ApiError && error.status === 401)) return;
    main.append(problemView(error));
  }
}

// Links inside the console change the view without reloading the page.
document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a') : null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || !/^\/admin(\/|$)/.test(url.pathname) || url.pathname.startsWith('/admin/assets/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', () => void render());

async function boot() {
  const document = await fetch('/openapi.json').then((r) => (r.ok ? r.json() : null)).catch(() => null);
  capabilities = readCapabilities(document);
  // Managing actions are disabled up front for a key without admin (a 401 asks for a key).
  if (capabilities.has('/auth/key') && (session.key || !capabilities.authRequired)) {
    const refused = await api.get('/auth/key').then((key) => void session.setScopes(key), (error) => error instanceof ApiError && error.status === 401);
    if (refused) return; // the key was not valid: the console asks for another
  }
  await render();
}

void boot();
