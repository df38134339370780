import type { TypePlan } from './archive-plan.ts';
import { type ArchiveContext, checkAborted } from './archive-context.ts';
import { deleteSegmentFiles } from './archive-sweep.ts';
import { forgetSegments } from './manifest.ts';

const BATCH = 100;

/**
 * Deletes archived segments whose every event is past delete_after: manifest rows in one
 * transaction, then the files. Segments are cut per UTC day, so one partly past retention waits.
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
