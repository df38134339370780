import { field, formatNumber, formatTime, h, shortId } from '../lib/dom.js';
import { EVENT_FILTERS, filterFields, formQuery, markInvalid } from '../lib/filters.js';
import { ApiError, problemView } from '../lib/problem.js';

const POLL_MS = 500;
const NOT_ADMIN = 'This key lacks the admin scope: it can browse, but starting and cancelling replays needs an admin key.';

/** @typedef {{ id: string, channel: string | null, status: string, filter: Record<string, unknown>, up_to: number, last_position: number, published: number, error: string | null, created_at: string, updated_at: string }} Replay */

/**
 * A managing action's 403 teaches the console that this key lacks admin (shown, and the
 * actions disabled); a success that it has it.
 * @param {import('../lib/session.js').Session} session
 * @param {unknown} error
 */
function learnScope(session, error) {
  if (error instanceof ApiError && error.status === 403) session.setAdmin(false);
}

/** @param {import('../lib/session.js').Session} session */
const adminNote = (session) => (session.admin === false ? h('p', { class: 'note', role: 'note' }, NOT_ADMIN) : null);

/** @type {import('../lib/view.js').View} */
export const replaysView = {
  route: /^replays$/,
  title: 'Replays',
  nav: { label: 'Replays', href: '/admin/replays' },
  available: (caps) => !caps.known || caps.has('/replays', 'post'),
  async render({ api, main, session, navigate, signal }) {
    const problem = h('div');
    const fieldset = h('fieldset', { disabled: session.admin === false },
      h('legend', {}, 'Start a replay'),
      h('p', { class: 'muted' }, 'Republishes the stored events that match, in position order, up to the head at the start, marked metadata.replay. Without a channel they go to the live events:<aggregate_type> channels.'),
      h('div', { class: 'grid' }, filterFields(new URLSearchParams(), EVENT_FILTERS),
        field('after', 'After position', '', { inputmode: 'numeric', placeholder: '0' }),
        field('channel', 'Channel (optional)', '', { placeholder: 'replay:audit-1' })),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Start replay')));
    const form = h('form', { class: 'filters', 'aria-label': 'Start a replay' }, fieldset);
    const note = h('div', {}, adminNote(session));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const values = formQuery(form);
      const channel = values.get('channel');
      values.delete('channel');
      /** @type {Record<string, string | number>} */
      const filter = Object.fromEntries(values);
      if (typeof filter.after === 'string' && /^\d+$/.test(filter.after)) filter.after = Number(filter.after);
      try {
        const started = await api.send('POST', '/replays', channel ? { filter, channel } : { filter });
        session.setAdmin(true);
        session.remember('replays', started.id);
        navigate(`/admin/replays/${started.id}`);
      } catch (error) {
        learnScope(session, error);
        markInvalid(form, error);
        fieldset.disabled = session.admin === false;
        note.replaceChildren(adminNote(session) ?? '');
        problem.replaceChildren(problemView(error));
      }
    });

    const lookup = h('form', { class: 'inline', 'aria-label': 'Open a replay by id' },
      field('replay-id', 'Replay id', '', { placeholder: 'UUID', required: true }), h('button', { type: 'submit', class: 'secondary' }, 'Open'));
    lookup.addEventListener('submit', (e) => {
      e.preventDefault();
      const id = String(new FormData(lookup).get('replay-id') ?? '').trim();
      if (id) navigate(`/admin/replays/${encodeURIComponent(id)}`);
    });

    const recent = h('section', { class: 'panel', 'aria-labelledby': 'recent-title' }, h('h2', { id: 'recent-title' }, 'Started in this tab'));
    main.append(h('h1', { tabindex: -1 }, 'Replays'), note, form, problem, recent, lookup);
    const ids = session.list('replays');
    if (ids.length === 0) return void recent.append(h('p', { class: 'empty' }, 'None yet.'));
    /** @type {(Replay | null)[]} */
    const replays = await Promise.all(ids.map((id) => api.get(`/replays/${id}`, { signal }).catch((error) => {
      if (error instanceof ApiError && error.status === 401) throw error;
      return null;
    })));
    recent.append(h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Replay', 'Status', 'Published', 'Channel', 'Started (UTC)'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, replays.filter((r) => r !== null).map((r) => h('tr', {},
        h('td', {}, h('a', { href: `/admin/replays/${r.id}`, title: r.id }, shortId(r.id))),
        h('td', {}, h('span', { class: `badge ${r.status}` }, r.status)),
        h('td', { class: 'num' }, formatNumber(r.published)),
        h('td', {}, r.channel ?? 'live channels'),
        h('td', { class: 'nowrap' }, formatTime(r.created_at).replace(' UTC', ''))))))));
  },
};

/** @type {import('../lib/view.js').View} */
export const replayView = {
  route: /^replays\/([^/]+)$/,
  title: 'Replay',
  async render({ api, main, params, session, signal }) {
    const id = params[0] ?? '';
    const body = h('div');
    const problem = h('div');
    const cancel = h('button', { type: 'button', class: 'danger', hidden: true, disabled: session.admin === false }, 'Cancel replay');
    const note = h('div', {}, adminNote(session));
    main.append(h('h1', { tabindex: -1 }, 'Replay ', h('code', { class: 'id' }, id)), note, body, h('div', { class: 'actions' }, cancel), problem);

    /** @param {Replay} r */
    function show(r) {
      // Progress along positions: the replay reads up to the head it started at (up_to).
      const start = typeof r.filter.after === 'number' ? r.filter.after : 0;
      const total = Math.max(r.up_to - start, 0);
      const done = r.status === 'completed' ? total : Math.min(Math.max(r.last_position - start, 0), total);
      body.replaceChildren(
        h('p', {}, h('span', { class: `badge ${r.status}`, id: 'replay-status' }, r.status), ` ${formatNumber(r.published)} events published`),
        h('label', { for: 'replay-progress' }, r.status === 'completed' ? `Read up to position ${formatNumber(r.up_to)}` : `Last event published at position ${formatNumber(r.last_position)}; reads up to position ${formatNumber(r.up_to)}`),
        h('progress', { id: 'replay-progress', max: total || 1, value: total ? done : r.status === 'completed' ? 1 : 0 }),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Channel'), h('dd', {}, r.channel ?? 'the live events:<aggregate_type> channels'),
          h('dt', {}, 'Filter'), h('dd', {}, h('code', {}, JSON.stringify(r.filter))),
          h('dt', {}, 'Started'), h('dd', {}, formatTime(r.created_at)),
          h('dt', {}, 'Updated'), h('dd', {}, formatTime(r.updated_at)),
          r.error ? [h('dt', {}, 'Error'), h('dd', {}, r.error)] : null));
      cancel.hidden = r.status !== 'running';
    }

    cancel.addEventListener('click', async () => {
      try {
        show(await api.send('DELETE', `/replays/${encodeURIComponent(id)}`));
        session.setAdmin(true);
        problem.replaceChildren();
      } catch (error) {
        learnScope(session, error);
        cancel.disabled = session.admin === false;
        note.replaceChildren(adminNote(session) ?? '');
        problem.replaceChildren(problemView(error));
      }
    });

    /** @type {Replay} */
    let replay = await api.get(`/replays/${encodeURIComponent(id)}`, { signal });
    show(replay);
    while (replay.status === 'running' && !signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (signal.aborted) return;
      replay = await api.get(`/replays/${encodeURIComponent(id)}`, { signal });
      show(replay);
    }
  },
};
