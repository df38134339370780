import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAggregate } from '../../src/aggregates/load-aggregate.ts';
import { createArchiveReader } from '../../src/lifecycle/archive-reader.ts';
import { createSegmentStorage } from '../../src/lifecycle/segment-storage.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { archiveNow, putPolicy, tempArchive, waitPublished } from '../support/archive.ts';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { orderAggregate } from '../support/tiered-seed.ts';

let t: TestService;
let archive: Awaited<ReturnType<typeof tempArchive>>;
beforeAll(async () => {
  archive = await tempArchive();
  t = await startTestService({ ARCHIVE_URL: archive.url, ARCHIVE_INTERVAL: '0' }, undefined, { aggregates: [{ ...orderAggregate, type: 'ticket' }] });
});
afterAll(async () => {
  await t.close();
  await archive.remove();
});

async function append(type: string, aggregateId: string, n: number) {
  const res = await postJson(t.app, '/events/batch', { events: Array.from({ length: n }, (_, i) => ({ event_type: `${type}.noted`, aggregate_id: aggregateId, payload: { i } })) });
  expect(res.status).toBe(201);
  await waitPublished(t, res.body.events[n - 1].position);
  return res.body.events as { id: string; position: number; sequence: number }[];
}

const files = async () => (await readdir(archive.dir, { recursive: true })).filter((f) => f.endsWith('.parquet'));

describe('deletion past delete_after', () => {
  it('removes hot events: their ids answer 410, readers of the log see them absent, sequences and positions go on', async () => {
    const id = newId(), other = newId();
    const gone = await append('ticket', id, 4);
    const kept = await append('memo', other, 2);
    await putPolicy(t.app, 'ticket', { delete_after: 'PT0S' });
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', deleted: 4, archived: 0 });
    const res = await get(t.app, `/events/${gone[1]!.id}`);
    expect(res.status).toBe(410);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.body).toMatchObject({ type: '/problems/gone', id: gone[1]!.id, position: gone[1]!.position });
    expect((await get(t.app, `/events?aggregate_id=${id}`)).body.events).toEqual([]);
    const page = (await get(t.app, `/events?after=${gone[0]!.position - 1}&limit=2`)).body.events;
    expect(page.map((e: { position: number }) => e.position)).toEqual(kept.map((e) => e.position));

    const load = await get(t.app, `/aggregates/ticket/${id}`);
    expect(load.status).toBe(410);
    expect(load.body).toMatchObject({ type: '/problems/gone', first_retained_sequence: 5, aggregate_type: 'ticket', aggregate_id: id });
    await putPolicy(t.app, 'ticket', {});
    const next = await postJson(t.app, '/events', { event_type: 'ticket.noted', aggregate_id: id, expected_sequence: 4, payload: { i: 4 } });
    expect(next.status).toBe(201);
    expect(next.body).toMatchObject({ sequence: 5 });
    expect(next.body.position).toBeGreaterThan(kept[1]!.position);
    expect((await postJson(t.app, '/events', { id: gone[0]!.id, event_type: 'ticket.noted', aggregate_id: id, payload: { i: 0 } })).status).toBe(410);
  });

  it('loads an aggregate with deleted history from a snapshot at or past the first retained sequence', async () => {
    const id = newId();
    await append('ticket', id, 6);
    const put = (sequence: number) => t.app.request(`/aggregates/ticket/${id}/snapshot`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sequence, schema_version: 1, state: { log: [`snapshot@${sequence}`] } }) });
    expect((await put(2)).status).toBe(200);
    await putPolicy(t.app, 'ticket', { delete_after: 'PT0S' });
    expect((await archiveNow(t.app)).status).toBe('succeeded');
    await putPolicy(t.app, 'ticket', {});
    await append('ticket', id, 2);
    expect((await get(t.app, `/aggregates/ticket/${id}`)).body).toMatchObject({ first_retained_sequence: 7, status: 410 });
    expect((await put(6)).status).toBe(200);
    const loaded = await get(t.app, `/aggregates/ticket/${id}`);
    expect(loaded.body).toEqual({ aggregate_type: 'ticket', aggregate_id: id, sequence: 8, state: { log: ['snapshot@6', '7:ticket.noted:0', '8:ticket.noted:1'] } });
    await expect(loadAggregate(t.service.store, { ...orderAggregate, type: 'ticket', schemaVersion: 9 }, id)).rejects.toMatchObject({ code: 'gone' });
  });

  it('deletes archived segments wholly past retention, with their files; a type archived then deleted reads as gone', async () => {
    const id = newId();
    const events = await append('voucher', id, 5);
    await putPolicy(t.app, 'voucher', { archive_after: 'PT0S' });
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', archived: 5 });
    expect((await files()).some((f) => f.includes('voucher/'))).toBe(true);
    expect((await get(t.app, `/events/${events[2]!.id}`)).status).toBe(200);

    await putPolicy(t.app, 'voucher', { archive_after: 'PT0S', delete_after: 'PT0S' });
    const preview = await archiveNow(t.app, { dry_run: true });
    expect(preview.plan.find((p: { aggregate_type: string }) => p.aggregate_type === 'voucher').delete).toEqual({ hot_events: 0, archived_events: 5, segments: 1 });
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', deleted: 5 });
    expect((await files()).some((f) => f.includes('voucher/'))).toBe(false);
    expect((await get(t.app, `/events/${events[2]!.id}`)).status).toBe(410);
    expect((await get(t.app, `/events?aggregate_type=voucher`)).body.events).toEqual([]);
    expect((await t.sql`select first_retained_sequence from aggregates where aggregate_id = ${id}`)[0]!.first_retained_sequence).toBe('6');
    const removals = await t.sql`select reason, events::int from event_removals where aggregate_type = 'voucher' order by id`;
    expect(removals).toEqual([{ reason: 'archived', events: 5 }, { reason: 'deleted', events: 5 }]);
  });
});

describe('an aggregate read while a run commits between its hot and archived reads', () => {
  const sequences = (events: string[]) => events.map((e) => JSON.parse(e).sequence as number);
  const permit = (schemaVersion: number) => ({ ...orderAggregate, type: 'permit', schemaVersion, snapshotEvery: 1 });

  it('reads an event archived in between once: the load folds each event once and snapshots the true state', async () => {
    const id = newId();
    await append('permit', id, 3);
    await putPolicy(t.app, 'permit', { archive_after: 'PT0S' });
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', archived: 3 });
    await append('permit', id, 3);
    const reader = createArchiveReader({ storage: createSegmentStorage(archive.url), cacheBytes: 1 << 20 });
    // The run commits after the hot read (which saw sequences 4-6 hot) and before the archive is read.
    let runs = 0;
    const store = createEventStore(t.sql, {
      archive: { ...reader, readAggregate: async (...args) => {
        if (runs++ === 0) expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', archived: 3 });
        return reader.readAggregate(...args);
      } },
    });
    expect(sequences((await store.readAggregate('permit', id, 0, 100)).events)).toEqual([1, 2, 3, 4, 5, 6]);

    const id2 = newId();
    await append('permit', id2, 3);
    expect((await archiveNow(t.app)).status).toBe('succeeded');
    await append('permit', id2, 3);
    runs = 0;
    const loaded = await loadAggregate(store, permit(3), id2, { pageSize: 100 });
    const log = [1, 2, 3, 4, 5, 6].map((s) => `${s}:permit.noted:${(s - 1) % 3}`);
    expect(loaded).toEqual({ state: { log }, sequence: 6, fromSnapshot: false });
    expect((await store.readSnapshot('permit', id2, 3))?.state).toEqual({ log });
    await putPolicy(t.app, 'permit', {});
  });

  it('answers gone, never a history with a hole, when retention deletes archived events in between', async () => {
    const id = newId();
    await append('pass', id, 3);
    await putPolicy(t.app, 'pass', { archive_after: 'PT0S' });
    expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', archived: 3 });
    await append('pass', id, 3);
    // The segment's file is deleted after the manifest named it and before it is opened.
    const storage = createSegmentStorage(archive.url);
    let runs = 0;
    const hooked = { ...storage, head: async (key: string) => {
      if (runs++ === 0) {
        await putPolicy(t.app, 'pass', { archive_after: 'PT0S', delete_after: 'PT0S' });
        expect(await archiveNow(t.app)).toMatchObject({ status: 'succeeded', deleted: 6 });
      }
      return storage.head(key);
    } };
    const store = createEventStore(t.sql, { archive: createArchiveReader({ storage: hooked, cacheBytes: 1 << 20 }) });
    await expect(store.readAggregate('pass', id, 0, 100)).rejects.toMatchObject({ code: 'gone', extensions: { first_retained_sequence: 7 } });
    expect(runs).toBe(1);
    await putPolicy(t.app, 'pass', {});
  });
});
