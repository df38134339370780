import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, policyBody, runProgress, runSummary, sumTiers } from '../../console/lib/lifecycle.js';

const run = (over: Record<string, unknown>) => ({
  id: 'r', status: 'running', dry_run: false, trigger: 'request', archived: 0, deleted: 0, segments: 0, bytes: 0,
  planned: null, plan: null, error: null, started_at: '', updated_at: '', finished_at: null, ...over,
}) as Parameters<typeof runProgress>[0];
const tiers = (hot: number, hotBytes: number | null, archived: number) => ({
  hot: { events: hot, bytes: hotBytes, bytes_estimated: true as const }, archive: { events: archived, bytes: archived * 10, segments: archived ? 1 : 0 }, deleted: { events: 1 },
});

describe("the console's retention and archive helpers", () => {
  it('sends an empty duration as null (never) and the rest upper-cased for the service to judge', () => {
    expect(policyBody({ archive_after: ' p30d ', delete_after: '' })).toEqual({ archive_after: 'P30D', delete_after: null });
    expect(policyBody({ archive_after: 'soon' })).toEqual({ archive_after: 'SOON', delete_after: null });
  });

  it('sums the tiers, hot bytes unknown as soon as one type\u2019s estimate is', () => {
    expect(sumTiers([tiers(5, 100, 2), tiers(1, 50, 0)])).toEqual({ hotEvents: 6, hotBytes: 150, archivedEvents: 2, archivedBytes: 20, segments: 1, deletedEvents: 2 });
    expect(sumTiers([tiers(5, 100, 2), tiers(1, null, 0)]).hotBytes).toBeNull();
  });

  it('measures a run against its plan, full once it succeeded, nothing to measure before the plan', () => {
    expect(runProgress(run({ archived: 3, deleted: 1 }))).toEqual({ done: 4, total: 0 });
    expect(runProgress(run({ archived: 3, deleted: 1, planned: 10 }))).toEqual({ done: 4, total: 10 });
    expect(runProgress(run({ status: 'succeeded', archived: 9, planned: 10 }))).toEqual({ done: 10, total: 10 });
  });

  it('says what a dry run would do from its plan, and what a run did', () => {
    const plan = [
      { aggregate_type: 'a', archive_after: 'PT0S', delete_after: null, archive: { events: 1, segments: 1 }, delete: { hot_events: 0, archived_events: 0, segments: 0 } },
      { aggregate_type: 'b', archive_after: null, delete_after: 'P1D', archive: { events: 0, segments: 0 }, delete: { hot_events: 2, archived_events: 3, segments: 1 } },
    ];
    expect(runSummary(run({ dry_run: true, status: 'succeeded', plan }))).toBe('Would archive 1 event into 1 segment and delete 5 events.');
    expect(runSummary(run({ status: 'succeeded', archived: 1200, segments: 2, bytes: 2048, deleted: 0 }))).toBe('Archived 1,200 events into 2 segments (2.0 KB), deleted 0.');
  });

  it('formats bytes in powers of 1024 and ages in the largest fitting unit', () => {
    expect([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(10 * 1024 ** 3), formatBytes(null)]).toEqual(['0 B', '1023 B', '1.5 KB', '10 GB', '–']);
    expect([formatAge(1.5), formatAge(90), formatAge(7200), formatAge(172800), formatAge(null)]).toEqual(['1.5 s', '1 min', '2.0 h', '2.0 d', '–']);
  });
});
