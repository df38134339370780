import type { z } from 'zod';
import type { StoredEvent } from '../events/event.ts';
import { NAME_PATTERN } from '../events/names.ts';
import type { EventTypeRegistry } from './event-types.ts';

/** An event as a fold sees it: stored shape, payload upcast to the newest version. */
export type AggregateEvent<P = Record<string, unknown>> = Omit<StoredEvent, 'payload'> & { payload: P };

/** What a fold is typed against when the aggregate names no registry: any type, any payload. */
export type UntypedEvents = EventTypeRegistry<Record<string, any>>;

type PayloadsIn<R> = R extends EventTypeRegistry<infer P> ? P : never;

/**
 * An event of registry `R`'s type `K`, its payload at the newest version; without `K`, an event of
 * any of its types: a union on `event_type`, so a `switch` on it narrows the payload.
 */
export type EventOf<R extends EventTypeRegistry<any>, K extends keyof PayloadsIn<R> & string = keyof PayloadsIn<R> & string> = K extends unknown
  ? Omit<StoredEvent, 'payload' | 'event_type'> & { event_type: K; payload: PayloadsIn<R>[K] }
  : never;

export type Evolve<S, R extends EventTypeRegistry<any> = UntypedEvents> = (state: S, event: EventOf<R>) => S;

// A registry whose type names are not all known (untyped, or an entry not written as a literal) has
// handlers for any name, each typed as any event: a mapped type over `string` would type a handler by
// its own name's literal, which its index signature then refuses.
export type Handlers<S, R extends EventTypeRegistry<any> = UntypedEvents> = string extends keyof PayloadsIn<R>
  ? Record<string, (state: S, event: EventOf<R>) => S>
  : { [K in keyof PayloadsIn<R> & string]?: (state: S, event: EventOf<R, K>) => S };

export interface AggregateOptions<S, R extends EventTypeRegistry<any> = UntypedEvents> {
  type: string;
  /** State before any event (copied for every load, so it is never shared). */
  initialState: S | (() => S);
  /**
   * The typed events this aggregate folds: `evolve` and `handlers` are then typed by their newest
   * payloads, each event is upcast before it is folded, and events of other types leave the state
   * as it is. Without it, the fold sees every event as stored (upcast only by `loadAggregate`'s
   * own `eventTypes`), its payload untyped.
   */
  eventTypes?: R;
  /** One pure function for every event, or `handlers` per event type (others leave the state as it is). */
  evolve?: Evolve<S, R>;
  handlers?: Handlers<S, R>;
  /** Version of the fold. Snapshots of another version are ignored (full replay, then replaced). */
  schemaVersion?: number;
  /** Write a snapshot when a load folded at least this many events after the last one. */
  snapshotEvery?: number;
  /** Parses a stored snapshot's state; a snapshot that does not parse is ignored. */
  stateSchema?: z.ZodType<S>;
}

export interface AggregateDefinition<S = unknown> {
  type: string;
  /** The event types it was defined with: it upcasts their events itself and folds no other type. */
  eventTypes?: EventTypeRegistry;
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

// Typed by a registry (not the untyped default): its events must reach the fold through it, so it is required.
type Untyped<R> = [R] extends [UntypedEvents] ? ([UntypedEvents] extends [R] ? true : false) : false;
type RegistryGiven<R> = Untyped<R> extends true ? unknown : { eventTypes: R };

export function defineAggregate<S, R extends EventTypeRegistry<any> = UntypedEvents>(options: AggregateOptions<S, R> & RegistryGiven<R>): AggregateDefinition<S> {
  const { type, eventTypes, handlers, stateSchema } = options;
  const evolve = options.evolve as Evolve<S> | undefined;
  const schemaVersion = options.schemaVersion ?? 1;
  if (!NAME_PATTERN.test(type)) throw new AggregateDefinitionError(`aggregate type "${type}" must match ${NAME_PATTERN}`);
  if (!!evolve === !!handlers) throw new AggregateDefinitionError(`${type}: give either evolve or handlers`);
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1) throw new AggregateDefinitionError(`${type}: schemaVersion must be an integer >= 1`);
  if (options.snapshotEvery !== undefined && !(Number.isInteger(options.snapshotEvery) && options.snapshotEvery >= 1)) {
    throw new AggregateDefinitionError(`${type}: snapshotEvery must be an integer >= 1`);
  }
  const initial = options.initialState;
  const byType = handlers as Record<string, Evolve<S>> | undefined;
  const fold: Evolve<S> =
    evolve ??
    ((state, event) => {
      const handler = Object.hasOwn(byType!, event.event_type) ? byType![event.event_type] : undefined;
      return handler ? handler(state, event) : state;
    });
  return {
    type,
    eventTypes,
    schemaVersion,
    snapshotEvery: options.snapshotEvery,
    initialState: () => (typeof initial === 'function' ? (initial as () => S)() : structuredClone(initial)),
    evolve: eventTypes ? (state, event) => (eventTypes.isRegistered(event.event_type) ? fold(state, eventTypes.upcast(event)) : state) : fold,
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
