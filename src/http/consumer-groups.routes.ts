import { Hono } from 'hono';
import type { ConsumerGroupsInspector } from '../consumer-groups/inspect.ts';
import type { ParkedEvents } from '../consumer-groups/parked.ts';
import { AppError, toPointer, validationFailed } from '../errors.ts';
import type { RedisConnection } from '../publishing/redis.ts';
import { createQueryReader } from '../events/query-string.ts';
import { consumerGroupPath, consumerGroupsQuery, parkedQuery, parkedReplayRequestSchema } from './consumer-groups.schemas.ts';
import { readJsonBody } from './json-body.ts';
import { readPath } from './path-params.ts';

export interface ConsumerGroupsDeps {
  redis: RedisConnection;
  groups: ConsumerGroupsInspector;
  parked: ParkedEvents;
  maxBodyBytes: number;
}

const MAX_REPLAY = 1000;
const readGroupsQuery = createQueryReader(consumerGroupsQuery);
const readParkedQuery = createQueryReader(parkedQuery);

export function createConsumerGroupsRoutes({ redis, groups, parked, maxBodyBytes }: ConsumerGroupsDeps) {
  const redisUp = () => {
    if (redis.status !== 'ready') throw new AppError('redis_unavailable', 'Redis cannot be reached: consumer groups live there');
  };
  async function knownGroup(params: Record<string, string>) {
    const { aggregate_type: type, group } = readPath(consumerGroupPath, params, 'invalid path');
    redisUp();
    if (!(await groups.exists(type, group))) throw new AppError('not_found', `no consumer group ${group} on the ${type} stream`);
    return { type, group };
  }
  return new Hono()
    .get('/', async (c) => {
      const q = readGroupsQuery(c.req.queries());
      redisUp();
      return c.json({ groups: await groups.list(q.aggregate_type) });
    })
    .get('/:aggregate_type/:group/parked', async (c) => {
      const q = readParkedQuery(c.req.queries());
      const { type, group } = await knownGroup(c.req.param());
      return c.json(await parked.list(type, group, q.after, q.limit));
    })
    .post('/:aggregate_type/:group/parked/replay', async (c) => {
      readPath(consumerGroupPath, c.req.param(), 'invalid path');
      const body = parkedReplayRequestSchema.safeParse(await readJsonBody(c, maxBodyBytes));
      if (!body.success) throw validationFailed(body.error.issues.map((i) => ({ pointer: toPointer(i.path), detail: i.message })));
      const { type, group } = await knownGroup(c.req.param());
      const ids = await parked.replay(type, group, { ids: body.data.ids, limit: body.data.limit ?? MAX_REPLAY });
      return c.json({ replayed: ids.length, ids });
    });
}
