import { formatNumber, h } from '../lib/dom.js';

/** @param {string} label @param {unknown} value @param {string} [state] ok | bad */
const card = (label, value, state) => h('div', { class: `card ${state ?? ''}` }, h('dt', {}, label), h('dd', {}, typeof value === 'number' ? formatNumber(value) : String(value ?? '–')));

/**
 * GET /health: PostgreSQL, Redis, the relay and how far publication lags behind the head.
 * @type {import('./index.js').Panel}
 */
export const healthPanel = {
  id: 'health',
  title: 'Service',
  path: '/health',
  async refresh({ api, signal }, body) {
    /** @type {any} */
    let health;
    try {
      health = await api.get('/health', { signal });
    } catch (error) {
      // 503 still carries the health body; anything else is shown by the overview.
      if (/** @type {any} */ (error)?.status !== 503) throw error;
      health = /** @type {any} */ (error).problem;
    }
    const ok = (/** @type {unknown} */ v) => (v === 'ok' ? 'ok' : 'bad');
    body.replaceChildren(h('dl', { class: 'cards' },
      card('Status', health.status, ok(health.status)),
      card('PostgreSQL', health.postgres, ok(health.postgres)),
      card('Redis', health.redis, ok(health.redis)),
      card('Relay', health.relay, health.relay === 'running' || health.relay === 'standby' ? 'ok' : 'bad'),
      card('Head position', health.head_position),
      card('Published position', health.published_position),
      card('Publish lag', health.publish_lag, health.publish_lag > 0 ? 'warn' : 'ok')));
  },
};
