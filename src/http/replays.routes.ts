import { Hono } from 'hono';
import { AppError, type FieldError, validationFailed } from '../errors.ts';
import { isUuid } from '../events/names.ts';
import { parseEventQuery } from '../events/query-input.ts';
import { wireFilter } from '../publishing/replay-records.ts';
import type { ReplayFilter, ReplayRunner } from '../publishing/replays.ts';
import { readJsonBody } from './json-body.ts';
import { parseReplayListQuery } from './replay-list-query.ts';

const REPLAY_CHANNEL = /^replay:[a-z0-9_-]{1,64}$/;
const FILTER_KEYS = ['aggregate_type', 'aggregate_id', 'event_type', 'correlation_id', 'from', 'to', 'after'];

function parseReplayBody(body: unknown): { filter: ReplayFilter; channel: string | null; dryRun: boolean } {
  const errors: FieldError[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw validationFailed([{ pointer: '', detail: 'must be a JSON object' }]);
  const { filter = {}, channel = null, dry_run: dryRun = false, ...unknown } = body as Record<string, unknown>;
  for (const key of Object.keys(unknown)) errors.push({ pointer: `/${key}`, detail: 'unknown field; known: filter, channel, dry_run' });
  if (typeof dryRun !== 'boolean') errors.push({ pointer: '/dry_run', detail: 'must be true or false' });
  if (channel !== null && (typeof channel !== 'string' || !REPLAY_CHANNEL.test(channel))) {
    errors.push({ pointer: '/channel', detail: 'must match replay:[a-z0-9_-]{1,64}' });
  }
  let parsed: ReplayFilter = {};
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    errors.push({ pointer: '/filter', detail: 'must be an object with the filters of GET /events' });
  } else {
    const query: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(filter)) {
      if (!FILTER_KEYS.includes(key)) errors.push({ pointer: `/filter/${key}`, detail: `unknown filter; known: ${FILTER_KEYS.join(', ')}` });
      else if (typeof value !== 'string' && typeof value !== 'number') errors.push({ pointer: `/filter/${key}`, detail: 'must be a string or a number' });
      else query[key] = [String(value)];
    }
    try {
      const { limit: _l, offset: _o, order: _r, ...rest } = parseEventQuery(query);
      parsed = rest;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      for (const e of (error.extensions.errors as FieldError[]) ?? []) errors.push({ pointer: `/filter${e.pointer}`, detail: e.detail });
    }
  }
  if (errors.length > 0) throw validationFailed(errors);
  return { filter: parsed, channel: channel as string | null, dryRun: dryRun === true };
}

/** POST /replays (or its dry run), GET /replays, GET /replays/{id}, DELETE /replays/{id}. */
export function createReplaysRoutes(replays: ReplayRunner, maxBodyBytes: number) {
  const id = (raw: string) => {
    if (!isUuid(raw)) throw new AppError('malformed_request', 'the replay id must be a UUID', { errors: [{ pointer: '/id', detail: 'must be a UUID' }] });
    return raw.toLowerCase();
  };
  return new Hono()
    .get('/', async (c) => c.json({ replays: await replays.list(parseReplayListQuery(c.req.queries())) }))
    .post('/', async (c) => {
      const { filter, channel, dryRun } = parseReplayBody(await readJsonBody(c, maxBodyBytes));
      // A preview: what would be replayed now, counted; nothing starts.
      if (dryRun) return c.json({ dry_run: true, ...(await replays.preview(filter)), channel, filter: wireFilter(filter) });
      const replay = await replays.start(filter, channel);
      return c.json({ id: replay.id, channel: replay.channel, status: replay.status }, 202, { location: `/replays/${replay.id}` });
    })
    .get('/:id', async (c) => {
      const replay = await replays.get(id(c.req.param('id')));
      if (!replay) throw new AppError('not_found', `no replay ${c.req.param('id')}`);
      return c.json(replay);
    })
    .delete('/:id', async (c) => {
      const replay = await replays.cancel(id(c.req.param('id')));
      if (!replay) throw new AppError('not_found', `no replay ${c.req.param('id')}`);
      return c.json(replay);
    });
}
