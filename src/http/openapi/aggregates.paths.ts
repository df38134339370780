import { snapshotQuery } from '../aggregates.routes.ts';
import { aggregateQuerySchema } from '../aggregate-query.ts';
import { minPositionHeader } from '../min-position.ts';
import { aggregatePath } from '../path-params.ts';
import { AGGREGATE_ID, snapshotExample } from './examples.ts';
import { json, type OperationSpec } from './operation.ts';

export function aggregatesOperations(): OperationSpec[] {
  const tag = 'aggregates';
  return [
    {
      method: 'get', path: '/aggregates/{type}/{id}', operationId: 'getAggregate', tag, summary: 'Current sequence (and state, when a definition is registered)',
      pathParameters: aggregatePath, query: aggregateQuerySchema, headers: minPositionHeader,
      answers: { 200: json('The aggregate', 'Aggregate', { aggregate_type: 'agent', aggregate_id: AGGREGATE_ID, sequence: 3, state: { name: 'x' } }) },
      problems: [400, 404, 410],
    },
    {
      method: 'get', path: '/aggregates/{type}/{id}/snapshot', operationId: 'getSnapshot', tag, summary: 'The latest snapshot',
      pathParameters: aggregatePath, query: snapshotQuery, headers: minPositionHeader,
      answers: { 200: json('The snapshot', 'Snapshot', snapshotExample) },
      problems: [400, 404],
    },
    {
      method: 'put', path: '/aggregates/{type}/{id}/snapshot', operationId: 'putSnapshot', tag, summary: 'Store a snapshot (never backwards)',
      description: 'Keeps the newer of this one and the one stored; stored says whether this one was kept. A sequence beyond the aggregate\'s current one is refused (422).',
      pathParameters: aggregatePath,
      body: { schema: 'SnapshotWrite', example: { sequence: 3, schema_version: 1, state: { name: 'x' } } },
      answers: { 200: json('The snapshot kept', 'Snapshot', { ...snapshotExample, stored: true }) },
      problems: [400],
    },
    {
      method: 'get', path: '/schemas', operationId: 'listSchemas', tag, summary: 'Registered event types as JSON Schema',
      answers: { 200: json('The schemas', 'EventTypeSchemas', { schemas: [{ event_type: 'agent.created', version: 1, schema: { type: 'object' } }] }) },
    },
  ];
}
