import { type ArchiveContext, checkAborted, paced } from './archive-context.ts';
import { deleteDueSegments } from './archive-delete.ts';
import { archivePartition } from './archive-partition.ts';
import { planRun, previewPlan, type TypePreview } from './archive-plan.ts';
import { sweepOrphans } from './archive-sweep.ts';
import type { RetentionPolicies } from './policies.ts';

export interface RunPlan {
  types: TypePreview[];
  total: number;
}

/**
 * One archive run: plan, sweep orphans, delete expired segments, then archive hot partitions in
 * position order, each committed on its own so a crash loses only uncommitted segments.
 */
export async function runArchive(ctx: ArchiveContext, policies: RetentionPolicies, onPlan: (plan: RunPlan) => Promise<void>): Promise<void> {
  const list = await policies.list();
  const plans = await planRun(ctx.sql, ctx.hot, list);
  const types = await previewPlan(ctx.hot, plans, list, ctx.segmentSize, (work) => paced(ctx, work));
  await onPlan({ types, total: totalOf(types) });
  await sweepOrphans(ctx);
  await deleteDueSegments(ctx, plans);

  const published = await ctx.hot.publishedPosition();
  const working = plans.filter((p) => p.first !== null && p.first < p.archiveBefore);
  if (working.length === 0) return;
  const start = Math.min(...working.map((p) => p.first!));
  const end = Math.max(...working.map((p) => p.archiveBefore));
  for (const partition of await ctx.hot.partitions()) {
    if (partition.to <= start || partition.from >= end) continue;
    checkAborted(ctx);
    await archivePartition(ctx, partition, working, published);
  }
}

export async function previewArchive(ctx: Pick<ArchiveContext, 'sql' | 'hot' | 'segmentSize'>, policies: RetentionPolicies): Promise<RunPlan> {
  const list = await policies.list();
  const types = await previewPlan(ctx.hot, await planRun(ctx.sql, ctx.hot, list), list, ctx.segmentSize);
  return { types, total: totalOf(types) };
}

const totalOf = (types: TypePreview[]) => types.reduce((n, t) => n + t.archive.events + t.delete.hot_events + t.delete.archived_events, 0);
