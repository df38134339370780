import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventClient } from '../../src/client/client.ts';
import { withDatabaseName } from '../../src/postgres/url.ts';
import { agentCreated, get, newId, postJson } from '../support/http.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.ts';
import { metricValue, startTestService, type TestService } from '../support/service.ts';
import { readSse } from '../support/sse.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { waitUntil } from '../support/wait.ts';

// A primary and a streaming replica of the test's own; the service reads the replica through a
// TCP proxy, so that the replica can also be made to stop answering.
let pg: PrivatePostgres;
let proxy: TcpProxy;
let t: TestService;
const cleanup: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  pg = await startPrivatePostgres();
  cleanup.push(() => pg.stop());
  await pg.addReplica();
  proxy = await startTcpProxy({ port: Number(new URL(pg.replicaUrl).port) });
  cleanup.push(() => proxy.close());
  t = await startTestService({ DATABASE_READ_URL: pg.replicaUrl.replace(/:\d+\//, `:${proxy.port}/`), DATABASE_POOL_MAX: '4' }, pg.url, { migrate: true });
  cleanup.push(() => t.close());
  await pg.waitForReplay();
}, 120_000);
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

const served = async (server: 'replica' | 'primary') => (await metricValue(t, `database_reads_total{server="${server}"}`)) || 0;
const append = async (aggregateId = newId()) => {
  const res = await postJson(t.app, '/events', agentCreated(aggregateId));
  expect(res.status).toBe(201);
  return res.body as { id: string; aggregate_id: string; position: number };
};
const replicaState = async () => (await get(t.app, '/health')).body.replica as string;

describe('reads on a replica', () => {
  it('read-your-writes 1,000 times in a row: a read given the position an append answered always sees it', async () => {
    const replicaBefore = await served('replica');
    for (let i = 0; i < 1000; i++) {
      const e = await append();
      const read = i % 3 === 0
        ? await get(t.app, `/events/${e.id}?min_position=${e.position}`)
        : i % 3 === 1
          ? await Promise.resolve(t.app.request(`/events/${e.id}`, { headers: { 'x-min-position': String(e.position) } })).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } }))
          : await get(t.app, `/events?aggregate_id=${e.aggregate_id}&min_position=${e.position}`).then((r) => ({ status: r.status, body: r.body.events[0] }));
      expect(read.status, `read ${i}`).toBe(200);
      expect(read.body.id, `read ${i}`).toBe(e.id);
    }
    expect(await served('replica')).toBeGreaterThan(replicaBefore);
  }, 120_000);

  it('while replay is paused: a read given a position beyond the replica answers from the primary; one without a position still answers from the replica', async () => {
    await pg.pauseReplay();
    try {
      const e = await append();
      expect((await get(t.app, `/events/${e.id}`)).status).toBe(404);
      expect((await get(t.app, `/aggregates/agent/${e.aggregate_id}`)).status).toBe(404);
      const primaryBefore = await served('primary');
      expect((await get(t.app, `/events/${e.id}?min_position=${e.position}`)).body.id).toBe(e.id);
      expect((await get(t.app, `/events?aggregate_id=${e.aggregate_id}&min_position=${e.position}`)).body.events.map((x: { id: string }) => x.id)).toEqual([e.id]);
      expect((await get(t.app, `/aggregates/agent/${e.aggregate_id}?min_position=${e.position}`)).body.sequence).toBe(1);
      expect(await served('primary')).toBeGreaterThanOrEqual(primaryBefore + 3);
    } finally {
      await pg.resumeReplay();
    }
  });

  it("the client reads its own writes while replay is paused: its reads carry the position of its last append", async () => {
    const viaApp = ((url: string, init?: RequestInit) => t.app.request(url, init)) as typeof fetch;
    const client = createEventClient({ baseUrl: 'http://service', fetch: viaApp });
    const unaware = createEventClient({ baseUrl: 'http://service', fetch: viaApp, readYourWrites: false });
    await pg.pauseReplay();
    try {
      const { event } = await client.append({ event_type: 'agent.created', aggregate_id: newId() });
      const { events } = await client.appendBatch([{ event_type: 'agent.renamed', aggregate_id: event.aggregate_id, payload: { name: 'b' } }]);
      expect(await unaware.get(event.id)).toBeUndefined(); // the replica's answer: it has not replayed the appends
      expect((await client.get(events[0]!.id))?.position).toBe(events[0]!.position);
      expect((await client.query({ aggregate_id: event.aggregate_id })).events.map((e) => e.id)).toEqual([event.id, events[0]!.id]);
      expect((await client.aggregate('agent', event.aggregate_id)).sequence).toBe(2);
      expect((await unaware.query({ aggregate_id: event.aggregate_id, min_position: event.position })).events.map((e) => e.id)).toEqual([event.id, events[0]!.id]);
    } finally {
      await pg.resumeReplay();
    }
  });

  it('a snapshot written while replay is paused reads back at once: snapshot reads go to the primary, where it was written', async () => {
    const client = createEventClient({ baseUrl: 'http://service', fetch: ((url: string, init?: RequestInit) => t.app.request(url, init)) as typeof fetch });
    const { event } = await client.append({ event_type: 'agent.created', aggregate_id: newId() });
    await pg.waitForReplay();
    await pg.pauseReplay();
    try {
      expect((await client.putSnapshot('agent', event.aggregate_id, { sequence: 1, schema_version: 1, state: { n: 1 } })).stored).toBe(true);
      expect((await client.getSnapshot('agent', event.aggregate_id, 1)).state).toEqual({ n: 1 });
    } finally {
      await pg.resumeReplay();
    }
  });

  it('an SSE stream delivers an event committed while replay is paused, and the ones after it, none skipped', async () => {
    const aggregateId = newId();
    const stream = readSse(await t.app.request(`/events/stream?aggregate_id=${aggregateId}`));
    try {
      expect(await stream.waitFor(() => stream.events.some((e) => e.comment === 'connected'))).toBe(true);
      await pg.pauseReplay();
      const first = await append(aggregateId);
      expect(await stream.waitFor(() => stream.messages().length === 1)).toBe(true);
      await pg.resumeReplay();
      const second = await append(aggregateId);
      expect(await stream.waitFor(() => stream.messages().length === 2)).toBe(true);
      expect(stream.messages().map((m) => m.event.id)).toEqual([first.id, second.id]);
    } finally {
      await pg.resumeReplay();
      await stream.close();
    }
  });

  it('an SSE stream opened without a position starts at the head this instance knows of, though the replica lags behind it', async () => {
    const aggregateId = newId();
    await pg.pauseReplay();
    try {
      await append(aggregateId);
      const stream = readSse(await t.app.request(`/events/stream?aggregate_id=${aggregateId}`));
      try {
        expect(await stream.waitFor(() => stream.events.some((e) => e.comment === 'connected'))).toBe(true);
        const after = await append(aggregateId);
        expect(await stream.waitFor(() => stream.messages().length >= 1)).toBe(true);
        expect(stream.messages().map((m) => m.event.id)).toEqual([after.id]);
      } finally {
        await stream.close();
      }
    } finally {
      await pg.resumeReplay();
    }
  });

  it('while the replica is stopped, reads answer from the primary; once it is back, from the replica again', async () => {
    await pg.stopReplica();
    const e = await append();
    const started = performance.now();
    const read = await get(t.app, `/events/${e.id}`);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(read.body.id).toBe(e.id);
    expect((await get(t.app, '/events?limit=1')).status).toBe(200);
    expect(await waitUntil(async () => (await replicaState()) === 'unavailable')).toBe(true);
    expect((await get(t.app, '/ready')).status).toBe(200);

    await pg.startReplica();
    expect(await waitUntil(async () => (await replicaState()) === 'ok')).toBe(true);
    await pg.waitForReplay();
    await pg.pauseReplay();
    try {
      const hidden = await append();
      expect((await get(t.app, `/events/${hidden.id}`)).status).toBe(404);
    } finally {
      await pg.resumeReplay();
    }
  }, 60_000);

  it('while the replica does not answer at all, reads answer from the primary within 2 s; once it answers, from the replica again', async () => {
    const e = await append();
    proxy.blackhole();
    try {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        expect((await get(t.app, `/events/${e.id}`)).body.id).toBe(e.id);
        times.push(performance.now() - started);
      }
      for (const ms of times) expect(ms).toBeLessThan(2000);
      expect(await replicaState()).toBe('unavailable');
    } finally {
      proxy.restore();
    }
    expect(await waitUntil(async () => (await replicaState()) === 'ok')).toBe(true);
    const replicaBefore = await served('replica');
    expect((await get(t.app, '/events?limit=1')).status).toBe(200);
    expect(await served('replica')).toBe(replicaBefore + 1);
  }, 60_000);

  it('when the primary and the replica both stop answering (a partition), a read is answered 503 within 2 s', async () => {
    const primaryProxy = await startTcpProxy({ port: Number(new URL(pg.url).port) });
    cleanup.push(() => primaryProxy.close());
    const s = await startTestService({ DATABASE_READ_URL: pg.replicaUrl.replace(/:\d+\//, `:${proxy.port}/`), DATABASE_POOL_MAX: '2' }, pg.url.replace(/:\d+\//, `:${primaryProxy.port}/`), { migrate: true });
    cleanup.push(() => s.close());
    const e = (await postJson(s.app, '/events', agentCreated())).body as { id: string };
    expect((await get(s.app, `/events/${e.id}`)).status).toBe(200);
    proxy.blackhole();
    primaryProxy.blackhole();
    try {
      const started = performance.now();
      const read = await get(s.app, `/events/${e.id}`);
      // The replica found down first, then the primary probed only after it: 2.6 s here before.
      expect(performance.now() - started).toBeLessThan(2000);
      expect(read.status).toBe(503);
    } finally {
      proxy.restore();
      primaryProxy.restore();
    }
    expect(await waitUntil(async () => (await get(s.app, `/events/${e.id}`)).status === 200, 10_000)).toBe(true);
  }, 60_000);

  it('before the replica has replayed the migrations, reads answer from the primary', async () => {
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    await admin`create database fresh`;
    await admin.end();
    await pg.waitForReplay();
    await pg.pauseReplay();
    try {
      const s = await startTestService({ DATABASE_READ_URL: withDatabaseName(pg.replicaUrl, 'fresh'), DATABASE_POOL_MAX: '2' }, withDatabaseName(pg.url, 'fresh'), { migrate: true });
      cleanup.push(() => s.close());
      const e = (await postJson(s.app, '/events', agentCreated())).body as { id: string };
      const page = await get(s.app, '/events?limit=10');
      expect(page.status).toBe(200);
      expect(page.body.events.map((x: { id: string }) => x.id)).toEqual([e.id]);
    } finally {
      await pg.resumeReplay();
    }
  }, 60_000);
});
