import { performance } from 'node:perf_hooks';
import type { Sql } from '../postgres/database.ts';

/** 0.8 of the lease from when its request left: a clock up to 20% slow, or a late answer, stops before the row expires. */
export const leaseValidUntil = (sentAt: number, leaseMs: number) => sentAt + leaseMs * 0.8;

/** Renewal falls due at 0.4 of the lease after the last request, leaving as long again for its answer. */
export const untilRenewal = (validUntil: number, leaseMs: number, now: number) => Math.max(0, validUntil - leaseMs * 0.4 - now);

export interface LeaseOptions {
  /** A connection of the lease holder's own. */
  sql: Sql;
  name: string;
  /** Who asks: unique per process and start. */
  owner: string;
  leaseMs: number;
  clock?: () => number;
}

export type LeaseResult = { held: true; taken: boolean; checkpoint: number } | { held: false; checkpoint: number };

// One publisher per database: a lease on a relay_checkpoints row, expiring by PostgreSQL's clock. held() reads the
// holder's monotonic clock, so it turns false before the row can expire.
export function createLease({ sql, name, owner, leaseMs, clock = () => performance.now() }: LeaseOptions) {
  let validUntil = 0;
  return {
    held: () => clock() < validUntil,
    untilRenewal: () => untilRenewal(validUntil, leaseMs, clock()),
    /** Takes or renews the lease; `checkpoint` is the row's position either way. */
    async acquire(): Promise<LeaseResult> {
      const sentAt = clock();
      const wasHeld = sentAt < validUntil;
      const rows = await sql<{ position: string }[]>`
        update relay_checkpoints
        set owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
        where name = ${name} and (owner = ${owner} or owner is null or lease_until < now())
        returning position`;
      if (rows.length === 0) {
        validUntil = 0;
        const [row] = await sql<{ position: string }[]>`select position from relay_checkpoints where name = ${name}`;
        return { held: false, checkpoint: Number(row?.position ?? 0) };
      }
      validUntil = leaseValidUntil(sentAt, leaseMs);
      return { held: true, taken: !wasHeld, checkpoint: Number(rows[0]!.position) };
    },
    async release(): Promise<void> {
      validUntil = 0;
      await sql`update relay_checkpoints set owner = null, lease_until = null where name = ${name} and owner = ${owner}`;
    },
  };
}

export type Lease = ReturnType<typeof createLease>;
