import { whileBusy } from '../lib/busy.js';
import { formatTime, h, shortId } from '../lib/dom.js';
import { problemView } from '../lib/problem.js';
import { adminNote, learnScope } from '../lib/replay-admin.js';

const NOT_ADMIN = 'This key lacks the admin scope: it can list parked events, but replaying or discarding them needs an admin key.';

const PAGE = 50;

/** @type {import('../lib/view.js').View} */
export const parkedView = {
  route: /^consumer-groups\/([^/]+)\/([^/]+)\/parked$/,
  title: 'Parked events',
  available: (caps) => !caps.known || caps.has('/consumer-groups/{aggregate_type}/{group}/parked'),
  async render({ api, main, params, query, signal, session, navigate }) {
    const [type = '', group = ''] = params;
    const after = query.get('after') ?? '';
    const base = `/admin/consumer-groups/${encodeURIComponent(type)}/${encodeURIComponent(group)}/parked`;
    main.append(h('h1', { tabindex: -1 }, 'Parked events ', h('span', { class: 'muted' }, `${group} on ${type}`)),
      h('p', { class: 'muted' }, 'Events the group\u2019s consumers failed to handle too many times, oldest first. A replayed event goes back to the group: its consumers get it again, once. A discarded one is deleted from this list only: the group never handles it, and the store keeps it.'));
    const note = h('div', {}, adminNote(session, NOT_ADMIN));
    const problem = h('div');
    /** @param {'replay' | 'discard'} action @param {string[]} ids @param {HTMLButtonElement} button */
    const take = async (action, ids, button) => {
      problem.replaceChildren();
      if (action === 'discard' && !confirm(`Discard ${ids.length === 1 ? 'this parked event' : `these ${ids.length} parked events`}? The group will never handle ${ids.length === 1 ? 'it' : 'them'}; the store keeps ${ids.length === 1 ? 'it' : 'them'}.`)) return;
      try {
        await whileBusy(button, () => api.send('POST', `/consumer-groups/${encodeURIComponent(type)}/${encodeURIComponent(group)}/parked/${action}`, { ids }));
        session.setAdmin(true);
        navigate(`${base}${after ? `?after=${encodeURIComponent(after)}` : ''}`, { replace: true });
      } catch (error) {
        learnScope(session, error);
        note.replaceChildren(adminNote(session, NOT_ADMIN) ?? '');
        main.querySelectorAll('button.take').forEach((b) => ((/** @type {HTMLButtonElement} */ (b)).disabled = session.admin === false));
        problem.replaceChildren(problemView(error));
      }
    };
    /** @param {'replay' | 'discard'} action @param {string} label @param {string[]} ids */
    const takeButton = (action, label, ids) => {
      const b = h('button', { type: 'button', class: 'secondary take', disabled: session.admin === false }, label);
      b.addEventListener('click', () => void take(action, ids, b));
      return b;
    };
    main.append(note, problem);
    /** @type {{ parked: { id: string, event: Record<string, any>, error: string, attempts: number, consumer: string, source: string, parked_at: string }[], next_after: string | null }} */
    const page = await api.get(`/consumer-groups/${encodeURIComponent(type)}/${encodeURIComponent(group)}/parked`, { query: { limit: String(PAGE), ...(after ? { after } : {}) }, signal });
    main.append(page.parked.length === 0 ? h('p', { class: 'empty' }, 'None.') : h('div', { class: 'table-wrap' }, h('table', { id: 'parked' },
      h('thead', {}, h('tr', {}, ['Entry', 'Event', 'Type', 'Aggregate', 'Error', 'Attempts', 'Consumer', 'Parked (UTC)', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, page.parked.map((p) => h('tr', { 'data-id': p.id },
        h('td', { class: 'nowrap' }, p.id),
        h('td', {}, typeof p.event.id === 'string' ? h('a', { href: `/admin/events/${p.event.id}`, title: p.event.id }, shortId(p.event.id)) : '–'),
        h('td', {}, String(p.event.event_type ?? '')),
        h('td', {}, typeof p.event.aggregate_id === 'string' ? h('a', { href: `/admin/aggregates/${encodeURIComponent(type)}/${p.event.aggregate_id}` }, shortId(p.event.aggregate_id)) : '–'),
        h('td', {}, p.error),
        h('td', { class: 'num' }, String(p.attempts)),
        h('td', {}, p.consumer),
        h('td', { class: 'nowrap' }, formatTime(p.parked_at).replace(' UTC', '')),
        h('td', { class: 'nowrap' }, takeButton('replay', 'Replay', [p.id]), ' ', takeButton('discard', 'Discard', [p.id]))))))),
    page.parked.length > 1 ? h('div', { class: 'actions' },
      takeButton('replay', `Replay these ${page.parked.length}`, page.parked.map((p) => p.id)), ' ',
      takeButton('discard', `Discard these ${page.parked.length}`, page.parked.map((p) => p.id))) : '',
    h('nav', { class: 'pager', 'aria-label': 'Parked pages' },
      after ? h('a', { href: base }, 'First page') : null,
      page.next_after ? h('a', { href: `${base}?after=${encodeURIComponent(page.next_after)}`, rel: 'next' }, 'Next page') : null,
      h('a', { href: '/admin' }, 'Back to the overview')));
  },
};
