import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveNow, putPolicy, tempArchive, waitPublished } from '../support/archive.ts';
import { newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
let archive: Awaited<ReturnType<typeof tempArchive>>;
beforeAll(async () => {
  archive = await tempArchive();
  t = await startTestService({ ARCHIVE_URL: archive.url, ARCHIVE_INTERVAL: '0', API_KEYS: 'readkey:read,adminkey:admin' });
});
afterAll(async () => {
  await t.close();
  await archive.remove();
});

const admin = { authorization: 'Bearer adminkey' };
const put = (type: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  t.app.request(`/retention/${type}`, { method: 'PUT', headers: { ...admin, ...headers }, body });
const read = async (path: string) => {
  const res = await t.app.request(path, { headers: admin });
  return { status: res.status, body: (await res.json()) as any };
};

describe('retention policies', () => {
  it('creates (201), replaces (200), lists, reads and deletes a policy; the default keeps forever', async () => {
    expect((await read('/retention/invoice')).body).toMatchObject({ aggregate_type: 'invoice', archive_after: null, delete_after: null, updated_at: null });
    const created = await put('invoice', JSON.stringify({ archive_after: 'P30D', delete_after: 'P365D' }));
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/retention/invoice');
    expect((await created.json()) as any).toMatchObject({ aggregate_type: 'invoice', archive_after: 'P30D', delete_after: 'P365D', updated_at: expect.stringMatching(/Z$/) });
    const replaced = await put('invoice', JSON.stringify({ archive_after: 'PT12H' }));
    expect(replaced.status).toBe(200);
    expect((await replaced.json()) as any).toMatchObject({ archive_after: 'PT12H', delete_after: null });
    await put('audit', JSON.stringify({ archive_after: null, delete_after: 'P1Y6M' }));
    const list = (await read('/retention')).body.policies.map((p: { aggregate_type: string }) => p.aggregate_type);
    expect(list).toEqual(expect.arrayContaining(['audit', 'invoice']));
    const removed = await t.app.request('/retention/invoice', { method: 'DELETE', headers: admin });
    expect(removed.status).toBe(204);
    expect((await read('/retention/invoice')).body).toMatchObject({ archive_after: null, delete_after: null, updated_at: null });
    expect((await t.app.request('/retention/invoice', { method: 'DELETE', headers: admin })).status).toBe(204);
  });

  it('refuses bad durations, names, unknown fields and conflicting policies with problem+json, changing nothing', async () => {
    await put('ledger', JSON.stringify({ archive_after: 'P7D', delete_after: 'P90D' }));
    const cases: [string, string, number, string, Record<string, string>?][] = [
      ['ledger', JSON.stringify({ archive_after: 'P' }), 422, '/archive_after'],
      ['ledger', JSON.stringify({ archive_after: 'PT' }), 422, '/archive_after'],
      ['ledger', JSON.stringify({ archive_after: 'P1.5D' }), 422, '/archive_after'],
      ['ledger', JSON.stringify({ archive_after: '30 days' }), 422, '/archive_after'],
      ['ledger', JSON.stringify({ archive_after: '-P1D' }), 422, '/archive_after'],
      ['ledger', JSON.stringify({ archive_after: 'P1D2Y' }), 422, '/archive_after'],
      ['ledger', JSON.stringify({ archive_after: 'P99999999D' }), 422, '/archive_after'],
      ['ledger', JSON.stringify({ delete_after: 30 }), 422, '/delete_after'],
      ['ledger', JSON.stringify({ archive_after: 'P30D', delete_after: 'P7D' }), 422, '/delete_after'],
      ['ledger', JSON.stringify({ archive_after: 'P1M', delete_after: 'P29D' }), 422, '/delete_after'],
      ['ledger', JSON.stringify({ archive_after: 'P1D', keep: 'forever' }), 422, '/keep'],
      ['ledger', JSON.stringify(['P1D']), 422, ''],
      ['ledger', '{"archive_after": "P1D"', 400, ''],
      ['ledger', 'archive_after=P1D', 415, '', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['Ledger', JSON.stringify({ archive_after: 'P1D' }), 400, '/aggregate_type'],
      ['a*b', JSON.stringify({ archive_after: 'P1D' }), 400, '/aggregate_type'],
    ];
    for (const [type, body, status, pointer, headers] of cases) {
      const res = await put(encodeURIComponent(type), body, headers);
      expect(res.status, body).toBe(status);
      expect(res.headers.get('content-type'), body).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as any;
      if (pointer) expect(problem.errors.map((e: { pointer: string }) => e.pointer), body).toContain(pointer);
    }
    expect((await read('/retention/ledger')).body).toMatchObject({ archive_after: 'P7D', delete_after: 'P90D' });
    expect((await read('/retention/Ledger')).status).toBe(400);
  });

  it('accepts PT0S and equal durations, and checks delete_after against archive_after in months of 30 days', async () => {
    expect((await put('now', JSON.stringify({ archive_after: 'PT0S', delete_after: 'PT0S' }))).status).toBe(201);
    expect((await put('month', JSON.stringify({ archive_after: 'P1M', delete_after: 'P30D' }))).status).toBe(201);
    expect((await put('weeks', JSON.stringify({ archive_after: 'P2W', delete_after: 'P1Y' }))).status).toBe(201);
  });

  it('needs the admin scope to change a policy and read to see one', async () => {
    const asReader = await t.app.request('/retention/ledger', { method: 'PUT', headers: { authorization: 'Bearer readkey', 'content-type': 'application/json' }, body: '{}' });
    expect(asReader.status).toBe(403);
    expect((await t.app.request('/retention/ledger', { headers: { authorization: 'Bearer readkey' } })).status).toBe(200);
    expect((await t.app.request('/retention')).status).toBe(401);
  });

  it('counts events and bytes per tier: hot and archived from the aggregates and the manifest, deleted from the removals', async () => {
    const id = newId();
    const events = Array.from({ length: 30 }, (_, i) => ({ event_type: 'shipment.noted', aggregate_id: i < 20 ? id : newId(), payload: { i } }));
    const res = await postJson(t.app, '/events/batch', { events }, admin);
    expect(res.status).toBe(201);
    await waitPublished(t, res.body.events[29].position);
    const before = (await read('/retention/shipment')).body.tiers;
    expect(before).toMatchObject({ hot: { events: 30, bytes_estimated: true }, archive: { events: 0, bytes: 0, segments: 0 }, deleted: { events: 0 } });
    await t.sql`analyze events`;
    expect((await read('/retention/shipment')).body.tiers.hot.bytes).toBeGreaterThan(0);

    await putPolicy(withKey(t), 'shipment', { archive_after: 'PT0S' });
    const run = await archiveNow(withKey(t));
    expect(run).toMatchObject({ status: 'succeeded', archived: 30 });
    const archived = (await read('/retention/shipment')).body.tiers;
    expect(archived).toMatchObject({ hot: { events: 0 }, archive: { events: 30, segments: 1 }, deleted: { events: 0 } });
    expect(archived.archive.bytes).toBe(run.bytes);

    await putPolicy(withKey(t), 'shipment', { archive_after: 'PT0S', delete_after: 'PT0S' });
    expect(await archiveNow(withKey(t))).toMatchObject({ status: 'succeeded', deleted: 30 });
    expect((await read('/retention/shipment')).body.tiers).toMatchObject({ hot: { events: 0 }, archive: { events: 0, segments: 0 }, deleted: { events: 30 } });
  });
});

/** The app as the admin key sees it (the helpers send no key). */
function withKey(s: TestService) {
  return { request: (path: string, init: RequestInit = {}) => s.app.request(path, { ...init, headers: { ...admin, ...(init.headers as Record<string, string>) } }) } as TestService['app'];
}
