import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, newId, postJson } from '../support/http.ts';
import { metricValue, startTestService, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.close());

/** Appends the events and waits until /stats has counted them. */
async function appendCounted(events: { event_type: string; aggregate_id: string }[]) {
  const res = await postJson(t.app, '/events/batch', { events });
  expect(res.status).toBe(201);
  const last = res.body.events.at(-1).position as number;
  expect(await waitUntil(async () => (await get(t.app, '/stats')).body.up_to >= last)).toBe(true);
  return res.body.events as { created_at: string; position: number }[];
}

const sum = (buckets: { counts: Record<string, number> }[], type: string) => buckets.reduce((n, b) => n + (b.counts[type] ?? 0), 0);

describe('GET /stats', () => {
  it('counts appended events per bucket and event type, the same in minute, hour and day buckets', async () => {
    const a = newId();
    const stored = await appendCounted([
      ...Array.from({ length: 5 }, () => ({ event_type: 'meter.read', aggregate_id: a })),
      ...Array.from({ length: 2 }, () => ({ event_type: 'meter.reset', aggregate_id: a })),
      { event_type: 'probe.pinged', aggregate_id: newId() },
    ]);
    const at = Date.parse(stored[0]!.created_at);
    for (const bucket of ['minute', 'hour', 'day']) {
      const res = await get(t.app, `/stats?bucket=${bucket}&from=${new Date(at - 86_400_000).toISOString()}&to=${new Date(at + 86_400_000).toISOString()}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ bucket, up_to: expect.any(Number) });
      expect(res.body.totals).toMatchObject({ 'meter.read': 5, 'meter.reset': 2, 'probe.pinged': 1 });
      expect(sum(res.body.buckets, 'meter.read')).toBe(5);
      // Only buckets with events, in time order.
      const starts = res.body.buckets.map((b: { start: string }) => b.start);
      expect(starts).toEqual([...starts].sort());
      expect(res.body.buckets.every((b: { counts: object }) => Object.keys(b.counts).length > 0)).toBe(true);
    }
  });

  it('aligns the range outwards to whole UTC buckets and echoes it', async () => {
    const res = await get(t.app, '/stats?bucket=hour&from=2026-11-23T01:44:44.123456Z&to=2026-11-23T03:00:00.000001Z');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ bucket: 'hour', from: '2026-11-23T01:00:00Z', to: '2026-11-23T04:00:00Z', buckets: [], totals: {} });
    const day = await get(t.app, '/stats?bucket=day&from=2026-11-23T12:00:00%2B02:00&to=2026-11-24');
    expect(day.body).toMatchObject({ from: '2026-11-23T00:00:00Z', to: '2026-11-24T00:00:00Z' });
  });

  it('without a range answers the last 60 minutes, 24 hours or 30 days up to the end of the current bucket', async () => {
    const res = await get(t.app, '/stats?bucket=minute');
    const to = Date.parse(res.body.to);
    expect(to % 60_000).toBe(0);
    expect(to).toBeGreaterThan(Date.now() - 60_000);
    expect(to - Date.parse(res.body.from)).toBe(60 * 60_000);
    const hours = (await get(t.app, '/stats')).body;
    expect(hours.bucket).toBe('hour');
    expect(Date.parse(hours.to) - Date.parse(hours.from)).toBe(24 * 3_600_000);
  });

  it('filters by aggregate_type and by event_type', async () => {
    await appendCounted([{ event_type: 'gauge.read', aggregate_id: newId() }, { event_type: 'gauge.set', aggregate_id: newId() }, { event_type: 'dial.turned', aggregate_id: newId() }]);
    const byType = (await get(t.app, '/stats?aggregate_type=gauge')).body;
    expect(Object.keys(byType.totals).sort()).toEqual(['gauge.read', 'gauge.set']);
    expect(byType.aggregate_type).toBe('gauge');
    const byEvent = (await get(t.app, '/stats?event_type=gauge.set&bucket=day')).body;
    expect(byEvent.totals).toEqual({ 'gauge.set': 1 });
  });

  it('refuses bad parameters with 400 problem+json naming each one', async () => {
    const cases: [string, string[]][] = [
      ['bucket=week', ['/bucket']],
      ['from=yesterday&to=2026-02-30', ['/from', '/to']],
      ['from=2026-11-24&to=2026-11-23', ['/from']],
      ['aggregate_type=Agent&event_type=agent', ['/aggregate_type', '/event_type']],
      ['bucket=hour&bucket=day', ['/bucket']],
      ['aggregateType=agent', ['/aggregateType']],
      ['bucket=minute&from=2026-01-01&to=2026-02-01', ['/from', '/to']],
      ['bucket=minute&from=2000-01-01', ['/from']],
      ['to=9999-12-31T23:59:59Z', ['/to']],
    ];
    for (const [query, pointers] of cases) {
      const res = await get(t.app, `/stats?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.type).toBe('/problems/malformed-request');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort(), query).toEqual(pointers);
    }
    const tooMany = await get(t.app, '/stats?bucket=minute&from=2026-01-01&to=2026-02-01');
    expect(tooMany.body.errors[0].detail).toContain('44,640 minute buckets; an answer holds at most 10,000');
    expect((await get(t.app, '/stats?bucket=minute&from=2026-01-01T00:00Z&to=2026-01-07T22:40Z')).status).toBe(200);
  });

  // GET /events reads these instants (their UTC time is before year 1 or after 9999); a bucket
  // bound there has no four-digit UTC year, so /stats refuses the parameter it comes from.
  it('refuses a range that, widened to whole buckets or defaulted, leaves years 1 to 9999 in UTC', async () => {
    const cases: [string, string[]][] = [
      ['bucket=day&to=0001-01-01', ['/from']],
      ['bucket=minute&to=0001-01-01T00:30Z', ['/from']],
      [`bucket=day&from=${encodeURIComponent('0001-01-01T00:00:00+15:59')}&to=0001-01-02`, ['/from']],
      [`bucket=minute&from=${encodeURIComponent('0001-01-01T00:00:00+00:01')}&to=${encodeURIComponent('0001-01-01T00:00:00+00:01')}`, ['/from', '/to']],
      [`bucket=hour&from=9999-12-30&to=${encodeURIComponent('9999-12-31T23:59:59-15:59')}`, ['/to']],
    ];
    for (const [query, pointers] of cases) {
      const res = await get(t.app, `/stats?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.type).toBe('/problems/malformed-request');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort(), query).toEqual(pointers);
    }
    const earliest = await get(t.app, '/stats?bucket=day&from=0001-01-01&to=0001-01-31');
    expect(earliest.status).toBe(200);
    expect(earliest.body).toMatchObject({ from: '0001-01-01T00:00:00Z', to: '0001-01-31T00:00:00Z', buckets: [] });
  });

  it('reports the projection in /metrics: how far it has counted and its lag', async () => {
    const stored = await appendCounted([{ event_type: 'meter.read', aggregate_id: newId() }]);
    expect(await metricValue(t, 'stats_projected_position')).toBeGreaterThanOrEqual(stored[0]!.position);
    expect(await metricValue(t, 'stats_projection_lag')).toBe(0);
  });
});
