import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The compiled command line, as `npm start` runs it; the global setup rebuilds it (./build.ts). */
export const BIN = [join(ROOT, 'dist/main.js')];

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  /**
   * Its own process group, as a shell gives a foreground command: `process.kill(-pid, 'SIGINT')`
   * then does what Ctrl-C in a terminal does.
   */
  processGroup?: boolean;
}

/** Runs the service the way `npm start` does, in its own process, and waits until it listens. */
export async function startServiceProcess(env: Record<string, string>, port: number, options: SpawnOptions = {}): Promise<ServiceProcess> {
  const p = spawnServiceProcess(env, port, options);
  const deadline = Date.now() + 20_000;
  while (!p.output().includes('event service listening')) {
    if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`service did not start:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

/** The service process, without waiting for anything. */
export function spawnServiceProcess(env: Record<string, string>, port: number, options: SpawnOptions = {}): ServiceProcess {
  const child = spawn(process.execPath, [...BIN, 'serve'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup ?? false,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}
