import type { Logger } from '../observability/logger.ts';
import type { Sql } from '../postgres/database.ts';
import type { AggregateDefinition, AggregateEvent } from './aggregate.ts';
import { emptyEventTypes, type EventTypeRegistry } from './event-types.ts';
import { readSnapshot, writeSnapshot } from './snapshot-store.ts';

export interface LoadedAggregate<S> {
  state: S;
  /** The sequence of the last event folded in (0: no events). */
  sequence: number;
  /** Whether loading started from a snapshot. */
  fromSnapshot: boolean;
}

export interface LoadOptions {
  eventTypes?: EventTypeRegistry;
  /** Events read per query; the aggregate's history never sits in memory as a whole. */
  pageSize?: number;
  logger?: Logger;
}

/**
 * Rebuilds an aggregate: the latest snapshot of the definition's schema version (if its state
 * still parses), then the events after its sequence, upcast and folded in sequence order,
 * page by page. Events appended while it reads are included (sequences only grow), so the
 * result is the state at the returned sequence exactly. When the definition asks for it, a
 * new snapshot is written afterwards; a failed write is logged and never fails the load.
 */
export async function loadAggregate<S>(sql: Sql, definition: AggregateDefinition<S>, aggregateId: string, options: LoadOptions = {}): Promise<LoadedAggregate<S>> {
  const eventTypes = options.eventTypes ?? emptyEventTypes;
  const pageSize = options.pageSize ?? 1000;
  const snapshot = await readSnapshot(sql, definition.type, aggregateId, definition.schemaVersion);
  const fromSnapshotState = snapshot === undefined ? undefined : definition.readSnapshotState(snapshot.state);
  const fromSnapshot = fromSnapshotState !== undefined;
  let state = fromSnapshot ? fromSnapshotState : definition.initialState();
  const snapshotSequence = fromSnapshot ? snapshot!.sequence : 0;
  let sequence = snapshotSequence;

  for (;;) {
    const rows = await sql<{ json: string }[]>`
      select event_json(e) as json from events e
      where e.aggregate_type = ${definition.type} and e.aggregate_id = ${aggregateId} and e.sequence > ${sequence}
      order by e.sequence limit ${pageSize}`;
    for (const row of rows) {
      const event = eventTypes.upcast(JSON.parse(row.json) as AggregateEvent);
      state = definition.evolve(state, event);
      sequence = event.sequence;
    }
    if (rows.length < pageSize) break;
  }

  // Replace a snapshot that was ignored (other schema version, unparseable) or is due.
  const due = definition.snapshotEvery !== undefined && sequence - snapshotSequence >= definition.snapshotEvery;
  const stale = snapshot !== undefined && !fromSnapshot && sequence > 0;
  if ((due || stale) && sequence > 0) {
    const snap = { aggregateType: definition.type, aggregateId, schemaVersion: definition.schemaVersion, sequence, state };
    await writeSnapshot(sql, snap, stale ? snapshot : undefined).catch((error) =>
      options.logger?.warn({ err: (error as Error).message, aggregate: `${definition.type}/${aggregateId}` }, 'snapshot write failed; the load is unaffected'),
    );
  }
  return { state, sequence, fromSnapshot };
}
