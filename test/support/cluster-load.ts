import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import type { StoredEvent } from '../../src/events/event.ts';
import { subscribe, type SubscribeOptions, type Subscription } from '../../src/client/subscribe.ts';
import { storeEventReader } from '../../src/store/store-reader.ts';
import type { TestService } from './service.ts';
import { waitUntil } from './wait.ts';

/** Aggregate types whose channels hash to different slots (checked by the tests that need it). */
export const TYPES = ['task', 'plan', 'agent', 'order', 'invoice', 'shipment'];

/** A batch of one new aggregate per type. */
const mixedBatch = (types: string[]) => (i: number) => types.map((t, j) => ({ event_type: `${t}.created`, aggregate_id: randomUUID(), payload: { i, j } }));

/**
 * Appends `batch(i)` in a loop until stopped; records every acknowledged event. Appends never
 * depend on Redis, so none fails.
 */
export function startAppends(app: Pick<Hono, 'request'>, batch: (i: number) => object[] = mixedBatch(TYPES), pauseMs = 5) {
  const acked: { id: string; position: number }[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const res = await app.request('/events/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: batch(i) }) });
      if (res.status !== 201 && res.status !== 200) throw new Error(`append answered ${res.status}: ${await res.text()}`);
      acked.push(...((await res.json()) as { events: { id: string; position: number }[] }).events);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    acked,
    /** Waits for `count` more acknowledged events than now. */
    more: (count: number) => {
      const target = acked.length + count;
      return waitUntil(() => acked.length >= target, 20_000, 10);
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** subscribe() on the test's service, recording what it hands over. */
export async function recordingSubscriber(t: TestService, options: Partial<SubscribeOptions>): Promise<Subscription & { seen: StoredEvent[] }> {
  const seen: StoredEvent[] = [];
  const sub = await subscribe({ channelPrefix: t.channelPrefix, reader: storeEventReader(t.sql), onEvent: (e) => void seen.push(e), ...options });
  return Object.assign(sub, { seen });
}

/** What the subscriber must have handed over: the stored events (of `types`), in position order. */
export async function storedPositions(t: TestService, types?: string[]): Promise<number[]> {
  const rows = types
    ? await t.sql<{ position: string }[]>`select position from events where aggregate_type = any(${types}) order by position`
    : await t.sql<{ position: string }[]>`select position from events order by position`;
  return rows.map((r) => Number(r.position));
}
