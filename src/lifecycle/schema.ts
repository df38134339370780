import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// No row means keep forever. Durations are ISO 8601 text as sent (PostgreSQL reads them as intervals); null means never.
export const retentionPolicies = pgTable(
  'retention_policies',
  {
    aggregateType: text('aggregate_type').primaryKey(),
    archiveAfter: text('archive_after'),
    deleteAfter: text('delete_after'),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [check('retention_policies_aggregate_type_check', sql`${t.aggregateType} ~ '^[a-z][a-z0-9_-]{0,63}$'`)],
);

// A real run in status running is the lease: a partial unique index admits one, its holder keeps
// updated_at fresh, and the next instance marks a stale one failed.
export const archiveRuns = pgTable(
  'archive_runs',
  {
    id: uuid('id').primaryKey(),
    status: text('status').notNull(),
    dryRun: boolean('dry_run').notNull(),
    trigger: text('trigger').notNull(),
    owner: text('owner').notNull(),
    archived: bigint('archived', { mode: 'number' }).notNull().default(0),
    deleted: bigint('deleted', { mode: 'number' }).notNull().default(0),
    segments: integer('segments').notNull().default(0),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    planned: bigint('planned', { mode: 'number' }),
    plan: jsonb('plan'),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 6 }),
  },
  (t) => [
    check('archive_runs_status_check', sql`${t.status} in ('running', 'succeeded', 'failed')`),
    check('archive_runs_trigger_check', sql`${t.trigger} in ('schedule', 'request')`),
    uniqueIndex('archive_runs_one_running_idx').on(sql`(true)`).where(sql`${t.status} = 'running' and not ${t.dryRun}`),
    index('archive_runs_started_at_idx').on(t.startedAt),
  ],
);

// The manifest, committed in the transaction that removes the segment's events; also written beside it as <key>.json.
export const archiveSegments = pgTable(
  'archive_segments',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    aggregateType: text('aggregate_type').notNull(),
    // both inclusive
    fromPosition: bigint('from_position', { mode: 'number' }).notNull(),
    toPosition: bigint('to_position', { mode: 'number' }).notNull(),
    firstCreatedAt: timestamp('first_created_at', { withTimezone: true, precision: 6 }).notNull(),
    lastCreatedAt: timestamp('last_created_at', { withTimezone: true, precision: 6 }).notNull(),
    events: integer('events').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    key: text('key').notNull().unique('archive_segments_key_key'),
    runId: uuid('run_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [
    index('archive_segments_type_from_idx').on(t.aggregateType, t.fromPosition),
    index('archive_segments_to_idx').on(t.toPosition),
    check('archive_segments_range_check', sql`${t.fromPosition} >= 1 AND ${t.toPosition} >= ${t.fromPosition} AND ${t.events} >= 1`),
  ],
);

// An aggregate's positions and row numbers per segment, so a load reads only the pages that hold them.
export const archiveAggregateSegments = pgTable(
  'archive_aggregate_segments',
  {
    aggregateId: uuid('aggregate_id').notNull(),
    aggregateType: text('aggregate_type').notNull(),
    segmentId: bigint('segment_id', { mode: 'number' }).notNull().references(() => archiveSegments.id, { onDelete: 'cascade' }),
    firstSequence: bigint('first_sequence', { mode: 'number' }).notNull(),
    lastSequence: bigint('last_sequence', { mode: 'number' }).notNull(),
    positions: bigint('positions', { mode: 'number' }).array().notNull(),
    rows: integer('rows').array().notNull(),
  },
  (t) => [
    primaryKey({ name: 'archive_aggregate_segments_pkey', columns: [t.aggregateId, t.aggregateType, t.segmentId] }),
    index('archive_aggregate_segments_segment_idx').on(t.segmentId),
  ],
);
