import { formatNumber, formatTime, h } from '../lib/dom.js';
import { formatBytes, sumTiers } from '../lib/lifecycle.js';
import { ApiError } from '../lib/problem.js';
import { loadPolicies } from '../lib/retention-policies.js';

/** @param {string} label @param {string | Node} value @param {string} [state] */
const card = (label, value, state) => h('div', { class: `card ${state ?? ''}` }, h('dt', {}, label), h('dd', {}, value));

/**
 * Retention and archive at a glance: the policies, hot against archived events and bytes over
 * the types that have one, and the last run.
 * @type {import('./index.js').Panel}
 */
export const lifecyclePanel = {
  id: 'lifecycle',
  title: 'Retention and archive',
  path: '/retention',
  async refresh({ api, signal }, body) {
    const [rows, runs] = await Promise.all([
      loadPolicies(api, signal),
      // Without archive runs (404) the panel still shows the policies and tiers.
      api.get('/archive/runs', { signal }).catch((error) => {
        if (error instanceof ApiError && error.status === 404) return { runs: null };
        throw error;
      }),
    ]);
    const total = sumTiers(rows.flatMap((r) => (r.tiers ? [r.tiers] : [])));
    /** @type {import('../lib/lifecycle.js').ArchiveRun | undefined} */
    const last = runs.runs?.[0];
    const lastRun = last
      ? h('span', {}, h('a', { href: `/admin/retention/runs/${last.id}` }, h('span', { class: `badge ${last.status}` }, last.status)), ` ${last.dry_run ? 'dry run' : ''}`)
      : 'none yet';
    const state = !last ? '' : last.status === 'failed' ? 'bad' : last.status === 'succeeded' ? 'ok' : 'warn';
    body.replaceChildren(
      h('dl', { class: 'cards', id: 'lifecycle-cards' },
        card('Policies', formatNumber(rows.length)),
        card('Hot events', formatNumber(total.hotEvents)),
        card('Hot bytes (estimate)', formatBytes(total.hotBytes)),
        card('Archived events', formatNumber(total.archivedEvents)),
        card('Archived bytes', formatBytes(total.archivedBytes)),
        card('Segments', formatNumber(total.segments)),
        card('Deleted events', formatNumber(total.deletedEvents)),
        card('Last run', lastRun, state)),
      h('p', { class: 'muted' },
        rows.length === 0 ? 'No policy: every event stays in PostgreSQL. ' : `Events and bytes of the ${rows.length === 1 ? 'type' : `${rows.length} types`} with a policy. `,
        last ? `Last run started ${formatTime(last.started_at)}${last.finished_at ? `, finished ${formatTime(last.finished_at)}` : ''}${last.error ? `: ${last.error}` : ''}. ` : '',
        h('a', { href: '/admin/retention' }, 'Policies, runs and segments')));
  },
};
