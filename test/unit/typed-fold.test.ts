import { z } from 'zod';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineAggregate, foldEvents, type AggregateEvent, type EventOf } from '../../src/aggregates/aggregate.ts';
import { defineEventTypes, type EventTypeVersion, upcaster } from '../../src/aggregates/event-types.ts';

// An aggregate given its typed events: `npm test`'s type check fails if a typo in a payload field
// or an event type compiles (each `@ts-expect-error` must meet an error), and the tests below
// check what the fold does at run time.

const openedV1 = z.object({ owner: z.string() });
const openedV2 = z.object({ owner: z.string(), currency: z.string() });
const accountEvents = defineEventTypes([
  { type: 'account.opened', version: 1, schema: openedV1 },
  { type: 'account.opened', version: 2, schema: openedV2, upcast: upcaster(openedV1, openedV2, (p) => ({ ...p, currency: 'EUR' })) },
  { type: 'account.deposited', version: 1, schema: z.object({ amount: z.number() }) },
]);

interface Account { owner: string | null; currency: string | null; balance: number }
const opened: Account = { owner: null, currency: null, balance: 0 };
const deposit = (s: Account, e: EventOf<typeof accountEvents, 'account.deposited'>): Account => ({ ...s, balance: s.balance + e.payload.amount });

const byHandlers = defineAggregate<Account, typeof accountEvents>({
  type: 'account',
  eventTypes: accountEvents,
  initialState: opened,
  handlers: {
    'account.opened': (s, e) => {
      expectTypeOf(e.payload).toEqualTypeOf<{ owner: string; currency: string }>();
      // @ts-expect-error: no such field
      void e.payload.ownr;
      return { ...s, owner: e.payload.owner, currency: e.payload.currency };
    },
    'account.deposited': deposit,
    // @ts-expect-error: not a registered type
    'account.closed': (s: Account) => s,
  },
});

const byEvolve = defineAggregate({
  type: 'account',
  eventTypes: accountEvents,
  initialState: (): Account => ({ ...opened }),
  evolve: (s, e) => {
    switch (e.event_type) {
      case 'account.opened':
        return { ...s, owner: e.payload.owner, currency: e.payload.currency };
      case 'account.deposited':
        // @ts-expect-error: a deposit has no owner
        void e.payload.owner;
        return { ...s, balance: s.balance + e.payload.amount };
      default:
        expectTypeOf(e).toBeNever();
        return s;
    }
  },
});

let sequence = 0;
const stored = (event_type: string, payload: Record<string, unknown>, version = 1): AggregateEvent => ({
  id: `00000000-0000-7000-8000-${String(++sequence).padStart(12, '0')}`, event_type, aggregate_type: 'account', aggregate_id: '550e8400-e29b-41d4-a716-446655440000',
  sequence, position: sequence, payload, metadata: {}, version, created_at: '2026-01-01T00:00:00.000000Z',
});

describe('an aggregate given its typed events', () => {
  const history = [
    stored('account.opened', { owner: 'ada' }),
    stored('account.noted', { note: 'not of the registry' }),
    stored('account.deposited', { amount: 5 }),
    stored('account.deposited', { amount: 7 }),
  ];

  it('folds each event upcast to its newest version, whoever loads it', () => {
    for (const account of [byHandlers, byEvolve]) {
      expect(foldEvents(account, account.initialState(), history)).toEqual({ owner: 'ada', currency: 'EUR', balance: 12 });
    }
  });

  it('leaves the state as it is for an event of a type the registry lacks, without calling evolve', () => {
    const seen: string[] = [];
    const counting = defineAggregate({ type: 'account', eventTypes: accountEvents, initialState: 0, evolve: (n, e) => (seen.push(e.event_type), n + 1) });
    expect(foldEvents(counting, 0, history)).toBe(3);
    expect(seen).toEqual(['account.opened', 'account.deposited', 'account.deposited']);
  });

  it('needs the registry itself when typed by it: without it, nothing would upcast what the types promise', () => {
    // @ts-expect-error: eventTypes is missing
    defineAggregate<Account, typeof accountEvents>({ type: 'account', initialState: opened, handlers: { 'account.deposited': deposit } });
  });

  it('types every payload unknown when one entry is not written as literals (spread from a list that is not as const)', () => {
    const shared = [{ type: 'account.opened', version: 1, schema: z.object({ owner: z.string() }) }];
    const mixed = defineEventTypes([...shared, { type: 'account.closed', version: 1, schema: z.object({ reason: z.string() }) }]);
    defineAggregate({
      type: 'account',
      eventTypes: mixed,
      initialState: opened,
      evolve: (s, e) => {
        expectTypeOf(e.payload).toBeUnknown();
        return s;
      },
    });
  });

  it('types a registry of a list built elsewhere by its type names, payloads unknown until checked', () => {
    const list: EventTypeVersion[] = [{ type: 'account.opened', version: 1, schema: z.object({ owner: z.string() }) }];
    defineAggregate({
      type: 'account',
      eventTypes: defineEventTypes(list),
      initialState: opened,
      evolve: (s, e) => {
        expectTypeOf(e.payload).toBeUnknown();
        return s;
      },
    });
  });

  it('takes handlers that read the event with no type arguments, untyped or with a registry built elsewhere', () => {
    const untyped = defineAggregate({
      type: 'account',
      initialState: (): Account => ({ ...opened }),
      handlers: { 'account.opened': (s, e) => ({ ...s, owner: String(e.payload.owner) }) },
    });
    const list: EventTypeVersion[] = [{ type: 'account.opened', version: 1, schema: z.object({ owner: z.string() }) }];
    const wide = defineAggregate({
      type: 'account',
      eventTypes: defineEventTypes(list),
      initialState: (): Account => ({ ...opened }),
      handlers: { 'account.opened': (s, e) => ({ ...s, owner: (e.payload as { owner: string }).owner }) },
    });
    const event = { event_type: 'account.opened', version: 1, payload: { owner: 'ada' } } as unknown as AggregateEvent;
    expect([foldEvents(untyped, opened, [event]).owner, foldEvents(wide, opened, [event]).owner]).toEqual(['ada', 'ada']);
  });

  it('types an upcaster by the schemas it connects (upcaster())', () => {
    // @ts-expect-error: version 2 needs a currency
    upcaster(openedV1, openedV2, (p) => ({ ...p }));
    // @ts-expect-error: version 1 has no name
    upcaster(openedV1, openedV2, (p) => ({ owner: p.name, currency: 'EUR' }));
    const up = upcaster(openedV1, openedV2, (p) => ({ owner: p.owner.toUpperCase(), currency: 'EUR' }));
    expect(up({ owner: 'ada' })).toEqual({ owner: 'ADA', currency: 'EUR' });
  });
});
