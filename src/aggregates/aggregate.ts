import type { z } from 'zod';
import type { StoredEvent } from '../events/event.ts';
import { NAME_PATTERN } from '../events/names.ts';

/** An event as a fold sees it: stored shape, payload upcast to the newest version. */
export type AggregateEvent<P = Record<string, unknown>> = Omit<StoredEvent, 'payload'> & { payload: P };

export type Evolve<S> = (state: S, event: AggregateEvent<any>) => S;

export interface AggregateOptions<S> {
  type: string;
  /** State before any event (copied for every load, so it is never shared). */
  initialState: S | (() => S);
  /** One pure function for every event, or `handlers` per event type (others leave the state as it is). */
  evolve?: Evolve<S>;
  handlers?: Record<string, Evolve<S>>;
  /** Version of the fold. Snapshots of another version are ignored (full replay, then replaced). */
  schemaVersion?: number;
  /** Write a snapshot when a load folded at least this many events after the last one. */
  snapshotEvery?: number;
  /** Parses a stored snapshot's state; a snapshot that does not parse is ignored. */
  stateSchema?: z.ZodType<S>;
}

export interface AggregateDefinition<S = unknown> {
  type: string;
  schemaVersion: number;
  snapshotEvery?: number;
  initialState(): S;
  evolve(state: S, event: AggregateEvent): S;
  /** The state a stored snapshot holds, or undefined if it no longer parses. */
  readSnapshotState(state: unknown): S | undefined;
}

export class AggregateDefinitionError extends Error {
  override name = 'AggregateDefinitionError';
}

export function defineAggregate<S>(options: AggregateOptions<S>): AggregateDefinition<S> {
  const { type, evolve, handlers, stateSchema } = options;
  const schemaVersion = options.schemaVersion ?? 1;
  if (!NAME_PATTERN.test(type)) throw new AggregateDefinitionError(`aggregate type "${type}" must match ${NAME_PATTERN}`);
  if (!!evolve === !!handlers) throw new AggregateDefinitionError(`${type}: give either evolve or handlers`);
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1) throw new AggregateDefinitionError(`${type}: schemaVersion must be an integer >= 1`);
  if (options.snapshotEvery !== undefined && !(Number.isInteger(options.snapshotEvery) && options.snapshotEvery >= 1)) {
    throw new AggregateDefinitionError(`${type}: snapshotEvery must be an integer >= 1`);
  }
  const initial = options.initialState;
  return {
    type,
    schemaVersion,
    snapshotEvery: options.snapshotEvery,
    initialState: () => (typeof initial === 'function' ? (initial as () => S)() : structuredClone(initial)),
    evolve:
      evolve ??
      ((state, event) => {
        const handler = Object.hasOwn(handlers!, event.event_type) ? handlers![event.event_type] : undefined;
        return handler ? handler(state, event) : state;
      }),
    readSnapshotState(state) {
      if (!stateSchema) return state as S;
      const r = stateSchema.safeParse(state);
      return r.success ? r.data : undefined;
    },
  };
}

/** Folds events into a state, in the order given. Pure if the definition's evolve is. */
export function foldEvents<S>(definition: AggregateDefinition<S>, state: S, events: Iterable<AggregateEvent>): S {
  for (const e of events) state = definition.evolve(state, e);
  return state;
}
