import { AppError } from '../errors.ts';
import { uuidv7 } from '../events/uuid.ts';
import type { Logger } from '../observability/logger.ts';
import type { Connections, Sql } from '../postgres/database.ts';
import { postgresErrorOf } from '../postgres/errors.ts';
import type { HotTier } from '../store/hot-tier.ts';
import { type ArchiveContext, type RunProgress, RunAborted, type SegmentSize } from './archive-context.ts';
import type { TypePreview } from './archive-plan.ts';
import { previewArchive, runArchive } from './archiver.ts';
import type { ObjectStorage } from './object-storage.ts';
import type { RetentionPolicies } from './policies.ts';
import { createSegmentCodec, type SegmentCodec } from './segment-codec.ts';
import type { OnStep } from './segment-writer.ts';

export interface ArchiveRun {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  dry_run: boolean;
  trigger: 'schedule' | 'request';
  archived: number;
  deleted: number;
  segments: number;
  bytes: number;
  planned: number | null;
  plan: TypePreview[] | null;
  error: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface RunObserver {
  started?(): void;
  progressed(p: RunProgress): void;
  finished(run: ArchiveRun | undefined, error?: unknown): void;
}

export interface ArchiveRunsOptions {
  sql: Sql;
  /** The runs' own bookkeeping (heartbeat, progress, outcome). */
  control: Sql;
  /** What answers requests (start, get, list): fails at once while PostgreSQL is known down. */
  requests: Pick<Connections, 'use'>;
  hot: HotTier;
  storage: ObjectStorage;
  policies: RetentionPolicies;
  owner: string;
  /** A run not renewed for this long is taken to have died with its instance. */
  leaseMs: number;
  segmentSize: SegmentSize;
  rowGroupSize?: number;
  busy?: number;
  logger: Logger;
  onStep?: OnStep;
  observer?: RunObserver;
  createCodec?: () => SegmentCodec;
}

const TIME = (c: string) => `to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${c}`;

/**
 * Archive runs. A real run's row, while running, is the lease (a unique index admits one across
 * instances); every commit first checks the row is still running, so a run presumed dead commits nothing.
 */
export function createArchiveRuns(options: ArchiveRunsOptions) {
  const { control, requests, logger } = options;
  const tasks = new Map<string, { abort: AbortController; done: Promise<void> }>();
  const columns = `id, case when status = 'running' and updated_at < now() - $2::int * interval '1 millisecond' then 'failed' else status end as status,
    dry_run, trigger, archived, deleted, segments, bytes, planned, plan,
    case when status = 'running' and updated_at < now() - $2::int * interval '1 millisecond' then 'its instance stopped during the run' else error end as error,
    ${TIME('started_at')}, ${TIME('updated_at')}, ${TIME('finished_at')}`;
  type RunRow = Omit<ArchiveRun, 'archived' | 'deleted' | 'bytes' | 'planned'> & Record<'archived' | 'deleted' | 'bytes' | 'planned', string | null>;
  const runOf = (r: RunRow): ArchiveRun => ({ ...r, archived: Number(r.archived), deleted: Number(r.deleted), bytes: Number(r.bytes), planned: r.planned === null ? null : Number(r.planned) });
  const read = async (sql: Sql, where: string, param: string | number): Promise<ArchiveRun[]> =>
    (await sql.unsafe<RunRow[]>(`select ${columns} from archive_runs ${where}`, [param, options.leaseMs])).map(runOf);
  const get = (id: string) => requests.use(async (sql) => (await read(sql, 'where id = $1', id))[0]);

  async function execute(id: string, dryRun: boolean, abort: AbortController) {
    const heartbeat = setInterval(() => {
      control`update archive_runs set updated_at = now() where id = ${id} and status = 'running' returning id`
        .then((rows) => rows.length === 0 && abort.abort('another instance took over: this run was presumed dead'))
        .catch(() => {});
    }, Math.max(50, options.leaseMs * 0.3));
    let codec: SegmentCodec | undefined;
    let failure: unknown;
    try {
      if (dryRun) {
        const plan = await previewArchive({ sql: options.sql, hot: options.hot, segmentSize: options.segmentSize }, options.policies);
        await control`update archive_runs set plan = ${JSON.stringify(plan.types)}::text::jsonb, planned = ${plan.total} where id = ${id}`;
      } else {
        codec = lazyCodec(options.createCodec ?? createSegmentCodec);
        await runArchive(context(id, codec, abort.signal), options.policies, async (plan) => {
          await control`update archive_runs set plan = ${JSON.stringify(plan.types)}::text::jsonb, planned = ${plan.total}, updated_at = now() where id = ${id}`;
        });
      }
    } catch (error) {
      failure = error;
      if (!(error instanceof RunAborted)) logger.warn({ err: (error as Error).message, run: id }, 'archive run failed');
    } finally {
      clearInterval(heartbeat);
      await codec?.close();
    }
    const message = failure === undefined ? null : (failure as Error).message;
    await control`update archive_runs set status = ${failure === undefined ? 'succeeded' : 'failed'}, error = ${message},
      finished_at = now(), updated_at = now() where id = ${id} and status = 'running'`.catch(() => {});
    options.observer?.finished(await read(control, 'where id = $1', id).then(([run]) => run, () => undefined), failure);
  }

  function context(runId: string, codec: SegmentCodec, signal: AbortSignal): ArchiveContext {
    return {
      runId, sql: options.sql, hot: options.hot, storage: options.storage, codec, signal, logger, busy: options.busy ?? 1,
      segmentSize: options.segmentSize, rowGroupSize: options.rowGroupSize, onStep: options.onStep,
      async fence(tx) {
        const rows = await tx`update archive_runs set updated_at = now() where id = ${runId} and status = 'running' returning id`;
        if (rows.length === 0) throw new RunAborted('another instance took over: this run was presumed dead');
      },
      async progress(p) {
        await control`update archive_runs set archived = archived + ${p.archived ?? 0}, deleted = deleted + ${p.deleted ?? 0},
          segments = segments + ${p.segments ?? 0}, bytes = bytes + ${p.bytes ?? 0}, updated_at = now() where id = ${runId}`;
        options.observer?.progressed(p);
      },
    };
  }

  return {
    /** Starts a run in this instance; a real run while another is going answers archive_run_in_progress. */
    async start(trigger: ArchiveRun['trigger'], dryRun: boolean): Promise<ArchiveRun> {
      const id = uuidv7();
      const run = await requests.use(async (sql) => {
        await sql`update archive_runs set status = 'failed', error = 'its instance stopped during the run', finished_at = now()
          where status = 'running' and updated_at < now() - ${options.leaseMs} * interval '1 millisecond'`;
        try {
          // Answered by the statement that stores it: a read after it could fail (another pooled
          // connection cut off by the server), answering 503 for a run that starts all the same.
          const [row] = await sql.unsafe<RunRow[]>(
            `insert into archive_runs (id, status, dry_run, trigger, owner) values ($1, 'running', $3, $4, $5) returning ${columns}`,
            [id, options.leaseMs, dryRun, trigger, options.owner]);
          return runOf(row!);
        } catch (error) {
          if (postgresErrorOf(error)?.constraint_name !== 'archive_runs_one_running_idx') throw error;
          const [running] = await read(sql, `where status = 'running' and not dry_run and id <> $1::uuid`, id);
          throw new AppError('archive_run_in_progress', `archive run ${running?.id ?? '(just finished)'} is in progress; one runs at a time`, { run_id: running?.id ?? null });
        }
      });
      const abort = new AbortController();
      const done = execute(id, dryRun, abort).finally(() => tasks.delete(id));
      tasks.set(id, { abort, done });
      options.observer?.started?.();
      return run;
    },
    get,
    list: (limit: number) => requests.use((sql) => read(sql, 'where $1::int > 0 order by started_at desc limit $1', limit)),
    /** The latest run that was not a dry run, as /health reports it. */
    lastReal: () => requests.use(async (sql) => (await read(sql, 'where not dry_run and $1::int > 0 order by started_at desc limit $1', 1))[0]),
    async wait(id: string): Promise<ArchiveRun | undefined> {
      await tasks.get(id)?.done;
      return get(id);
    },
    running: () => tasks.size,
    async stop(): Promise<void> {
      for (const t of tasks.values()) t.abort.abort('the service is stopping');
      await Promise.all([...tasks.values()].map((t) => t.done));
    },
  };
}

export type ArchiveRuns = ReturnType<typeof createArchiveRuns>;

// The codec's worker thread starts with the first segment: a run with nothing to archive needs none.
function lazyCodec(create: () => SegmentCodec): SegmentCodec {
  let codec: SegmentCodec | undefined;
  return {
    encode: (rows, rowGroupSize) => (codec ??= create()).encode(rows, rowGroupSize),
    inspect: (bytes) => (codec ??= create()).inspect(bytes),
    close: async () => codec?.close(),
  };
}
