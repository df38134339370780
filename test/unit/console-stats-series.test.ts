import { describe, expect, it } from 'vitest';
import { statsSeries } from '../../console/lib/stats-series.js';

describe("the console's /stats series", () => {
  it('closes the last bucket at the end of the range with its counts, so the current bucket is drawn as wide as the others', () => {
    const { data } = statsSeries({
      bucket: 'day', from: '2026-11-01T00:00:00Z', to: '2026-11-03T00:00:00Z',
      buckets: [{ start: '2026-11-02T00:00:00Z', counts: { 'task.created': 7 } }],
      totals: { 'task.created': 7 },
    });
    const [xs, counts] = data;
    expect(xs.at(-1)).toBe(Date.parse('2026-11-03T00:00:00Z') / 1000);
    expect(xs.at(-1)! - xs.at(-2)!).toBe(86400);
    expect(counts!.slice(-2)).toEqual([7, 7]);
  });

  it('puts every bucket of the range on the x axis, zero where GET /stats left one out, biggest type first', () => {
    const { types, data } = statsSeries({
      bucket: 'hour', from: '2026-11-23T00:00:00Z', to: '2026-11-23T04:00:00Z',
      buckets: [
        { start: '2026-11-23T01:00:00Z', counts: { 'agent.created': 2, 'task.created': 5 } },
        { start: '2026-11-23T03:00:00Z', counts: { 'task.created': 1 } },
      ],
      totals: { 'agent.created': 2, 'task.created': 6 },
    });
    const t0 = Date.parse('2026-11-23T00:00:00Z') / 1000;
    expect(types).toEqual(['task.created', 'agent.created']);
    expect(data).toEqual([[t0, t0 + 3600, t0 + 7200, t0 + 10800, t0 + 14400], [0, 5, 0, 1, 1], [0, 2, 0, 0, 0]]);
  });

  it('an empty answer gives the buckets and no series', () => {
    expect(statsSeries({ bucket: 'day', from: '2026-11-01T00:00:00Z', to: '2026-11-03T00:00:00Z', buckets: [], totals: {} })).toEqual({ types: [], data: [[1793491200, 1793577600, 1793664000]] });
  });
});
