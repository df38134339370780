import type { Sql } from '../postgres/database.ts';

const SAVE_EVERY_MS = 100;

/** Written only by the lease holder, at most every SAVE_EVERY_MS: a stale checkpoint only re-publishes after a crash. */
export function createCheckpoint({ sql, name, owner }: { sql: Sql; name: string; owner: string }) {
  let saved = 0;
  let savedAt = 0;
  return {
    reset(position: number) {
      saved = position;
    },
    /** Milliseconds until a save of `position` is due (0: now; Infinity: nothing to save). */
    dueIn(position: number): number {
      return position === saved ? Infinity : Math.max(0, SAVE_EVERY_MS - (Date.now() - savedAt));
    },
    async save(position: number, force = false): Promise<void> {
      if (position === saved || (!force && Date.now() - savedAt < SAVE_EVERY_MS)) return;
      await sql`update relay_checkpoints set position = ${position}, updated_at = now()
        where name = ${name} and owner = ${owner} and position < ${position}`;
      saved = position;
      savedAt = Date.now();
    },
  };
}

export type Checkpoint = ReturnType<typeof createCheckpoint>;
