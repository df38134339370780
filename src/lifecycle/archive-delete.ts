import type { TypePlan } from './archive-plan.ts';
import { type ArchiveContext, checkAborted } from './archive-context.ts';
import { deleteSegmentFiles } from './archive-sweep.ts';
import { forgetSegments } from './manifest.ts';

const BATCH = 100;

/**
 * Retention in the archive tier: segments whose every event is past delete_after leave the
 * manifest in one transaction (with the aggregates' first retained sequences and the removal
 * record), then their files are deleted. A segment only partly past retention is kept until
 * all of it is: segments are cut at UTC day boundaries, so an archived event outlives its
 * delete_after by less than a day plus the schedule's interval.
 */
export async function deleteDueSegments(ctx: ArchiveContext, plans: TypePlan[]): Promise<void> {
  for (const plan of plans) {
    for (let i = 0; i < plan.segmentsDue.length; i += BATCH) {
      checkAborted(ctx);
      const batch = plan.segmentsDue.slice(i, i + BATCH);
      await ctx.sql.begin(async (tx) => {
        await ctx.fence(tx);
        await forgetSegments(tx, batch.map((s) => s.id));
        await ctx.onStep?.('forgetting');
      });
      await ctx.onStep?.('forgotten');
      await ctx.progress({ deleted: batch.reduce((n, s) => n + s.events, 0) });
      for (const s of batch) await deleteSegmentFiles(ctx, s.key);
    }
  }
}
