import { dropPartition, type Partition, removeEvents } from '../store/hot-tier.ts';
import type { TypePlan } from './archive-plan.ts';
import { type ArchiveContext, checkAborted, paced, type Tx } from './archive-context.ts';
import { insertSegments } from './manifest.ts';
import { eventJsonLength, type SegmentRow } from './segment-row.ts';
import { writeSegment, type WrittenSegment } from './segment-writer.ts';

// The events read at a time: this many, or fewer that reach PAGE_BYTES.
const PAGE = 5_000;
const PAGE_BYTES = 16 * 1024 * 1024;

interface Deletion {
  type: string;
  from: number;
  to: number;
}

/**
 * One partition's share of a run: segments written and verified, then one transaction commits
 * their manifest rows and removes the events; a fully accounted partition is dropped instead.
 */
export async function archivePartition(ctx: ArchiveContext, partition: Partition, plans: TypePlan[], published: number): Promise<void> {
  const segments: WrittenSegment[] = [];
  const deletions: Deletion[] = [];
  for (const plan of plans) {
    if (plan.first === null) continue;
    const from = Math.max(partition.from, plan.first);
    const deleteTo = Math.min(partition.to, plan.deleteBefore);
    if (from < deleteTo) deletions.push({ type: plan.aggregateType, from, to: deleteTo });
    const archiveFrom = Math.max(from, plan.deleteBefore);
    const archiveTo = Math.min(partition.to, plan.archiveBefore);
    if (archiveFrom < archiveTo) segments.push(...(await writeSegments(ctx, plan.aggregateType, archiveFrom, archiveTo)));
  }
  if (segments.length === 0 && deletions.length === 0) return;
  checkAborted(ctx);

  const archived = segments.reduce((n, s) => n + s.events, 0);
  let deleted: number | null = null;
  if (partition.to - 1 <= published) {
    const counts = await Promise.all(deletions.map((d) => ctx.hot.count(d.type, d.from, d.to)));
    const due = counts.reduce((n, c) => n + c, 0);
    if (due + archived === (await ctx.hot.partitionRows(partition.name))) deleted = due;
  }
  if (deleted !== null) {
    try {
      await paced(ctx, () => commitDrop(ctx, segments, deletions, { partition, archived, deleted }));
      await ctx.onStep?.('committed');
      await ctx.progress({ archived, deleted, segments: segments.length, bytes: segments.reduce((n, s) => n + s.bytes, 0) });
      return;
    } catch (error) {
      if (!isDropRefusal(error)) throw error;
      ctx.logger.warn({ partition: partition.name, err: (error as Error).message }, 'archive: could not drop the partition; removing its rows instead');
    }
  }
  if (deletions.length > 0) {
    const removed = await paced(ctx, () => ctx.sql.begin(async (tx: Tx) => {
      await ctx.fence(tx);
      let n = 0;
      for (const d of deletions) n += await removeEvents(tx, d.type, d.from, d.to, 'deleted');
      return n;
    }) as Promise<number>);
    await ctx.progress({ deleted: removed });
  }
  for (const s of segments) {
    await paced(ctx, () => ctx.sql.begin(async (tx: Tx) => {
      await ctx.fence(tx);
      await insertSegments(tx, ctx.runId, [s]);
      const removed = await removeEvents(tx, s.aggregateType, s.fromPosition, s.toPosition + 1, 'archived');
      if (removed !== s.events) throw new Error(`segment ${s.key} holds ${s.events} events but ${removed} were in PostgreSQL; nothing committed`);
      await ctx.onStep?.('committing');
    }));
    await ctx.onStep?.('committed');
    await ctx.progress({ archived: s.events, segments: 1, bytes: s.bytes });
  }
  // Not waiting for autovacuum: until then reads of these types would step over the removed rows.
  await paced(ctx, () => ctx.hot.vacuum(partition.name));
}

async function writeSegments(ctx: ArchiveContext, type: string, from: number, to: number): Promise<WrittenSegment[]> {
  const written: WrittenSegment[] = [];
  let rows: SegmentRow[] = [];
  let bytes = 0;
  const flush = async () => {
    if (rows.length === 0) return;
    checkAborted(ctx);
    written.push(await writeSegment({ storage: ctx.storage, codec: ctx.codec, rows, runId: ctx.runId, rowGroupSize: ctx.rowGroupSize, onStep: ctx.onStep }));
    rows = [];
    bytes = 0;
  };
  let after = from - 1;
  for (;;) {
    checkAborted(ctx);
    const page = await paced(ctx, () => ctx.hot.readRows(type, after, to, PAGE, PAGE_BYTES));
    if (page.length === 0) break;
    for (const row of page) {
      const last = rows[rows.length - 1];
      const size = eventJsonLength(row);
      const full = rows.length >= ctx.segmentSize.events || bytes + size > ctx.segmentSize.bytes;
      if (last && (full || last.created_at.slice(0, 10) !== row.created_at.slice(0, 10))) await flush();
      rows.push(row);
      bytes += size;
    }
    after = page[page.length - 1]!.position;
  }
  await flush();
  return written;
}

/** Manifest rows, deletions and detach in one transaction; DETACH holds ACCESS EXCLUSIVE until commit, so it comes last. */
async function commitDrop(ctx: ArchiveContext, segments: WrittenSegment[], deletions: Deletion[], drop: { partition: Partition; archived: number; deleted: number }): Promise<void> {
  await ctx.sql.begin(async (tx: Tx) => {
    await ctx.fence(tx);
    await insertSegments(tx, ctx.runId, segments);
    if (drop.archived === 0) {
      // Every row is past retention: the drop records the deletion and moves the aggregates' first retained sequences.
      await tx`set local lock_timeout = '2s'`;
      await dropPartition(tx, drop.partition.name, drop.deleted, 'deleted');
    } else {
      for (const d of deletions) await removeEvents(tx, d.type, d.from, d.to, 'deleted');
      await tx`set local lock_timeout = '2s'`;
      await dropPartition(tx, drop.partition.name, drop.archived, 'archived');
    }
    await ctx.onStep?.('committing');
  });
}

function isDropRefusal(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return code === '55P03' || code === '55000';
}
