import { z } from 'zod';
import { batchInput, eventInput } from '../../events/append-input.ts';
import { eventFilterSchema } from '../../events/query-input.ts';
import { snapshotBody } from '../aggregates.routes.ts';
import { archiveRunBody } from '../archive.routes.ts';
import { authKeySchema, replayListSchema, replayPreviewSchema, savedQueryListSchema, savedQuerySchema, statsSchema } from '../console-wire-schemas.ts';
import { savedQueryBody } from '../saved-query-body.ts';
import { retentionPolicyBody } from '../../lifecycle/policy-input.ts';
import { archiveRunSchema, archiveRunsSchema, archiveSegmentsSchema, retentionPoliciesSchema, retentionPolicySchema, retentionTiersSchema } from '../lifecycle.schemas.ts';
import { consumerGroupsSchema, parkedDiscardResultSchema, parkedPageSchema, parkedReplayResultSchema, parkedSelectionSchema } from '../consumer-groups.schemas.ts';
import { replayRequest } from '../replays.routes.ts';
import {
  aggregateSchema, batchResultSchema, healthSchema, pageSchema, problemSchema, readySchema, replayAcceptedSchema,
  replaySchema, schemasListSchema, snapshotSchema, storedEventSchema,
} from '../wire-schemas.ts';

export type JsonSchema = Record<string, unknown>;

export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return json;
}

/** components.schemas, each under its name; ids live in this document's registry, as a fragment $id is not valid JSON Schema 2020-12. */
export function componentSchemas(maxBatchEvents: number): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  const named: [string, z.ZodType][] = [
    ['AppendEvent', eventInput], ['AppendBatch', batchInput(maxBatchEvents)], ['SnapshotWrite', snapshotBody],
    ['ReplayRequest', replayRequest], ['EventFilter', eventFilterSchema],
    ['Event', storedEventSchema], ['EventPage', pageSchema], ['BatchResult', batchResultSchema], ['Problem', problemSchema],
    ['Health', healthSchema], ['Ready', readySchema], ['Aggregate', aggregateSchema], ['Snapshot', snapshotSchema],
    ['ReplayAccepted', replayAcceptedSchema], ['Replay', replaySchema], ['EventTypeSchemas', schemasListSchema],
    ['RetentionPolicyBody', retentionPolicyBody], ['ArchiveRunRequest', archiveRunBody], ['RetentionPolicy', retentionPolicySchema],
    ['RetentionPolicies', retentionPoliciesSchema], ['RetentionPolicyTiers', retentionTiersSchema], ['ArchiveRun', archiveRunSchema],
    ['ArchiveRuns', archiveRunsSchema], ['ArchiveSegments', archiveSegmentsSchema],
    ['Stats', statsSchema], ['AuthKey', authKeySchema], ['ReplayPreview', replayPreviewSchema], ['ReplayList', replayListSchema],
    ['SavedQuery', savedQuerySchema], ['SavedQueryList', savedQueryListSchema], ['SavedQueryWrite', savedQueryBody],
    ['ConsumerGroups', consumerGroupsSchema], ['ParkedEvents', parkedPageSchema], ['ParkedSelection', parkedSelectionSchema], ['ParkedReplayResult', parkedReplayResultSchema], ['ParkedDiscardResult', parkedDiscardResultSchema],
  ];
  for (const [id, schema] of named) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, JsonSchema> };
  for (const schema of Object.values(schemas)) {
    delete schema.$id;
    delete schema.$schema;
  }
  return schemas;
}
