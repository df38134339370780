import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAggregate } from '../../src/aggregates/load-aggregate.ts';
import { httpEventReader } from '../../src/client/http-reader.ts';
import { subscribe } from '../../src/client/subscribe.ts';
import type { StoredEvent } from '../../src/events/event.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';
import { archiveNow, putPolicy, tempArchive, waitPublished } from '../support/archive.ts';
import { testRedisUrl } from '../support/env.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startS3Server } from '../support/s3-server.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { readSse } from '../support/sse.ts';
import { runCli } from '../support/cli.ts';
import { batchTexts, eventTexts, orderAggregate, readAll, type Seeded, seedTiers } from '../support/tiered-seed.ts';
import { waitUntil } from '../support/wait.ts';

// Small segments and row groups, so reads cross several of each.
const SMALL = { ARCHIVE_SEGMENT_EVENTS: '40', ARCHIVE_ROW_GROUP_EVENTS: '9', ARCHIVE_INTERVAL: '0' };

async function fileBackend() {
  const dir = await tempArchive();
  return { env: { ARCHIVE_URL: dir.url }, stop: dir.remove };
}
async function s3Backend() {
  const s3 = await startS3Server();
  // The AWS SDK takes credentials from the standard variables, as the service does in production.
  process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  return { env: { ARCHIVE_URL: `s3://${s3.bucket}/events`, ARCHIVE_S3_ENDPOINT: s3.endpoint }, stop: s3.stop };
}

describe.each([['a directory', fileBackend], ['S3', s3Backend]])('with the archive in %s, every read returns archived events as if they were hot', (_, backend) => {
  let t: TestService;
  let seeded: Seeded;
  let stopBackend: () => Promise<void>;
  beforeAll(async () => {
    const b = await backend();
    stopBackend = b.stop;
    t = await startTestService({ ...SMALL, ...b.env, PORT: '0' }, undefined, { aggregates: [orderAggregate] });
    seeded = await seedTiers(t);
  });
  afterAll(async () => {
    await t.close();
    await stopBackend();
  });
  const expected = (keep: (e: StoredEvent) => boolean) => seeded.texts.filter((_, k) => keep(seeded.events[k]));

  it('answers GET /events/{id} with the same bytes, and 404 with tier=hot', async () => {
    expect(seeded.archived.size).toBeGreaterThan(100);
    for (const [k, e] of seeded.events.entries()) {
      const res = await get(t.app, `/events/${e.id}`);
      expect(res.status).toBe(200);
      expect(res.text).toBe(seeded.texts[k]);
    }
    const archivedId = [...seeded.archived][5]!;
    expect((await get(t.app, `/events/${archivedId}?tier=hot`)).status).toBe(404);
    expect((await get(t.app, `/events/${archivedId}?tier=cold`)).status).toBe(400);
  });

  it('pages the whole log with after= in both orders, and with offset, as one sequence', async () => {
    expect((await readAll(t, '', { limit: 7 })).texts).toEqual(seeded.texts);
    expect((await readAll(t, '', { limit: 9, order: 'desc' })).texts).toEqual([...seeded.texts].reverse());
    for (const [limit, offset] of [[5, 3], [20, 37], [1, 150]] as const) {
      const page = await get(t.app, `/events?limit=${limit}&offset=${offset}`);
      expect(eventTexts(page.text)).toEqual(seeded.texts.slice(offset, offset + limit));
      const desc = await get(t.app, `/events?limit=${limit}&offset=${offset}&order=desc`);
      expect(eventTexts(desc.text)).toEqual([...seeded.texts].reverse().slice(offset, offset + limit));
    }
    expect((await readAll(t, '&tier=hot', { limit: 50 })).texts).toEqual(expected((e) => !seeded.archived.has(e.id)));
  });

  it('applies every filter to archived events as to hot ones', async () => {
    const [order, user] = [seeded.orders[1]!, seeded.users[2]!];
    const mid = seeded.events[60]!.created_at, late = seeded.events[170]!.created_at;
    const cases: [string, (e: StoredEvent) => boolean][] = [
      ['&aggregate_type=order', (e) => e.aggregate_type === 'order'],
      [`&aggregate_id=${order}`, (e) => e.aggregate_id === order],
      [`&aggregate_id=${user}`, (e) => e.aggregate_id === user],
      [`&aggregate_id=${order}&event_type=order.shipped`, (e) => e.aggregate_id === order && e.event_type === 'order.shipped'],
      [`&aggregate_id=${order}&correlation_id=corr-0&from=${seeded.events[30]!.created_at}`, (e) => e.aggregate_id === order && e.metadata.correlation_id === 'corr-0' && e.created_at >= seeded.events[30]!.created_at],
      ['&event_type=order.shipped', (e) => e.event_type === 'order.shipped'],
      ['&correlation_id=corr-1', (e) => e.metadata.correlation_id === 'corr-1'],
      ['&aggregate_type=order&correlation_id=corr-2', (e) => e.aggregate_type === 'order' && e.metadata.correlation_id === 'corr-2'],
      [`&from=${mid}&to=${late}`, (e) => e.created_at >= mid && e.created_at < late],
      [`&aggregate_type=order&from=${mid}`, (e) => e.aggregate_type === 'order' && e.created_at >= mid],
    ];
    for (const [query, keep] of cases) {
      expect(expected(keep).length, query).toBeGreaterThan(3);
      expect(expected(keep).length, query).toBeLessThan(seeded.texts.length);
      expect((await readAll(t, query, { limit: 4 })).texts, query).toEqual(expected(keep));
      expect((await readAll(t, query, { limit: 6, order: 'desc' })).texts, query).toEqual(expected(keep).reverse());
    }
  });

  it('loads an archived aggregate, from the start and from a snapshot, as GET /aggregates does', async () => {
    const id = seeded.orders[0]!;
    const mine = seeded.events.filter((e) => e.aggregate_id === id);
    const folded = mine.reduce((s, e) => orderAggregate.evolve(s, e), orderAggregate.initialState());
    const fromSnapshot = mine.filter((e) => e.sequence > 3).reduce((s, e) => orderAggregate.evolve(s, e), { log: ['snapshot'] });
    const res = await get(t.app, `/aggregates/order/${id}`);
    expect(res.body).toEqual({ aggregate_type: 'order', aggregate_id: id, sequence: mine.length, state: fromSnapshot });
    const full = await loadAggregate(t.service.store, { ...orderAggregate, schemaVersion: 2 }, id, { pageSize: 2 });
    expect(full).toEqual({ state: folded, sequence: mine.length, fromSnapshot: false });
  });

  it('counts archived events in a replay preview, with every filter', async () => {
    const orders = seeded.events.filter((e) => e.aggregate_type === 'order');
    const after = orders[Math.floor(orders.length / 3)]!.position;
    const cases: [Record<string, unknown>, (e: StoredEvent) => boolean][] = [
      [{ aggregate_type: 'order' }, (e) => e.aggregate_type === 'order'],
      [{ aggregate_type: 'order', after }, (e) => e.aggregate_type === 'order' && e.position > after],
      [{ event_type: orders[0]!.event_type }, (e) => e.event_type === orders[0]!.event_type],
      [{ aggregate_id: orders[0]!.aggregate_id }, (e) => e.aggregate_id === orders[0]!.aggregate_id],
      [{}, () => true],
    ];
    for (const [filter, keep] of cases) {
      const preview = await postJson(t.app, '/replays', { filter, dry_run: true });
      expect(preview.body.events, JSON.stringify(filter)).toBe(seeded.events.filter(keep).length);
    }
    expect(orders.some((e) => seeded.archived.has(e.id))).toBe(true);
  });

  it('catches up an SSE stream, a replay, the subscriber and export from position 0', async () => {
    const stream = readSse(await t.app.request('/events/stream?after=0'));
    expect(await stream.waitFor(() => stream.messages().length >= seeded.texts.length, 15_000)).toBe(true);
    expect(stream.events.filter((e) => e.data !== undefined).map((e) => e.data)).toEqual(seeded.texts);
    await stream.close();

    const redis = new Redis(testRedisUrl);
    const replayed: string[] = [];
    redis.on('message', (_c: string, body: string) => replayed.push(JSON.parse(body).id));
    await redis.subscribe(`${t.channelPrefix}replay:tiers`);
    expect((await postJson(t.app, '/replays', { filter: { aggregate_type: 'order' }, channel: 'replay:tiers' })).status).toBe(202);
    const orderIds = seeded.events.filter((e) => e.aggregate_type === 'order').map((e) => e.id);
    expect(await waitUntil(() => replayed.length >= orderIds.length, 15_000)).toBe(true);
    expect(replayed).toEqual(orderIds);
    redis.disconnect();

    const { port } = await t.service.listen();
    for (const reader of [storeEventReader(t.service.store), httpEventReader(`http://127.0.0.1:${port}`)]) {
      const seen: string[] = [];
      const sub = await subscribe({ redisUrl: testRedisUrl, channelPrefix: t.channelPrefix, reader, after: 0, pageSize: 11, onEvent: (e) => void seen.push(e.id) });
      expect(await waitUntil(() => seen.length >= seeded.events.length, 15_000)).toBe(true);
      await sub.close();
      expect(seen).toEqual(seeded.events.map((e) => e.id));
    }
    const exported = await runCli(['export', '--url', `http://127.0.0.1:${port}`, '--aggregate_type', 'order']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split('\n').map((line) => JSON.parse(line).id)).toEqual(orderIds);
  });

  it('answers a resend of an archived event with the stored event, and another body with 409', async () => {
    const original = seeded.events.find((e) => seeded.archived.has(e.id) && e.metadata.correlation_id)!;
    const text = seeded.texts[seeded.events.indexOf(original)]!;
    const resend = {
      id: original.id, event_type: original.event_type, aggregate_id: original.aggregate_id, version: 1,
      metadata: Object.fromEntries(Object.entries(original.metadata).reverse()), payload: { nested: { a: original.payload.nested.a, z: 1 }, note: original.payload.note, i: original.payload.i },
    };
    const same = await postJson(t.app, '/events', resend);
    expect(same.status).toBe(200);
    expect(same.text).toBe(text);
    const other = await postJson(t.app, '/events', { ...resend, payload: { ...resend.payload, i: -1 } });
    expect(other.status).toBe(409);
    expect(other.body.type).toBe('/problems/id-conflict');
    // A correlation_id from the header is not the body's: without it in the body, any header's is the same event.
    const { correlation_id: _, ...uncorrelated } = resend.metadata;
    const stamped = await postJson(t.app, '/events', { ...resend, metadata: uncorrelated }, { 'x-correlation-id': 'another-attempt' });
    expect(stamped.status).toBe(200);
    expect(stamped.text).toBe(text);
    const batch = await postJson(t.app, '/events/batch', { events: [resend, { event_type: 'order.noted', aggregate_id: original.aggregate_id }] });
    expect(batch.status, batch.text).toBe(201);
    expect(batchTexts(batch.text)[0]).toBe(text);
    expect(batch.body.events[1].sequence).toBe(seeded.events.filter((e) => e.aggregate_id === original.aggregate_id).length + 1);
  });

  // Last: it appends and archives events of its own type.
  it('compares as jsonb once archived: a resend with -0 is the same event, a correlation_id of any JSON type matches its jsonb text', async () => {
    const aggregateId = newId();
    const correlations = ['1e-7', '1e21', '1.5', '-0', '"plain"', '"q\\"é\\n"', '{"b":1,"a":2}', '[1,2]', '{"s":"a\\"}b","n":[-0,1.25e-10,{"c":"["}]}', 'true', '[]', '{}', 'null'];
    const ids = correlations.map(() => newId());
    const body = (k: number, payload = `{"v":-0,"k":${k},"nested":{"b":[0,-0],"a":1e21}}`) => `{"id":"${ids[k]}","event_type":"memo.noted","aggregate_id":"${aggregateId}","payload":${payload},`
      + `"metadata":{"z":{"correlation_id":"inner"},"note":"\\"correlation_id\\": \\"fake\\"","correlation_id":${correlations[k]},"source":"x"}}`;
    const appended = await postJson(t.app, '/events/batch', `{"events":[${correlations.map((_, k) => body(k)).join(',')}]}`);
    expect(appended.status, appended.text).toBe(201);
    const texts = batchTexts(appended.text);
    const queries = ['0.0000001', '1e-7', '1000000000000000000000', '1e+21', '1.5', '0', '-0', 'plain', 'q"é\n', '{"a": 2, "b": 1}', '{"a":2,"b":1}', '[1, 2]', '[1,2]',
      '{"n": [0, 0.000000000125, {"c": "["}], "s": "a\\"}b"}', 'true', '[]', '{}', 'null', 'inner', 'fake', 'x'];
    const matching = async () => {
      const found: Record<string, number[]> = {};
      for (const q of queries) found[q] = (await readAll(t, `&aggregate_type=memo&correlation_id=${encodeURIComponent(q)}`)).events.map((e) => e.payload.k);
      return found;
    };
    const hot = await matching();
    expect(hot).toEqual({
      ...Object.fromEntries(queries.map((q) => [q, []])), '0.0000001': [0], '1000000000000000000000': [1], '1.5': [2], '0': [3], 'plain': [4], 'q"é\n': [5],
      '{"a": 2, "b": 1}': [6], '[1, 2]': [7], '{"n": [0, 0.000000000125, {"c": "["}], "s": "a\\"}b"}': [8], 'true': [9], '[]': [10], '{}': [11],
    });
    // The same body in another spelling: key order, -0 for 0, 1e+21 for 1e21.
    const resend = body(3, '{"nested":{"a":1e+21,"b":[-0,0]},"k":3,"v":0}');
    expect((await postJson(t.app, '/events', resend)).status).toBe(200);

    await waitPublished(t, JSON.parse(texts[texts.length - 1]!).position);
    await putPolicy(t.app, 'memo', { archive_after: 'PT0S' });
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', archived: correlations.length });
    await putPolicy(t.app, 'memo', {});
    expect(await matching()).toEqual(hot);
    const again = await postJson(t.app, '/events', resend);
    expect(again.status, again.text).toBe(200);
    expect(again.text).toBe(texts[3]);
  });
});
