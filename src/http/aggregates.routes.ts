import { Hono } from 'hono';
import { z } from 'zod';
import type { AggregateDefinition } from '../aggregates/aggregate.ts';
import type { EventTypeRegistry } from '../aggregates/event-types.ts';
import { loadAggregate } from '../aggregates/load-aggregate.ts';
import { AppError, toPointer, validationFailed } from '../errors.ts';
import { createQueryReader } from '../events/query-string.ts';
import type { Logger } from '../observability/logger.ts';
import type { EventStore } from '../store/event-store.ts';
import { readAggregateQuery } from './aggregate-query.ts';
import { readJsonBody } from './json-body.ts';
import { minPositionQuery, readFloor } from './min-position.ts';
import { aggregatePath, readPath } from './path-params.ts';

export interface AggregatesRoutesDeps {
  store: EventStore;
  aggregates: ReadonlyMap<string, AggregateDefinition<unknown>>;
  eventTypes: EventTypeRegistry;
  logger: Logger;
  maxBodyBytes: number;
}

export const snapshotBody = z.strictObject({
  sequence: z.number().int('must be an integer').min(1).max(Number.MAX_SAFE_INTEGER),
  schema_version: z.number().int('must be an integer').min(1).max(2_147_483_647),
  state: z.custom<unknown>((v) => v !== undefined, 'is required'),
});

const aggregateKey = (params: Record<string, string>) => readPath(aggregatePath, params, 'invalid aggregate address');

export const snapshotQuery = z.strictObject({
  schema_version: z
    .number({ error: 'must be an integer from 1' })
    .int({ error: 'must be an integer from 1', abort: true })
    .min(1, 'must be an integer from 1')
    .max(2_147_483_647, 'must be at most 2147483647')
    .optional()
    .describe('fold schema version (default: the most recent of any)'),
  min_position: minPositionQuery.shape.min_position,
});
const readSnapshotQuery = createQueryReader(snapshotQuery);

/** at_sequence past the current sequence is a 404 (the URL answers once the aggregate gets there). */
function beforeOrAt(atSequence: number, current: number, key: { type: string; id: string }) {
  if (atSequence <= current) return;
  throw new AppError('not_found', `aggregate ${key.type} ${key.id} is at sequence ${current}, before ${atSequence}`, {
    current_sequence: current,
    errors: [{ pointer: '/at_sequence', detail: `must not exceed the current sequence ${current}` }],
  });
}

export function createAggregatesRoutes({ store, aggregates, eventTypes, logger, maxBodyBytes }: AggregatesRoutesDeps) {
  return new Hono()
    .get('/:type/:id', async (c) => {
      const key = aggregateKey(c.req.param());
      const query = readAggregateQuery(c.req.queries());
      const atSequence = query.at_sequence;
      const reads = store.atLeast(readFloor(c, query.min_position));
      const definition = aggregates.get(key.type);
      let body: { aggregate_type: string; aggregate_id: string; sequence: number; state?: unknown };
      if (definition) {
        const loaded = await loadAggregate(reads, definition, key.id, { eventTypes, logger, atSequence });
        body = { aggregate_type: key.type, aggregate_id: key.id, sequence: loaded.sequence, state: loaded.state };
      } else {
        body = { aggregate_type: key.type, aggregate_id: key.id, sequence: await reads.aggregateSequence(key.type, key.id) };
      }
      if (body.sequence === 0) throw new AppError('not_found', `aggregate ${key.type} ${key.id} has no events`);
      if (atSequence !== undefined) beforeOrAt(atSequence, body.sequence, key);
      return c.json(atSequence === undefined ? body : { ...body, sequence: atSequence });
    })
    .get('/:type/:id/snapshot', async (c) => {
      const key = aggregateKey(c.req.param());
      const query = readSnapshotQuery(c.req.queries());
      const version = query.schema_version;
      readFloor(c, query.min_position); // checked, and met: the primary has every position
      // From the primary: a PUT …/snapshot answers no position a replica's replay could be awaited for.
      const snapshot = await store.readSnapshot(key.type, key.id, version, 'primary');
      if (!snapshot) throw new AppError('not_found', `no snapshot of ${key.type} ${key.id}${version ? ` at schema_version ${version}` : ''}`);
      return c.json(snapshot);
    })
    .put('/:type/:id/snapshot', async (c) => {
      const key = aggregateKey(c.req.param());
      const parsed = snapshotBody.safeParse(await readJsonBody(c, maxBodyBytes));
      if (!parsed.success) throw validationFailed(parsed.error.issues.map((i) => ({ pointer: toPointer(i.path), detail: i.message })));
      const b = parsed.data;
      const result = await store.writeSnapshot({ aggregateType: key.type, aggregateId: key.id, schemaVersion: b.schema_version, sequence: b.sequence, state: b.state });
      if (!result.ok) {
        throw new AppError('validation_failed', `sequence ${b.sequence} is beyond the aggregate's current sequence ${result.currentSequence}`, {
          current_sequence: result.currentSequence,
          errors: [{ pointer: '/sequence', detail: `must not exceed the current sequence ${result.currentSequence}` }],
        });
      }
      // The snapshot kept: this one, or a newer one already stored.
      return c.json({ ...result.snapshot, stored: result.stored });
    });
}

export function createSchemasRoutes(eventTypes: EventTypeRegistry) {
  return new Hono().get('/', (c) => c.json({ schemas: eventTypes.jsonSchemas() }));
}
