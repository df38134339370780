import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/postgres/free-port.ts';
import { testRedisUrl } from './env.ts';
import { BIN, startServiceProcess, type ServiceProcess } from './process.ts';
import { newChannelPrefix } from './service.ts';

export { BIN };
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A directory for a test file's NDJSON. */
export const cliDir = () => mkdtempSync(join(tmpdir(), 'evt-cli-'));

/** `events-service <args>` to its end, stdin and stdout from and to files if given. */
export const cli = (args: string[], io: { stdin?: string; stdout?: string } = {}) =>
  spawnSync(process.execPath, [...BIN, ...args], {
    cwd: ROOT,
    stdio: [io.stdin ? openSync(io.stdin, 'r') : 'ignore', io.stdout ? openSync(io.stdout, 'w') : 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 60_000,
  });

/** `events-service <args>` without blocking this process (a service may be serving in it). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `events-service <args>` whose reader closes stdout after the first chunk, as `| head -1` does. */
export function runCliUntilFirstOutput(args: string[]): Promise<{ code: number | null; first: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let first = '', stderr = '';
    child.stdout.once('data', (d) => {
      first = String(d);
      child.stdout.destroy();
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, first, stderr }));
  });
}

/** Services in processes of their own for CLI tests; stopAll() kills what is still running. */
export function serviceProcesses() {
  const running: ServiceProcess[] = [];
  return {
    async start(url: string, env: Record<string, string> = {}) {
      const p = await startServiceProcess({ DATABASE_URL: url, REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: newChannelPrefix(), ...env }, await freePort());
      running.push(p);
      return p;
    },
    stopAll() {
      for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    },
  };
}
