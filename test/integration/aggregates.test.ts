import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { z } from 'zod';
import { defineAggregate, foldEvents, type AggregateEvent } from '../../src/aggregates/aggregate.ts';
import { defineEventTypes } from '../../src/aggregates/event-types.ts';
import { AggregateFoldError, loadAggregate } from '../../src/aggregates/load-aggregate.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { agentAggregate, agentEventTypes, initialAgent, type AgentState } from '../support/agent-aggregate.ts';
import { newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

let t: TestService;
beforeAll(async () => {
  t = await startTestService({}, undefined, { aggregates: [agentAggregate()], eventTypes: agentEventTypes });
});
afterAll(() => t.close());

type Step = { event_type: string; version?: number; payload: Record<string, unknown> };
const step = fc.oneof(
  fc.record({ event_type: fc.constant('agent.renamed'), payload: fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }) }) }),
  fc.record({ event_type: fc.constant('agent.noted'), payload: fc.record({ note: fc.string({ maxLength: 8 }) }) }),
);
const history = fc.array(step, { minLength: 1, maxLength: 40 }).map((steps): Step[] => [{ event_type: 'agent.created', version: 1, payload: { name: 'a' } }, ...steps]);

async function append(aggregateId: string, steps: Step[]) {
  const res = await postJson(t.app, '/events/batch', { events: steps.map((s) => ({ ...s, aggregate_id: aggregateId })) });
  expect(res.status).toBe(201);
  return res.body.events as unknown as AggregateEvent[];
}

const fold = (events: AggregateEvent[]) => foldEvents(agentAggregate(), initialAgent, events.map((e) => agentEventTypes.upcast(e)));

describe('loadAggregate', () => {
  it('from any snapshot point equals folding from the start (property)', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.nat(), async (steps, at) => {
        const id = newId();
        const stored = await append(id, steps);
        const k = 1 + (at % stored.length);
        const definition = agentAggregate();
        await createEventStore(t.sql).writeSnapshot({ aggregateType: 'agent', aggregateId: id, schemaVersion: 1, sequence: k, state: fold(stored.slice(0, k)) });
        const loaded = await loadAggregate(t.sql, definition, id, { eventTypes: agentEventTypes, pageSize: 7 });
        expect(loaded).toEqual({ state: fold(stored), sequence: stored.length, fromSnapshot: true });
        // At the snapshot's own sequence: the snapshot, nothing read after it.
        expect(await loadAggregate(t.sql, definition, id, { eventTypes: agentEventTypes, atSequence: k })).toEqual({ state: fold(stored.slice(0, k)), sequence: k, fromSnapshot: true });
      }),
      { numRuns: 40 },
    );
  });

  it('names the event a fold or upcaster failed on, its error the cause; refuses a pageSize or atSequence it cannot use', async () => {
    const id = newId();
    await append(id, [{ event_type: 'agent.created', version: 1, payload: { name: 'a' } }, { event_type: 'agent.noted', payload: { note: 'n' } }]);
    const broken = new TypeError('no notes here');
    const definition = defineAggregate<{ n: number }>({
      type: 'agent',
      initialState: { n: 0 },
      evolve: (state, e) => {
        if (e.event_type === 'agent.noted') throw broken;
        return { n: state.n + 1 };
      },
    });
    const failure = await loadAggregate(t.sql, definition, id).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AggregateFoldError);
    expect((failure as Error).message).toMatch(new RegExp(`^folding agent ${id}, agent.noted v1 at sequence 2 \\(position \\d+, id [0-9a-f-]{36}\\): no notes here$`));
    expect((failure as Error).cause).toBe(broken);
    await expect(loadAggregate(t.sql, definition, id, { pageSize: 0 })).rejects.toThrow(/pageSize must be a whole number from 1/);
    await expect(loadAggregate(t.sql, definition, id, { atSequence: -1 })).rejects.toThrow(/atSequence must be a whole number from 0/);
    expect(await loadAggregate(t.sql, definition, id, { atSequence: 0 })).toEqual({ state: { n: 0 }, sequence: 0, fromSnapshot: false });
  });

  it('reads a long history page by page', async () => {
    const id = newId();
    const steps: Step[] = [{ event_type: 'agent.created', version: 1, payload: { name: 'x' } }, ...Array.from({ length: 2499 }, (_, i) => ({ event_type: 'agent.noted', payload: { note: String(i % 10) } }))];
    const stored = [...(await append(id, steps.slice(0, 1000))), ...(await append(id, steps.slice(1000, 2000))), ...(await append(id, steps.slice(2000)))];
    const loaded = await loadAggregate(t.sql, agentAggregate(), id, { eventTypes: agentEventTypes });
    expect(loaded.sequence).toBe(2500);
    expect(loaded.state).toEqual(fold(stored));
  });

  it('upcasts v1 and v2 events to v3 before the fold sees them', async () => {
    const id = newId();
    await append(id, [{ event_type: 'agent.created', version: 1, payload: { name: 'old' } }]);
    const id2 = newId();
    await append(id2, [{ event_type: 'agent.created', version: 2, payload: { name: 'mid', kind: 'scout' } }]);
    const id3 = newId();
    await append(id3, [{ event_type: 'agent.created', version: 3, payload: { display_name: 'new', kind: 'scout' } }]);
    const load = (x: string) => loadAggregate(t.sql, agentAggregate(), x, { eventTypes: agentEventTypes }).then((l) => l.state);
    expect(await load(id)).toMatchObject({ name: 'old', kind: 'general' });
    expect(await load(id2)).toMatchObject({ name: 'mid', kind: 'scout' });
    expect(await load(id3)).toMatchObject({ name: 'new', kind: 'scout' });
    // Stored events never change.
    const [row] = await t.sql`select version, payload from events where aggregate_id = ${id}`;
    expect(row).toEqual({ version: 1, payload: { name: 'old' } });
  });

  it("an aggregate given event types of its own is upcast by them, whatever registry the load is given", async () => {
    // Its own registry stops at v2; the load's (as the service passes its own) goes on to v3, another shape.
    const ownTypes = defineEventTypes([
      { type: 'agent.created', version: 1, schema: z.object({ name: z.string() }) },
      { type: 'agent.created', version: 2, schema: z.object({ name: z.string(), kind: z.string() }), upcast: (p) => ({ ...p, kind: 'general' }) },
    ]);
    const typed = defineAggregate<{ name: string | null; kind: string | null }, typeof ownTypes>({
      type: 'agent', eventTypes: ownTypes, initialState: { name: null, kind: null },
      handlers: { 'agent.created': (_, e) => ({ name: e.payload.name, kind: e.payload.kind }) },
    });
    const id = newId();
    await append(id, [{ event_type: 'agent.created', version: 1, payload: { name: 'old' } }]);
    for (const options of [{}, { eventTypes: agentEventTypes }]) {
      expect((await loadAggregate(t.sql, typed, id, options)).state, JSON.stringify(options)).toEqual({ name: 'old', kind: 'general' });
    }
  });

  it('writes snapshots through a client of the user\'s that renames columns (transform: postgres.camel)', async () => {
    const camel = postgres(t.databaseUrl, { max: 1, onnotice: () => {}, transform: postgres.camel });
    try {
      const id = newId();
      await append(id, [{ event_type: 'agent.created', version: 1, payload: { name: 'a' } }, { event_type: 'agent.renamed', payload: { name: 'b' } }]);
      const first = await loadAggregate(camel, agentAggregate({ snapshotEvery: 1 }), id, { eventTypes: agentEventTypes });
      expect(first).toMatchObject({ sequence: 2, fromSnapshot: false });
      expect(await loadAggregate(camel, agentAggregate({ snapshotEvery: 1 }), id, { eventTypes: agentEventTypes })).toMatchObject({ sequence: 2, fromSnapshot: true });
    } finally {
      await camel.end();
    }
  });

  it('ignores snapshots of another schema version and writes its own', async () => {
    const id = newId();
    const stored = await append(id, [{ event_type: 'agent.created', version: 1, payload: { name: 'a' } }, ...Array.from({ length: 9 }, () => ({ event_type: 'agent.renamed', payload: { name: 'b' } }))]);
    await createEventStore(t.sql).writeSnapshot({ aggregateType: 'agent', aggregateId: id, schemaVersion: 1, sequence: 10, state: { ...initialAgent, name: 'stale' } });
    const v2 = agentAggregate({ schemaVersion: 2, snapshotEvery: 5 });
    const loaded = await loadAggregate(t.sql, v2, id, { eventTypes: agentEventTypes });
    expect(loaded).toEqual({ state: fold(stored), sequence: 10, fromSnapshot: false });
    expect((await createEventStore(t.sql).readSnapshot('agent', id, 2))?.state).toEqual(fold(stored));
    expect((await createEventStore(t.sql).readSnapshot('agent', id, 1))?.state).toMatchObject({ name: 'stale' });
    expect((await loadAggregate(t.sql, v2, id, { eventTypes: agentEventTypes })).fromSnapshot).toBe(true);
  });

  it('falls back to a full replay when a snapshot no longer parses, and replaces it', async () => {
    const id = newId();
    const stored = await append(id, [{ event_type: 'agent.created', version: 1, payload: { name: 'a' } }, { event_type: 'agent.noted', payload: { note: 'n' } }]);
    await createEventStore(t.sql).writeSnapshot({ aggregateType: 'agent', aggregateId: id, schemaVersion: 1, sequence: 2, state: { corrupt: true } });
    const loaded = await loadAggregate(t.sql, agentAggregate(), id, { eventTypes: agentEventTypes });
    expect(loaded).toEqual({ state: fold(stored), sequence: 2, fromSnapshot: false });
    expect((await createEventStore(t.sql).readSnapshot('agent', id, 1))?.state).toEqual(fold(stored));
  });

  it('keeps snapshots consistent with the events while appends run concurrently', async () => {
    const id = newId();
    await append(id, [{ event_type: 'agent.created', version: 1, payload: { name: 'a' } }]);
    const definition = agentAggregate({ snapshotEvery: 3 });
    let appending = true;
    const writer = (async () => {
      for (let i = 0; i < 60; i++) await append(id, [{ event_type: 'agent.noted', payload: { note: String(i) } }]);
      appending = false;
    })();
    const snapshots: { sequence: number; state: unknown }[] = [];
    while (appending) {
      await loadAggregate(t.sql, definition, id, { eventTypes: agentEventTypes });
      const s = await createEventStore(t.sql).readSnapshot('agent', id, 1);
      if (s) snapshots.push(s);
    }
    await writer;
    const all = (await t.sql`select event_json(e) as json from events e where aggregate_id = ${id} order by sequence`).map((r) => JSON.parse(r.json));
    expect(snapshots.length).toBeGreaterThan(3);
    for (const s of snapshots) expect(s.state).toEqual(fold(all.slice(0, s.sequence)));
    expect((await loadAggregate(t.sql, definition, id, { eventTypes: agentEventTypes })).state).toEqual(fold(all));
  });

  it('refuses to fold a page that repeats or skips a sequence, and writes no snapshot', async () => {
    const id = newId();
    await append(id, [{ event_type: 'agent.created', version: 1, payload: { name: 'a' } }, ...Array.from({ length: 5 }, (_, i) => ({ event_type: 'agent.noted', payload: { note: String(i) } }))]);
    const store = createEventStore(t.sql);
    const altered = (change: (events: string[]) => string[]) => ({ ...store, readAggregate: async (...args: Parameters<typeof store.readAggregate>) => {
      const page = await store.readAggregate(...args);
      return { ...page, events: change(page.events) };
    } });
    const definition = agentAggregate({ snapshotEvery: 1 });
    for (const change of [(e: string[]) => [...e.slice(0, 4), ...e.slice(2)], (e: string[]) => [...e.slice(0, 2), ...e.slice(3)]]) {
      await expect(loadAggregate(altered(change), definition, id, { eventTypes: agentEventTypes })).rejects.toThrow(/the store gave sequence [34] after [42]/);
    }
    expect(await store.readSnapshot('agent', id, 1)).toBeUndefined();
  });
});

describe('writeSnapshot', () => {
  it('never moves a snapshot backwards, and refuses a sequence beyond the current one', async () => {
    const id = newId();
    await append(id, Array.from({ length: 5 }, (_, i) => (i === 0 ? { event_type: 'agent.created', version: 1, payload: { name: 'a' } } : { event_type: 'agent.noted', payload: { note: 'x' } })));
    const w = (sequence: number, state: unknown) => createEventStore(t.sql).writeSnapshot({ aggregateType: 'agent', aggregateId: id, schemaVersion: 1, sequence, state });
    expect(await w(4, 'four')).toMatchObject({ ok: true, stored: true, snapshot: { sequence: 4, state: 'four' } });
    expect(await w(2, 'two')).toMatchObject({ ok: true, stored: false, snapshot: { sequence: 4, state: 'four' } });
    expect(await w(4, 'again')).toMatchObject({ ok: true, stored: false, snapshot: { state: 'four' } });
    expect(await w(6, 'six')).toEqual({ ok: false, reason: 'beyond_current', currentSequence: 5 });
    expect(await w(5, 'five')).toMatchObject({ ok: true, stored: true, snapshot: { sequence: 5 } });
  });
});

describe('foldEvents', () => {
  it('is pure: folding twice from the same state gives equal results and leaves the input alone', () => {
    const start: AgentState = structuredClone(initialAgent);
    const events = [{ event_type: 'agent.renamed', version: 1, sequence: 1, payload: { name: 'z' } }] as unknown as AggregateEvent[];
    const a = foldEvents(agentAggregate(), start, events);
    const b = foldEvents(agentAggregate(), start, events);
    expect(a).toEqual(b);
    expect(start).toEqual(initialAgent);
  });
});
