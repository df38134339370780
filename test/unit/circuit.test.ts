import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createCircuit } from '../../src/postgres/circuit.ts';
import { createConnections } from '../../src/postgres/connections.ts';
import type { Sql } from '../../src/postgres/database.ts';
import { isUnavailable, UnreachableError } from '../../src/postgres/errors.ts';
import { createServerSockets, type SocketTarget } from '../../src/postgres/sockets.ts';
import { adminDatabaseUrl } from '../support/env.ts';
import { waitUntil } from '../support/wait.ts';

const never = () => new Promise<never>(() => {});

/** A circuit whose probe answers while `server.answers` holds, and never otherwise. */
function circuitOver(server: { answers: boolean; probes: number }) {
  return createCircuit({
    server: 'test', afterMs: 20, timeoutMs: 50, intervalMs: 10,
    probe: async () => {
      server.probes++;
      if (!server.answers) await never();
    },
  });
}

describe('the circuit of a server', () => {
  it('fails an operation without an answer, and every other in flight, once a probe gets none; then fails new ones without running them', async () => {
    const server = { answers: false, probes: 0 };
    const circuit = circuitOver(server);
    const first = circuit.run(never);
    const second = circuit.run(never);
    await expect(first).rejects.toBeInstanceOf(UnreachableError);
    await expect(second).rejects.toBeInstanceOf(UnreachableError);
    expect(circuit.up).toBe(false);
    let ran = false;
    const refused = await circuit.run(async () => (ran = true)).catch((e: unknown) => e);
    expect(isUnavailable(refused)).toBe(true);
    expect(ran).toBe(false);
    circuit.stop();
  });

  it('does not take its own busy event loop for a silent server: an answer that arrived meanwhile counts', async () => {
    const sql = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
    await sql`select 1`;
    let failed = 0;
    let answered = 0;
    // The answer (100 ms after the probe leaves) and the probe's 200 ms timeout both fall inside
    // the busy second below, so when it ends both are pending and the answer must win. The test
    // waits 20 ms first so the query has surely been written (postgres.js defers its socket write
    // by a setImmediate).
    const circuit = createCircuit({ server: 'test', afterMs: 20, timeoutMs: 200, intervalMs: 10, probe: () => sql`select pg_sleep(0.1)`.then(() => answered++), onProbeFailed: () => failed++ });
    try {
      circuit.suspect();
      await new Promise((r) => setTimeout(r, 20));
      const busyUntil = Date.now() + 1000; // the server answers meanwhile; the loop reads it only afterwards
      while (Date.now() < busyUntil);
      expect(await waitUntil(() => answered + failed > 0, 2000, 5)).toBe(true);
      expect(failed).toBe(0);
      expect(circuit.up).toBe(true);
    } finally {
      circuit.stop();
      await sql.end();
    }
  });

  it('stays closed when the probe gets no answer but the server sends something on another connection meanwhile: it is busy, not gone', async () => {
    let received = 0;
    let failed = 0;
    // The probe never answers, as one starting its session on a loaded machine may not within its timeout.
    const circuit = createCircuit({ server: 'test', afterMs: 20, timeoutMs: 100, intervalMs: 10, probe: never, received: () => received, onProbeFailed: () => failed++ });
    try {
      // Silent past afterMs, so it starts a probe; bytes arrive on another connection before the probe times out.
      const slow = circuit.run(() => new Promise((resolve) => setTimeout(() => resolve('done'), 200)));
      setTimeout(() => (received += 14), 60);
      await expect(slow).resolves.toBe('done');
      expect(failed).toBe(0);
      expect(circuit.up).toBe(true);
      // With nothing from the server during the probe, it opens.
      await expect(circuit.run(never)).rejects.toBeInstanceOf(UnreachableError);
      expect(failed).toBe(1);
      expect(circuit.up).toBe(false);
    } finally {
      circuit.stop();
    }
  });

  it('lets a slow operation finish while the server answers probes', async () => {
    const server = { answers: true, probes: 0 };
    const circuit = circuitOver(server);
    const slow = circuit.run(() => new Promise((resolve) => setTimeout(() => resolve('done'), 200)));
    await expect(slow).resolves.toBe('done');
    expect(server.probes).toBeGreaterThan(0);
    expect(circuit.up).toBe(true);
    circuit.stop();
  });

  it('probes in the background while down and closes once the server answers again', async () => {
    const server = { answers: false, probes: 0 };
    const circuit = circuitOver(server);
    await circuit.run(never).catch(() => {});
    const probesWhileDown = server.probes;
    expect(await waitUntil(() => server.probes > probesWhileDown + 1, 5_000, 5)).toBe(true);
    server.answers = true;
    expect(await waitUntil(() => circuit.up, 5_000, 5)).toBe(true);
    await expect(circuit.run(async () => 'served')).resolves.toBe('served');
    circuit.stop();
  });

  it('probes at once when an operation fails as an unreachable server would', async () => {
    const server = { answers: false, probes: 0 };
    const circuit = circuitOver(server);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(circuit.run(() => Promise.reject(refused))).rejects.toBe(refused);
    expect(server.probes).toBe(1);
    expect(await waitUntil(() => !circuit.up, 5_000, 5)).toBe(true);
    circuit.stop();
  });

  it('never starts an operation that waited in line for a connection when the server was found down', async () => {
    const server = { answers: false, probes: 0 };
    const circuit = circuitOver(server);
    const connections = createConnections([{} as Sql], circuit);
    const started: string[] = [];
    const holder = connections.use(async () => {
      started.push('holder');
      return new Promise<void>((resolve) => setTimeout(resolve, 300));
    });
    const waiter = connections.use(async () => void started.push('waiter'));
    await expect(waiter).rejects.toBeInstanceOf(UnreachableError);
    await expect(holder).rejects.toBeInstanceOf(UnreachableError);
    // Once the holder's operation ends, its connection passes to the waiter, which gives it back unused.
    expect(await waitUntil(() => connections.stats().inUse === 0, 5_000, 5)).toBe(true);
    expect(started).toEqual(['holder']);
    expect(connections.stats()).toEqual({ inUse: 0, waiting: 0 });
    circuit.stop();
  });

  it('counts the bytes a server sent on all of its connections, closed ones included', async () => {
    const sockets = createServerSockets();
    const connect = () => postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {}, socket: (target: SocketTarget) => sockets.open(target) } as Parameters<typeof postgres>[1]);
    expect(sockets.received()).toBe(0);
    const first = connect();
    await first`select repeat('x', 10000)`;
    const afterQuery = sockets.received();
    expect(afterQuery).toBeGreaterThan(10_000);
    await first.end();
    expect(sockets.received()).toBe(afterQuery);
    const second = connect();
    await second`select 1`;
    expect(sockets.received()).toBeGreaterThan(afterQuery);
    await second.end();
  });
});
