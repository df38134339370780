import type { Circuit, RunState } from './circuit.ts';
import type { Sql } from './database.ts';

/**
 * Clients of exactly one connection each, handed out to one user at a time, the most recently
 * released first, with a FIFO line of waiters when all are in use (what pgbouncer and pg-pool
 * do). postgres.js's own pool hands a query to the connection idle the longest, so once a burst
 * has opened them all, one client's statements go to each backend in turn (a 100-event GET
 * took 0.84–1.01 ms that way here against 0.51–0.82 ms, an append 1.07–1.21 against 0.55 ms;
 * bench/README.md, "third session"); and when none is free it queues a statement behind a busy
 * connection. A client whose connection broke reconnects on its next query (postgres.js).
 */
export interface Connections {
  readonly size: number;
  /**
   * Runs `fn` on a connection of its own for as long as `fn` runs. A free connection is taken
   * before use() returns and given back before its promise settles, so stats() is current.
   * Through a circuit, use() fails at once while the server is known down.
   */
  use<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** Connections in use, and users waiting for one. */
  stats(): { inUse: number; waiting: number };
  /**
   * Connections whose reads see every event up to `position`: a replica only once it has
   * replayed that far (replica-reads.ts). Absent where reads see every commit (the primary).
   */
  atLeast?(position: number): Connections;
  /** Where writes go when it is not here (reads on a replica: the primary's connections). */
  writes?: Connections;
}

/** A postgres.js client of the caller's own, used as it is (it pools by itself). */
export function sqlConnections(sql: Sql, circuit?: Circuit): Connections {
  return {
    size: Number.POSITIVE_INFINITY,
    use: (fn) => (circuit ? circuit.run(() => fn(sql)) : fn(sql)),
    stats: () => ({ inUse: 0, waiting: 0 }),
  };
}

/** Connections over the given clients (each should hold one connection). */
export function createConnections(clients: Sql[], circuit?: Circuit): Connections {
  const idle = [...clients].reverse(); // the first client on top
  const waiters: ((sql: Sql) => void)[] = [];
  const release = (sql: Sql) => {
    const next = waiters.shift();
    if (next) next(sql);
    else idle.push(sql);
  };
  async function take<T>(fn: (sql: Sql) => Promise<T>, run?: RunState): Promise<T> {
    const sql = idle.pop() ?? (await new Promise<Sql>((resolve) => waiters.push(resolve)));
    try {
      // Given up on while in line (the server was found down): nothing may start now.
      if (run?.abandoned) throw new Error('abandoned: the server was found down');
      return await fn(sql);
    } finally {
      release(sql);
    }
  }
  return {
    size: clients.length,
    use: (fn) => (circuit ? circuit.run((run) => take(fn, run)) : take(fn)),
    stats: () => ({ inUse: clients.length - idle.length, waiting: waiters.length }),
  };
}
