import type postgres from 'postgres';
import type { Logger } from '../observability/logger.ts';
import type { Sql } from '../postgres/database.ts';
import type { HotTier } from '../store/hot-tier.ts';
import type { ObjectStorage } from './object-storage.ts';
import type { SegmentCodec } from './segment-codec.ts';
import type { OnStep } from './segment-writer.ts';

export type Tx = postgres.TransactionSql;

export interface RunProgress {
  archived?: number;
  deleted?: number;
  segments?: number;
  bytes?: number;
}

/** The most a segment holds: events, and bytes of their JSON (a whole segment is in memory while it is written). */
export interface SegmentSize {
  events: number;
  bytes: number;
}

export interface ArchiveContext {
  runId: string;
  sql: Sql;
  hot: HotTier;
  storage: ObjectStorage;
  codec: SegmentCodec;
  /** A segment ends before the event that would take it past either. */
  segmentSize: SegmentSize;
  rowGroupSize?: number;
  onStep?: OnStep;
  /** In a transaction: throws unless this run still holds the lease, so a run that lost it commits nothing. */
  fence(tx: Tx): Promise<void>;
  progress(p: RunProgress): Promise<void>;
  /** Aborted when the run must stop (lease lost, service stopping): checked between steps. */
  signal: AbortSignal;
  /** Share of the time the run may spend on PostgreSQL's side (reading and removing events); it sleeps the rest. */
  busy: number;
  logger: Pick<Logger, 'warn' | 'info'>;
}

export class RunAborted extends Error {
  override name = 'RunAborted';
}

/** Runs one step on PostgreSQL, then sleeps so such steps take at most `busy` of the run's time. */
export async function paced<T>(ctx: Pick<ArchiveContext, 'busy' | 'signal'>, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  const pause = Math.min(5_000, (performance.now() - started) * (1 / ctx.busy - 1));
  if (pause >= 1 && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, pause));
  return result;
}

export function checkAborted(ctx: Pick<ArchiveContext, 'signal'>): void {
  if (ctx.signal.aborted) throw new RunAborted(String(ctx.signal.reason ?? 'the run was stopped'));
}
