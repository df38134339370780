import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const NAME = `[a-z][a-z0-9_-]{0,63}`;

// Partitioned by range of position in the migrations, which drizzle cannot express. Unique
// constraints must include the partition key, so id and sequence uniqueness live in event_ids and aggregates.
export const events = pgTable(
  'events',
  {
    // Global order, assigned by append_events() under the events_head lock (docs/ordering.md).
    position: bigint('position', { mode: 'number' }).primaryKey(),
    id: uuid('id').notNull(),
    eventType: text('event_type').notNull(),
    aggregateType: text('aggregate_type').notNull(),
    aggregateId: uuid('aggregate_id').notNull(),
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    payload: jsonb('payload').notNull(),
    metadata: jsonb('metadata').notNull(),
    version: integer('version').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [
    index('events_aggregate_id_position_idx').on(t.aggregateId, t.position),
    index('events_aggregate_type_position_idx').on(t.aggregateType, t.position),
    index('events_event_type_position_idx').on(t.eventType, t.position),
    index('events_correlation_id_position_idx')
      .on(sql`(${t.metadata} ->> 'correlation_id')`, t.position)
      .where(sql`(${t.metadata} ->> 'correlation_id') IS NOT NULL`),
    // A time bound becomes a position bound with one probe: created_at never decreases along position.
    index('events_created_at_position_idx').on(t.createdAt, t.position),
    check('events_aggregate_type_check', sql`${t.aggregateType} ~ '^${sql.raw(NAME)}$'`),
    check(
      'events_event_type_check',
      sql`${t.eventType} ~ '^${sql.raw(NAME)}\\.${sql.raw(NAME)}$' AND split_part(${t.eventType}, '.', 1) = ${t.aggregateType}`,
    ),
    check('events_sequence_check', sql`${t.sequence} >= 1`),
    check('events_position_check', sql`${t.position} >= 1`),
    check('events_version_check', sql`${t.version} >= 1`),
    check('events_payload_check', sql`jsonb_typeof(${t.payload}) = 'object'`),
    check('events_metadata_check', sql`jsonb_typeof(${t.metadata}) = 'object'`),
  ],
);

// Every event id ever stored, in every tier and after deletion: ids are unique across partitions and tiers.
export const eventIds = pgTable('event_ids', {
  id: uuid('id').primaryKey(),
  position: bigint('position', { mode: 'number' }).notNull(),
});

// Every aggregate ever appended to: the last sequence is never reused after archival or deletion;
// first_retained_sequence is 1 until retention deletes.
export const aggregates = pgTable(
  'aggregates',
  {
    aggregateId: uuid('aggregate_id').notNull(),
    aggregateType: text('aggregate_type').notNull(),
    lastSequence: bigint('last_sequence', { mode: 'number' }).notNull(),
    firstPosition: bigint('first_position', { mode: 'number' }).notNull(),
    lastPosition: bigint('last_position', { mode: 'number' }).notNull(),
    firstRetainedSequence: bigint('first_retained_sequence', { mode: 'number' }).notNull().default(1),
  },
  (t) => [
    primaryKey({ name: 'aggregates_pkey', columns: [t.aggregateId, t.aggregateType] }),
    check('aggregates_sequence_check', sql`${t.lastSequence} >= 1 AND ${t.firstRetainedSequence} BETWEEN 1 AND ${t.lastSequence} + 1`),
  ],
);

export const eventsPartitioning = pgTable(
  'events_partitioning',
  {
    singleton: boolean('singleton').primaryKey().default(true),
    partitionSize: bigint('partition_size', { mode: 'number' }).notNull(),
    partitionedUntil: bigint('partitioned_until', { mode: 'number' }).notNull(),
  },
  (t) => [check('events_partitioning_singleton_check', sql`${t.singleton}`), check('events_partitioning_size_check', sql`${t.partitionSize} >= 1`)],
);

export const eventRemovals = pgTable(
  'event_removals',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    aggregateType: text('aggregate_type').notNull(),
    fromPosition: bigint('from_position', { mode: 'number' }).notNull(),
    toPosition: bigint('to_position', { mode: 'number' }).notNull(),
    events: bigint('events', { mode: 'number' }).notNull(),
    reason: text('reason').notNull(),
    removedAt: timestamp('removed_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    removedBy: text('removed_by').notNull().default(sql`current_user`),
  },
  (t) => [check('event_removals_reason_check', sql`${t.reason} in ('archived', 'deleted')`)],
);

// One row: locking it serialises appends so that commits happen in position order.
export const eventsHead = pgTable(
  'events_head',
  {
    singleton: boolean('singleton').primaryKey().default(true),
    lastPosition: bigint('last_position', { mode: 'number' }).notNull(),
    lastCreatedAt: timestamp('last_created_at', { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [check('events_head_singleton_check', sql`${t.singleton}`)],
);

export const relayCheckpoints = pgTable('relay_checkpoints', {
  name: text('name').primaryKey(),
  position: bigint('position', { mode: 'number' }).notNull(),
  owner: text('owner'),
  leaseUntil: timestamp('lease_until', { withTimezone: true, precision: 6 }),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
});

// A cache per fold schema version: dropping it only costs a full replay. `sequence` is the last event folded.
export const snapshots = pgTable(
  'snapshots',
  {
    aggregateType: text('aggregate_type').notNull(),
    aggregateId: uuid('aggregate_id').notNull(),
    schemaVersion: integer('schema_version').notNull(),
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    state: jsonb('state').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'snapshots_pkey', columns: [t.aggregateType, t.aggregateId, t.schemaVersion] }),
    check('snapshots_sequence_check', sql`${t.sequence} >= 1`),
    check('snapshots_schema_version_check', sql`${t.schemaVersion} >= 1`),
  ],
);

export const replays = pgTable(
  'replays',
  {
    id: uuid('id').primaryKey(),
    filter: jsonb('filter').notNull(),
    // null: the live events:<aggregate_type> channels
    channel: text('channel'),
    status: text('status').notNull(),
    // the replay covers events up to this position: the head when it started
    upTo: bigint('up_to', { mode: 'number' }).notNull(),
    lastPosition: bigint('last_position', { mode: 'number' }).notNull().default(0),
    published: bigint('published', { mode: 'number' }).notNull().default(0),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [
    check('replays_status_check', sql`${t.status} in ('running', 'completed', 'failed', 'cancelled')`),
    index('replays_created_at_idx').on(t.createdAt),
  ],
);

// Counts only ever grow: they count events appended, whatever tier holds them now.
export const statsRollups = pgTable(
  'stats_rollups',
  {
    granularity: text('granularity').notNull(),
    bucketStart: timestamp('bucket_start', { withTimezone: true, precision: 6 }).notNull(),
    eventType: text('event_type').notNull(),
    aggregateType: text('aggregate_type').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'stats_rollups_pkey', columns: [t.granularity, t.bucketStart, t.eventType] }),
    check('stats_rollups_granularity_check', sql`${t.granularity} in ('minute', 'hour', 'day')`),
    check('stats_rollups_count_check', sql`${t.count} >= 0`),
  ],
);

// Written in the same transaction as what it projected, so every event is counted exactly once.
export const projectionCheckpoints = pgTable('projection_checkpoints', {
  name: text('name').primaryKey(),
  position: bigint('position', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
});

export const savedQueries = pgTable(
  'saved_queries',
  {
    name: text('name').primaryKey(),
    filter: jsonb('filter').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [
    check('saved_queries_name_check', sql`${t.name} ~ '^[a-z0-9][a-z0-9_-]{0,63}$'`),
    check('saved_queries_filter_check', sql`jsonb_typeof(${t.filter}) = 'object'`),
  ],
);
