import type { NewEvent } from '../events/event.ts';
import type { EventQuery } from '../events/query-input.ts';
import { type Connections, sqlConnections } from '../postgres/connections.ts';
import type { Sql } from '../postgres/database.ts';
import { type AppendOutcome, appendRequests } from './append.ts';
import { eventQuery, splitPage } from './event-query.ts';
import { aggregateTypes, countAfter, lastPositionOfType, typeWindow } from './type-positions.ts';
import { readSnapshot, type Snapshot, type SnapshotWrite, writeSnapshot, type WriteSnapshotResult } from './snapshots.ts';

export interface EventPage {
  /** Canonical JSON of each event, in the query's order. */
  events: string[];
  /** The position to pass as `after` for the next page, or null after the last one. */
  nextAfter: number | null;
}

/**
 * The only owner of the events' SQL. Every event leaves it as its canonical JSON, built in SQL
 * by event_json(), so a read, an append's answer and a Redis message carry the same bytes.
 */
export interface EventStore {
  /** Appends requests in one transaction, each all or nothing with its own outcome. */
  append(requests: NewEvent[][]): Promise<AppendOutcome[]>;
  getEvent(id: string): Promise<string | undefined>;
  query(q: EventQuery): Promise<EventPage>;
  /** GET /events' response body, built from the bytes PostgreSQL sent. */
  queryBody(q: EventQuery): Promise<Buffer<ArrayBuffer>>;
  /**
   * An aggregate's events after a sequence, in sequence order. `afterPosition`, the position of
   * the event at `afterSequence` when the caller has it (the last one of its previous page),
   * lets the read start there instead of finding it.
   */
  readAggregate(aggregateType: string, aggregateId: string, afterSequence: number, limit: number, afterPosition?: number): Promise<string[]>;
  /** The aggregate's current sequence (0: no events). */
  aggregateSequence(aggregateType: string, aggregateId: string): Promise<number>;
  /** The newest committed position (0 for an empty store). */
  headPosition(): Promise<number>;
  readSnapshot(aggregateType: string, aggregateId: string, schemaVersion?: number): Promise<Snapshot | undefined>;
  /** The aggregate types that have events. */
  aggregateTypes(): Promise<string[]>;
  /** The newest position of an aggregate type at or below `atMost` (0: none). */
  lastPositionOfType(aggregateType: string, atMost: number): Promise<number>;
  /** Where the window of a type's newest `size` events in (after, upTo] starts (type-positions.ts). */
  typeWindow(aggregateType: string, after: number, upTo: number, size: number): Promise<{ start: number | null; all: boolean }>;
  /** Events of a type after a position, counted up to `cap`. */
  countAfter(aggregateType: string, after: number, cap: number): Promise<number>;
  writeSnapshot(snapshot: SnapshotWrite, replacing?: Snapshot): Promise<WriteSnapshotResult>;
  /**
   * The store whose reads see every event up to `position` (read-your-writes on a replica:
   * the position an append answered); itself when `position` is undefined or every read does.
   */
  atLeast(position: number | undefined): EventStore;
}

const PAGE_OPEN = Buffer.from('{"events":['), COMMA = Buffer.from(','), PAGE_CLOSE = Buffer.from('],"next_after":');

/**
 * The store over a set of connections (the service gives it its read, append or background
 * connections), or over a postgres.js client of your own. Snapshot writes go to the
 * connections' `writes` where they have some (reads on a replica).
 */
export function createEventStore(on: Connections | Sql): EventStore {
  const connections = typeof on === 'function' ? sqlConnections(on) : on;
  const use = connections.use.bind(connections);
  const writes = connections.writes ?? connections;
  // Reads use postgres.js directly: its statements are prepared once per connection, while a
  // query built by drizzle is parsed and planned on every call.
  const run = (sql: Sql, q: EventQuery) => {
    const { text, params } = eventQuery(q);
    return sql.unsafe<{ json: string; position: string }[]>(text, params, { prepare: true });
  };
  const sequenceOf = async (sql: Sql, type: string, id: string) => {
    const [row] = await sql<{ last_sequence: string }[]>`
      select last_sequence from aggregates where aggregate_id = ${id} and aggregate_type = ${type}`;
    return Number(row?.last_sequence ?? 0);
  };

  const store: EventStore = {
    append: (requests) => use((sql) => appendRequests(sql, requests)),
    getEvent: (id) =>
      use(async (sql) => (await sql<{ json: string }[]>`
        select event_json(e) as json from event_ids d join events e on e.position = d.position where d.id = ${id}`)[0]?.json),
    query: (q) =>
      use(async (sql) => {
        const { page, more } = splitPage(await run(sql, q), q.limit);
        return { events: page.map((r) => r.json), nextAfter: more ? Number(page[page.length - 1]!.position) : null };
      }),
    queryBody: (q) =>
      use(async (sql) => {
        const rows = (await run(sql, q).raw()) as unknown as [Buffer, Buffer][];
        const { page, more } = splitPage(rows, q.limit);
        const parts: Buffer[] = [PAGE_OPEN];
        page.forEach(([json], i) => {
          if (i > 0) parts.push(COMMA);
          parts.push(json);
        });
        parts.push(PAGE_CLOSE, Buffer.from(more ? `${page[page.length - 1]![1].toString()}}` : 'null}'));
        return Buffer.concat(parts);
      }),
    readAggregate: (type, id, afterSequence, limit, afterPosition) =>
      use(async (sql) => (await sql<{ json: string }[]>`
          select event_json(e) as json from events e
          where e.aggregate_id = ${id} and e.aggregate_type = ${type} and e.sequence > ${afterSequence}
            and e.position > ${afterPosition ?? (afterSequence === 0 ? sql`0` : positionBefore(sql, type, id, afterSequence))}
          order by e.position limit ${limit}`).map((r) => r.json)),
    aggregateSequence: (type, id) => use((sql) => sequenceOf(sql, type, id)),
    headPosition: () => use(headPosition),
    readSnapshot: (type, id, schemaVersion) => use((sql) => readSnapshot(sql, type, id, schemaVersion)),
    aggregateTypes: () => use(aggregateTypes),
    lastPositionOfType: (type, atMost) => use((sql) => lastPositionOfType(sql, type, atMost)),
    typeWindow: (type, after, upTo, size) => use((sql) => typeWindow(sql, type, after, upTo, size)),
    countAfter: (type, after, cap) => use((sql) => countAfter(sql, type, after, cap)),
    writeSnapshot: (s, replacing) =>
      writes.use(async (sql) => writeSnapshot(sql, s, await sequenceOf(sql, s.aggregateType, s.aggregateId), replacing)),
    atLeast: (position) => (position === undefined || !connections.atLeast ? store : createEventStore(connections.atLeast(position))),
  };
  return store;
}

// The position of an aggregate's event at a sequence, found from the end of its history: within
// an aggregate, sequence order is position order and the events in PostgreSQL are a gapless
// run ending at aggregates.last_sequence, so it is the (last - sequence + 1)-th from the end. Its
// cost grows with the events after it, which the read returns anyway.
function positionBefore(sql: Sql, type: string, id: string, sequence: number) {
  return sql`coalesce((
    select min(s.position) - 1 from (
      select s.position from events s where s.aggregate_id = ${id} and s.aggregate_type = ${type}
      order by s.position desc
      limit greatest((select a.last_sequence from aggregates a where a.aggregate_id = ${id} and a.aggregate_type = ${type}) - ${sequence}, 0)
    ) s), 9223372036854775806)`;
}

/** The newest committed position, on a client of its own (commit notifications, polling). */
export async function headPosition(sql: Sql): Promise<number> {
  const [row] = await sql<{ last_position: string }[]>`select last_position from events_head`;
  return Number(row?.last_position ?? 0);
}
