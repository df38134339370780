import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface RunAs {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: as root, its programs run as `user`. */
export function runAs(user = 'postgres'): RunAs | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Runs one of PostgreSQL's programs to its end; rejects with its output when it fails. */
export function runPg(program: string, args: string[], as: RunAs | undefined, cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(join(PG_BIN, program), args, { ...(as ?? {}), cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`${program} ${args.join(' ')} failed (${code}):\n${output.slice(-2000)}`))));
  });
}

/** How to stop a server: the signals pg_ctl's smart, fast and immediate modes send. */
export type StopMode = 'smart' | 'fast' | 'immediate';
const SIGNALS = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' } as const;

export interface PostgresProcess {
  readonly running: boolean;
  start(): Promise<void>;
  stop(mode?: StopMode): Promise<void>;
  /** Sent on process exit, where nothing can be awaited. */
  killNow(): void;
}

/**
 * One postmaster on a data directory and a port, TCP on 127.0.0.1 only. `start` resolves when
 * the server says it accepts connections (read-only ones, for a standby).
 */
export function postgresProcess(dataDir: string, port: number, as: RunAs | undefined): PostgresProcess {
  let child: ChildProcess | null = null;
  let exited: Promise<unknown> = Promise.resolve();
  return {
    get running() {
      return child !== null;
    },
    async start() {
      if (child) return;
      const postmaster = spawn(join(PG_BIN, 'postgres'), ['-D', dataDir, '-p', String(port)], {
        ...(as ?? {}),
        cwd: dataDir,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LC_MESSAGES: 'C' },
      });
      child = postmaster;
      exited = new Promise((resolve) => postmaster.once('exit', resolve));
      void exited.then(() => {
        if (child === postmaster) child = null;
      });
      const tail: string[] = [];
      await new Promise<void>((ready, fail) => {
        createInterface({ input: postmaster.stderr! }).on('line', (line) => {
          if (tail.push(line) > 40) tail.shift();
          if (line.includes('database system is ready to accept')) ready();
        });
        postmaster.once('error', fail);
        postmaster.once('exit', (code) => fail(new Error(`postgres on ${port} exited (${code}) while starting:\n${tail.join('\n')}`)));
      });
    },
    async stop(mode = 'fast') {
      if (!child) return;
      child.kill(SIGNALS[mode]);
      await exited;
    },
    killNow() {
      child?.kill('SIGQUIT');
    },
  };
}
