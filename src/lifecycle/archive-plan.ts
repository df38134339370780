import type { Sql } from '../postgres/database.ts';
import type { HotTier } from '../store/hot-tier.ts';
import { segmentsCreatedBefore, type SegmentEntry } from './manifest.ts';
import type { SegmentSize } from './archive-context.ts';
import type { RetentionPolicy } from './policies.ts';

/**
 * A run's bounds for one type on the hot tier (created_at never decreases along position): delete
 * [first, deleteBefore), archive [deleteBefore, archiveBefore); both stop at the published position.
 */
export interface TypePlan {
  aggregateType: string;
  first: number | null;
  deleteBefore: number;
  archiveBefore: number;
  deleteCutoff: bigint | null;
  segmentsDue: SegmentEntry[];
}

export interface TypePreview {
  aggregate_type: string;
  archive_after: string | null;
  delete_after: string | null;
  archive: { events: number; segments: number };
  delete: { hot_events: number; archived_events: number; segments: number };
}

export async function planRun(sql: Sql, hot: HotTier, policies: RetentionPolicy[]): Promise<TypePlan[]> {
  const published = await hot.publishedPosition();
  const plans: TypePlan[] = [];
  for (const p of policies) {
    if (p.archive_after === null && p.delete_after === null) continue;
    const first = await hot.firstPosition(p.aggregate_type);
    const deleteCutoff = p.delete_after === null ? null : await hot.cutoff(p.delete_after);
    const archiveCutoff = p.archive_after === null ? null : await hot.cutoff(p.archive_after);
    const bound = async (cutoff: bigint | null) => (cutoff === null || first === null ? (first ?? 0) : Math.min(published + 1, await hot.positionAt(cutoff)));
    const deleteBefore = await bound(deleteCutoff);
    const archiveBefore = Math.max(deleteBefore, await bound(archiveCutoff));
    const segmentsDue = deleteCutoff === null ? [] : await segmentsCreatedBefore(sql, p.aggregate_type, deleteCutoff);
    plans.push({ aggregateType: p.aggregate_type, first, deleteBefore, archiveBefore, deleteCutoff, segmentsDue });
  }
  return plans;
}

/** Counts for a plan (a dry run's answer, and a run's expected total); a real run paces the counting. */
export async function previewPlan(hot: HotTier, plans: TypePlan[], policies: RetentionPolicy[], segmentSize: SegmentSize, pace: <T>(work: () => Promise<T>) => Promise<T> = (w) => w()): Promise<TypePreview[]> {
  const starts = (await hot.partitions()).map((p) => p.from);
  const previews: TypePreview[] = [];
  for (const t of plans) previews.push(await pace(async () => {
    const policy = policies.find((p) => p.aggregate_type === t.aggregateType)!;
    const from = t.first ?? 0;
    const archiveFrom = Math.max(from, t.deleteBefore);
    const archived = t.first === null || archiveFrom >= t.archiveBefore ? { events: 0, segments: 0 } : await hot.segmentEstimate(t.aggregateType, archiveFrom, t.archiveBefore, starts, segmentSize);
    return {
      aggregate_type: t.aggregateType, archive_after: policy.archive_after, delete_after: policy.delete_after,
      archive: archived,
      delete: {
        hot_events: t.first === null || from >= t.deleteBefore ? 0 : await hot.count(t.aggregateType, from, t.deleteBefore),
        archived_events: t.segmentsDue.reduce((n, s) => n + s.events, 0),
        segments: t.segmentsDue.length,
      },
    };
  }));
  return previews;
}
