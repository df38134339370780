import { type Context, Hono } from 'hono';
import type { ConsumerGroupsInspector } from '../consumer-groups/inspect.ts';
import type { ParkedEvents } from '../consumer-groups/parked.ts';
import { ReplyError } from 'ioredis';
import { AppError, toPointer, validationFailed } from '../errors.ts';
import { withDeadline } from '../events/deadline.ts';
import { isUnavailable, postgresErrorOf } from '../postgres/errors.ts';
import type { RedisConnection } from '../publishing/redis.ts';
import { createQueryReader } from '../events/query-string.ts';
import { consumerGroupPath, consumerGroupsQuery, parkedQuery, parkedSelectionSchema } from './consumer-groups.schemas.ts';
import { readJsonBody } from './json-body.ts';
import { readPath } from './path-params.ts';

export interface ConsumerGroupsDeps {
  redis: RedisConnection;
  groups: ConsumerGroupsInspector;
  parked: ParkedEvents;
  maxBodyBytes: number;
}

const MAX_TAKEN = 1000;
const readGroupsQuery = createQueryReader(consumerGroupsQuery);
const readParkedQuery = createQueryReader(parkedQuery);

// As for PostgreSQL (SPEC §11): a Redis that stops answering is reported in this time, not after
// the connection's command timeout (5 s a command, and a listing sends several in turn).
export const REDIS_ANSWER_MS = 1_500;

export function createConsumerGroupsRoutes({ redis, groups, parked, maxBodyBytes }: ConsumerGroupsDeps) {
  const unavailable = (why: string) => new AppError('redis_unavailable', `${why}: consumer groups live there`);
  /** `work`'s answer from Redis; 503 redis_unavailable when Redis is away or does not answer in `ms` (null: its command timeout). */
  async function fromRedis<T>(work: () => Promise<T>, ms: number | null = REDIS_ANSWER_MS): Promise<T> {
    if (redis.status !== 'ready') throw unavailable('Redis cannot be reached');
    try {
      return await (ms === null ? work() : withDeadline(work(), ms, () => unavailable(`Redis did not answer within ${ms} ms`)));
    } catch (error) {
      // PostgreSQL's errors (the lag is counted in the store) are mapped by the error handler.
      if (error instanceof AppError || error instanceof ReplyError || postgresErrorOf(error) || isUnavailable(error)) throw error;
      throw unavailable(`Redis failed: ${(error as Error).message}`);
    }
  }
  async function knownGroup(params: Record<string, string>) {
    const { aggregate_type: type, group } = readPath(consumerGroupPath, params, 'invalid path');
    if (!(await fromRedis(() => groups.exists(type, group)))) throw new AppError('not_found', `no consumer group ${group} on the ${type} stream`);
    return { type, group };
  }
  /** Replays or discards the parked events a request's body chooses. */
  async function take(c: Context, action: 'replay' | 'discard') {
    readPath(consumerGroupPath, c.req.param(), 'invalid path');
    const body = parkedSelectionSchema.safeParse(await readJsonBody(c, maxBodyBytes));
    if (!body.success) throw validationFailed(body.error.issues.map((i) => ({ pointer: toPointer(i.path), detail: i.message })));
    // A discard cannot be undone: it takes only what it is told to, never a default.
    if (action === 'discard' && body.data.ids === undefined && body.data.limit === undefined) {
      throw validationFailed([{ pointer: '', detail: 'a discard names what it deletes: ids, or limit for the oldest' }]);
    }
    const { type, group } = await knownGroup(c.req.param());
    // Not under the deadline: the script may have taken entries by the time it ran out, and its
    // answer (the ids taken) would be lost. It runs once, as any command, within the command timeout.
    const ids = await fromRedis(() => parked[action](type, group, { ids: body.data.ids, limit: body.data.limit ?? MAX_TAKEN }), null);
    return action === 'replay' ? { replayed: ids.length, ids } : { discarded: ids.length, ids };
  }
  return new Hono()
    .get('/', async (c) => {
      const q = readGroupsQuery(c.req.queries());
      return c.json({ groups: await fromRedis(() => groups.list(q.aggregate_type)) });
    })
    .get('/:aggregate_type/:group/parked', async (c) => {
      const q = readParkedQuery(c.req.queries());
      const { type, group } = await knownGroup(c.req.param());
      return c.json(await fromRedis(() => parked.list(type, group, q.after, q.limit)));
    })
    .post('/:aggregate_type/:group/parked/replay', async (c) => c.json(await take(c, 'replay')))
    .post('/:aggregate_type/:group/parked/discard', async (c) => c.json(await take(c, 'discard')));
}
