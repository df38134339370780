import { whileBusy } from '../lib/busy.js';
import { field, formatNumber, h } from '../lib/dom.js';
import { EVENT_FILTERS, filterFields, formQuery, markInvalid, selectField } from '../lib/filters.js';
import { poll } from '../lib/poll.js';
import { ApiError, problemView } from '../lib/problem.js';
import { adminNote, learnScope } from '../lib/replay-admin.js';
import { replayTable } from '../lib/replay-list.js';

const STATUSES = ['running', 'completed', 'failed', 'cancelled'];
const LIST_REFRESH_MS = 2000;

/** @param {HTMLFormElement} form the replay's request body from the form */
function replayBody(form) {
  const values = formQuery(form);
  const channel = values.get('channel');
  values.delete('channel');
  /** @type {Record<string, string | number>} */
  const filter = Object.fromEntries(values);
  if (typeof filter.after === 'string' && /^\d+$/.test(filter.after)) filter.after = Number(filter.after);
  return channel ? { filter, channel } : { filter };
}

/** @type {import('../lib/view.js').View} */
export const replaysView = {
  route: /^replays$/,
  title: 'Replays',
  nav: { label: 'Replays', href: '/admin/replays' },
  available: (caps) => !caps.known || caps.has('/replays', 'post'),
  async render({ api, main, session, navigate, signal, query, capabilities }) {
    // Services that list replays also preview them (dry_run); older ones start at once.
    const listed = capabilities.has('/replays', 'get');
    const problem = h('div');
    const preview = h('div', { id: 'replay-preview', role: 'status' });
    const submit = h('button', { type: 'submit' }, listed ? 'Preview' : 'Start replay');
    const fieldset = h('fieldset', { disabled: session.admin === false },
      h('legend', {}, 'Start a replay'),
      h('p', { class: 'muted' }, 'Republishes the stored events that match, in position order, up to the head at the start, marked metadata.replay. Without a channel they go to the live events:<aggregate_type> channels.'),
      h('div', { class: 'grid' }, filterFields(new URLSearchParams(), EVENT_FILTERS),
        field('after', 'After position', '', { inputmode: 'numeric', placeholder: '0' }),
        field('channel', 'Channel (optional)', '', { placeholder: 'replay:audit-1' })),
      h('div', { class: 'actions' }, submit));
    const form = h('form', { class: 'filters', 'aria-label': 'Start a replay' }, fieldset, preview);
    const note = h('div', {}, adminNote(session));

    /** @param {unknown} error */
    const fail = (error) => {
      learnScope(session, error);
      markInvalid(form, error);
      fieldset.disabled = session.admin === false;
      note.replaceChildren(adminNote(session) ?? '');
      problem.replaceChildren(problemView(error));
    };
    /** @param {ReturnType<typeof replayBody>} body @param {HTMLButtonElement} button */
    const start = async (body, button) => {
      try {
        const started = await whileBusy(button, () => api.send('POST', '/replays', body));
        session.setAdmin(true);
        session.remember('replays', started.id);
        navigate(`/admin/replays/${started.id}`);
      } catch (error) {
        fail(error);
      }
    };
    // A preview belongs to the form as it was: any change asks for a new one.
    form.addEventListener('input', () => preview.replaceChildren());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      problem.replaceChildren();
      const body = replayBody(form);
      if (!listed) return start(body, submit);
      try {
        const counted = await whileBusy(submit, () => api.send('POST', '/replays', { ...body, dry_run: true }));
        markInvalid(form, null);
        const events = `${formatNumber(counted.events)} event${counted.events === 1 ? '' : 's'}`;
        const go = h('button', { type: 'button', disabled: counted.events === 0 }, `Start replay of ${events}`);
        go.addEventListener('click', () => void start(body, go));
        preview.replaceChildren(h('p', {}, `${events} match${counted.events === 1 ? 'es' : ''}, up to position ${formatNumber(counted.up_to)}.`), h('div', { class: 'actions' }, go));
      } catch (error) {
        fail(error);
      }
    });

    const status = STATUSES.includes(query.get('status') ?? '') ? /** @type {string} */ (query.get('status')) : '';
    const statusForm = h('form', { class: 'inline narrow', 'aria-label': 'Replay list filter' },
      selectField('status', 'Status', status, [['', 'Any'], ...STATUSES.map((s) => /** @type {[string, string]} */ ([s, s]))]));
    // Each change shows the list at once; the select keeps the focus, so arrow keys go on.
    statusForm.addEventListener('change', () => {
      const s = String(new FormData(statusForm).get('status') ?? '');
      navigate(`/admin/replays${s ? `?status=${s}` : ''}`, { focus: 'f-status' });
    });
    const list = h('div');
    const listProblem = h('div');
    const recent = h('section', { class: 'panel', 'aria-labelledby': 'recent-title' }, h('h2', { id: 'recent-title' }, listed ? 'Recent replays' : 'Started in this tab'), listed ? statusForm : null, listProblem, list);
    main.append(h('h1', { tabindex: -1 }, 'Replays'), note, form, problem, recent);

    if (!listed) {
      const ids = session.list('replays');
      const replays = await Promise.all(ids.map((id) => api.get(`/replays/${id}`, { signal }).catch((error) => {
        if (error instanceof ApiError && error.status === 401) throw error;
        return null;
      })));
      return void list.replaceChildren(replayTable(replays.filter((r) => r !== null), 'Started in this tab'));
    }
    // Newest first; refreshed while one of them runs, so progress moves on the list too.
    await poll(signal, LIST_REFRESH_MS, async () => {
      const { replays } = await api.get('/replays', { query: { limit: '50', ...(status ? { status } : {}) }, signal });
      list.replaceChildren(replayTable(replays, status ? `The newest 50 ${status}` : 'The newest 50'));
      return replays.some((/** @type {{ status: string }} */ r) => r.status === 'running');
    }, (error) => listProblem.replaceChildren(error ? problemView(error) : ''));
  },
};
