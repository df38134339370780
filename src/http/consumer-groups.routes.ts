import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { AppError, type FieldError, toPointer, validationFailed } from '../errors.ts';
import { NAME_PATTERN } from '../events/names.ts';
import { GROUP_NAME_PATTERN } from '../events/stream-keys.ts';
import type { ConsumerGroupsInspector } from '../consumer-groups/inspect.ts';
import type { ParkedEvents } from '../consumer-groups/parked.ts';
import { ENTRY_ID, parkedReplayRequestSchema } from './consumer-groups.schemas.ts';
import { readJsonBody } from './json-body.ts';

export interface ConsumerGroupsDeps {
  redis: Redis;
  groups: ConsumerGroupsInspector;
  parked: ParkedEvents;
  maxBodyBytes: number;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** Query parameters: only the known ones, each once, each valid; anything else is a 400 naming it. */
function parseQuery(query: Record<string, string[]>, known: Record<string, (v: string) => boolean>): Record<string, string> {
  const errors: FieldError[] = [];
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(query)) {
    const valid = Object.hasOwn(known, name) ? known[name] : undefined;
    if (!valid) errors.push({ pointer: `/${name}`, detail: `unknown parameter; known: ${Object.keys(known).join(', ')}` });
    else if (values.length !== 1) errors.push({ pointer: `/${name}`, detail: 'given more than once' });
    else if (!valid(values[0]!)) errors.push({ pointer: `/${name}`, detail: 'invalid value' });
    else out[name] = values[0]!;
  }
  if (errors.length > 0) throw new AppError('malformed_request', 'invalid query parameters', { errors });
  return out;
}

function pathParams(type: string, group: string) {
  const errors: FieldError[] = [];
  if (!NAME_PATTERN.test(type)) errors.push({ pointer: '/aggregate_type', detail: 'must match [a-z][a-z0-9_-]{0,63}' });
  if (!GROUP_NAME_PATTERN.test(group)) errors.push({ pointer: '/group', detail: `must match ${GROUP_NAME_PATTERN.source}` });
  if (errors.length > 0) throw new AppError('malformed_request', 'invalid path', { errors });
}

const isLimit = (v: string) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_LIMIT;

/**
 * GET /consumer-groups; GET /consumer-groups/{aggregate_type}/{group}/parked;
 * POST /consumer-groups/{aggregate_type}/{group}/parked/replay (SPEC §9).
 */
export function createConsumerGroupsRoutes({ redis, groups, parked, maxBodyBytes }: ConsumerGroupsDeps) {
  const redisUp = () => {
    if (redis.status !== 'ready') throw new AppError('redis_unavailable', 'Redis cannot be reached: consumer groups live there');
  };
  async function knownGroup(type: string, group: string) {
    pathParams(type, group);
    redisUp();
    if (!(await groups.exists(type, group))) throw new AppError('not_found', `no consumer group ${group} on the ${type} stream`);
  }
  return new Hono()
    .get('/', async (c) => {
      const q = parseQuery(c.req.queries(), { aggregate_type: (v) => NAME_PATTERN.test(v) });
      redisUp();
      return c.json({ groups: await groups.list(q.aggregate_type) });
    })
    .get('/:aggregate_type/:group/parked', async (c) => {
      const { aggregate_type: type, group } = c.req.param();
      const q = parseQuery(c.req.queries(), { after: (v) => ENTRY_ID.test(v), limit: isLimit });
      await knownGroup(type, group);
      return c.json(await parked.list(type, group, q.after, q.limit ? Number(q.limit) : DEFAULT_LIMIT));
    })
    .post('/:aggregate_type/:group/parked/replay', async (c) => {
      const { aggregate_type: type, group } = c.req.param();
      pathParams(type, group);
      const body = parkedReplayRequestSchema.safeParse(await readJsonBody(c, maxBodyBytes));
      if (!body.success) throw validationFailed(body.error.issues.map((i) => ({ pointer: toPointer(i.path), detail: i.message })));
      await knownGroup(type, group);
      const ids = await parked.replay(type, group, { ids: body.data.ids, limit: body.data.limit ?? MAX_LIMIT });
      return c.json({ replayed: ids.length, ids });
    });
}
