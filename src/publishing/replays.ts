import { eventsChannel } from '../events/channels.ts';
import type { EventQuery } from '../events/query-input.ts';
import { uuidv7 } from '../events/uuid.ts';
import type { Logger } from '../observability/logger.ts';
import type { Sql } from '../postgres/database.ts';
import type { EventStore } from '../store/event-store.ts';
import type { PublishCommand } from './publish-scripts.ts';
import { publishMessages } from './publisher.ts';
import { createRedisConnection, type RedisConfig, type RedisConnection } from './redis.ts';
import { listReplays, readReplay, type ReplayState, type ReplayStatus, STALE_AFTER_S } from './replay-records.ts';

export type { ReplayStatus } from './replay-records.ts';

export type ReplayFilter = Omit<EventQuery, 'limit' | 'offset' | 'order'>;

export interface ReplayRunnerOptions {
  store: Pick<EventStore, 'query' | 'headPosition' | 'countEvents'>;
  sql: Sql;
  redis: RedisConfig;
  publishCommand: PublishCommand;
  channelPrefix: string;
  batchSize: number;
  /** Pause between batches, so a replay of millions never starves live publishing. */
  pauseMs: number;
  logger: Logger;
}

// Replays stored events in position order, in batches, up to the head at the start, on `channel` or the live channels,
// marked with metadata.replay and replay_id. Progress is saved per batch; a cancel from anywhere stops the next batch.
export function createReplayRunner(options: ReplayRunnerOptions) {
  const { store, sql, logger } = options;
  const log = logger.child({ component: 'replays' });
  const running = new Map<string, Promise<void>>();
  let redis: RedisConnection | null = null;
  let stopping = false;

  const connection = () => {
    if (!redis) {
      redis = createRedisConnection(options.redis);
      redis.on('error', () => {});
    }
    return redis;
  };

  async function run(id: string, filter: ReplayFilter, channel: string | null, upTo: number) {
    let cursor = filter.after ?? 0;
    let backoff = 100;
    while (!stopping) {
      const page = await store.query({ ...filter, after: cursor, limit: options.batchSize, offset: 0, order: 'asc' });
      const batch = page.events
        .map((json) => JSON.parse(json) as { position: number; aggregate_type: string; metadata: Record<string, unknown> })
        .filter((e) => e.position <= upTo);
      if (batch.length > 0) {
        try {
          const messages = batch.map((e) => ({
            channel: channel === null ? eventsChannel(options.channelPrefix, e.aggregate_type) : options.channelPrefix + channel,
            body: JSON.stringify({ ...e, metadata: { ...e.metadata, replay: true, replay_id: id } }),
          }));
          if (!(await publishMessages(connection(), messages, options.publishCommand))) throw new Error('Redis refused a publish');
          backoff = 100;
        } catch (error) {
          // Redis away: keep the replay alive and retry the same batch after a pause, unless it was cancelled meanwhile.
          await new Promise((r) => setTimeout(r, backoff));
          const alive = await sql`update replays set updated_at = now(), error = ${`retrying: ${(error as Error).message}`} where id = ${id} and status = 'running' returning id`;
          if (alive.length === 0) return;
          backoff = Math.min(backoff * 2, 2_000);
          continue;
        }
        cursor = batch[batch.length - 1]!.position;
      }
      const done = page.nextAfter === null || batch.length < page.events.length || cursor >= upTo;
      // A batch published after a cancel still counts: published and last_position say what went out.
      const [row] = await sql<{ status: string }[]>`
        update replays set last_position = ${cursor}, published = published + ${batch.length}, error = null,
          status = case when status = 'running' then ${done ? 'completed' : 'running'} else status end, updated_at = now()
        where id = ${id} and status in ('running', 'cancelled') returning status`;
      if (!row || row.status !== 'running') return; // cancelled, or finished
      await new Promise((r) => setTimeout(r, options.pauseMs));
    }
    await sql`update replays set status = 'failed', error = 'the service stopped during the replay', updated_at = now() where id = ${id} and status = 'running'`;
  }

  return {
    async start(filter: ReplayFilter, channel: string | null): Promise<ReplayStatus> {
      const id = uuidv7();
      const upTo = await store.headPosition();
      await sql`insert into replays (id, filter, channel, status, up_to, last_position)
        values (${id}, ${JSON.stringify(filter)}::text::jsonb, ${channel}, 'running', ${upTo}, ${filter.after ?? 0})`;
      const task = run(id, filter, channel, upTo)
        .catch(async (error) => {
          log.error({ err: (error as Error).message, replay: id }, 'replay failed');
          await sql`update replays set status = 'failed', error = ${(error as Error).message}, updated_at = now() where id = ${id} and status = 'running'`.catch(() => {});
        })
        .finally(() => running.delete(id));
      running.set(id, task);
      return (await this.get(id))!;
    },
    get: (id: string) => readReplay(sql, id),
    list: (options: { status?: ReplayState; limit: number }) => listReplays(sql, options),
    /** What start() would replay now: the events matching, up to the current head; nothing starts. */
    async preview(filter: ReplayFilter): Promise<{ events: number; up_to: number }> {
      const upTo = await store.headPosition();
      return { events: await store.countEvents(filter, upTo), up_to: upTo };
    },
    async cancel(id: string): Promise<ReplayStatus | undefined> {
      // Not one reported failed already (its instance stopped renewing it): that stays failed, with its error.
      await sql`update replays set status = 'cancelled', updated_at = now()
        where id = ${id} and status = 'running' and updated_at >= now() - ${STALE_AFTER_S} * interval '1 second'`;
      await running.get(id);
      return this.get(id);
    },
    async stop() {
      stopping = true;
      await Promise.all(running.values());
      redis?.disconnect();
    },
  };
}

export type ReplayRunner = ReturnType<typeof createReplayRunner>;
