import { field, h } from '../lib/dom.js';
import { createAggregateHistory } from '../lib/aggregate-history.js';
import { aggregateHref, eventTable } from '../lib/event-table.js';
import { ApiError, problemView } from '../lib/problem.js';

const PAGE = 100;

/** @type {import('../lib/view.js').View} */
export const aggregateLookupView = {
  route: /^aggregates$/,
  title: 'Aggregates',
  nav: { label: 'Aggregates', href: '/admin/aggregates' },
  render({ main, navigate }) {
    const form = h('form', { class: 'filters', 'aria-label': 'Find an aggregate' },
      h('div', { class: 'grid' }, field('type', 'Aggregate type', '', { required: true, placeholder: 'agent' }), field('id', 'Aggregate id', '', { required: true, placeholder: 'UUID' })),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Open')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(form);
      navigate(aggregateHref(String(data.get('type')).trim(), String(data.get('id')).trim()));
    });
    main.append(h('h1', { tabindex: -1 }, 'Aggregates'), h('p', {}, 'An aggregate\'s events and, where this service registers its definition, its state.'), form);
  },
};

/**
 * The state after any event, its sequence kept in the page's URL (?at_sequence=N).
 * @param {NonNullable<ReturnType<typeof createAggregateHistory>>} history
 * @param {number} current
 * @param {string | null} initial the sequence in the URL
 * @param {(n: number) => void} remember
 */
function stateAtForm(history, current, initial, remember) {
  const out = h('div');
  const form = h('form', { class: 'inline', 'aria-label': 'State at a sequence' },
    field('at_sequence', 'State at sequence', initial ?? '', { type: 'number', min: 1, max: current, required: true }),
    h('button', { type: 'submit', class: 'secondary' }, 'Show'));
  /** @param {number} n */
  const show = async (n) => {
    try {
      out.replaceChildren(h('pre', { class: 'json', tabindex: 0, 'aria-label': `State at sequence ${n}` }, JSON.stringify(await history.stateAt(n), null, 2)));
    } catch (error) {
      out.replaceChildren(problemView(error));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = Number(new FormData(form).get('at_sequence'));
    remember(n);
    void show(n);
  });
  if (initial && /^[1-9]\d*$/.test(initial)) void show(Number(initial));
  else if (initial) out.replaceChildren(h('p', { class: 'note', role: 'status' }, `at_sequence=${initial} in the address is not a sequence (a whole number from 1 to ${current}): no earlier state is shown.`));
  return h('div', {}, form, out);
}

/** @type {import('../lib/view.js').View} */
export const aggregateView = {
  route: /^aggregates\/([^/]+)\/([^/]+)$/,
  title: 'Aggregate',
  async render({ api, main, params, signal, capabilities, query, navigate }) {
    const [type = '', id = ''] = params;
    const stateBox = h('section', { class: 'panel', 'aria-labelledby': 'state-title' }, h('h2', { id: 'state-title' }, 'State'));
    const eventsBox = h('section', { class: 'panel', 'aria-labelledby': 'agg-events-title' }, h('h2', { id: 'agg-events-title' }, 'Events'));
    main.append(h('h1', { tabindex: -1 }, type, ' ', h('code', { class: 'id' }, id)), stateBox, eventsBox);

    /** @type {any} */
    let aggregate = null;
    try {
      aggregate = await api.get(`/aggregates/${encodeURIComponent(type)}/${encodeURIComponent(id)}`, { signal });
    } catch (error) {
      if (signal.aborted || (error instanceof ApiError && error.status === 401)) throw error;
      stateBox.append(problemView(error));
    }
    if (aggregate) {
      stateBox.append(h('p', {}, `At sequence ${aggregate.sequence}.`));
      if ('state' in aggregate) stateBox.append(h('pre', { class: 'json', tabindex: 0, 'aria-label': 'Current state' }, JSON.stringify(aggregate.state, null, 2)));
      else stateBox.append(h('p', { class: 'note' }, `No aggregate definition is registered for the type "${type}" in this service, so it cannot fold these events into a state. The events below are all there is; a service that registers a definition for "${type}" answers with its state here.`));
    }
    const history = aggregate && 'state' in aggregate ? createAggregateHistory(api, capabilities, type, id, signal) : null;
    const remember = (/** @type {number} */ n) => navigate(`${aggregateHref(type, id)}?at_sequence=${n}`, { render: false });
    if (history) stateBox.append(stateAtForm(history, aggregate.sequence, query.get('at_sequence'), remember));

    const tableBox = h('div');
    const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
    eventsBox.append(tableBox, more);
    /** @type {import('../lib/event-table.js').StoredEvent[]} */
    const events = [];
    /** @type {number | null} */
    let after = null;
    async function load() {
      const query = new URLSearchParams({ aggregate_type: type, aggregate_id: id, limit: String(PAGE) });
      if (after !== null) query.set('after', String(after));
      const page = await api.get('/events', { query, signal });
      events.push(...page.events);
      after = page.next_after;
      tableBox.replaceChildren(events.length === 0 ? h('p', { class: 'empty' }, 'No events.') : eventTable(events, {
        caption: `${events.length} events${after === null ? '' : ' so far'}`,
        aggregate: false,
        extra: history ? { title: 'Changes', cell: (e) => history.changesCell(e) } : undefined,
      }));
      more.hidden = after === null;
    }
    more.addEventListener('click', () => void load().catch((error) => tableBox.append(problemView(error))));
    await load();
  },
};
