import { formatNumber } from './dom.js';

/**
 * @typedef {{ aggregate_type: string, archive_after: string | null, delete_after: string | null, updated_at: string | null }} Policy
 * @typedef {{ hot: { events: number, bytes: number | null, bytes_estimated: true }, archive: { events: number, bytes: number, segments: number }, deleted: { events: number } }} Tiers
 * @typedef {{ aggregate_type: string, archive_after: string | null, delete_after: string | null, archive: { events: number, segments: number }, delete: { hot_events: number, archived_events: number, segments: number } }} TypePlan
 * @typedef {{ id: string, status: 'running' | 'succeeded' | 'failed', dry_run: boolean, trigger: 'schedule' | 'request', archived: number, deleted: number, segments: number, bytes: number, planned: number | null, plan: TypePlan[] | null, error: string | null, started_at: string, updated_at: string, finished_at: string | null }} ArchiveRun
 * @typedef {{ id: number, aggregate_type: string, from_position: number, to_position: number, first_created_at: string, last_created_at: string, events: number, bytes: number, sha256: string, key: string, run_id: string, created_at: string }} Segment
 */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** @param {number | null | undefined} n bytes, in powers of 1024 */
export function formatBytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

/**
 * The PUT /retention/{type} body from the form's fields: an empty field is null (never). The
 * service validates the durations and their order; the console only trims.
 * @param {{ archive_after?: string | null, delete_after?: string | null }} values
 */
export function policyBody(values) {
  const v = (/** @type {string | null | undefined} */ s) => (s && s.trim() ? s.trim().toUpperCase() : null);
  return { archive_after: v(values.archive_after), delete_after: v(values.delete_after) };
}

/**
 * Hot and archived events and bytes summed over types; hot bytes are PostgreSQL's estimate and
 * unknown when a type's is.
 * @param {Tiers[]} tiers
 */
export function sumTiers(tiers) {
  const total = { hotEvents: 0, hotBytes: /** @type {number | null} */ (0), archivedEvents: 0, archivedBytes: 0, segments: 0, deletedEvents: 0 };
  for (const t of tiers) {
    total.hotEvents += t.hot.events;
    total.hotBytes = total.hotBytes === null || t.hot.bytes === null ? null : total.hotBytes + t.hot.bytes;
    total.archivedEvents += t.archive.events;
    total.archivedBytes += t.archive.bytes;
    total.segments += t.archive.segments;
    total.deletedEvents += t.deleted.events;
  }
  return total;
}

/**
 * How far a run is: events archived and deleted against what it planned (null until planned).
 * @param {ArchiveRun} run
 */
export function runProgress(run) {
  const done = run.archived + run.deleted;
  if (run.planned === null) return { done, total: 0 };
  return { done: run.status === 'succeeded' ? Math.max(done, run.planned) : Math.min(done, run.planned), total: run.planned };
}

/** @param {number} n @param {string} noun */
const count = (n, noun) => `${formatNumber(n)} ${noun}${n === 1 ? '' : 's'}`;

/** @param {ArchiveRun} run one line on what a run did, or for a dry run what it would do */
export function runSummary(run) {
  if (run.dry_run) {
    if (!run.plan) return 'Counting what a run would do…';
    const archive = run.plan.reduce((n, p) => n + p.archive.events, 0);
    const del = run.plan.reduce((n, p) => n + p.delete.hot_events + p.delete.archived_events, 0);
    const segments = run.plan.reduce((n, p) => n + p.archive.segments, 0);
    return `Would archive ${count(archive, 'event')} into ${count(segments, 'segment')} and delete ${count(del, 'event')}.`;
  }
  return `Archived ${count(run.archived, 'event')} into ${count(run.segments, 'segment')} (${formatBytes(run.bytes)}), deleted ${formatNumber(run.deleted)}.`;
}

/** @param {number | null} seconds the oldest pending entry's age */
export function formatAge(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}
