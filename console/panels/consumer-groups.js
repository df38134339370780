import { formatNumber, h } from '../lib/dom.js';
import { formatAge } from '../lib/lifecycle.js';

/**
 * @typedef {{ aggregate_type: string, stream: string, group: string, consumers: number, pending: number, lag: number, oldest_pending_seconds: number | null, parked: number, last_delivered_position: number }} ConsumerGroup
 */

/** @param {ConsumerGroup} g */
export const parkedHref = (g) => `/admin/consumer-groups/${encodeURIComponent(g.aggregate_type)}/${encodeURIComponent(g.group)}/parked`;

/**
 * GET /consumer-groups: per stream and group of the Redis Streams mirror, its consumers, pending
 * entries, lag, oldest pending age and parked events (linked to their list).
 * @type {import('./index.js').Panel}
 */
export const consumerGroupsPanel = {
  id: 'consumer-groups',
  title: 'Consumer groups',
  path: '/consumer-groups',
  async refresh({ api, signal }, body) {
    /** @type {{ groups: ConsumerGroup[] }} */
    const { groups } = await api.get('/consumer-groups', { signal });
    if (groups.length === 0) return void body.replaceChildren(h('p', { class: 'empty' }, 'No consumer group (groups appear once a consumer reads a stream of the mirror, REDIS_STREAMS=on).'));
    const n = (/** @type {number} */ v, /** @type {string} */ cls = '') => h('td', { class: `num ${cls}` }, formatNumber(v));
    body.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { id: 'consumer-groups' },
      h('thead', {}, h('tr', {}, ['Stream', 'Group', 'Consumers', 'Pending', 'Lag', 'Oldest pending', 'Parked', 'Delivered up to'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, groups.map((g) => h('tr', { 'data-group': `${g.aggregate_type}/${g.group}` },
        h('td', {}, g.aggregate_type),
        h('th', { scope: 'row' }, g.group),
        n(g.consumers),
        n(g.pending),
        n(g.lag, g.lag > 0 ? 'warn' : ''),
        h('td', { class: 'num nowrap' }, formatAge(g.oldest_pending_seconds)),
        h('td', { class: 'num' }, g.parked > 0 ? h('a', { href: parkedHref(g), 'aria-label': `${g.parked} parked in ${g.group} on ${g.aggregate_type}` }, formatNumber(g.parked)) : '0'),
        n(g.last_delivered_position)))))));
  },
};
