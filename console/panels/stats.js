import { loadUPlot, PALETTE } from '../lib/charts.js';
import { formatNumber, h } from '../lib/dom.js';
import { ApiError, problemView } from '../lib/problem.js';
import { selectField } from '../lib/filters.js';
import { BUCKET_S, statsSeries } from '../lib/stats-series.js';

const MAX_BUCKETS = 10_000;
/** @type {[string, string, number][]} value, label, seconds */
const RANGES = [['1h', 'Last hour', 3600], ['6h', 'Last 6 hours', 21600], ['24h', 'Last 24 hours', 86400], ['7d', 'Last 7 days', 604800], ['30d', 'Last 30 days', 2592000], ['90d', 'Last 90 days', 7776000]];
const DEFAULTS = { bucket: 'hour', range: '24h' };

/**
 * The chart's settings, held in the page's URL (bucket, range, aggregate_type) so a link or a
 * reload shows the same chart; unknown values fall back to the defaults.
 * @param {URLSearchParams} query
 */
function settings(query) {
  const bucket = /** @type {keyof typeof BUCKET_S} */ (Object.hasOwn(BUCKET_S, query.get('bucket') ?? '') ? query.get('bucket') : DEFAULTS.bucket);
  const range = RANGES.find(([v]) => v === query.get('range')) ?? /** @type {[string, string, number]} */ (RANGES.find(([v]) => v === DEFAULTS.range));
  const type = query.get('aggregate_type')?.trim() ?? '';
  return { bucket, range, type };
}

/**
 * @typedef {{ form?: HTMLFormElement, problem?: HTMLElement, chart?: HTMLElement, table?: HTMLElement, note?: HTMLElement, plot?: import('uplot'), key?: string }} Memory
 */

/**
 * @param {Memory} m
 * @param {ReturnType<typeof statsSeries>} series
 * @param {string} key what the plot was built for: rebuilt when it changes
 */
async function draw(m, series, key) {
  const box = /** @type {HTMLElement} */ (m.chart);
  if (series.types.length === 0) {
    m.plot?.destroy();
    m.plot = undefined;
    return void box.replaceChildren(h('p', { class: 'empty' }, 'No events in this range.'));
  }
  const uPlot = await loadUPlot();
  const width = Math.max(box.clientWidth, 280);
  const data = /** @type {import('uplot').AlignedData} */ (series.data);
  if (m.plot && m.key === key) {
    m.plot.setData(data);
    if (Math.abs(m.plot.width - width) > 2) m.plot.setSize({ width, height: 240 });
    return;
  }
  m.plot?.destroy();
  box.replaceChildren();
  m.key = key;
  m.plot = new uPlot({
    width, height: 240,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    series: [{}, ...series.types.map((t, i) => ({ label: t, stroke: PALETTE[i % PALETTE.length], width: 2, paths: uPlot.paths.stepped?.({ align: 1 }) }))],
    axes: [{}, { label: 'events', size: 60 }],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    legend: { live: false },
    cursor: { show: false },
  }, data, box);
}

/**
 * The chart's form, built once and kept (what is typed in it survives the refreshes), with the
 * place for a problem beside it, the note, the chart and the totals.
 * @param {import('./index.js').PanelContext} ctx
 * @param {HTMLElement} body
 * @param {Memory} m
 */
function build(ctx, body, m) {
  const { query, setQuery, signal } = ctx;
  const s = settings(query());
  const form = h('form', { class: 'inline', 'aria-label': 'Chart settings' },
    selectField('bucket', 'Bucket', s.bucket, [['minute', 'Minute'], ['hour', 'Hour'], ['day', 'Day']]),
    selectField('range', 'Range', s.range[0], RANGES.map(([v, label]) => [v, label])),
    h('div', { class: 'field' }, h('label', { for: 'f-stats-type' }, 'Aggregate type'), h('input', { id: 'f-stats-type', name: 'aggregate_type', value: s.type, placeholder: 'all', autocomplete: 'off', spellcheck: 'false' })),
    h('button', { type: 'submit', class: 'secondary' }, 'Show'));
  const apply = () => {
    const next = query();
    for (const [name, value] of new FormData(form)) {
      const v = String(value).trim();
      if (v && v !== /** @type {Record<string, string>} */ (DEFAULTS)[name]) next.set(name, v);
      else next.delete(name);
    }
    setQuery(next);
    void statsPanel.refresh(ctx, body, m).catch((/** @type {unknown} */ error) => {
      if (!signal.aborted) problem.replaceChildren(problemView(error));
    });
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply();
  });
  form.addEventListener('change', (e) => {
    if (e.target instanceof HTMLSelectElement) apply();
  });
  const problem = h('div');
  m.plot?.destroy();
  Object.assign(m, { form, problem, plot: undefined, note: h('p', { class: 'muted', role: 'status' }), chart: h('div', { class: 'chart', id: 'stats-chart', role: 'img', 'aria-label': 'Events per bucket by event type' }), table: h('div') });
  body.replaceChildren(form, problem, /** @type {HTMLElement} */ (m.note), /** @type {HTMLElement} */ (m.chart), /** @type {HTMLElement} */ (m.table));
}

/**
 * Reads GET /stats for the settings in the URL and shows it.
 * @param {import('./index.js').PanelContext} ctx
 * @param {Memory} m
 */
async function update({ api, signal, query }, m) {
  const s = settings(query());
  const note = /** @type {HTMLElement} */ (m.note);
  const table = /** @type {HTMLElement} */ (m.table);
  // The range ending now, widened to whole buckets at both ends: "last hour" by hour is the hour
  // before now, over two buckets, not the current clock hour alone.
  const size = BUCKET_S[s.bucket];
  const now = Date.now() / 1000;
  const span = (/** @type {number} */ seconds) => ({ from: Math.floor((now - seconds) / size) * size, to: Math.ceil(now / size) * size });
  const { from, to } = span(s.range[2]);
  const params = { bucket: s.bucket, from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString(), ...(s.type ? { aggregate_type: s.type } : {}) };
  const buckets = (/** @type {number} */ seconds) => (span(seconds).to - span(seconds).from) / size;
  const too = buckets(s.range[2]) > MAX_BUCKETS;
  for (const option of /** @type {HTMLFormElement} */ (m.form).querySelectorAll('#f-range option')) {
    const seconds = RANGES.find(([v]) => v === /** @type {HTMLOptionElement} */ (option).value)?.[2] ?? 0;
    /** @type {HTMLOptionElement} */ (option).disabled = buckets(seconds) > MAX_BUCKETS;
  }
  if (too) {
    m.plot?.destroy();
    m.plot = undefined;
    m.chart?.replaceChildren();
    table.replaceChildren();
    note.textContent = `${s.range[1]} in ${s.bucket} buckets is more than ${formatNumber(MAX_BUCKETS)} buckets: choose a larger bucket or a shorter range.`;
    return;
  }
  const stats = await api.get('/stats', { query: params, signal });
  const series = statsSeries(stats);
  const total = Object.values(/** @type {Record<string, number>} */ (stats.totals)).reduce((a, b) => a + b, 0);
  note.textContent = `${formatNumber(total)} events, ${s.range[1].toLowerCase()} by ${s.bucket} (UTC), whole buckets from ${params.from.slice(0, 16).replace('T', ' ')}${s.type ? `, aggregate type ${s.type}` : ''}; counted up to position ${formatNumber(stats.up_to)}.`;
  table.replaceChildren(series.types.length === 0 ? '' : h('div', { class: 'table-wrap' }, h('table', { id: 'stats-totals' },
    h('caption', {}, 'Events in the range, by event type'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Event type'), h('th', { scope: 'col', class: 'num' }, 'Events'))),
    h('tbody', {}, series.types.map((t) => h('tr', {}, h('th', { scope: 'row' }, t), h('td', { class: 'num' }, formatNumber(stats.totals[t] ?? 0))))))));
  await draw(m, series, `${s.bucket}|${s.range[0]}|${s.type}|${series.types.join()}`);
}

/**
 * GET /stats as a chart of events per bucket and event type (UTC), with the bucket, the range
 * and an aggregate type chosen in the page and kept in its URL, and the totals as a table. A
 * failed refresh (a type the service refuses, an outage) shows its problem beside the form and
 * keeps what was shown; the next one that succeeds clears it. 401 and 404 are the overview's.
 * @type {import('./index.js').Panel}
 */
export const statsPanel = {
  id: 'stats',
  title: 'Events over time',
  path: '/stats',
  async refresh(ctx, body, memory) {
    const m = /** @type {Memory} */ (memory);
    if (!m.form || !body.contains(m.form)) build(ctx, body, m);
    const problem = /** @type {HTMLElement} */ (m.problem);
    try {
      await update(ctx, m);
      problem.replaceChildren();
    } catch (error) {
      if (ctx.signal.aborted || (error instanceof ApiError && (error.status === 401 || error.status === 404))) throw error;
      problem.replaceChildren(problemView(error));
    }
  },
};
