import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

/**
 * A redis-server of the test's own on a spare port, for tests that stop Redis: the shared
 * one is never touched.
 */
export function privateRedis(port: number) {
  let child: ChildProcess | null = null;
  const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args]).stdout?.toString() ?? '';
  return {
    url: `redis://127.0.0.1:${port}`,
    /**
     * Starts the server. With `locked`, it refuses clients that do not know the password
     * until unlock(), so a test can subscribe before the service can publish.
     */
    async start({ locked = false } = {}) {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      if (locked) args.push('--requirepass', 'locked');
      child = spawn('redis-server', args, { stdio: 'ignore' });
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        if (cli(...(locked ? ['-a', 'locked', '--no-auth-warning'] : []), 'ping').includes('PONG')) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`private redis-server on ${port} did not start`);
    },
    lockedUrl: `redis://:locked@127.0.0.1:${port}`,
    unlock() {
      cli('-a', 'locked', '--no-auth-warning', 'config', 'set', 'requirepass', '');
    },
    /** Stops the server answering (SIGSTOP): connections stay open, nothing is read or written. */
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async stop() {
      child?.kill('SIGCONT');
      if (!child) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      child = null;
    },
  };
}
