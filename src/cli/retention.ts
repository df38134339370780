import { UsageError } from './commands.ts';
import { request, type Target, withRetries, writeOut } from './http.ts';

const ACTIONS = ['list', 'get', 'set', 'delete'] as const;

/** The /retention routes; `set` replaces the whole policy (a duration left out or "never" is null). */
export async function retention(t: Target, action: string | undefined, type: string | undefined, durations: { archive_after?: string; delete_after?: string }, retries: number): Promise<void> {
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) throw new UsageError(`retention needs one of ${ACTIONS.join(', ')}`);
  if (action !== 'list' && !type) throw new UsageError(`retention ${action} needs an aggregate type`);
  if (action !== 'set' && (durations.archive_after !== undefined || durations.delete_after !== undefined)) throw new UsageError('--archive_after and --delete_after go with set');
  const call = (path: string, init: RequestInit = {}) =>
    withRetries(() => request(t, path, init), retries, (e, n) => process.stderr.write(`retention: ${e.message}; retry ${n} of ${retries}\n`));
  const path = `/retention/${encodeURIComponent(type ?? '')}`;
  const never = (v: string | undefined) => (v === undefined || v === 'never' ? null : v);
  switch (action) {
    case 'list':
      return print(await call('/retention'));
    case 'get':
      return print(await call(path));
    case 'set': {
      const body = JSON.stringify({ archive_after: never(durations.archive_after), delete_after: never(durations.delete_after) });
      return print(await call(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body }));
    }
    default:
      await call(path, { method: 'DELETE' });
      await writeOut(`${type}: no policy; its events are kept forever\n`);
  }
}

async function print(res: Response) {
  await writeOut(`${JSON.stringify(await res.json(), null, 2)}\n`);
}
