import { whileBusy } from '../lib/busy.js';
import { formatNumber, formatTime, h } from '../lib/dom.js';
import { poll } from '../lib/poll.js';
import { problemView } from '../lib/problem.js';
import { adminNote, learnScope, replayProgress } from '../lib/replay-admin.js';

const POLL_MS = 500;

/** @type {import('../lib/view.js').View} */
export const replayView = {
  route: /^replays\/([^/]+)$/,
  title: 'Replay',
  async render({ api, main, params, session, signal }) {
    const id = params[0] ?? '';
    const body = h('div');
    const problem = h('div');
    const polling = h('div');
    const cancel = h('button', { type: 'button', class: 'danger', hidden: true, disabled: session.admin === false }, 'Cancel replay');
    const note = h('div', {}, adminNote(session));
    main.append(h('h1', { tabindex: -1 }, 'Replay ', h('code', { class: 'id' }, id)), note, body, polling, h('div', { class: 'actions' }, cancel), problem);

    /** @param {import('../lib/replay-admin.js').Replay} r */
    function show(r) {
      const { total, done } = replayProgress(r);
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
        show(await whileBusy(cancel, () => api.send('DELETE', `/replays/${encodeURIComponent(id)}`)));
        session.setAdmin(true);
        problem.replaceChildren();
      } catch (error) {
        learnScope(session, error);
        cancel.disabled = session.admin === false;
        note.replaceChildren(adminNote(session) ?? '');
        problem.replaceChildren(problemView(error));
      }
    });

    // Followed while it runs; a failed read is shown and read again, the next answer clears it.
    await poll(signal, POLL_MS, async () => {
      /** @type {import('../lib/replay-admin.js').Replay} */
      const replay = await api.get(`/replays/${encodeURIComponent(id)}`, { signal });
      show(replay);
      return replay.status === 'running';
    }, (error) => polling.replaceChildren(error ? problemView(error) : ''));
  },
};
