import type { Circuit, RunState } from './circuit.ts';
import type { Sql } from './database.ts';

/**
 * Clients of one connection each, lent one user at a time, most recently released first, FIFO
 * waiters: postgres.js's own pool spreads a client's statements over every backend in turn.
 */
export interface Connections {
  readonly size: number;
  /** Runs `fn` on a connection of its own; taken before use() returns and given back before it settles. */
  use<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  stats(): { inUse: number; waiting: number };
  /** Connections that see every event up to `position` (a replica once it has replayed that far). */
  atLeast?(position: number): Connections;
  writes?: Connections;
}

export function sqlConnections(sql: Sql, circuit?: Circuit): Connections {
  return {
    size: Number.POSITIVE_INFINITY,
    use: (fn) => (circuit ? circuit.run(() => fn(sql)) : fn(sql)),
    stats: () => ({ inUse: 0, waiting: 0 }),
  };
}

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
