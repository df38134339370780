import type { NewEvent } from '../events/event.ts';
import { isUnavailable, mapStoreError } from '../postgres/errors.ts';
import type { AppendOutcome } from './append.ts';
import type { EventRecord } from './event-record.ts';
import type { EventStore } from './event-store.ts';

export interface AppendQueueOptions {
  store: Pick<EventStore, 'append'>;
  /** Transactions in flight (one per connection): they commit one by one, but the next already waits inside PostgreSQL. */
  maxInFlight: number;
  /** Most events one transaction takes; a single larger request still goes alone. */
  maxBatchEvents: number;
  onCommitted?: (created: EventRecord[]) => void;
  onBatch?: (events: number) => void;
}

interface Pending {
  events: NewEvent[];
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

export interface AppendQueue {
  append(events: NewEvent[]): Promise<AppendOutcome>;
  drain(): Promise<void>;
  inFlight(): number;
}

/** Group commit: appends arriving while a transaction is in flight share the next one, each with its own outcome. */
export function createAppendQueue(options: AppendQueueOptions): AppendQueue {
  const { maxInFlight } = options;
  if (!(maxInFlight >= 1)) throw new Error('the append queue needs at least one transaction in flight');
  let running = 0;
  const inFlight = () => running;
  const queue: Pending[] = [];
  let scheduled = false;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => {};

  function append(events: NewEvent[]): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      queue.push({ events, resolve, reject });
      if (inFlight() === 0 && !scheduled) idle = new Promise((r) => (markIdle = r));
      // With nothing in flight nobody would share its transaction; otherwise wait for this I/O turn
      // so requests that arrived together go together.
      if (!scheduled && inFlight() < maxInFlight) {
        scheduled = true;
        if (inFlight() === 0) queueMicrotask(pump);
        else setImmediate(pump);
      }
    });
  }

  function pump() {
    scheduled = false;
    while (queue.length > 0 && inFlight() < maxInFlight) {
      const batch = takeBatch();
      running++;
      void commit(batch).finally(() => {
        running--;
        if (queue.length > 0) pump();
        else if (inFlight() === 0) markIdle();
      });
    }
  }

  // FIFO up to maxBatchEvents; a request reusing an id already taken waits for the next
  // transaction, so the store sees each id once per call.
  function takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const ids = new Set<string>();
    let size = 0;
    for (let i = 0; i < queue.length; ) {
      const p = queue[i]!;
      const fits = batch.length === 0 || size + p.events.length <= options.maxBatchEvents;
      if (!fits) break;
      if (p.events.some((e) => ids.has(e.id))) {
        i++;
        continue;
      }
      for (const e of p.events) ids.add(e.id);
      size += p.events.length;
      batch.push(p);
      queue.splice(i, 1);
    }
    return batch;
  }

  async function commit(batch: Pending[]): Promise<void> {
    options.onBatch?.(batch.reduce((n, p) => n + p.events.length, 0));
    try {
      const outcomes = await options.store.append(batch.map((p) => p.events));
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
      notify(outcomes);
    } catch (error) {
      if (batch.length === 1 || isUnavailable(error)) {
        const mapped = mapStoreError(error);
        for (const p of batch) p.reject(mapped);
        return;
      }
      // One request failed the whole transaction: retry one by one so only that request fails.
      for (const p of batch) await commit([p]);
    }
  }

  function notify(outcomes: AppendOutcome[]) {
    if (!options.onCommitted) return;
    const created = outcomes.flatMap((o) => (o.ok ? o.events.filter((e) => e.created) : []));
    if (created.length === 0) return;
    try {
      options.onCommitted(created.sort((a, b) => a.position - b.position));
    } catch {
      // a listener's failure must not touch appends that are already committed
    }
  }

  return {
    append,
    inFlight,
    drain: async () => {
      while (inFlight() > 0 || scheduled || queue.length > 0) await Promise.race([idle, new Promise((r) => setTimeout(r, 10))]);
    },
  };
}
