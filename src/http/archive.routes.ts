import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { AppError, type FieldError, toPointer, validationFailed } from '../errors.ts';
import { isUuid, NAME_PATTERN } from '../events/names.ts';
import { listSegments } from '../lifecycle/manifest.ts';
import type { ArchiveRuns } from '../lifecycle/runs.ts';
import type { Sql } from '../postgres/database.ts';
import { readBody, readJsonBody } from './json-body.ts';

export const archiveRunBody = z.strictObject({ dry_run: z.boolean().default(false).meta({ description: 'preview: count what a run would do, change nothing' }) });

const MAX_PAGE = 1000;

function segmentsQuery(query: Record<string, string[]>) {
  const errors: FieldError[] = [];
  const out: { aggregateType?: string; after?: number; limit: number } = { limit: 100 };
  for (const [name, values] of Object.entries(query)) {
    const v = values.length === 1 ? values[0]! : undefined;
    if (name === 'aggregate_type' && v !== undefined && NAME_PATTERN.test(v)) out.aggregateType = v;
    else if (name === 'after' && v !== undefined && /^(0|[1-9]\d{0,15})$/.test(v)) out.after = Number(v);
    else if (name === 'limit' && v !== undefined && /^[1-9]\d{0,3}$/.test(v) && Number(v) <= MAX_PAGE) out.limit = Number(v);
    else if (['aggregate_type', 'after', 'limit'].includes(name)) errors.push({ pointer: `/${name}`, detail: name === 'limit' ? `must be an integer from 1 to ${MAX_PAGE}, given once` : name === 'after' ? 'must be a segment id (integer >= 0), given once' : 'must match [a-z][a-z0-9_-]{0,63}, given once' });
    else errors.push({ pointer: `/${name}`, detail: 'unknown parameter; known: aggregate_type, after, limit' });
  }
  if (errors.length > 0) throw new AppError('malformed_request', 'invalid query parameters', { errors });
  return out;
}

// The body is optional: without one (and without a content type) the run is a real one.
async function optionalJsonBody(c: Context, maxBodyBytes: number): Promise<unknown> {
  if (c.req.header('content-type') !== undefined) return readJsonBody(c, maxBodyBytes);
  if ((await readBody(c, maxBodyBytes)).length > 0) throw new AppError('unsupported_media_type', 'send the body as application/json', { accepted: ['application/json'] });
  return {};
}

/** /archive: runs (POST starts one, 202 + Location), their status, and the manifest of segments. */
export function createArchiveRoutes(runs: ArchiveRuns, sql: Sql, maxBodyBytes: number) {
  return new Hono()
    .post('/runs', async (c) => {
      const parsed = archiveRunBody.safeParse(await optionalJsonBody(c, maxBodyBytes));
      if (!parsed.success) throw validationFailed(parsed.error.issues.map((i) => ({ pointer: toPointer(i.path), detail: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}; known: dry_run` : i.message })));
      const run = await runs.start('request', parsed.data.dry_run);
      return c.json(run, 202, { location: `/archive/runs/${run.id}` });
    })
    .get('/runs', async (c) => c.json({ runs: await runs.list(20) }))
    .get('/runs/:id', async (c) => {
      const id = c.req.param('id');
      if (!isUuid(id)) throw new AppError('malformed_request', 'the run id must be a UUID', { errors: [{ pointer: '/id', detail: 'must be a UUID' }] });
      const run = await runs.get(id.toLowerCase());
      if (!run) throw new AppError('not_found', `no archive run ${id}`);
      return c.json(run);
    })
    .get('/segments', async (c) => {
      const page = await listSegments(sql, segmentsQuery(c.req.queries()));
      return c.json({ segments: page.segments, next_after: page.nextAfter });
    });
}
