import { type ArchiveContext, checkAborted } from './archive-context.ts';
import { manifestKeys } from './manifest.ts';
import { parseSegmentKey, SEGMENTS_PREFIX, sidecarKey } from './segment-keys.ts';

/**
 * Removes segment files no manifest row names (a run stopped before committing; their events are
 * still in PostgreSQL). Files of a run in progress are left alone. Returns how many were removed.
 */
export async function sweepOrphans(ctx: ArchiveContext): Promise<number> {
  const objects = await ctx.storage.list(SEGMENTS_PREFIX);
  const known = await manifestKeys(ctx.sql);
  const orphans = objects.map((o) => ({ key: o.key, parsed: parseSegmentKey(o.key) })).filter((o) => o.parsed && !known.has(o.parsed.segmentKey));
  if (orphans.length === 0) return 0;
  const runIds = [...new Set(orphans.map((o) => o.parsed!.runId))];
  const rows = await ctx.sql<{ id: string; status: string }[]>`select id, status from archive_runs where id = any(${runIds}::uuid[])`;
  const finished = new Set(rows.filter((r) => r.status !== 'running' && r.id !== ctx.runId).map((r) => r.id));
  let removed = 0;
  for (const o of orphans) {
    if (!finished.has(o.parsed!.runId)) continue;
    checkAborted(ctx);
    await ctx.storage.delete(o.key);
    removed++;
  }
  if (removed > 0) ctx.logger.info({ removed }, 'archive: removed orphan segment files of runs that did not commit them');
  return removed;
}

export async function deleteSegmentFiles(ctx: Pick<ArchiveContext, 'storage'>, key: string): Promise<void> {
  await ctx.storage.delete(key);
  await ctx.storage.delete(sidecarKey(key));
}
