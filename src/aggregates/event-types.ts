import { z } from 'zod';
import { type FieldError, toPointer } from '../errors.ts';
import type { StoredEvent } from '../events/event.ts';

type Payload = Record<string, unknown>;

export interface EventTypeVersion {
  type: string;
  version: number;
  schema: z.ZodType;
  /** Turns a payload of version - 1 into this version (required for version > 1). */
  upcast?: (previous: Payload) => Payload;
}

/** Each registered event type's payload at its newest version, as `defineEventTypes` infers it. */
export type EventPayloads = Record<string, unknown>;

declare const payloadTypes: unique symbol;

/**
 * `P` carries each type's newest payload for typed folds (`defineAggregate`'s `eventTypes`); it
 * exists only for the compiler. A registry of entries not all written as literals (a list typed
 * `EventTypeVersion[]`, or spread from one that is not `as const`) has every payload `unknown`.
 */
export interface EventTypeRegistry<P extends EventPayloads = EventPayloads> {
  readonly [payloadTypes]?: P;
  readonly types: ReadonlyMap<string, ReadonlyMap<number, EventTypeVersion>>;
  isRegistered(type: string): boolean;
  /** Problems with a payload to be appended, as JSON Pointers relative to the payload. */
  validate(type: string, version: number, payload: unknown): FieldError[] | 'unregistered-type' | 'unregistered-version';
  /** The event at the newest registered version of its type (stored events never change). */
  upcast<E extends Pick<StoredEvent, 'event_type' | 'version' | 'payload'>>(event: E): E;
  jsonSchemas(): { event_type: string; version: number; schema: unknown }[];
}

/**
 * An upcaster typed by the schemas it connects: it takes what `previous` accepts and must give what
 * `next` accepts, so a renamed or missing field does not compile. At run time it is `upcast` itself
 * (the schemas are there for the compiler: stored payloads were checked when appended).
 */
export function upcaster<P extends z.ZodType, N extends z.ZodType>(_previous: P, _next: N, upcast: (payload: z.input<P>) => z.input<N>): (previous: Payload) => Payload {
  return upcast as unknown as (previous: Payload) => Payload;
}

export class EventTypeError extends Error {
  override name = 'EventTypeError';
}

// The numbers below N (N a literal up to 999), to tell each type's newest version at compile time.
type Below<N extends number, Counted extends unknown[] = [], Found = never> = Counted['length'] extends N
  ? Found
  : Counted['length'] extends 999 ? number : Below<N, [...Counted, unknown], Found | Counted['length']>;

type Newest<V extends EventTypeVersion, All extends EventTypeVersion> = V extends EventTypeVersion
  ? [Exclude<Extract<All, { type: V['type'] }>['version'], V['version'] | Below<V['version']>>] extends [never] ? V : never
  : never;

// An entry whose type or version is not a literal (a list built elsewhere, not `as const`).
type Wide<E extends EventTypeVersion> = E extends EventTypeVersion ? (string extends E['type'] ? true : number extends E['version'] ? true : never) : never;

/**
 * What a registry's newest versions accept: payloads are stored as sent (see `jsonSchemas`). One
 * entry not written as literals leaves every type name open and every payload `unknown`: its type
 * or version could be any, so no payload can be told for sure.
 */
export type PayloadsOf<V extends readonly EventTypeVersion[]> = [Wide<V[number]>] extends [never]
  ? { [E in Newest<V[number], V[number]> as E['type']]: z.input<E['schema']> }
  : Record<string, unknown>;

/**
 * Typed events: zod payload schemas per (event_type, version), versions 1..n without holes, each
 * after the first with an upcaster from the previous one.
 */
export function defineEventTypes<const V extends readonly EventTypeVersion[]>(versions: V): EventTypeRegistry<PayloadsOf<V>> {
  const types = new Map<string, Map<number, EventTypeVersion>>();
  for (const v of versions) {
    if (!Number.isInteger(v.version) || v.version < 1) throw new EventTypeError(`${v.type}: version must be an integer >= 1`);
    const byVersion = types.get(v.type) ?? new Map<number, EventTypeVersion>();
    if (byVersion.has(v.version)) throw new EventTypeError(`${v.type} version ${v.version} is registered twice`);
    byVersion.set(v.version, v);
    types.set(v.type, byVersion);
  }
  const latest = new Map<string, number>();
  for (const [type, byVersion] of types) {
    const max = Math.max(...byVersion.keys());
    for (let v = 1; v <= max; v++) {
      const entry = byVersion.get(v);
      if (!entry) throw new EventTypeError(`${type}: version ${v} is missing (versions must be 1..${max})`);
      if (v > 1 && !entry.upcast) throw new EventTypeError(`${type} version ${v} needs an upcast from version ${v - 1}`);
    }
    latest.set(type, max);
  }

  return {
    types,
    isRegistered: (type) => types.has(type),
    validate(type, version, payload) {
      const byVersion = types.get(type);
      if (!byVersion) return 'unregistered-type';
      const entry = byVersion.get(version);
      if (!entry) return 'unregistered-version';
      const r = entry.schema.safeParse(payload);
      return r.success ? [] : r.error.issues.map((i) => ({ pointer: toPointer(i.path), detail: i.message }));
    },
    upcast(event) {
      const target = latest.get(event.event_type);
      if (target === undefined || event.version >= target) return event;
      let payload = event.payload as Payload;
      for (let v = event.version + 1; v <= target; v++) payload = types.get(event.event_type)!.get(v)!.upcast!(payload);
      return { ...event, version: target, payload };
    },
    // The input side: appends are checked with safeParse and stored as sent, so the schema says what
    // is accepted (a z.object's unknown keys pass and are kept), not what parsing would return.
    jsonSchemas() {
      return [...types.values()].flatMap((byVersion) =>
        [...byVersion.values()]
          .sort((a, b) => a.version - b.version)
          .map((v) => ({ event_type: v.type, version: v.version, schema: z.toJSONSchema(v.schema, { io: 'input', unrepresentable: 'any' }) })),
      );
    },
  };
}

export const emptyEventTypes = defineEventTypes([]);
