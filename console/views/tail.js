import { formatTime, h, shortId } from '../lib/dom.js';
import { aggregateHref, eventHref } from '../lib/event-table.js';
import { EVENT_FILTERS, filterFields, formQuery, pick } from '../lib/filters.js';
import { ApiError, problemView } from '../lib/problem.js';
import { sleep } from '../lib/poll.js';
import { readSse } from '../lib/sse.js';

// The stream takes the filters of GET /events except the time range.
const FILTERS = EVENT_FILTERS.filter(([name]) => name !== 'from' && name !== 'to');
const NAMES = FILTERS.map(([name]) => name);
const KEEP = 500;
const RETRY_MS = 1000;

/** @type {import('../lib/view.js').View} */
export const tailView = {
  route: /^tail$/,
  title: 'Live tail',
  nav: { label: 'Live tail', href: '/admin/tail' },
  async render({ api, main, query, signal, navigate }) {
    const filters = pick(query, NAMES);
    const form = h('form', { class: 'filters', 'aria-label': 'Tail filters' },
      h('div', { class: 'grid' }, filterFields(filters, FILTERS)),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply filters')));
    const toggle = h('button', { type: 'button', id: 'tail-toggle' }, 'Pause');
    const status = h('span', { class: 'muted', role: 'status', id: 'tail-status' }, 'Connecting…');
    const problem = h('div');
    const rows = h('tbody');
    main.append(h('h1', { tabindex: -1 }, 'Live tail'), form, h('div', { class: 'pager' }, toggle, status), problem,
      h('div', { class: 'table-wrap' }, h('table', { class: 'events' }, h('caption', {}, 'Newest first'),
        h('thead', {}, h('tr', {}, ['Position', 'Event type', 'Aggregate', 'Seq', 'Created (UTC)'].map((t) => h('th', { scope: 'col' }, t)))), rows)));

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const s = formQuery(form).toString();
      navigate(`/admin/tail${s ? `?${s}` : ''}`);
    });

    /**
     * Last position delivered (or the head at start): a resumed stream continues after it.
     * Null only when the head could not be read: the stream then starts at its own head.
     * @type {number | null}
     */
    let cursor = null;
    let paused = false;
    /**
     * The one loop following the stream. Pause aborts it, its wait before reconnecting included,
     * so a Resume starts the only one: an old loop waking later would show every event twice.
     * @type {AbortController | null}
     */
    let following = null;

    /** @param {import('../lib/event-table.js').StoredEvent} e */
    function add(e) {
      rows.prepend(h('tr', { 'data-position': e.position },
        h('td', { class: 'num' }, h('a', { href: eventHref(e) }, e.position)),
        h('td', {}, e.event_type),
        h('td', {}, h('a', { href: aggregateHref(e.aggregate_type, e.aggregate_id), title: e.aggregate_id }, `${e.aggregate_type} ${shortId(e.aggregate_id)}`)),
        h('td', { class: 'num' }, e.sequence),
        h('td', { class: 'nowrap' }, formatTime(e.created_at).replace(' UTC', ''))));
      while (rows.childElementCount > KEEP) rows.lastElementChild?.remove();
    }

    async function follow() {
      following?.abort();
      const loop = new AbortController();
      following = loop;
      const stop = () => loop.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        while (!loop.signal.aborted) {
          try {
            const q = new URLSearchParams(filters);
            if (cursor !== null) q.set('after', String(cursor));
            const res = await api.request('GET', '/events/stream', { query: q, signal: loop.signal, headers: { accept: 'text/event-stream' } });
            problem.replaceChildren();
            status.textContent = cursor === null ? 'Live: following new events.' : `Live: following after position ${cursor}.`;
            await readSse(res, (message) => {
              const event = JSON.parse(message.data);
              cursor = Number(message.id ?? event.position);
              add(event);
            });
            if (!loop.signal.aborted) status.textContent = 'The service ended the stream; reconnecting…';
          } catch (error) {
            if (loop.signal.aborted) return;
            if (error instanceof ApiError && (error.status === 401 || (error.status >= 400 && error.status < 500 && error.status !== 429))) {
              problem.replaceChildren(problemView(error));
              status.textContent = 'Stopped.';
              toggle.disabled = true;
              return;
            }
            problem.replaceChildren(problemView(error));
            status.textContent = 'Connection lost; reconnecting…';
          }
          await sleep(RETRY_MS, loop.signal);
        }
      } finally {
        signal.removeEventListener('abort', stop);
      }
    }

    toggle.addEventListener('click', () => {
      paused = !paused;
      toggle.textContent = paused ? 'Resume' : 'Pause';
      if (paused) {
        following?.abort();
        status.textContent = cursor === null ? 'Paused.' : `Paused after position ${cursor}. Resuming continues from there.`;
      } else {
        void follow();
      }
    });

    // Start from the head now, so that a pause before the first event still resumes without a gap.
    const health = await api.get('/health', { signal }).catch(() => null);
    cursor = typeof health?.head_position === 'number' ? health.head_position : null;
    if (!paused) void follow();
  },
};
