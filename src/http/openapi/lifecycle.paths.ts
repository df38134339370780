import { z } from 'zod';
import { NAME_PATTERN } from '../../events/names.ts';
import { archiveRunPath, segmentsQuery } from '../archive.routes.ts';
import { json, locationHeader, type OperationSpec } from './operation.ts';

const retentionPath = z.object({ aggregate_type: z.string().regex(NAME_PATTERN, 'must match [a-z][a-z0-9_-]{0,63}').describe('the aggregate type') });
const at = '2026-11-23T01:44:44.123456Z';
const policy = { aggregate_type: 'task', archive_after: 'P30D', delete_after: 'P365D', updated_at: at };
const run = {
  id: '01a20c5a-00d8-7004-84c8-cb241d624f97', status: 'succeeded', dry_run: false, trigger: 'request', archived: 120000, deleted: 0, segments: 2, bytes: 10485760,
  planned: 120000, plan: [{ aggregate_type: 'task', archive_after: 'P30D', delete_after: 'P365D', archive: { events: 120000, segments: 2 }, delete: { hot_events: 0, archived_events: 0, segments: 0 } }],
  error: null, started_at: at, updated_at: at, finished_at: at,
};
const tiers = { hot: { events: 5120, bytes: 2_400_000, bytes_estimated: true }, archive: { events: 120000, bytes: 10485760, segments: 2 }, deleted: { events: 0 } };

export function lifecycleOperations(): OperationSpec[] {
  const tag = 'lifecycle';
  return [
    { method: 'get', path: '/retention', operationId: 'listRetention', tag, summary: 'Retention policies', answers: { 200: json('Every stored policy', 'RetentionPolicies', { policies: [policy] }) } },
    {
      method: 'get', path: '/retention/{aggregate_type}', operationId: 'getRetention', tag, summary: "A type's policy (nulls: keep forever) with its events and bytes per tier",
      pathParameters: retentionPath, answers: { 200: json('Policy and tiers', 'RetentionPolicyTiers', { ...policy, tiers }) }, problems: [400],
    },
    {
      method: 'put', path: '/retention/{aggregate_type}', operationId: 'putRetention', tag, summary: 'Set a policy (ISO 8601 durations on created_at; null: never)',
      pathParameters: retentionPath, body: { schema: 'RetentionPolicyBody', example: { archive_after: 'P30D', delete_after: 'P365D' } },
      answers: { 201: json('Created', 'RetentionPolicy', policy, locationHeader('policy')), 200: json('Replaced', 'RetentionPolicy', policy) },
    },
    {
      method: 'delete', path: '/retention/{aggregate_type}', operationId: 'deleteRetention', tag, summary: 'Back to the default: keep forever',
      pathParameters: retentionPath, answers: { 204: { description: 'No policy now' } }, problems: [400],
    },
    {
      method: 'post', path: '/archive/runs', operationId: 'startArchiveRun', tag, summary: 'Start an archive run (dry_run: preview)',
      description: 'The body is optional: without one the run is a real one. Another real run in progress answers 409 naming it.',
      body: { schema: 'ArchiveRunRequest', example: { dry_run: true } },
      answers: { 202: json('Started; Location: /archive/runs/{id}', 'ArchiveRun', { ...run, status: 'running', archived: 0, segments: 0, bytes: 0, planned: null, plan: null, finished_at: null }, locationHeader('run')) },
      problems: [409],
    },
    { method: 'get', path: '/archive/runs', operationId: 'listArchiveRuns', tag, summary: 'The most recent archive runs', answers: { 200: json('Newest first', 'ArchiveRuns', { runs: [run] }) } },
    {
      method: 'get', path: '/archive/runs/{id}', operationId: 'getArchiveRun', tag, summary: 'An archive run: status, counts, plan',
      pathParameters: archiveRunPath, answers: { 200: json('The run', 'ArchiveRun', run) }, problems: [400, 404],
    },
    {
      method: 'get', path: '/archive/segments', operationId: 'listArchiveSegments', tag, summary: 'The manifest: archived segments in commit order',
      query: segmentsQuery, answers: { 200: json('A page', 'ArchiveSegments', { segments: [], next_after: null }) },
    },
  ];
}
