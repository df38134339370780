// Documented examples (the tests validate each against its schema in the document).
export const AGGREGATE_ID = '550e8400-e29b-41d4-a716-446655440000';
export const CREATED_AT = '2026-11-23T01:44:44.123456Z';

export const appendExample = {
  event_type: 'agent.created', aggregate_type: 'agent', aggregate_id: AGGREGATE_ID,
  payload: { name: 'explore-agent', agent_type: 'exploration' }, metadata: { session_id: 'session-123', correlation_id: 'corr-456' }, version: 1,
};

export const storedExample = {
  id: '01a20c5a-00d8-7004-84c8-cb241d624f97', event_type: 'agent.created', aggregate_type: 'agent', aggregate_id: AGGREGATE_ID,
  sequence: 1, position: 1234, payload: appendExample.payload, metadata: appendExample.metadata, version: 1, created_at: CREATED_AT,
};

export const snapshotExample = { aggregate_type: 'agent', aggregate_id: AGGREGATE_ID, schema_version: 1, sequence: 3, state: { name: 'x' }, created_at: CREATED_AT };

export const replayExample = {
  id: '01a20c5a-00d8-7004-84c8-cb241d624f98', channel: 'replay:audit', status: 'completed', filter: { aggregate_type: 'task', from: '2026-11-01T00:00:00.000000+00:00' },
  up_to: 1234, last_position: 1234, published: 57, error: null, created_at: CREATED_AT, updated_at: CREATED_AT,
};
