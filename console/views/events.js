import { h } from '../lib/dom.js';
import { eventTable } from '../lib/event-table.js';
import { EVENT_FILTERS, filterFields, formQuery, markInvalid, pick, selectField } from '../lib/filters.js';
import { problemView } from '../lib/problem.js';
import { savedQueries } from '../lib/saved-queries.js';

const FILTER_NAMES = EVENT_FILTERS.map(([name]) => name);
const LIMITS = ['25', '50', '100', '250', '1000'];
const DEFAULT_LIMIT = '50';
/** Any page size up to the largest offered: a link or a saved query may hold one the select lacks. */
const isLimit = (/** @type {string | null} */ v) => /^[1-9]\d*$/.test(v ?? '') && Number(v) <= Number(LIMITS.at(-1));

/** An offset GET /events takes (SPEC §3: 0 to 100000); 0 is the same as none. */
const isOffset = (/** @type {string | null} */ v) => /^[1-9]\d*$/.test(v ?? '') && Number(v) <= 100_000;

/**
 * The page's state lives in its URL: the filters, order, limit and the keyset cursor `after`
 * (or an `offset` a link gave) that reproduce the page shown, so a link or a reload shows the
 * same events. Next and Previous page by keyset from the events shown, dropping the offset.
 * @param {URLSearchParams} query
 */
function pageQuery(query) {
  const out = pick(query, [...FILTER_NAMES, 'order', 'limit', 'after', 'offset']);
  if (out.get('order') !== 'desc') out.delete('order');
  if (!isLimit(out.get('limit')) || out.get('limit') === DEFAULT_LIMIT) out.delete('limit');
  if (!isOffset(out.get('offset'))) out.delete('offset');
  return out;
}

/**
 * What of the URL the page could not use, said rather than dropped silently.
 * @param {URLSearchParams} query
 */
function ignored(query) {
  const notes = [];
  const limit = query.get('limit')?.trim();
  if (limit && !isLimit(limit)) notes.push(`limit=${limit} is not a page size from 1 to ${LIMITS.at(-1)}: ${DEFAULT_LIMIT} events per page are shown.`);
  const offset = query.get('offset')?.trim();
  if (offset && offset !== '0' && !isOffset(offset)) notes.push(`offset=${offset} is not a number from 0 to 100000: it is ignored.`);
  return notes.length === 0 ? null : h('p', { class: 'note', id: 'url-note' }, `The address asked for what this page cannot show: ${notes.join(' ')}`);
}

/** @param {URLSearchParams} q */
const apiQuery = (q) => {
  const out = new URLSearchParams(q);
  out.set('limit', q.get('limit') ?? DEFAULT_LIMIT);
  return out;
};

/** @type {import('../lib/view.js').View} */
export const eventsView = {
  route: /^events$/,
  title: 'Events',
  nav: { label: 'Events', href: '/admin/events' },
  async render(ctx) {
    const { api, main, signal } = ctx;
    let q = pageQuery(ctx.query);
    /** @type {import('../lib/event-table.js').StoredEvent[]} */
    let shown = [];
    /** @type {number | null} */
    let nextAfter = null;
    const limit = q.get('limit') ?? DEFAULT_LIMIT;
    const limits = LIMITS.includes(limit) ? LIMITS : [...LIMITS, limit].sort((a, b) => Number(a) - Number(b));

    const form = h('form', { class: 'filters', 'aria-label': 'Event filters' },
      h('div', { class: 'grid' },
        filterFields(q, EVENT_FILTERS),
        selectField('order', 'Order', q.get('order') ?? 'asc', [['asc', 'Oldest first'], ['desc', 'Newest first']]),
        selectField('limit', 'Per page', limit, limits.map((n) => [n, n]))),
      h('div', { class: 'actions' },
        h('button', { type: 'submit' }, 'Apply filters'),
        h('a', { href: '/admin/events', class: 'button secondary' }, 'Clear')));
    const prev = h('button', { type: 'button', class: 'secondary', 'data-page': 'previous' }, '← Previous');
    const next = h('button', { type: 'button', class: 'secondary', 'data-page': 'next' }, 'Next →');
    const status = h('span', { class: 'muted', role: 'status' });
    const results = h('div', { id: 'results' });
    main.append(h('h1', { tabindex: -1 }, 'Events'), ignored(ctx.query) ?? '', form, h('div', { class: 'pager' }, prev, next, status), results);
    const saved = ctx.capabilities.has('/saved-queries') ? savedQueries(ctx, form, () => pageQuery(formQuery(form))) : null;
    if (saved) main.append(saved.section);

    /** @param {URLSearchParams} nextQ */
    const setUrl = (nextQ) => {
      q = nextQ;
      const s = q.toString();
      ctx.navigate(`/admin/events${s ? `?${s}` : ''}`, { render: false });
    };

    /**
     * @param {import('../lib/event-table.js').StoredEvent[]} events
     * @param {number | null} after the cursor of the following page
     */
    function show(events, after) {
      shown = events;
      nextAfter = after;
      prev.disabled = !q.has('after') && !q.has('offset');
      next.disabled = after === null;
      const first = events[0];
      const last = events.at(-1);
      status.textContent = first && last ? `positions ${first.position} – ${last.position}` : '';
      results.replaceChildren(events.length > 0
        ? eventTable(events, { caption: `${events.length} events` })
        : h('p', { class: 'empty' }, q.has('after') || q.has('offset') ? 'No more events match these filters.' : 'No events match these filters.'));
    }

    /** @param {unknown} error */
    function fail(error) {
      if (signal.aborted) return;
      markInvalid(form, error);
      prev.disabled = true;
      next.disabled = true;
      status.textContent = '';
      results.replaceChildren(problemView(error));
    }

    async function load() {
      try {
        const page = await api.get('/events', { query: apiQuery(q), signal });
        markInvalid(form, null);
        show(page.events, page.next_after);
      } catch (error) {
        fail(error);
      }
    }

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      setUrl(pageQuery(formQuery(form)));
      void load();
    });

    next.addEventListener('click', () => {
      if (nextAfter === null) return;
      const n = new URLSearchParams(q);
      n.delete('offset');
      n.set('after', String(nextAfter));
      setUrl(n);
      void load();
    });

    // The previous page: the other order from the first event shown, reversed. One event more
    // than a page is asked for: when the answer holds no more than a page and is the last
    // (next_after null), the start was reached and the first page is shown. A page that ended at
    // the service's byte budget (MAX_PAGE_BYTES) has a next_after though it is short.
    prev.addEventListener('click', async () => {
      const first = shown[0];
      const base = new URLSearchParams(q);
      base.delete('after');
      base.delete('offset');
      if (!first) {
        setUrl(base);
        return void load();
      }
      const desc = q.get('order') === 'desc';
      const lookBack = apiQuery(base);
      const limit = Number(lookBack.get('limit'));
      lookBack.set('order', desc ? 'asc' : 'desc');
      lookBack.set('after', String(first.position));
      const asked = Math.min(limit + 1, Number(LIMITS.at(-1)));
      lookBack.set('limit', String(asked));
      try {
        const page = await api.get('/events', { query: lookBack, signal });
        /** @type {import('../lib/event-table.js').StoredEvent[]} */
        const events = page.events.slice(0, limit).reverse();
        const top = events[0];
        const atStart = page.next_after === null && page.events.length <= limit;
        if (atStart || !top) {
          setUrl(base);
          return void load();
        }
        const n = new URLSearchParams(base);
        n.set('after', String(desc ? top.position + 1 : top.position - 1));
        setUrl(n);
        show(events, /** @type {NonNullable<typeof top>} */ (events.at(-1)).position);
      } catch (error) {
        fail(error);
      }
    });

    await Promise.all([load(), saved?.load().catch((error) => saved.section.append(problemView(error)))]);
  },
};
