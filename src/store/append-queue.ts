import type { NewEvent } from '../events/event.ts';
import type { Database } from './database.ts';
import { appendRequests, type AppendOutcome, type EventRecord } from './event-store.ts';
import { isUnavailable, mapStoreError } from './pg-errors.ts';

export interface AppendQueueOptions {
  sql: Database['sql'];
  /** Most events one transaction takes; a single larger request still goes alone. */
  maxBatchEvents: number;
  /** Called after each commit with the events it created, in position order. */
  onCommitted?: (created: EventRecord[]) => void;
}

interface Pending {
  events: NewEvent[];
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

export interface AppendQueue {
  append(events: NewEvent[]): Promise<AppendOutcome>;
  /** Resolves once every append accepted so far has finished. */
  drain(): Promise<void>;
}

/**
 * Group commit: appends that arrive while a transaction is in flight wait and then go
 * together in the next one, each request keeping its own outcome. An append arriving when
 * nothing is in flight starts at once (after the current I/O turn), so batching adds no idle
 * latency. One transaction at a time matches the store, which commits appends one by one.
 */
export function createAppendQueue(options: AppendQueueOptions): AppendQueue {
  const queue: Pending[] = [];
  let running: Promise<void> | null = null;

  function append(events: NewEvent[]): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      queue.push({ events, resolve, reject });
      running ??= new Promise<void>((r) => setImmediate(r)).then(run).finally(() => (running = null));
    });
  }

  async function run(): Promise<void> {
    while (queue.length > 0) await commit(takeBatch());
  }

  // FIFO, bounded by maxBatchEvents. A request sharing an id with one already taken waits for
  // the next transaction, so the store sees each id once per call.
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
    try {
      const outcomes = await appendRequests(options.sql, batch.map((p) => p.events));
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
      notify(outcomes);
    } catch (error) {
      if (batch.length === 1 || isUnavailable(error)) {
        const mapped = mapStoreError(error);
        for (const p of batch) p.reject(mapped);
        return;
      }
      // Something in one request made the whole transaction fail: run them one by one so
      // only that request fails.
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
    drain: async () => {
      while (running) await running;
    },
  };
}
