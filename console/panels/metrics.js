import { loadUPlot, PALETTE } from '../lib/charts.js';
import { formatNumber, h } from '../lib/dom.js';
import { histogramQuantile, parseMetrics, sumBy } from '../lib/prometheus.js';

const KEEP = 120;
const OUTCOMES = ['created', 'duplicate', 'conflict', 'refused'];

/** @param {number | null} seconds */
const ms = (seconds) => (seconds === null ? '–' : seconds < 0.001 ? `${(seconds * 1e6).toFixed(0)} µs` : `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms`);

/**
 * @typedef {{ at: number[], types: string[], rates: Map<string, (number | null)[]>, last?: { at: number, counts: Map<string, number> }, plot?: import('uplot'), plotTypes?: string }} Memory
 */

/**
 * Appends per second by event type, from the counters of consecutive /metrics samples taken
 * while the page is open.
 * @param {Memory} m
 * @param {Map<string, number>} counts
 */
function sample(m, counts) {
  const now = Date.now() / 1000;
  if (m.last) {
    const dt = now - m.last.at;
    m.at.push(now);
    for (const type of counts.keys()) {
      if (!m.types.includes(type)) {
        m.types.push(type);
        // A type not counted before had appended nothing.
        m.rates.set(type, m.at.slice(0, -1).map(() => 0));
      }
    }
    for (const type of m.types) {
      const rate = Math.max(0, ((counts.get(type) ?? 0) - (m.last.counts.get(type) ?? 0)) / dt);
      /** @type {(number | null)[]} */ (m.rates.get(type)).push(rate);
    }
    if (m.at.length > KEEP) {
      m.at.shift();
      for (const r of m.rates.values()) r.shift();
    }
  }
  m.last = { at: now, counts };
}

/**
 * @param {Memory} m
 * @param {HTMLElement} box
 */
async function chart(m, box) {
  if (m.at.length < 2 || m.types.length === 0) return;
  const uPlot = await loadUPlot();
  /** @type {import('uplot').AlignedData} */
  const data = [m.at, ...m.types.map((t) => /** @type {(number | null)[]} */ (m.rates.get(t)))];
  const width = Math.max(box.clientWidth, 280);
  if (m.plot && m.plotTypes === m.types.join()) {
    m.plot.setData(data);
    if (Math.abs(m.plot.width - width) > 2) m.plot.setSize({ width, height: 220 });
    return;
  }
  m.plot?.destroy();
  m.plotTypes = m.types.join();
  m.plot = new uPlot({
    width, height: 220,
    series: [{}, ...m.types.map((t, i) => ({ label: t, stroke: PALETTE[i % PALETTE.length], width: 2, value: (/** @type {unknown} */ _u, /** @type {number | null} */ v) => (v === null ? '–' : v.toFixed(1)) }))],
    axes: [{}, { label: 'events/s', size: 60 }],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    legend: { live: false },
    cursor: { show: false },
  }, data, box);
}

/**
 * GET /metrics (Prometheus text), parsed here: appends by type and outcome, append latency,
 * publish delay, read connections. These count this instance since it started.
 * @type {import('./index.js').Panel}
 */
export const metricsPanel = {
  id: 'metrics',
  title: 'This instance',
  path: '/metrics',
  async refresh({ api, signal }, body, memory) {
    const m = /** @type {Memory} */ (memory);
    m.at ??= [];
    m.types ??= [];
    m.rates ??= new Map();
    const samples = parseMetrics(await api.text('/metrics', { signal }));
    const created = sumBy(samples, 'events_appended_total', 'event_type', (l) => l.outcome === 'created');
    sample(m, created);
    const types = [...sumBy(samples, 'events_appended_total', 'event_type').keys()].sort();
    const value = (/** @type {string} */ name) => samples.find((s) => s.name === name)?.value ?? NaN;
    let chartBox = /** @type {HTMLElement | null} */ (body.querySelector('.chart'));
    if (!chartBox) {
      chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Appends per second by event type while this page is open' });
      body.replaceChildren(h('div', { class: 'figures' }), h('h3', {}, 'Appends per second, by event type, while this page is open'), chartBox);
    }
    const figures = /** @type {HTMLElement} */ (body.querySelector('.figures'));
    figures.replaceChildren(
      h('dl', { class: 'cards' },
        h('div', { class: 'card' }, h('dt', {}, 'Append p50 / p99'), h('dd', {}, `${ms(histogramQuantile(samples, 'append_request_duration_seconds', 0.5))} / ${ms(histogramQuantile(samples, 'append_request_duration_seconds', 0.99))}`)),
        h('div', { class: 'card' }, h('dt', {}, 'Publish delay p50 / p99'), h('dd', {}, `${ms(histogramQuantile(samples, 'relay_publish_delay_seconds', 0.5))} / ${ms(histogramQuantile(samples, 'relay_publish_delay_seconds', 0.99))}`)),
        h('div', { class: 'card' }, h('dt', {}, 'Read connections in use'), h('dd', {}, `${formatNumber(value('database_read_connections_in_use'))} of ${formatNumber(value('database_pool_max'))}`)),
        h('div', { class: 'card' }, h('dt', {}, 'Reads waiting'), h('dd', {}, formatNumber(value('database_reads_waiting'))))),
      types.length === 0 ? h('p', { class: 'empty' }, 'No appends on this instance since it started.') : h('div', { class: 'table-wrap' }, h('table', { id: 'appends-by-type' },
        h('caption', {}, 'Appends on this instance since it started'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Event type'), OUTCOMES.map((o) => h('th', { scope: 'col', class: 'num' }, o)))),
        h('tbody', {}, types.map((t) => h('tr', {}, h('th', { scope: 'row' }, t),
          OUTCOMES.map((o) => h('td', { class: 'num' }, formatNumber(sumBy(samples, 'events_appended_total', 'event_type', (l) => l.outcome === o).get(t) ?? 0)))))))));
    await chart(m, chartBox);
  },
};
