import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { eventRecord, queryEvents, type EventRecord } from '../store/event-store.ts';
import { connectPostgres } from '../postgres/url.ts';
import { eventsChannel } from '../events/channels.ts';

export interface RelayOptions {
  databaseUrl: string;
  redis: Redis;
  channelPrefix: string;
  batchSize: number;
  pollIntervalMs: number;
  logger: Logger;
  /** Checkpoint row in relay_checkpoints. */
  name?: string;
  /** How long a lease lasts; a dead owner is replaced after about this long. */
  leaseMs?: number;
  /**
   * Called once Redis has acknowledged the last event of a commit of this instance, with the
   * seconds since the commit's result reached notify(): what publishing adds after a commit.
   */
  onCommitPublished?: (seconds: number) => void;
}

export type RelayState = 'starting' | 'running' | 'standby' | 'redis_unavailable' | 'database_unavailable' | 'stopped';

export interface RelayStatus {
  state: RelayState;
  /** Highest position published (and acknowledged by Redis). */
  publishedPosition: number;
  /** Highest committed position this relay knows of. */
  knownPosition: number;
}

export interface Relay {
  start(): void;
  /** Wake-up hint after a local commit; the records may be published straight from memory. */
  notify(created: EventRecord[]): void;
  /** Wake-up hint from any instance (a PostgreSQL notification): `position` is committed. */
  notifyCommitted(position: number): void;
  status(): RelayStatus;
  /** Finishes the batch in flight, saves the checkpoint and stops. */
  stop(): Promise<void>;
}

const CHECKPOINT_EVERY_MS = 100;
const MAX_BUFFERED = 10_000;
const STANDBY_POLL_MS = 1_000;
// On stop, how long the relay keeps publishing what is already committed before it exits.
const DRAIN_MS = 2_000;

/**
 * Transactional outbox relay: the events table is the outbox. Reads committed events after its
 * checkpoint in position order (= commit order, see append_events()), publishes each on
 * events:<aggregate_type>, and only then advances the checkpoint kept in PostgreSQL.
 * Guarantees: at least once (a crash or Redis failure re-publishes from the checkpoint),
 * in position order (so per aggregate in sequence order), never an uncommitted event.
 *
 * With several instances on one database, one holds a lease on the checkpoint row and
 * publishes; the others stand by and take over when the lease runs out. The holder publishes
 * only while its lease is valid by its own monotonic clock, measured from before the renewal
 * was sent, so two instances never publish at once unless a clock runs fast.
 */
export function createRelay(options: RelayOptions): Relay {
  const name = options.name ?? 'redis';
  const leaseMs = options.leaseMs ?? 5_000;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = options.logger.child({ component: 'relay' });
  // Its own connection: checkpoint writes may commit asynchronously (a lost checkpoint only
  // means re-publishing, which at-least-once allows) and never wait behind appends.
  const sql = connectPostgres(options.databaseUrl, {
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
    connection: { application_name: 'event-service-relay', synchronous_commit: 'off' },
  });

  let state: RelayState = 'starting';
  let published = 0;
  let known = 0;
  let savedAt = 0;
  let saved = 0;
  let stopping = false;
  let stopDeadline = Infinity;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let buffer: EventRecord[] = [];
  // This instance's commits not yet published: each one's last position and when it was handed
  // over. Kept only while this relay holds the lease (so it is the one that publishes them).
  let unpublished: { position: number; at: number }[] = [];
  let leaseValidUntil = 0; // performance.now() time until which this relay may publish
  // When the store was last read for events after `published`. While every commit this relay
  // knows of is published, it reads the store only every pollIntervalMs (for commits whose
  // wake-up was lost), not after each publish: at low rates that read, and the checkpoint
  // write that followed it, cost more than the publish itself.
  let polledAt = -Infinity;

  const leader = () => performance.now() < leaseValidUntil;
  // Renewal is due at 0.4 x lease after it was sent, leaving the holder as long again to get an
  // answer before its own 0.8 x lease validity runs out.
  const untilRenewal = () => Math.max(0, leaseValidUntil - leaseMs * 0.4 - performance.now());
  const untilPoll = () => Math.max(0, polledAt + options.pollIntervalMs - performance.now());
  // After a new lease or a failure, memory is no guide: drop what local commits handed over and
  // read the store next.
  const readFromStore = () => {
    buffer = [];
    polledAt = -Infinity;
  };

  // Takes or renews the lease; on taking it, continues from the stored checkpoint.
  async function lease(): Promise<boolean> {
    const sentAt = performance.now();
    const wasLeader = leader();
    const rows = await sql<{ position: string }[]>`
      update relay_checkpoints
      set owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
      where name = ${name} and (owner = ${owner} or owner is null or lease_until < now())
      returning position`;
    if (rows.length === 0) {
      leaseValidUntil = 0;
      unpublished = [];
      const [row] = await sql<{ position: string }[]>`select position from relay_checkpoints where name = ${name}`;
      published = Number(row?.position ?? 0);
      return false;
    }
    if (!wasLeader) {
      published = saved = Number(rows[0]!.position);
      readFromStore();
      log.info({ published }, 'relay lease taken; publishing');
    }
    leaseValidUntil = sentAt + leaseMs * 0.8;
    return true;
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  async function next(): Promise<EventRecord[]> {
    // Fast path: what local commits handed over continues exactly where we are.
    while (buffer.length > 0 && buffer[0]!.position <= published) buffer.shift();
    if (buffer.length > 0 && buffer[0]!.position === published + 1) {
      let n = 1;
      while (n < buffer.length && n < options.batchSize && buffer[n]!.position === buffer[n - 1]!.position + 1) n++;
      return buffer.splice(0, n);
    }
    if (published >= known && untilPoll() > 0 && !stopping) return [];
    polledAt = performance.now();
    // GET /events' statement for `after=` alone (one generic plan, see eventQuery()).
    const page = await queryEvents(sql, { after: published, limit: options.batchSize, offset: 0, order: 'asc' });
    // More behind this batch: read again at once.
    if (page.nextAfter !== null) polledAt = -Infinity;
    return page.events.map((json) => eventRecord(json));
  }

  // Publishes in order; returns how many Redis acknowledged before the first failure.
  async function publish(batch: EventRecord[]): Promise<number> {
    const pipeline = options.redis.pipeline();
    for (const e of batch) pipeline.publish(eventsChannel(options.channelPrefix, e.aggregateType), e.json);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.findIndex(([err]) => err);
    return failed < 0 ? batch.length : failed;
  }

  function commitsPublished() {
    if (unpublished.length === 0) return;
    const now = performance.now();
    unpublished = unpublished.filter((c) => {
      if (c.position > published) return true;
      options.onCommitPublished?.((now - c.at) / 1000);
      return false;
    });
  }

  async function saveCheckpoint(force: boolean) {
    if (published === saved || (!force && Date.now() - savedAt < CHECKPOINT_EVERY_MS)) return;
    const position = published;
    await sql`update relay_checkpoints set position = ${position}, updated_at = now() where name = ${name} and owner = ${owner} and position < ${position}`;
    saved = position;
    savedAt = Date.now();
  }

  async function run() {
    let backoff = 100;
    // Once stopping, it goes on until caught up (or DRAIN_MS), so a restart does not leave
    // committed events waiting for the next owner; any failure while stopping ends it.
    while (!(stopping && performance.now() > stopDeadline)) {
      try {
        // Renew well before the lease runs out; stand by while another instance holds it.
        if (untilRenewal() === 0) {
          if (!(await lease())) {
            state = 'standby';
            if (stopping) return;
            await sleep(STANDBY_POLL_MS);
            continue;
          }
          if (state === 'starting' || state === 'standby') state = 'running';
        }
        const batch = await next();
        if (batch.length === 0) {
          state = 'running';
          if (stopping) return;
          await saveCheckpoint(false);
          // Never sleep past the renewal: a lapsed lease would stop local commits from waking
          // this relay (notify() buffers only for a leader) and could pass to another instance.
          // Nor past the next poll, nor past the moment a checkpoint not yet saved is due.
          const checkpointDue = published === saved ? Infinity : Math.max(0, CHECKPOINT_EVERY_MS - (Date.now() - savedAt));
          await sleep(Math.min(untilPoll(), untilRenewal(), checkpointDue));
          continue;
        }
        known = Math.max(known, batch[batch.length - 1]!.position);
        if (!leader()) continue;
        let sent: number;
        try {
          sent = await publish(batch);
        } catch {
          sent = 0;
        }
        if (sent > 0) {
          published = batch[sent - 1]!.position;
          commitsPublished();
        }
        if (sent < batch.length) {
          if (state !== 'redis_unavailable') log.warn({ published }, 'publish failed; retrying from the checkpoint');
          state = 'redis_unavailable';
          readFromStore();
          if (stopping) return;
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 2_000);
          continue;
        }
        if (state !== 'running') log.info({ published }, 'relay publishing');
        state = 'running';
        backoff = 100;
        await saveCheckpoint(false);
      } catch (error) {
        if (state === 'running') log.warn({ err: (error as Error).message }, 'relay cannot reach the store; retrying');
        if (state !== 'starting') state = 'database_unavailable';
        readFromStore();
        if (stopping) return;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
  }

  return {
    start() {
      loop ??= run();
    },
    notify(created) {
      known = Math.max(known, created[created.length - 1]?.position ?? 0);
      if (options.onCommitPublished && created.length > 0 && leader() && unpublished.length < MAX_BUFFERED) {
        unpublished.push({ position: created[created.length - 1]!.position, at: performance.now() });
      }
      // Keep records in memory only while the relay holds the lease and keeps up; otherwise it
      // reads from the store. Commits handed over out of order (several transactions in
      // flight) are merged.
      if (!leader() || state !== 'running' || buffer.length + created.length > MAX_BUFFERED) {
        buffer = [];
      } else if (buffer.length === 0 || buffer[buffer.length - 1]!.position < created[0]!.position) {
        buffer.push(...created);
      } else {
        buffer = [...buffer, ...created].sort((a, b) => a.position - b.position);
      }
      // Only an idle relay is woken: one backing off from a failure keeps its pace, or every
      // append during a Redis outage would trigger a futile read and publish attempt. A running
      // relay whose lease has just lapsed is woken too: it renews the lease, then reads.
      if (state === 'running') wake?.();
    },
    notifyCommitted(position) {
      known = Math.max(known, position);
      // Its own commits arrive here too, usually already published; and as in notify(), a
      // relay backing off from a failure or standing by is not woken.
      if (state === 'running' && position > published) wake?.();
    },
    status: () => ({ state: stopping ? 'stopped' : state, publishedPosition: published, knownPosition: Math.max(known, published) }),
    async stop() {
      stopping = true;
      stopDeadline = performance.now() + DRAIN_MS;
      wake?.();
      await loop;
      await saveCheckpoint(true).catch(() => {});
      // Hand over at once instead of letting the lease run out.
      await sql`update relay_checkpoints set owner = null, lease_until = null where name = ${name} and owner = ${owner}`.catch(() => {});
      leaseValidUntil = 0;
      state = 'stopped';
      await sql.end({ timeout: 2 });
    },
  };
}
