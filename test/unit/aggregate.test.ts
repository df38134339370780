import fc from 'fast-check';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AggregateDefinitionError, defineAggregate, foldEvents, type AggregateEvent } from '../../src/aggregates/aggregate.ts';
import { defineEventTypes, EventTypeError } from '../../src/aggregates/event-types.ts';

const event = (sequence: number, event_type: string, payload: Record<string, unknown>, version = 1): AggregateEvent => ({
  id: `00000000-0000-7000-8000-${String(sequence).padStart(12, '0')}`, event_type, aggregate_type: 'counter', aggregate_id: '550e8400-e29b-41d4-a716-446655440000',
  sequence, position: sequence, payload, metadata: {}, version, created_at: '2026-01-01T00:00:00.000000Z',
});

const counter = defineAggregate<{ total: number; seen: number[] }>({
  type: 'counter',
  initialState: { total: 0, seen: [] },
  handlers: { 'counter.added': (s, e) => ({ total: s.total + (e.payload.n as number), seen: [...s.seen, e.sequence] }) },
});

describe('defineAggregate and the fold', () => {
  it('folding from any intermediate state equals folding from the start (a snapshot is just a state)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 40 }), fc.nat(), (ns, cut) => {
        const events = ns.map((n, i) => event(i + 1, 'counter.added', { n }));
        const k = ns.length === 0 ? 0 : cut % (ns.length + 1);
        const snapshot = foldEvents(counter, counter.initialState(), events.slice(0, k));
        expect(foldEvents(counter, snapshot, events.slice(k))).toEqual(foldEvents(counter, counter.initialState(), events));
      }),
    );
  });

  it('gives every load its own copy of the initial state, and leaves the state alone for event types without a handler', () => {
    const a = counter.initialState();
    a.seen.push(99);
    expect(counter.initialState()).toEqual({ total: 0, seen: [] });
    expect(counter.evolve(a, event(1, 'counter.renamed', {}))).toBe(a);
  });

  it('refuses a definition that cannot work', () => {
    expect(() => defineAggregate({ type: 'Bad Type', initialState: 0, evolve: (s) => s })).toThrow(AggregateDefinitionError);
    expect(() => defineAggregate({ type: 'x', initialState: 0 })).toThrow(/either evolve or handlers/);
    expect(() => defineAggregate({ type: 'x', initialState: 0, evolve: (s) => s, schemaVersion: 0 })).toThrow(/schemaVersion/);
  });

  it('ignores a snapshot state that no longer parses with the state schema', () => {
    const typed = defineAggregate({ type: 'x', initialState: { n: 0 }, evolve: (s) => s, stateSchema: z.object({ n: z.number() }) });
    expect(typed.readSnapshotState({ n: 3 })).toEqual({ n: 3 });
    expect(typed.readSnapshotState({ n: 'three' })).toBeUndefined();
  });
});

describe('typed events and upcasting', () => {
  const types = defineEventTypes([
    { type: 'counter.added', version: 1, schema: z.object({ n: z.number() }) },
    { type: 'counter.added', version: 2, schema: z.object({ n: z.number(), unit: z.string() }), upcast: (p) => ({ ...p, unit: 'items' }) },
    { type: 'counter.added', version: 3, schema: z.object({ amount: z.number(), unit: z.string() }), upcast: ({ n, ...rest }) => ({ ...rest, amount: n }) },
  ]);

  it('upcasts a stored payload through every version to the newest, leaving the stored event unchanged', () => {
    const stored = event(1, 'counter.added', { n: 5 });
    expect(types.upcast(stored)).toMatchObject({ version: 3, payload: { amount: 5, unit: 'items' } });
    expect(stored.payload).toEqual({ n: 5 });
    expect(types.upcast(event(2, 'counter.reset', {}))).toMatchObject({ version: 1 });
  });

  it('validates payloads per version and names unregistered ones', () => {
    expect(types.validate('counter.added', 2, { n: 1, unit: 'kg' })).toEqual([]);
    expect(types.validate('counter.added', 1, { n: 'one' })).toEqual([expect.objectContaining({ pointer: '/n' })]);
    expect(types.validate('counter.added', 4, {})).toBe('unregistered-version');
    expect(types.validate('counter.reset', 1, {})).toBe('unregistered-type');
  });

  it('refuses a registry with a hole in its versions or a version without an upcaster', () => {
    expect(() => defineEventTypes([{ type: 'a.b', version: 2, schema: z.object({}), upcast: (p) => p }])).toThrow(EventTypeError);
    expect(() => defineEventTypes([{ type: 'a.b', version: 1, schema: z.object({}) }, { type: 'a.b', version: 2, schema: z.object({}) }])).toThrow(/needs an upcast/);
  });
});
