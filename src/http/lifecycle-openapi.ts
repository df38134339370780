import { z } from 'zod';
import { retentionPolicyBody } from '../lifecycle/policy-input.ts';
import { archiveRunBody } from './archive.routes.ts';

// The answers of /retention and /archive (SPEC §8), registered for the OpenAPI document.
const nullableString = z.string().nullable();
export const retentionPolicySchema = z
  .strictObject({ aggregate_type: z.string(), archive_after: nullableString, delete_after: nullableString, updated_at: nullableString })
  .meta({ id: 'RetentionPolicy' });
export const retentionPoliciesSchema = z.strictObject({ policies: z.array(retentionPolicySchema) }).meta({ id: 'RetentionPolicies' });
export const retentionTiersSchema = retentionPolicySchema
  .extend({
    tiers: z.strictObject({
      hot: z.strictObject({ events: z.number().int(), bytes: z.number().int().nullable(), bytes_estimated: z.literal(true) }),
      archive: z.strictObject({ events: z.number().int(), bytes: z.number().int(), segments: z.number().int() }),
      deleted: z.strictObject({ events: z.number().int() }),
    }),
  })
  .meta({ id: 'RetentionPolicyTiers' });
const typePreview = z.strictObject({
  aggregate_type: z.string(), archive_after: nullableString, delete_after: nullableString,
  archive: z.strictObject({ events: z.number().int(), segments: z.number().int() }),
  delete: z.strictObject({ hot_events: z.number().int(), archived_events: z.number().int(), segments: z.number().int() }),
});
export const archiveRunSchema = z
  .strictObject({
    id: z.string(), status: z.enum(['running', 'succeeded', 'failed']), dry_run: z.boolean(), trigger: z.enum(['schedule', 'request']),
    archived: z.number().int(), deleted: z.number().int(), segments: z.number().int(), bytes: z.number().int(),
    planned: z.number().int().nullable(), plan: z.array(typePreview).nullable(), error: nullableString,
    started_at: z.string(), updated_at: z.string(), finished_at: nullableString,
  })
  .meta({ id: 'ArchiveRun' });
export const archiveRunsSchema = z.strictObject({ runs: z.array(archiveRunSchema) }).meta({ id: 'ArchiveRuns' });
export const archiveSegmentsSchema = z
  .strictObject({
    segments: z.array(z.strictObject({
      id: z.number().int(), aggregate_type: z.string(), from_position: z.number().int(), to_position: z.number().int(),
      first_created_at: z.string(), last_created_at: z.string(), events: z.number().int(), bytes: z.number().int(),
      sha256: z.string(), key: z.string(), run_id: z.string(), created_at: z.string(),
    })),
    next_after: z.number().int().nullable(),
  })
  .meta({ id: 'ArchiveSegments' });

export interface OpenApiHelpers {
  json(schemaId: string, where: string, schema: z.ZodType, value: unknown): object;
  problem(description: string, value?: unknown): object;
  request(schema: z.ZodType): Record<string, unknown>;
  secured: object;
  common: object;
}

const policy = { aggregate_type: 'task', archive_after: 'P30D', delete_after: 'P365D', updated_at: '2026-11-23T01:44:44.123456Z' };
const run = {
  id: '01a20c5a-00d8-7004-84c8-cb241d624f97', status: 'succeeded', dry_run: false, trigger: 'request', archived: 120000, deleted: 0, segments: 2, bytes: 10485760,
  planned: 120000, plan: [{ aggregate_type: 'task', archive_after: 'P30D', delete_after: 'P365D', archive: { events: 120000, segments: 2 }, delete: { hot_events: 0, archived_events: 0, segments: 0 } }],
  error: null, started_at: '2026-11-23T01:44:44.123456Z', updated_at: '2026-11-23T01:45:02.000001Z', finished_at: '2026-11-23T01:45:02.000001Z',
};

/** The lifecycle's routes for the OpenAPI document (src/http/openapi.ts). */
export function lifecyclePaths(h: OpenApiHelpers) {
  const type = { name: 'aggregate_type', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' } };
  const q = (name: string, description: string, schema: object) => ({ name, in: 'query', required: false, description, schema });
  return {
    '/retention': {
      get: { summary: 'Retention policies', operationId: 'listRetention', ...h.secured, responses: { '200': { description: 'Every stored policy', ...h.json('RetentionPolicies', 'GET /retention 200', retentionPoliciesSchema, { policies: [policy] }) }, ...h.common } },
    },
    '/retention/{aggregate_type}': {
      get: {
        summary: "A type's policy (nulls: keep forever) with its events and bytes per tier", operationId: 'getRetention', ...h.secured, parameters: [type],
        responses: { '200': { description: 'Policy and tiers', ...h.json('RetentionPolicyTiers', 'GET /retention/{type} 200', retentionTiersSchema, { ...policy, tiers: { hot: { events: 5120, bytes: 2_400_000, bytes_estimated: true }, archive: { events: 120000, bytes: 10485760, segments: 2 }, deleted: { events: 0 } } }) }, ...h.common },
      },
      put: {
        summary: 'Set a policy (ISO 8601 durations on created_at; null: never)', operationId: 'putRetention', ...h.secured, parameters: [type],
        requestBody: { required: true, content: { 'application/json': { schema: h.request(retentionPolicyBody), example: { archive_after: 'P30D', delete_after: 'P365D' } } } },
        responses: { '201': { description: 'Created', ...h.json('RetentionPolicy', 'PUT /retention 201', retentionPolicySchema, policy) }, '200': { description: 'Replaced' }, '415': h.problem('Not application/json'), '422': h.problem('Bad durations, unknown fields, delete_after shorter than archive_after'), ...h.common },
      },
      delete: { summary: 'Back to the default: keep forever', operationId: 'deleteRetention', ...h.secured, parameters: [type], responses: { '204': { description: 'No policy now' }, ...h.common } },
    },
    '/archive/runs': {
      post: {
        summary: 'Start an archive run (dry_run: preview)', operationId: 'startArchiveRun', ...h.secured,
        requestBody: { required: false, content: { 'application/json': { schema: h.request(archiveRunBody), example: { dry_run: true } } } },
        responses: { '202': { description: 'Started; Location: /archive/runs/{id}', ...h.json('ArchiveRun', 'POST /archive/runs 202', archiveRunSchema, { ...run, status: 'running', archived: 0, segments: 0, bytes: 0, planned: null, plan: null, finished_at: null }) }, '409': h.problem('Another run is in progress (run_id)'), '415': h.problem('Not application/json'), '422': h.problem('Bad body'), ...h.common },
      },
      get: { summary: 'The most recent archive runs', operationId: 'listArchiveRuns', ...h.secured, responses: { '200': { description: 'Newest first', ...h.json('ArchiveRuns', 'GET /archive/runs 200', archiveRunsSchema, { runs: [run] }) }, ...h.common } },
    },
    '/archive/runs/{id}': {
      get: { summary: 'An archive run: status, counts, plan', operationId: 'getArchiveRun', ...h.secured, parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }], responses: { '200': { description: 'The run', ...h.json('ArchiveRun', 'GET /archive/runs/{id} 200', archiveRunSchema, run) }, '404': h.problem('Unknown run'), ...h.common } },
    },
    '/archive/segments': {
      get: {
        summary: 'The manifest: archived segments in commit order', operationId: 'listArchiveSegments', ...h.secured,
        parameters: [q('aggregate_type', 'only this type', { type: 'string' }), q('after', 'segment id cursor', { type: 'integer', minimum: 0 }), q('limit', '1 to 1000, default 100', { type: 'integer', minimum: 1, maximum: 1000 })],
        responses: { '200': { description: 'A page', ...h.json('ArchiveSegments', 'GET /archive/segments 200', archiveSegmentsSchema, { segments: [], next_after: null }) }, ...h.common },
      },
    },
  };
}
