import { formatNumber, formatTime, h } from './dom.js';
import { formatBytes, runProgress } from './lifecycle.js';
import { poll } from './poll.js';

/** @param {import('./lifecycle.js').ArchiveRun} r */
const runBadge = (r) => h('span', { class: `badge ${r.status}` }, r.status);

/**
 * A run's plan, per aggregate type: what it archives and deletes (for a dry run, what it would).
 * @param {import('./lifecycle.js').TypePlan[]} plan
 * @param {string} [id]
 */
export function planTable(plan, id) {
  if (plan.length === 0) return h('p', { class: 'empty' }, 'No policy applies: nothing to archive or delete.');
  return h('div', { class: 'table-wrap' }, h('table', { id },
    h('caption', {}, 'Per aggregate type'),
    h('thead', {}, h('tr', {}, ['Type', 'Archive after', 'Delete after', 'To archive', 'Segments', 'To delete (hot)', 'To delete (archived)'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, plan.map((p) => h('tr', {},
      h('th', { scope: 'row' }, p.aggregate_type),
      h('td', {}, p.archive_after ?? 'never'),
      h('td', {}, p.delete_after ?? 'never'),
      h('td', { class: 'num' }, formatNumber(p.archive.events)),
      h('td', { class: 'num' }, formatNumber(p.archive.segments)),
      h('td', { class: 'num' }, formatNumber(p.delete.hot_events)),
      h('td', { class: 'num' }, formatNumber(p.delete.archived_events)))))));
}

/**
 * Archive runs, newest first, each linking to its progress.
 * @param {import('./lifecycle.js').ArchiveRun[]} runs
 */
export function runTable(runs) {
  if (runs.length === 0) return h('p', { class: 'empty' }, 'No run yet.');
  return h('div', { class: 'table-wrap' }, h('table', { id: 'archive-runs' },
    h('caption', {}, 'The newest 20 runs'),
    h('thead', {}, h('tr', {}, ['Run', 'Status', 'Kind', 'Progress', 'Archived', 'Deleted', 'Segments', 'Bytes', 'Started (UTC)'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, runs.map((r) => {
      const { done, total } = runProgress(r);
      return h('tr', { 'data-id': r.id },
        h('td', { class: 'nowrap' }, h('a', { href: `/admin/retention/runs/${r.id}`, title: r.id }, `…${r.id.slice(-8)}`)),
        h('td', {}, runBadge(r)),
        h('td', {}, `${r.dry_run ? 'dry run' : 'run'}, ${r.trigger}`),
        h('td', {}, h('progress', { max: total || 1, value: total ? done : r.status === 'running' ? 0 : 1, 'aria-label': `Run …${r.id.slice(-8)} progress` })),
        h('td', { class: 'num' }, formatNumber(r.archived)),
        h('td', { class: 'num' }, formatNumber(r.deleted)),
        h('td', { class: 'num' }, formatNumber(r.segments)),
        h('td', { class: 'num nowrap' }, formatBytes(r.bytes)),
        h('td', { class: 'nowrap' }, formatTime(r.started_at).replace(' UTC', '')));
    }))));
}

/**
 * Polls a run until it has finished, calling `show` with each state; resolves with the last.
 * A failed read is passed to `fail` and read again after the same interval (null once one
 * succeeds); a 4xx is thrown, and so is the abort of `signal`.
 * @param {import('./api.js').Api} api
 * @param {string} id
 * @param {AbortSignal} signal
 * @param {(run: import('./lifecycle.js').ArchiveRun) => void} show
 * @param {(error: unknown) => void} [fail]
 * @param {number} [everyMs]
 */
export async function followRun(api, id, signal, show, fail = () => {}, everyMs = 500) {
  /** @type {import('./lifecycle.js').ArchiveRun | undefined} */
  let run;
  await poll(signal, everyMs, async () => {
    run = /** @type {import('./lifecycle.js').ArchiveRun} */ (await api.get(`/archive/runs/${encodeURIComponent(id)}`, { signal }));
    show(run);
    return run.status === 'running';
  }, fail);
  signal.throwIfAborted();
  return /** @type {import('./lifecycle.js').ArchiveRun} */ (run);
}
