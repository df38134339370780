import type { StoredEvent } from '../../src/events/event.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';
import { consume, type Consumer } from '../../src/client/consume.ts';
import type { ConsumeOptions } from '../../src/client/consume-options.ts';
import type { TestService } from './service.ts';

export interface Recorder {
  /** Every handler call that succeeded, in the order they finished. */
  handled: StoredEvent[];
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
    },
  });
  return Object.assign(consumer, { recorder });
}

export function record(): Recorder {
  const handled: StoredEvent[] = [];
  return { handled, ids: () => new Set(handled.map((e) => e.id)) };
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
export function firstSeenOutOfOrder(handled: StoredEvent[]): string[] {
  const seen = new Set<string>();
  const last = new Map<string, number>();
  const wrong: string[] = [];
  for (const e of handled) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    if (e.sequence !== (last.get(e.aggregate_id) ?? 0) + 1) wrong.push(`${e.aggregate_id} #${e.sequence} after #${last.get(e.aggregate_id) ?? 0}`);
    last.set(e.aggregate_id, e.sequence);
  }
  return wrong;
}
