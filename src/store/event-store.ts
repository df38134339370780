import type { NewEvent } from '../events/event.ts';
import type { EventQuery } from '../events/query-input.ts';
import { AppError } from '../errors.ts';
import { type ArchiveReader, createArchiveReader } from '../lifecycle/archive-reader.ts';
import { eventJson } from '../lifecycle/segment-row.ts';
import { resolveMoved } from '../lifecycle/archived-resend.ts';
import { type Connections, sqlConnections } from '../postgres/connections.ts';
import type { Sql } from '../postgres/database.ts';
import { type AppendOutcome, appendRequests } from './append.ts';
import { countArchived, countEvents, type EventFilter } from './event-count.ts';
import { aggregateQuery, MAX_PAGE_BYTES, pagedQuery, pageRows } from './event-query.ts';
import { aggregatePage, mergePage, type PageRow, readTiers, sequenceOf as sequenceInJson } from './tiered-reads.ts';
import { aggregateTypes, countAfter, lastPositionOfType, secondsSinceAppended, typeWindow } from './type-positions.ts';
import { readSnapshot, type Snapshot, type SnapshotWrite, writeSnapshot, type WriteSnapshotResult } from './snapshots.ts';
import { projectStats, readStats, type StatsAnswer, type StatsProjection, type StatsQuery, statsPosition } from './stats-rollups.ts';

export interface EventPage {
  events: string[];
  /** The position to pass as `after` for the next page, or null after the last one. */
  nextAfter: number | null;
}

/** The only owner of the events' SQL; events leave it as event_json()'s canonical JSON, the same bytes everywhere. */
export interface EventStore {
  append(requests: NewEvent[][]): Promise<AppendOutcome[]>;
  /** undefined: no such id; throws `gone` for an event retention deleted. */
  getEvent(id: string, options?: { tier?: 'hot' | 'all' }): Promise<string | undefined>;
  query(q: EventQuery): Promise<EventPage>;
  queryBody(q: EventQuery): Promise<Buffer<ArrayBuffer>>;
  /**
   * A page of an aggregate's events after a sequence, in order, ended by `limit` or MAX_PAGE_BYTES
   * as query()'s (`afterPosition`, if known, saves finding it); throws `gone` for deleted ones.
   */
  readAggregate(aggregateType: string, aggregateId: string, afterSequence: number, limit: number, afterPosition?: number): Promise<EventPage>;
  aggregateSequence(aggregateType: string, aggregateId: string): Promise<number>;
  /** The newest committed position (0 for an empty store). */
  headPosition(): Promise<number>;
  /** `from: 'primary'`: where snapshots are written (a write gives no position to wait for on a replica). */
  readSnapshot(aggregateType: string, aggregateId: string, schemaVersion?: number, from?: 'reads' | 'primary'): Promise<Snapshot | undefined>;
  writeSnapshot(snapshot: SnapshotWrite, replacing?: Snapshot): Promise<WriteSnapshotResult>;
  aggregateTypes(): Promise<string[]>;
  lastPositionOfType(aggregateType: string, atMost: number): Promise<number>;
  typeWindow(aggregateType: string, after: number, upTo: number, size: number): Promise<{ start: number | null; all: boolean }>;
  /** The type's events after a position, archived ones included unless this store reads PostgreSQL only (up to `cap`). */
  countAfter(aggregateType: string, after: number, cap: number): Promise<number>;
  /** Seconds since each position was appended, for those still in PostgreSQL (the archive is not read). */
  secondsSinceAppended(positions: number[]): Promise<Map<number, number>>;
  /** A store whose reads see every event up to `position` (read-your-writes on a replica). */
  atLeast(position: number | undefined): EventStore;
  countEvents(filter: EventFilter, upTo: number): Promise<number>;
  projectStats(maxEvents: number): Promise<StatsProjection>;
  stats(q: StatsQuery): Promise<StatsAnswer>;
  statsPosition(): Promise<number>;
}

const PAGE_OPEN = Buffer.from('{"events":['), COMMA = Buffer.from(','), PAGE_CLOSE = Buffer.from('],"next_after":');

export interface EventStoreOptions {
  /** Where archived events are read; null reads PostgreSQL only (the relay). Unset: reads needing an archived event fail. */
  archive?: ArchiveReader | null;
  /** A page of query() ends once its events' JSON reaches this many bytes (MAX_PAGE_BYTES); it always holds one. */
  maxPageBytes?: number;
}

/** The store over the service's connections or a postgres.js client; snapshot writes go to `writes` where set. */
export function createEventStore(on: Connections | Sql, options: EventStoreOptions = {}): EventStore {
  const connections = typeof on === 'function' ? sqlConnections(on) : on;
  const use = connections.use.bind(connections);
  const writes = connections.writes ?? connections;
  const archive = options.archive === undefined ? createArchiveReader({ storage: null, cacheBytes: 0 }) : options.archive;
  const maxBytes = options.maxPageBytes ?? MAX_PAGE_BYTES;
  // Connections of one client each send a read's statements together, in order (tiered-reads.ts).
  const pipelined = typeof on !== 'function';
  const tiered = (q: EventQuery) => archive !== null && q.tier !== 'hot';
  // A page merged with the archive; with an offset the hot rows are read again from the start.
  const mergedPage = async (sql: Sql, q: EventQuery, hot: PageRow[], first: Awaited<ReturnType<ArchiveReader['segments']>>) => {
    if (q.offset > 0) {
      const again = await readTiers<Row[]>(sql, pipelined, archive!, q, () => run(sql, { ...q, offset: 0, limit: q.offset + q.limit }, q.offset));
      [hot, first] = [again.hot.map(hotRow), again.first];
    }
    return mergePage(sql, archive!, q, hot, first, maxBytes);
  };
  // Reads use postgres.js directly: its statements are prepared once per connection, while a
  // query built by drizzle is parsed and planned on every call.
  const run = (sql: Sql, q: EventQuery, skip = 0) => {
    const { text, params } = pagedQuery(q, { maxBytes, skip });
    return sql.unsafe<Row[]>(text, params, { prepare: true });
  };
  // One word for the column: a client of the user's with `transform: postgres.camel` renames last_sequence.
  const sequenceOf = async (sql: Sql, type: string, id: string) => {
    const [row] = await sql<{ current: string }[]>`
      select last_sequence as current from aggregates where aggregate_id = ${id} and aggregate_type = ${type}`;
    return Number(row?.current ?? 0);
  };

  const store: EventStore = {
    append: (requests) =>
      use(async (sql) => {
        const outcomes = await appendRequests(sql, requests);
        return archive === null ? outcomes : resolveMoved(sql, archive, requests, outcomes, (again) => appendRequests(sql, again));
      }),
    getEvent: (id, options) =>
      use(async (sql) => {
        const [row] = await sql<{ json: string | null; position: string }[]>`
          select event_json(e) as json, d.position from event_ids d left join events e on e.position = d.position where d.id = ${id}`;
        if (!row || row.json !== null) return row?.json ?? undefined;
        if (archive === null || options?.tier === 'hot') return undefined;
        const archived = await archive.readPosition(sql, Number(row.position));
        if (archived) return eventJson(archived);
        throw new AppError('gone', `event ${id} was deleted by its retention policy; its id and position are never reused`, { id, position: Number(row.position) });
      }),
    query: (q) =>
      use(async (sql) => {
        if (tiered(q)) {
          const { hot, first } = await readTiers<Row[]>(sql, pipelined, archive!, q, () => run(sql, q));
          if (first.length > 0) return mergedPage(sql, q, hot.map(hotRow), first);
          return pageOf(hot, q.limit, maxBytes);
        }
        return pageOf(await run(sql, q), q.limit, maxBytes);
      }),
    queryBody: (q) =>
      use(async (sql) => {
        let rows: RawRow[];
        if (tiered(q)) {
          const tiers = await readTiers<RawRow[]>(sql, pipelined, archive!, q, () => run(sql, q).raw());
          if (tiers.first.length > 0) {
            const hot = tiers.hot.map(([json, position]) => ({ json: json.toString(), position: Number(position.toString()) }));
            const { events, nextAfter } = await mergedPage(sql, q, hot, tiers.first);
            return Buffer.from(`{"events":[${events.join(',')}],"next_after":${nextAfter}}`);
          }
          rows = tiers.hot;
        } else rows = (await run(sql, q).raw()) as unknown as RawRow[];
        const { page, more } = pageRows(rows, q.limit, maxBytes, (r) => r[0].length);
        const parts: Buffer[] = [PAGE_OPEN];
        page.forEach(([json], i) => {
          if (i > 0) parts.push(COMMA);
          parts.push(json);
        });
        parts.push(PAGE_CLOSE, Buffer.from(more ? `${page[page.length - 1]![1].toString()}}` : 'null}'));
        return Buffer.concat(parts);
      }),
    readAggregate: (type, id, afterSequence, limit, afterPosition) =>
      use(async (sql) => {
        const { text, params } = aggregateQuery(type, id, afterSequence, limit, maxBytes, afterPosition);
        const hot = (await sql.unsafe<Row[]>(text, params, { prepare: true })).map(hotRow);
        // An aggregate's hot events are a run ending at its last sequence: when the page starts
        // right after afterSequence, nothing older is needed from the archive.
        if (archive === null || (hot.length > 0 && sequenceInJson(hot[0]!.json) === afterSequence + 1)) return pageOf(hot, limit, maxBytes);
        return aggregatePage(sql, archive, { type, id, afterSequence, limit, maxBytes }, hot);
      }),
    aggregateSequence: (type, id) => use((sql) => sequenceOf(sql, type, id)),
    headPosition: () => use(headPosition),
    readSnapshot: (type, id, schemaVersion, from = 'reads') => (from === 'primary' ? writes : connections).use((sql) => readSnapshot(sql, type, id, schemaVersion)),
    writeSnapshot: (s, replacing) =>
      writes.use(async (sql) => writeSnapshot(sql, s, await sequenceOf(sql, s.aggregateType, s.aggregateId), replacing)),
    aggregateTypes: () => use(aggregateTypes),
    lastPositionOfType: (type, atMost) => use((sql) => lastPositionOfType(sql, type, atMost)),
    typeWindow: (type, after, upTo, size) => use((sql) => typeWindow(sql, type, after, upTo, size)),
    countAfter: (type, after, cap) => use((sql) => countAfter(sql, type, after, cap, archive !== null)),
    secondsSinceAppended: (positions) => use((sql) => secondsSinceAppended(sql, positions)),
    atLeast: (position) => (position === undefined || !connections.atLeast ? store : createEventStore(connections.atLeast(position), options)),
    countEvents: (filter, upTo) =>
      use((sql) => {
        if (archive === null || filter.tier === 'hot') return countEvents(sql, filter, upTo);
        // One snapshot for the hot rows and the manifest: an event archived meanwhile counts once.
        return sql.begin('isolation level repeatable read read only', async (tx) =>
          (await countEvents(tx as unknown as Sql, filter, upTo)) + (await countArchived(tx as unknown as Sql, archive, filter, upTo)));
      }),
    projectStats: (maxEvents) => use((sql) => projectStats(sql, maxEvents)),
    stats: (q) => use((sql) => readStats(sql, q)),
    statsPosition: () => use(statsPosition),
  };
  return store;
}

/** A row of pagedQuery(): the event's JSON and its position. */
type Row = { json: string; position: string };
type RawRow = [json: Buffer, position: Buffer];
const hotRow = (r: Row): PageRow => ({ json: r.json, position: Number(r.position) });

const pageOf = (rows: (Row | PageRow)[], limit: number, maxBytes: number): EventPage => {
  const { page, more } = pageRows(rows, limit, maxBytes, (r) => Buffer.byteLength(r.json));
  return { events: page.map((r) => r.json), nextAfter: more ? Number(page[page.length - 1]!.position) : null };
};

export async function headPosition(sql: Sql): Promise<number> {
  const [row] = await sql<{ last_position: string }[]>`select last_position from events_head`;
  return Number(row?.last_position ?? 0);
}
