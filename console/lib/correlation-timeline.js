import { h, shortId } from './dom.js';
import { aggregateHref, eventHref } from './event-table.js';
import { problemView } from './problem.js';

const PAGE = 200;
const SVG = 'http://www.w3.org/2000/svg';

/** Microseconds since the epoch from created_at (Date.parse keeps milliseconds only). @param {string} iso */
function micros(iso) {
  const fraction = /\.(\d+)Z$/.exec(iso)?.[1] ?? '';
  return Math.floor(Date.parse(iso) / 1000) * 1_000_000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

/** @param {number} us */
function offset(us) {
  if (us < 1000) return `+${us} µs`;
  if (us < 1_000_000) return `+${(us / 1000).toFixed(1)} ms`;
  return `+${(us / 1_000_000).toFixed(2)} s`;
}

/**
 * A lane per aggregate, one dot per event in position order, joined in that order: who acted
 * after whom. Decorative (the list below carries the same facts), so hidden from screen readers.
 * @param {import('./event-table.js').StoredEvent[]} events
 * @param {string | undefined} focusId
 */
function lanes(events, focusId) {
  const keys = [...new Set(events.map((e) => `${e.aggregate_type} ${e.aggregate_id}`))];
  const laneH = 28;
  const step = 36;
  const left = 150;
  const width = left + (events.length - 1) * step + 20;
  const height = keys.length * laneH + 8;
  /** @param {string} tag @param {Record<string, string | number>} attrs */
  const el = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  };
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'lanes', 'aria-hidden': 'true', focusable: 'false' });
  keys.forEach((key, i) => {
    const y = 4 + i * laneH + laneH / 2;
    svg.append(el('line', { x1: left - 10, x2: width - 10, y1: y, y2: y, class: 'lane' }));
    const label = el('text', { x: 0, y: y + 4, class: 'lane-label' });
    const [type, id] = key.split(' ');
    label.textContent = `${type} ${shortId(id ?? '')}`;
    svg.append(label);
  });
  const points = events.map((e, i) => ({ e, x: left + i * step, y: 4 + keys.indexOf(`${e.aggregate_type} ${e.aggregate_id}`) * laneH + laneH / 2 }));
  svg.append(el('polyline', { points: points.map((p) => `${p.x},${p.y}`).join(' '), class: 'flow' }));
  for (const p of points) svg.append(el('circle', { cx: p.x, cy: p.y, r: p.e.id === focusId ? 7 : 5, class: p.e.id === focusId ? 'dot current' : 'dot' }));
  return h('div', { class: 'lanes-wrap' }, svg);
}

/**
 * Everything sharing a correlation id, in position order on one timeline, paged with after=.
 * @param {import('./api.js').Api} api
 * @param {string} correlationId
 * @param {{ focusId?: string, signal: AbortSignal }} options
 */
export function correlationTimeline(api, correlationId, { focusId, signal }) {
  const list = h('ol', { class: 'timeline' });
  const chart = h('div');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const note = h('div');
  const section = h('section', { class: 'panel', 'aria-labelledby': 'timeline-title' },
    h('h2', { id: 'timeline-title' }, 'Correlation timeline'),
    h('p', { class: 'muted' }, 'Every event whose metadata.correlation_id is ', h('code', {}, correlationId), ', in position order.'),
    chart, list, more, note);
  /** @type {import('./event-table.js').StoredEvent[]} */
  const all = [];
  /** @type {number | null} */
  let after = null;

  async function load() {
    more.disabled = true;
    try {
      const query = new URLSearchParams({ correlation_id: correlationId, limit: String(PAGE) });
      if (after !== null) query.set('after', String(after));
      const page = await api.get('/events', { query, signal });
      all.push(...page.events);
      after = page.next_after;
      const start = all[0] ? micros(all[0].created_at) : 0;
      list.replaceChildren(...all.map((e) => h('li', { class: e.id === focusId ? 'current' : '', 'aria-current': e.id === focusId ? 'true' : false },
        h('span', { class: 'when' }, offset(micros(e.created_at) - start)),
        h('a', { href: eventHref(e) }, `#${e.position} ${e.event_type}`),
        ' on ',
        h('a', { href: aggregateHref(e.aggregate_type, e.aggregate_id), title: e.aggregate_id }, `${e.aggregate_type} ${shortId(e.aggregate_id)}`),
        h('span', { class: 'muted' }, ` seq ${e.sequence}`))));
      chart.replaceChildren(all.length > 1 ? lanes(all, focusId) : '');
      more.hidden = after === null;
      more.disabled = false;
    } catch (error) {
      if (!signal.aborted) note.replaceChildren(problemView(error));
    }
  }
  more.addEventListener('click', () => void load());
  return { section, loaded: load() };
}
