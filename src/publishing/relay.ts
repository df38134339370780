import { performance } from 'node:perf_hooks';
import type { Logger } from '../observability/logger.ts';
import { createSleeper } from '../events/sleeper.ts';
import { eventRecord, type EventRecord } from '../store/event-record.ts';
import type { EventStore } from '../store/event-store.ts';
import type { Checkpoint } from './checkpoint.ts';
import type { Lease } from './lease.ts';
import { createLocalCommits } from './local-commits.ts';
import type { Publisher } from './publisher.ts';
import type { RedisHistory } from './redis-history.ts';

export interface RelayOptions {
  store: Pick<EventStore, 'query' | 'headPosition'>;
  lease: Lease;
  checkpoint: Checkpoint;
  publisher: Publisher;
  /** What Redis holds of this store's channels and streams: checked against the head before the first publish. */
  history: RedisHistory;
  batchSize: number;
  pollIntervalMs: number;
  logger: Logger;
  /** Seconds from a local commit's result to Redis executing its last event (a leader's only). */
  onCommitPublished?: (seconds: number) => void;
}

export const relayStates = ['starting', 'running', 'standby', 'redis_ahead', 'redis_unavailable', 'database_unavailable', 'stopped'] as const;
export type RelayState = (typeof relayStates)[number];

export interface RelayStatus {
  state: RelayState;
  /** Highest position published (and acknowledged by Redis). */
  publishedPosition: number;
}

export interface Relay {
  start(): void;
  /** Wake-up hint after a local commit; its events may be published straight from memory. */
  notify(created: EventRecord[]): void;
  /** Wake-up hint from any instance (a PostgreSQL notification): `position` is committed. */
  notifyCommitted(position: number): void;
  status(): RelayStatus;
  /** Publishes what is committed (up to DRAIN_MS), saves the checkpoint, hands the lease over. */
  stop(): Promise<void>;
}

const STANDBY_POLL_MS = 1_000;
const AHEAD_POLL_MS = 1_000;
const DRAIN_MS = 2_000;

// Transactional outbox (the events table is the outbox): publishes committed events after the checkpoint in position
// (= commit) order, docs/ordering.md, then advances it. At least once, in order, never uncommitted. Only the lease
// holder publishes; the publisher's marks keep a late or repeated publication from overtaking a later event.
export function createRelay(options: RelayOptions): Relay {
  const { store, lease, checkpoint, publisher } = options;
  const log = options.logger.child({ component: 'relay' });
  const local = createLocalCommits(options.onCommitPublished);
  let state: RelayState = 'starting';
  let published = 0;
  let known = 0;
  let stopping = false;
  let stopDeadline = Infinity;
  let loop: Promise<void> | null = null;
  let wakeQueued = false;
  // Before this process first publishes, Redis must hold no position past the store's head (ADR 33).
  let historyChecked = false;
  /** The store's head when Redis was found ahead of it (null: not found ahead). */
  let aheadOf: number | null = null;
  // Caught up, the relay reads the store only every pollIntervalMs (for lost wake-ups), not after each publish.
  let polledAt = -Infinity;
  const untilPoll = () => Math.max(0, polledAt + options.pollIntervalMs - performance.now());
  // The next batch comes from the store: what the fast path holds is dropped and the poll is due now.
  const pollStoreNext = () => {
    local.forget();
    polledAt = -Infinity;
  };

  const { sleep, wake } = createSleeper();

  async function next(): Promise<EventRecord[]> {
    const fast = local.take(published, options.batchSize);
    if (fast.length > 0) return fast;
    if (published >= known && untilPoll() > 0 && !stopping) return [];
    polledAt = performance.now();
    const page = await store.query({ after: published, limit: options.batchSize, offset: 0, order: 'asc' });
    if (page.nextAfter !== null) polledAt = -Infinity; // more behind this batch: read again at once
    return page.events.map((json) => eventRecord(json));
  }

  async function holdLease(): Promise<boolean> {
    if (lease.untilRenewal() > 0) return true;
    const result = await lease.acquire();
    if (!result.held) {
      local.forgetAll();
      published = result.checkpoint;
      return false;
    }
    if (result.taken) {
      published = result.checkpoint;
      checkpoint.reset(published);
      publisher.reset?.();
      pollStoreNext();
      log.info({ published }, 'relay lease taken; publishing');
    }
    return true;
  }

  async function backOff(backoff: number): Promise<number> {
    pollStoreNext();
    await sleep(backoff);
    return Math.min(backoff * 2, 2_000);
  }

  async function run() {
    let backoff = 100;
    while (!(stopping && performance.now() > stopDeadline)) {
      try {
        if (!(await holdLease())) {
          state = 'standby';
          if (stopping) return;
          await sleep(STANDBY_POLL_MS);
          continue;
        }
        if (!historyChecked) {
          // Compared with the head it was found ahead of, not the growing one: new appends at the
          // positions Redis saw would take the head past its marks and go unpublished for good.
          const found = await options.history.pastHead(aheadOf === null ? () => store.headPosition() : async () => aheadOf!);
          if (found === null) {
            state = 'redis_unavailable';
            if (stopping) return;
            backoff = await backOff(backoff);
            continue;
          }
          const { head, past } = found;
          if (past.length > 0) {
            aheadOf = head;
            if (state !== 'redis_ahead') {
              log.error({ head, ahead: past.slice(0, 10) }, "Redis holds positions past this store's head (a store restored from a backup, or another database on this REDIS_CHANNEL_PREFIX): nothing is published until they are removed (README, Backup and restore)");
            }
            state = 'redis_ahead';
            if (stopping) return;
            await sleep(AHEAD_POLL_MS);
            continue;
          }
          if (state === 'redis_ahead') log.info({ head }, "Redis holds no position past the store's head any more; publishing");
          aheadOf = null;
          historyChecked = true;
        }
        if (state === 'starting' || state === 'standby' || state === 'redis_ahead') state = 'running';
        const batch = await next();
        if (batch.length === 0) {
          state = 'running';
          if (stopping) return;
          await checkpoint.save(published);
          // Never past the renewal (a lapsed lease stops local commits waking it), the next poll, or a due save.
          await sleep(Math.min(untilPoll(), lease.untilRenewal(), checkpoint.dueIn(published)));
          continue;
        }
        known = Math.max(known, batch[batch.length - 1]!.position);
        if (!lease.held()) continue;
        try {
          await publisher.publish(batch);
        } catch (error) {
          if (state !== 'redis_unavailable') log.warn({ err: (error as Error).message, published }, 'publish failed; retrying from the checkpoint');
          state = 'redis_unavailable';
          if (stopping) return;
          backoff = await backOff(backoff);
          continue;
        }
        published = batch[batch.length - 1]!.position;
        local.published(published);
        if (state !== 'running') log.info({ published }, 'relay publishing');
        state = 'running';
        backoff = 100;
        await checkpoint.save(published);
      } catch (error) {
        if (state === 'running') log.warn({ err: (error as Error).message }, 'relay cannot reach the store; retrying');
        if (state !== 'starting') state = 'database_unavailable';
        if (stopping) return;
        backoff = await backOff(backoff);
      }
    }
  }

  return {
    start() {
      options.history.prepare();
      loop ??= run();
    },
    notify(created) {
      known = Math.max(known, created[created.length - 1]?.position ?? 0);
      local.add(created, { leader: lease.held(), running: state === 'running' });
      // Only an idle relay is woken: one backing off keeps its pace, not a futile publish per append in a Redis outage.
      // After this I/O turn: the appends' responses are written before the relay's publish.
      if (state === 'running' && !wakeQueued) {
        wakeQueued = true;
        setImmediate(() => {
          wakeQueued = false;
          wake();
        });
      }
    },
    notifyCommitted(position) {
      known = Math.max(known, position);
      if (state === 'running' && position > published) wake();
    },
    status: () => ({ state: stopping ? 'stopped' : state, publishedPosition: published }),
    async stop() {
      stopping = true;
      stopDeadline = performance.now() + DRAIN_MS;
      wake();
      await loop;
      await checkpoint.save(published, true).catch(() => {});
      await lease.release().catch(() => {});
      state = 'stopped';
    },
  };
}
