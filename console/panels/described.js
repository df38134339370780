import { h } from '../lib/dom.js';

/**
 * Any JSON answer as something readable: a list of objects as a table (columns from their
 * keys), an object holding one such list as that table plus its other fields, else the JSON.
 * @param {unknown} value
 * @returns {HTMLElement}
 */
export function jsonView(value) {
  const rows = Array.isArray(value) ? value : null;
  if (rows && rows.every((r) => r && typeof r === 'object' && !Array.isArray(r))) {
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const cell = (/** @type {unknown} */ v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v ?? ''));
    return rows.length === 0 ? h('p', { class: 'empty' }, 'None.') : h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', {}, cell(r[c]))))))));
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    const list = entries.find(([, v]) => Array.isArray(v));
    if (list) {
      const rest = entries.filter(([k]) => k !== list[0]);
      return h('div', {}, rest.length > 0 ? h('p', { class: 'muted' }, rest.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(' · ')) : null, jsonView(list[1]));
    }
  }
  return h('pre', { class: 'json', tabindex: 0 }, JSON.stringify(value, null, 2));
}

/**
 * A panel for a route of a later phase (statistics, retention, archive, consumer groups): it
 * appears once the service describes the route in its OpenAPI document and shows the answer
 * as it comes. A dedicated panel (e.g. a chart of /stats) replaces it in panels/index.js.
 * @param {string} id
 * @param {string} title
 * @param {string} path
 * @param {Record<string, string>} [query]
 * @returns {import('./index.js').Panel}
 */
export function describedPanel(id, title, path, query) {
  return {
    id,
    title,
    path,
    async refresh({ api, signal }, body) {
      body.replaceChildren(jsonView(await api.get(path, { query, signal })));
    },
  };
}
