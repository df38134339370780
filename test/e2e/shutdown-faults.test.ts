import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/postgres/free-port.ts';
import { testRedisUrl } from '../support/env.ts';
import { startServiceProcess, type ServiceProcess } from '../support/process.ts';
import { createTestDatabase, newChannelPrefix } from '../support/service.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { waitUntil } from '../support/wait.ts';

// README, Configuration: requests in flight get SHUTDOWN_TIMEOUT_MS, the steps after them
// max(SHUTDOWN_TIMEOUT_MS, 5 s) in all; the margin is for a process start-up on a busy machine.
const SHUTDOWN_TIMEOUT_MS = 2_000;
const BOUND_MS = SHUTDOWN_TIMEOUT_MS + Math.max(SHUTDOWN_TIMEOUT_MS, 5_000) + 3_000;

const opened: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await Promise.resolve().then(close).catch(() => {});
});

/**
 * A proxy to PostgreSQL that resets connections through it, as a NAT or firewall dropping flows
 * does; never the circuit breaker's probe's (application_name event-service-probe), whose failure
 * would fail every query in flight, a lost one too, and hide it.
 */
async function startResettingProxy(target: { host?: string; port: number }) {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.host ?? '127.0.0.1', port: target.port });
    const pair: [Socket, Socket] = [client, upstream];
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    for (const s of pair) s.on('error', drop).on('close', drop);
    // The startup message, the client's first, names the application.
    client.once('data', (startup: Buffer) => startup.includes('event-service-probe') || pairs.add(pair));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    /** Resets one connection, picked at random: the service gets ECONNRESET on it. */
    resetOne() {
      const pair = [...pairs][Math.floor(Math.random() * pairs.size)];
      if (!pair) return;
      pairs.delete(pair);
      pair[0].resetAndDestroy();
      pair[1].destroy();
    },
    close: () => {
      for (const pair of pairs) for (const s of pair) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writers appending one event at a time until stopped; a 503 is an answer like any other. */
function startWriters(base: string, writers: number) {
  const stopped = new AbortController();
  let answered = 0;
  const writer = async () => {
    while (!stopped.signal.aborted) {
      try {
        const res = await fetch(`${base}/events`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, signal: stopped.signal,
          body: JSON.stringify({ event_type: 'load.happened', aggregate_id: randomUUID(), payload: { pad: 'x'.repeat(Math.floor(Math.random() * 4000)) } }),
        });
        await res.text();
        answered++;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const running = Promise.all(Array.from({ length: writers }, writer));
  return {
    answered: () => answered,
    /** Stops writing; requests still waiting for an answer are given up. */
    stop: async () => {
      stopped.abort();
      await running;
    },
  };
}

async function startService(databaseUrl: string): Promise<ServiceProcess> {
  const p = await startServiceProcess({
    DATABASE_URL: databaseUrl, REDIS_URL: testRedisUrl, REDIS_CHANNEL_PREFIX: newChannelPrefix(),
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), LOG_LEVEL: 'info',
  }, await freePort());
  opened.push(() => p.child.exitCode === null && p.child.kill('SIGKILL'));
  return p;
}

/** Sends SIGTERM and waits, up to BOUND_MS, for the process to end; resolves to its exit code (undefined: still running). */
async function terminate(p: ServiceProcess): Promise<number | null | undefined> {
  p.child.kill('SIGTERM');
  let code: number | null | undefined;
  void p.exited.then((c) => (code = c));
  await waitUntil(() => code !== undefined, BOUND_MS);
  return code;
}

describe('SIGTERM after PostgreSQL faults', () => {
  it('after 16 writers ran while connections to PostgreSQL were being reset one by one, SIGTERM stops the process cleanly and it exits 0 in time', async () => {
    const url = new URL(await createTestDatabase());
    const proxy = await startResettingProxy({ host: url.hostname, port: Number(url.port || 5432) });
    opened.push(() => proxy.close());
    url.host = `127.0.0.1:${proxy.port}`;
    const p = await startService(url.href);

    const writers = startWriters(p.url, 16);
    // An append that fails on a reset connection frees it for the request queued behind: the
    // moment a query could go to the dead socket and wait forever.
    const resetting = setInterval(() => proxy.resetOne(), 50);
    await new Promise((r) => setTimeout(r, 6_000));
    clearInterval(resetting);
    await writers.stop();
    expect(writers.answered()).toBeGreaterThan(0);

    const code = await terminate(p);
    expect(code, `still running ${BOUND_MS} ms after SIGTERM:\n${p.output().slice(-3000)}`).not.toBeUndefined();
    expect(p.output()).not.toContain('abandoned');
    expect(code).toBe(0);
    expect(p.output()).toContain('"msg":"stopped"');
  }, 45_000);

  it('while PostgreSQL answers nothing at all, the steps that wait on it are abandoned by name at their deadline and the process exits 1 in time', async () => {
    const url = new URL(await createTestDatabase());
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    opened.push(() => proxy.close());
    url.host = `127.0.0.1:${proxy.port}`;
    const p = await startService(url.href);
    const writers = startWriters(p.url, 4);
    try {
      expect(await waitUntil(() => writers.answered() >= 50, 10_000)).toBe(true);
      proxy.blackhole();
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      void writers.stop();
    }

    const code = await terminate(p);
    expect(code, `still running ${BOUND_MS} ms after SIGTERM:\n${p.output().slice(-3000)}`).not.toBeUndefined();
    expect(p.output()).toMatch(/shutdown step \\"[^"\\]+\\" did not finish in time; abandoned/);
    expect(code).toBe(1);
  }, 45_000);
});
