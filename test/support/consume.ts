import type { StoredEvent } from '../../src/events/event.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';
import { consume, type Consumer } from '../../src/client/consume.ts';
import type { ConsumeOptions } from '../../src/client/consume-options.ts';
import type { closeAfterEach } from './cleanup.ts';
import { postJson, newId } from './http.ts';
import { startTestService, type TestService } from './service.ts';
import { deleteKeys } from './streams.ts';

export interface Recorder {
  /** Every handler call that succeeded, in the order they finished. */
  handled: StoredEvent[];
  /** Where each of `handled` came from (the same index): stream, store or replay. */
  sources: string[];
  ids(): Set<string>;
}

/** consume() against a test service (its store as the reader), recording what it handled. */
export async function startConsumer(t: TestService, options: Partial<ConsumeOptions>, recorder: Recorder = record()): Promise<Consumer & { recorder: Recorder }> {
  const handler = options.handler;
  const consumer = await consume({
    channelPrefix: t.channelPrefix,
    reader: storeEventReader(t.sql),
    group: 'g1',
    consumer: 'c1',
    aggregateTypes: ['task'],
    claimIdleMs: 1000,
    ...options,
    handler: async (event, context) => {
      await handler?.(event, context);
      recorder.handled.push(event);
      recorder.sources.push(context.source);
    },
  });
  return Object.assign(consumer, { recorder });
}

export function record(): Recorder {
  const handled: StoredEvent[] = [];
  return { handled, sources: [], ids: () => new Set(handled.map((e) => e.id)) };
}

/** Events of an aggregate out of sequence order in what was handled (0 when in order). */
export function outOfOrder(handled: StoredEvent[]): number {
  const last = new Map<string, number>();
  let n = 0;
  for (const e of handled) {
    if ((last.get(e.aggregate_id) ?? 0) >= e.sequence) n++;
    last.set(e.aggregate_id, e.sequence);
  }
  return n;
}

/**
 * Aggregates handled out of order, repeats aside: each aggregate's first handling of each
 * event must come in sequence order with no sequence skipped (one consumer that sees every
 * event of its types). A repeat (at least once, after a failover) is not counted.
 */
export function firstSeenOutOfOrder({ handled, sources }: Pick<Recorder, 'handled' | 'sources'>): string[] {
  const seen = new Set<string>();
  const last = new Map<string, number>();
  const wrong: string[] = [];
  handled.forEach((e, i) => {
    if (seen.has(e.id)) return;
    seen.add(e.id);
    // Where it came from and when, for the failure message: a skipped event's later arrival says which path brought it.
    if (e.sequence !== (last.get(e.aggregate_id) ?? 0) + 1) wrong.push(`${e.aggregate_id} #${e.sequence} after #${last.get(e.aggregate_id) ?? 0} (position ${e.position}, ${sources[i]}, handled ${i + 1} of ${handled.length})`);
    last.set(e.aggregate_id, e.sequence);
  });
  return wrong;
}

/** Test services with the Streams mirror on, each closed (and its keys deleted) by `cleanup` after its test. */
export function streamsServices(cleanup: ReturnType<typeof closeAfterEach>): (env?: Record<string, string>) => Promise<TestService> {
  return async (env = {}) => {
    const t = await startTestService({ REDIS_STREAMS: 'on', REDIS_STREAMS_CHECK_MS: '200', ...env });
    cleanup.push(async () => (await t.close(), await deleteKeys(t.channelPrefix)));
    return t;
  };
}

/** `perAggregate` events on each of `aggregates` new aggregates, interleaved (or each aggregate's together), in one batch per 1000. */
export async function appendSpread(t: TestService, aggregates: number, perAggregate: number, payload: (a: number, i: number) => object = () => ({}), grouped = false) {
  const ids = Array.from({ length: aggregates }, () => newId());
  const events = [];
  for (let i = 0; i < perAggregate; i++) for (let a = 0; a < aggregates; a++) events.push({ event_type: 'task.progressed', aggregate_id: ids[a], payload: payload(a, i), i, a });
  if (grouped) events.sort((x, y) => x.a - y.a || x.i - y.i);
  for (const e of events) Reflect.deleteProperty(e, 'i'), Reflect.deleteProperty(e, 'a');
  const stored = [];
  for (let i = 0; i < events.length; i += 1000) stored.push(...(await postJson(t.app, '/events/batch', { events: events.slice(i, i + 1000) })).body.events);
  return { aggregateIds: ids, stored: stored as { id: string; aggregate_id: string; sequence: number; position: number }[] };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
