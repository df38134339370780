import type { Logger } from '../observability/logger.ts';
import type { Sql } from '../postgres/database.ts';
import { createEventStore, type EventStore } from '../store/event-store.ts';
import type { AggregateDefinition, AggregateEvent } from './aggregate.ts';
import { emptyEventTypes, type EventTypeRegistry } from './event-types.ts';

export interface LoadedAggregate<S> {
  state: S;
  /** The sequence of the last event folded in (0: no events). */
  sequence: number;
  fromSnapshot: boolean;
}

export interface LoadOptions {
  /** Upcasts the events of an aggregate defined without `eventTypes` of its own (one with them uses those). */
  eventTypes?: EventTypeRegistry;
  /** Events read per query, fewer when they reach the store's MAX_PAGE_BYTES; the aggregate's history never sits in memory as a whole. */
  pageSize?: number;
  /** Fold only up to this sequence (the state after event N); no snapshot is written. */
  atSequence?: number;
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Rebuilds an aggregate from its latest usable snapshot plus later events, folded page by page in
 * sequence order; the state is exact at the returned sequence. A failed snapshot write never fails the load.
 */
export async function loadAggregate<S>(source: EventStore | Sql, definition: AggregateDefinition<S>, aggregateId: string, options: LoadOptions = {}): Promise<LoadedAggregate<S>> {
  const store = typeof source === 'function' ? createEventStore(source) : source;
  // An aggregate with event types of its own upcasts with them (its fold is typed by them); another registry must not go first.
  const eventTypes = definition.eventTypes ? emptyEventTypes : (options.eventTypes ?? emptyEventTypes);
  const pageSize = options.pageSize ?? 1000;
  const until = options.atSequence ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`loadAggregate: pageSize must be a whole number from 1, got ${pageSize}`);
  if (!Number.isSafeInteger(until) || until < 0) throw new RangeError(`loadAggregate: atSequence must be a whole number from 0, got ${until}`);
  const snapshot = await store.readSnapshot(definition.type, aggregateId, definition.schemaVersion);
  const usable = snapshot && snapshot.sequence <= until ? definition.readSnapshotState(snapshot.state) : undefined;
  const fromSnapshot = usable !== undefined;
  let state = fromSnapshot ? usable : definition.initialState();
  const snapshotSequence = fromSnapshot ? snapshot!.sequence : 0;
  let sequence = snapshotSequence;
  let position: number | undefined;

  // A snapshot at atSequence (or atSequence 0) leaves nothing to read.
  while (sequence < until) {
    const page = await store.readAggregate(definition.type, aggregateId, sequence, Math.min(pageSize, until - sequence), position);
    for (const json of page.events) {
      const event = JSON.parse(json) as AggregateEvent;
      // A fold of a repeated or missing event would be saved as a snapshot and served from then on.
      if (event.sequence !== sequence + 1) throw new Error(`loading ${definition.type} ${aggregateId}: the store gave sequence ${event.sequence} after ${sequence}; the load is refused and no snapshot written`);
      position = event.position;
      state = fold(definition, eventTypes, state, event, aggregateId);
      sequence = event.sequence;
    }
    if (page.nextAfter === null) break;
  }

  const due = definition.snapshotEvery !== undefined && sequence - snapshotSequence >= definition.snapshotEvery;
  const stale = snapshot !== undefined && snapshot.sequence <= until && !fromSnapshot;
  if ((due || stale) && sequence > 0 && options.atSequence === undefined) {
    const write = { aggregateType: definition.type, aggregateId, schemaVersion: definition.schemaVersion, sequence, state };
    const failed = (why: string) => options.logger?.warn({ err: why, aggregate: `${definition.type}/${aggregateId}` }, 'snapshot write failed; the load is unaffected');
    await store.writeSnapshot(write, stale ? snapshot : undefined).then(
      (result) => result.ok || failed(`the store has the aggregate at sequence ${result.currentSequence}, before the load's ${sequence}`),
      (error: Error) => failed(error.message),
    );
  }
  return { state, sequence, fromSnapshot };
}

/** An error of the definition's fold or of an upcaster, naming the event it met; the thrown error is its `cause`. */
export class AggregateFoldError extends Error {
  override name = 'AggregateFoldError';
}

function fold<S>(definition: AggregateDefinition<S>, eventTypes: EventTypeRegistry, state: S, event: AggregateEvent, aggregateId: string): S {
  try {
    return definition.evolve(state, eventTypes.upcast(event));
  } catch (error) {
    const what = `${definition.type} ${aggregateId}, ${event.event_type} v${event.version} at sequence ${event.sequence} (position ${event.position}, id ${event.id})`;
    throw new AggregateFoldError(`folding ${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
