import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService({ REPLAY_BATCH_SIZE: '20', REPLAY_PAUSE_MS: '20' });
});
afterAll(() => t.close());

const replayCount = async () => Number((await t.sql`select count(*) as n from replays`)[0]!.n);

describe('replays for the console', () => {
  it('a dry run counts the events the filter matches up to the head, and starts nothing', async () => {
    const task = newId();
    const events = [...Array.from({ length: 7 }, () => ({ event_type: 'task.progressed', aggregate_id: task })), { event_type: 'agent.noted', aggregate_id: newId() }];
    const stored = (await postJson(t.app, '/events/batch', { events })).body.events;
    const before = await replayCount();
    const res = await postJson(t.app, '/replays', { filter: { aggregate_id: task }, dry_run: true });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ dry_run: true, events: 7, up_to: stored.at(-1).position, channel: null, filter: { aggregate_id: task } });
    const after = await postJson(t.app, '/replays', { filter: { aggregate_id: task, after: stored[2].position, event_type: 'task.progressed' }, channel: 'replay:x', dry_run: true });
    expect(after.body).toMatchObject({ events: 4, channel: 'replay:x', filter: { aggregate_id: task, after: stored[2].position, event_type: 'task.progressed' } });
    // Instants are written back in UTC, as every instant the API answers.
    const since = await postJson(t.app, '/replays', { filter: { aggregate_id: task, from: '2026-11-01T02:00:00.5+02:00', to: '2999-01-01' }, dry_run: true });
    expect(since.body.filter).toEqual({ aggregate_id: task, from: '2026-11-01T00:00:00.500000Z', to: '2999-01-01T00:00:00.000000Z' });
    expect((await postJson(t.app, '/replays', { filter: { aggregate_id: task }, dry_run: false })).status).toBe(202);
    expect(await replayCount()).toBe(before + 1);
  });

  it('refuses a dry_run that is not a boolean, and bad filters, as for a replay', async () => {
    const res = await postJson(t.app, '/replays', { filter: { aggregateId: 'x', from: 'soon' }, dry_run: 'yes' });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/dry_run', '/filter/aggregateId', '/filter/from']);
  });

  it('echoes the filter in the API names (snake_case) on GET /replays/{id}', async () => {
    const id = newId();
    await postJson(t.app, '/events', { event_type: 'task.created', aggregate_id: id, metadata: { correlation_id: 'c-1' } });
    const started = await postJson(t.app, '/replays', { filter: { aggregate_type: 'task', aggregate_id: id, event_type: 'task.created', correlation_id: 'c-1', after: 0 }, channel: 'replay:echo' });
    const replay = (await get(t.app, `/replays/${started.body.id}`)).body;
    expect(replay.filter).toEqual({ aggregate_type: 'task', aggregate_id: id, event_type: 'task.created', correlation_id: 'c-1', after: 0 });
  });

  it('lists replays newest first, by status, up to a limit', async () => {
    const slow = newId();
    await postJson(t.app, '/events/batch', { events: Array.from({ length: 400 }, () => ({ event_type: 'task.progressed', aggregate_id: slow })) });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await postJson(t.app, '/replays', { filter: { aggregate_id: slow }, channel: 'replay:list' })).body.id);
    const cancelled = (await (await t.app.request(`/replays/${ids[1]}`, { method: 'DELETE' })).json()) as { status: string };
    expect(cancelled.status).toBe('cancelled');
    const all = await get(t.app, '/replays?limit=3');
    expect(all.status).toBe(200);
    expect(all.body.replays.map((r: { id: string }) => r.id)).toEqual([...ids].reverse());
    expect(all.body.replays[0]).toMatchObject({ filter: { aggregate_id: slow }, channel: 'replay:list', up_to: expect.any(Number) });
    const onlyCancelled = (await get(t.app, '/replays?status=cancelled')).body.replays.map((r: { id: string }) => r.id);
    expect(onlyCancelled).toContain(ids[1]);
    expect(onlyCancelled).not.toContain(ids[0]);
    expect(await waitUntil(async () => (await get(t.app, '/replays?status=running')).body.replays.length === 0, 20_000)).toBe(true);
    expect((await get(t.app, '/replays?status=completed&limit=100')).body.replays.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([ids[0], ids[2]]));
  });

  it('refuses bad list parameters with 400 naming each', async () => {
    for (const [q, pointers] of [['status=done', ['/status']], ['limit=0', ['/limit']], ['limit=101', ['/limit']], ['limit=ten&status=running&status=failed', ['/limit', '/status']], ['order=asc', ['/order']]] as const) {
      const res = await get(t.app, `/replays?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort(), q).toEqual([...pointers].sort());
    }
  });
});
