import { whileBusy } from './busy.js';
import { h } from './dom.js';
import { markInvalid } from './filters.js';
import { problemView } from './problem.js';
import { learnScope } from './replay-admin.js';

/**
 * The event browser's saved queries (named filters kept by the service, GET/PUT/DELETE
 * /saved-queries): each a link that applies it; saving and deleting need an admin key.
 * @param {{ api: import('./api.js').Api, session: import('./session.js').Session, signal: AbortSignal }} ctx
 * @param {HTMLFormElement} filters the browser's filter form: a filter the service refuses is marked there
 * @param {() => URLSearchParams} current what that form shows now, applied or not (without the page cursor)
 */
export function savedQueries({ api, session, signal }, filters, current) {
  const list = h('ul', { class: 'saved-list', 'aria-label': 'Saved queries' });
  const problem = h('div');
  const name = h('input', { id: 'f-saved-name', name: 'name', placeholder: 'failed-tasks', pattern: '[a-z0-9][a-z0-9_\\-]{0,63}', title: 'lower-case letters, digits, _ and -', required: true, autocomplete: 'off', spellcheck: 'false' });
  const save = h('button', { type: 'submit', class: 'secondary' }, 'Save');
  const fieldset = h('fieldset', { class: 'inline-fields', disabled: session.admin === false },
    h('label', { for: 'f-saved-name' }, 'Save these filters as'), name, save);
  const form = h('form', { class: 'inline', 'aria-label': 'Save these filters' }, fieldset);
  const section = h('section', { class: 'panel', id: 'saved-queries', 'aria-labelledby': 'saved-title' }, h('h2', { id: 'saved-title' }, 'Saved queries'), list, form, problem);

  async function load() {
    const { saved_queries: saved } = await api.get('/saved-queries', { signal });
    list.replaceChildren(...(saved.length === 0 ? [h('li', { class: 'empty' }, 'None yet.')] : saved.map((/** @type {{ name: string, filter: Record<string, string | number> }} */ q) => {
      const params = new URLSearchParams(Object.entries(q.filter).map(([k, v]) => [k, String(v)]));
      const remove = h('button', { type: 'button', class: 'link', disabled: session.admin === false, 'aria-label': `Delete saved query ${q.name}` }, 'delete');
      remove.addEventListener('click', () => void act(remove, () => api.request('DELETE', `/saved-queries/${encodeURIComponent(q.name)}`)));
      return h('li', {}, h('a', { href: `/admin/events${params.size > 0 ? `?${params}` : ''}`, title: JSON.stringify(q.filter) }, q.name), ' ', remove);
    })));
  }

  /**
   * @param {HTMLButtonElement} button
   * @param {() => Promise<unknown>} change
   * @param {HTMLFormElement} [marked] the form whose fields the service's field errors name
   */
  async function act(button, change, marked) {
    try {
      await whileBusy(button, change);
      if (marked) markInvalid(marked, null);
      session.setAdmin(true);
      problem.replaceChildren();
      await load();
    } catch (error) {
      learnScope(session, error);
      if (marked) markInvalid(marked, error);
      fieldset.disabled = session.admin === false;
      problem.replaceChildren(problemView(error));
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const filter = Object.fromEntries(current());
    void act(save, () => api.send('PUT', `/saved-queries/${encodeURIComponent(name.value.trim())}`, { filter }), filters);
  });
  return { section, load };
}
