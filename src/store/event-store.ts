import type { NewEvent } from '../events/event.ts';
import type { EventQuery } from '../events/query-input.ts';
import { type Connections, type Sql, sqlConnections } from '../postgres/database.ts';
import { type AppendOutcome, appendRequests } from './append.ts';
import { countEvents, type EventFilter } from './event-count.ts';
import { eventQuery, splitPage } from './event-query.ts';
import { readSnapshot, type Snapshot, type SnapshotWrite, writeSnapshot, type WriteSnapshotResult } from './snapshots.ts';
import { projectStats, readStats, type StatsAnswer, type StatsProjection, type StatsQuery, statsPosition } from './stats-rollups.ts';

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
  /** An aggregate's events after a sequence, in sequence order. */
  readAggregate(aggregateType: string, aggregateId: string, afterSequence: number, limit: number): Promise<string[]>;
  /** The aggregate's current sequence (0: no events). */
  aggregateSequence(aggregateType: string, aggregateId: string): Promise<number>;
  /** The newest committed position (0 for an empty store). */
  headPosition(): Promise<number>;
  readSnapshot(aggregateType: string, aggregateId: string, schemaVersion?: number): Promise<Snapshot | undefined>;
  writeSnapshot(snapshot: SnapshotWrite, replacing?: Snapshot): Promise<WriteSnapshotResult>;
  /** Events matching a filter after `filter.after` and up to `upTo`, counted, not loaded. */
  countEvents(filter: EventFilter, upTo: number): Promise<number>;
  /** Counts the next committed events into the stats rollups, exactly once (stats-rollups.ts). */
  projectStats(maxEvents: number): Promise<StatsProjection>;
  /** Event counts per bucket and type, from the rollups only. */
  stats(q: StatsQuery): Promise<StatsAnswer>;
  /** How far the stats rollups have counted. */
  statsPosition(): Promise<number>;
}

const PAGE_OPEN = Buffer.from('{"events":['), COMMA = Buffer.from(','), PAGE_CLOSE = Buffer.from('],"next_after":');

/**
 * The store over a set of connections (the service gives it its read, append or background
 * connections), or over a postgres.js client of your own.
 */
export function createEventStore(on: Connections | Sql): EventStore {
  const connections = typeof on === 'function' ? sqlConnections(on) : on;
  const use = connections.use.bind(connections);
  // Reads use postgres.js directly: its statements are prepared once per connection, while a
  // query built by drizzle is parsed and planned on every call.
  const run = (sql: Sql, q: EventQuery) => {
    const { text, params } = eventQuery(q);
    return sql.unsafe<{ json: string; position: string }[]>(text, params, { prepare: true });
  };
  const sequenceOf = async (sql: Sql, type: string, id: string) => {
    const [row] = await sql<{ sequence: string }[]>`
      select coalesce(max(sequence), 0) as sequence from events where aggregate_type = ${type} and aggregate_id = ${id}`;
    return Number(row!.sequence);
  };

  return {
    append: (requests) => use((sql) => appendRequests(sql, requests)),
    getEvent: (id) => use(async (sql) => (await sql<{ json: string }[]>`select event_json(e) as json from events e where e.id = ${id}`)[0]?.json),
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
    readAggregate: (type, id, afterSequence, limit) =>
      use(async (sql) => {
        const rows = await sql<{ json: string }[]>`
          select event_json(e) as json from events e
          where e.aggregate_type = ${type} and e.aggregate_id = ${id} and e.sequence > ${afterSequence}
          order by e.sequence limit ${limit}`;
        return rows.map((r) => r.json);
      }),
    aggregateSequence: (type, id) => use((sql) => sequenceOf(sql, type, id)),
    headPosition: () => use(headPosition),
    readSnapshot: (type, id, schemaVersion) => use((sql) => readSnapshot(sql, type, id, schemaVersion)),
    writeSnapshot: (s, replacing) =>
      use(async (sql) => writeSnapshot(sql, s, await sequenceOf(sql, s.aggregateType, s.aggregateId), replacing)),
    countEvents: (filter, upTo) => use((sql) => countEvents(sql, filter, upTo)),
    projectStats: (maxEvents) => use((sql) => projectStats(sql, maxEvents)),
    stats: (q) => use((sql) => readStats(sql, q)),
    statsPosition: () => use(statsPosition),
  };
}

/** The newest committed position, on a client of its own (commit notifications, polling). */
export async function headPosition(sql: Sql): Promise<number> {
  const [row] = await sql<{ last_position: string }[]>`select last_position from events_head`;
  return Number(row?.last_position ?? 0);
}
