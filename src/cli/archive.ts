import { didNothing, request, type Target, withRetries, writeOut } from './http.ts';
import { createProgress } from './progress.ts';

interface Run {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  archived: number;
  deleted: number;
  planned: number | null;
  error: string | null;
}

const POLL_MS = 500;

export async function archive(t: Target, dryRun: boolean, retries: number): Promise<void> {
  const retry = <T>(fn: () => Promise<T>, retryable?: (e: Error) => boolean) =>
    withRetries(fn, retries, (e, n) => process.stderr.write(`archive: ${e.message}; retry ${n} of ${retries}\n`), retryable);
  // Sent again only when it surely started nothing: a second real run would be refused as one in progress.
  const started = await retry(() => request(t, '/archive/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dry_run: dryRun }) }), didNothing);
  let run = (await started.json()) as Run;
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    while (run.status === 'running') {
      await new Promise((r) => setTimeout(r, POLL_MS));
      run = await retry(async () => (await request(t, `/archive/runs/${run.id}`)).json() as Promise<Run>);
      if (!dryRun && run.planned !== null) {
        progress ??= createProgress(`archive run ${run.id.slice(0, 8)}`, 'the planned events', run.planned);
        progress.update(run.archived + run.deleted, run.archived + run.deleted);
      }
    }
  } finally {
    progress?.stop();
  }
  await writeOut(`${JSON.stringify(run, null, 2)}\n`);
  if (run.status === 'failed') throw new Error(`run ${run.id} failed: ${run.error}`);
}
