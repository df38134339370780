import { h, formatTime, shortId } from './dom.js';

/** @typedef {{ id: string, event_type: string, aggregate_type: string, aggregate_id: string, sequence: number, position: number, payload: unknown, metadata: Record<string, unknown>, version: number, created_at: string }} StoredEvent */

/** @param {StoredEvent} e */
export const eventHref = (e) => `/admin/events/${e.id}`;
/** @param {string} type @param {string} id */
export const aggregateHref = (type, id) => `/admin/aggregates/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;

/**
 * Events as a table: the position links to the event, the aggregate to its view.
 * @param {StoredEvent[]} events
 * @param {{ caption: string, aggregate?: boolean, extra?: { title: string, cell(e: StoredEvent): import('./dom.js').Child } }} options
 */
export function eventTable(events, { caption, aggregate = true, extra }) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'events' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', class: 'num' }, 'Position'),
        h('th', { scope: 'col' }, 'Event type'),
        aggregate ? h('th', { scope: 'col' }, 'Aggregate') : null,
        h('th', { scope: 'col', class: 'num' }, 'Seq'),
        h('th', { scope: 'col' }, 'Created (UTC)'),
        extra ? h('th', { scope: 'col' }, extra.title) : null)),
      h('tbody', {}, events.map((e) => h('tr', { 'data-position': e.position },
        h('td', { class: 'num' }, h('a', { href: eventHref(e) }, e.position)),
        h('td', {}, e.event_type),
        aggregate ? h('td', {}, h('a', { href: aggregateHref(e.aggregate_type, e.aggregate_id), title: e.aggregate_id }, `${e.aggregate_type} ${shortId(e.aggregate_id)}`)) : null,
        h('td', { class: 'num' }, e.sequence),
        h('td', { class: 'nowrap' }, formatTime(e.created_at).replace(' UTC', '')),
        extra ? h('td', {}, extra.cell(e)) : null)))));
}
