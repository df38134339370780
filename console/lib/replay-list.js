import { formatNumber, formatTime, h } from './dom.js';
import { replayProgress } from './replay-admin.js';

// Replay ids are UUIDv7: their first digits are the time, shared by replays started together.
const tail = (/** @type {string} */ id) => `…${id.slice(-8)}`;

/**
 * Replays as a table: status, progress along positions, where they publish, what they match.
 * @param {import('./replay-admin.js').Replay[]} replays
 * @param {string} caption
 */
export function replayTable(replays, caption) {
  if (replays.length === 0) return h('p', { class: 'empty' }, 'None.');
  return h('div', { class: 'table-wrap' }, h('table', { id: 'replay-list' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ['Replay', 'Status', 'Published', 'Progress', 'Channel', 'Filter', 'Started (UTC)'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, replays.map((r) => {
      const { total, done } = replayProgress(r);
      return h('tr', { 'data-id': r.id },
        h('td', { class: 'nowrap' }, h('a', { href: `/admin/replays/${r.id}`, title: r.id }, tail(r.id))),
        h('td', {}, h('span', { class: `badge ${r.status}` }, r.status)),
        h('td', { class: 'num' }, formatNumber(r.published)),
        h('td', {}, h('progress', { max: total || 1, value: total ? done : r.status === 'completed' ? 1 : 0, 'aria-label': `Replay ${tail(r.id)} progress` })),
        h('td', {}, r.channel ?? 'live channels'),
        h('td', {}, h('code', {}, JSON.stringify(r.filter))),
        h('td', { class: 'nowrap' }, formatTime(r.created_at).replace(' UTC', '')));
    }))));
}
