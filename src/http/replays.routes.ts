import { Hono } from 'hono';
import { z } from 'zod';
import { AppError, validationFailed } from '../errors.ts';
import { fieldErrorsOf } from '../events/field-errors.ts';
import { eventFilterSchema, toEventQuery } from '../events/query-input.ts';
import { wireFilter } from '../publishing/replay-records.ts';
import type { ReplayFilter, ReplayRunner } from '../publishing/replays.ts';
import { readJsonBody } from './json-body.ts';
import { readPath, replayPath } from './path-params.ts';
import { parseReplayListQuery } from './replay-list-query.ts';

const CHANNEL = 'must match replay:[a-z0-9_-]{1,64}';

export const replayRequest = z.strictObject(
  {
    filter: eventFilterSchema.optional().describe('the filters of GET /events (default: every event)'),
    channel: z
      .string({ error: CHANNEL })
      .regex(/^replay:[a-z0-9_-]{1,64}$/, CHANNEL)
      .nullable()
      .optional()
      .describe('publish every event on this one channel instead of its events:<aggregate_type> channel'),
    dry_run: z.boolean({ error: 'must be true or false' }).optional().describe('preview: count what would be replayed now (200), start nothing'),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown field; known: filter, channel, dry_run' : 'must be a JSON object') },
);

function parseReplayBody(body: unknown): { filter: ReplayFilter; channel: string | null; dryRun: boolean } {
  const parsed = replayRequest.safeParse(body);
  if (!parsed.success) throw validationFailed(fieldErrorsOf(parsed.error));
  return { filter: toEventQuery(parsed.data.filter ?? {}), channel: parsed.data.channel ?? null, dryRun: parsed.data.dry_run === true };
}

export function createReplaysRoutes(replays: ReplayRunner, maxBodyBytes: number) {
  const id = (params: Record<string, string>) => readPath(replayPath, params, 'the replay id must be a UUID').id;
  return new Hono()
    .get('/', async (c) => c.json({ replays: await replays.list(parseReplayListQuery(c.req.queries())) }))
    .post('/', async (c) => {
      const { filter, channel, dryRun } = parseReplayBody(await readJsonBody(c, maxBodyBytes));
      if (dryRun) return c.json({ dry_run: true, ...(await replays.preview(filter)), channel, filter: wireFilter(filter) });
      const replay = await replays.start(filter, channel);
      return c.json({ id: replay.id, channel: replay.channel, status: replay.status }, 202, { location: `/replays/${replay.id}` });
    })
    .get('/:id', async (c) => {
      const replay = await replays.get(id(c.req.param()));
      if (!replay) throw new AppError('not_found', `no replay ${c.req.param('id')}`);
      return c.json(replay);
    })
    .delete('/:id', async (c) => {
      const replay = await replays.cancel(id(c.req.param()));
      if (!replay) throw new AppError('not_found', `no replay ${c.req.param('id')}`);
      return c.json(replay);
    });
}
