import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { AppError, toPointer, validationFailed } from '../errors.ts';
import { NAME_PATTERN } from '../events/names.ts';
import { createQueryReader } from '../events/query-string.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { ArchiveRuns } from '../lifecycle/runs.ts';
import { readBody, readJsonBody } from './json-body.ts';
import { readPath, uuid } from './path-params.ts';

export const archiveRunBody = z.strictObject({ dry_run: z.boolean().default(false).meta({ description: 'preview: count what a run would do, change nothing' }) });

export const segmentsQuery = z.strictObject({
  aggregate_type: z.string().regex(NAME_PATTERN, 'must match [a-z][a-z0-9_-]{0,63}').optional().describe('only this type'),
  after: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('segment id cursor: next_after of the previous page'),
  limit: z.number().int().min(1).max(1000).default(100).describe('1 to 1000, default 100'),
});
export const archiveRunPath = z.object({ id: uuid.describe('the run id') });
const readSegmentsQuery = createQueryReader(segmentsQuery);

// The body is optional: without one (and without a content type) the run is a real one.
async function optionalJsonBody(c: Context, maxBodyBytes: number): Promise<unknown> {
  if (c.req.header('content-type') !== undefined) return readJsonBody(c, maxBodyBytes);
  if ((await readBody(c, maxBodyBytes)).length > 0) throw new AppError('unsupported_media_type', 'send the body as application/json', { accepted: ['application/json'] });
  return {};
}

export function createArchiveRoutes(runs: ArchiveRuns, segments: Lifecycle['segments'], maxBodyBytes: number) {
  return new Hono()
    .post('/runs', async (c) => {
      const parsed = archiveRunBody.safeParse(await optionalJsonBody(c, maxBodyBytes));
      if (!parsed.success) throw validationFailed(parsed.error.issues.map((i) => ({ pointer: toPointer(i.path), detail: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}; known: dry_run` : i.message })));
      const run = await runs.start('request', parsed.data.dry_run);
      return c.json(run, 202, { location: `/archive/runs/${run.id}` });
    })
    .get('/runs', async (c) => c.json({ runs: await runs.list(20) }))
    .get('/runs/:id', async (c) => {
      const { id } = readPath(archiveRunPath, c.req.param(), 'the run id must be a UUID');
      const run = await runs.get(id);
      if (!run) throw new AppError('not_found', `no archive run ${id}`);
      return c.json(run);
    })
    .get('/segments', async (c) => {
      const q = readSegmentsQuery(c.req.queries());
      const page = await segments({ aggregateType: q.aggregate_type, after: q.after, limit: q.limit });
      return c.json({ segments: page.segments, next_after: page.nextAfter });
    });
}
