import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.ts';

export interface DatabaseOptions {
  url: string;
  /** Connections for the requests' reads (Database.read). */
  poolMax: number;
  /** Connections of the append queue's own, one per append transaction in flight (default 1). */
  appendConnections?: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
}

export type Sql = postgres.Sql;
export type Db = ReturnType<typeof createDb>;

function createDb(sql: Sql) {
  return drizzle({ client: sql, schema });
}

export interface Database {
  /**
   * A small pool for background work: replays, polling, health and metrics. Requests read
   * through `read()`, appends through `appendSql`.
   */
  sql: Sql;
  db: Db;
  /**
   * Runs `fn` on a connection of its own for as long as it runs, the most recently released one
   * first; waits for one when all `poolMax` are in use. postgres.js's own pool hands a query to
   * the connection idle the longest, so once a burst has opened them all, one client's reads
   * go to each backend in turn (a 100-event GET took 0.84–1.01 ms that way here against
   * 0.51–0.82 ms; bench/README.md, "third session"); and when none is free it queues a query
   * behind a busy one.
   */
  read<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** Read connections in use, and reads waiting for one. */
  readStats(): { inUse: number; waiting: number };
  /**
   * The append queue's connections, each a client of exactly one connection. Appends never
   * wait behind reads (postgres.js queues a query on a busy connection when none is free), and
   * a lone client's appends stay on one backend instead of going round every open pool
   * connection in turn, which costs each of them (bench/README.md, "third session").
   */
  appendSql: Sql[];
  close(timeoutSeconds?: number): Promise<void>;
}

export function createDatabase(options: DatabaseOptions): Database {
  const client = (max: number, applicationName: string) =>
    postgres(options.url, {
      max,
      connect_timeout: options.connectTimeoutSeconds,
      idle_timeout: 60,
      onnotice: () => {},
      connection: {
        application_name: applicationName,
        statement_timeout: options.statementTimeoutMs,
        // A session that dies mid-transaction must not hold the append lock for long.
        idle_in_transaction_session_timeout: 60_000,
        TimeZone: 'UTC',
      },
    });
  const sql = client(BACKGROUND_CONNECTIONS, 'event-service');
  const appendSql = Array.from({ length: options.appendConnections ?? 1 }, () => client(1, 'event-service-append'));
  const readSql = Array.from({ length: options.poolMax }, () => client(1, 'event-service-read'));
  const lanes = createLanes(readSql);
  return {
    sql,
    db: createDb(sql),
    read: lanes.use,
    readStats: lanes.stats,
    appendSql,
    close: async (timeoutSeconds = 5) => {
      await Promise.all([sql, ...appendSql, ...readSql].map((s) => s.end({ timeout: timeoutSeconds })));
    },
  };
}

/** Connections of the background pool (Database.sql). */
const BACKGROUND_CONNECTIONS = 2;

/**
 * Single-connection clients handed out last in, first out, each to one user at a time, with a
 * FIFO queue of waiters when all are in use. A client whose connection broke reconnects on its
 * next query (postgres.js), so a failure costs that query, not the lane.
 */
function createLanes(clients: Sql[]) {
  const idle = [...clients].reverse(); // the first client on top
  const waiters: ((sql: Sql) => void)[] = [];
  const release = (sql: Sql) => {
    const next = waiters.shift();
    if (next) next(sql);
    else idle.push(sql);
  };
  return {
    async use<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
      const sql = idle.pop() ?? (await new Promise<Sql>((resolve) => waiters.push(resolve)));
      try {
        return await fn(sql);
      } finally {
        release(sql);
      }
    },
    stats: () => ({ inUse: clients.length - idle.length, waiting: waiters.length }),
  };
}
