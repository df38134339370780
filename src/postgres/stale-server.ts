import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.ts';

const ownerFile = (dataDir: string) => `${dataDir}.owner`;
export const recordOwner = (dataDir: string) => writeFile(ownerFile(dataDir), `${process.pid}\n`);
export const clearOwner = (dataDir: string) => rm(ownerFile(dataDir), { force: true });

// For a data directory whose postmaster.pid remains: a dead server's file is removed (its pid may
// be reused, so never signalled); a live server whose owning service lives refuses this start;
// a live server whose service is gone is stopped cleanly so this start can take over.
export async function releaseLeftover(dataDir: string, log: Logger): Promise<void> {
  const lockFile = join(dataDir, 'postmaster.pid');
  const lock = await readFile(lockFile, 'utf8').catch(() => null);
  if (lock === null) return;
  const pid = Number(lock.split('\n')[0]);
  const isOurServer = () => describeProcess(pid)?.args.join(' ').includes(`-D ${dataDir} `) ?? false;
  if (!isOurServer()) {
    await rm(lockFile, { force: true });
    log.warn({ pid, dataDir }, 'removed a stale postmaster.pid: the PostgreSQL server that wrote it is gone');
    return;
  }
  const owner = Number((await readFile(ownerFile(dataDir), 'utf8').catch(() => '')).trim());
  // Its parent alive and the owner: in use, by another process or by another service in this one.
  if (owner > 0 && describeProcess(pid)?.ppid === owner && describeProcess(owner)) {
    const by = owner === process.pid ? 'another event service in this process' : `another event service (pid ${owner})`;
    throw new Error(`the embedded PostgreSQL in ${dataDir} is in use by ${by}. Stop that one first, or give this one its own EMBEDDED_POSTGRES_DIR.`);
  }
  log.warn({ pid, dataDir }, 'a PostgreSQL server left running on the data directory by a service that was killed; stopping it');
  // SIGINT is PostgreSQL's fast shutdown and SIGQUIT its immediate one; SIGKILL would leave its backends behind.
  process.kill(pid, 'SIGINT');
  if (await waitUntil(() => !isOurServer(), 15_000)) return;
  process.kill(pid, 'SIGQUIT');
  if (!(await waitUntil(() => !isOurServer(), 10_000))) throw new Error(`cannot stop the PostgreSQL server (pid ${pid}) on ${dataDir}`);
}

interface ProcessInfo {
  ppid: number;
  args: string[];
}

function describeProcess(pid: number): ProcessInfo | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') return null;
    return { ppid: Number(ppid), args: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean) };
  } catch {
    if (process.platform === 'linux') return null;
  }
  try {
    const line = execFileSync('ps', ['-o', 'ppid=,state=,args=', '-p', String(pid)], { encoding: 'utf8', stdio: 'pipe' }).trim();
    const [ppid, state, ...args] = line.split(/\s+/);
    return !line || state!.startsWith('Z') ? null : { ppid: Number(ppid), args };
  } catch {
    return null; // ps exits 1 when there is no such process
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
