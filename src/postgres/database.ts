import type postgres from 'postgres';
import { connectPostgres } from './url.ts';

export interface DatabaseOptions {
  url: string;
  /** Connections for requests' reads (Database.reads). */
  poolMax: number;
  /** Connections for appends (Database.appends), one per transaction in flight; default 1. */
  appendConnections?: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
}

export type Sql = postgres.Sql;

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
   */
  use<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** Connections in use, and users waiting for one. */
  stats(): { inUse: number; waiting: number };
}

export interface Database {
  /** Requests' reads: GET /events, GET /events/{id}, SSE pages, aggregates, snapshots. */
  reads: Connections;
  /** The append queue's, one per append transaction in flight: appends never wait behind reads. */
  appends: Connections;
  /** A small postgres.js pool for background work: replays, polling, health, metrics. */
  sql: Sql;
  /**
   * A client of one connection for one component (the relay, commit notifications), with the
   * service's settings plus `settings`; closed with the rest.
   */
  dedicated(component: string, settings?: Record<string, string>): Sql;
  close(timeoutSeconds?: number): Promise<void>;
}

/** Connections of the background pool (Database.sql). */
const BACKGROUND_CONNECTIONS = 2;

export function createDatabase(options: DatabaseOptions): Database {
  const clients: Sql[] = [];
  const client = (max: number, applicationName: string, settings: Record<string, string> = {}) => {
    const sql = connectPostgres(options.url, {
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
        ...settings,
      },
    });
    clients.push(sql);
    return sql;
  };
  const sql = client(BACKGROUND_CONNECTIONS, 'event-service');
  const readClients = Array.from({ length: options.poolMax }, () => client(1, 'event-service-read'));
  const appendClients = Array.from({ length: options.appendConnections ?? 1 }, () => client(1, 'event-service-append'));
  return {
    reads: createConnections(readClients),
    appends: createConnections(appendClients),
    sql,
    dedicated: (component, settings) => client(1, `event-service-${component}`, settings),
    close: async (timeoutSeconds = 5) => {
      await Promise.all(clients.map((s) => s.end({ timeout: timeoutSeconds })));
    },
  };
}

/** A postgres.js client of the caller's own, used as it is (it pools by itself). */
export function sqlConnections(sql: Sql): Connections {
  return { size: Number.POSITIVE_INFINITY, use: (fn) => fn(sql), stats: () => ({ inUse: 0, waiting: 0 }) };
}

/** Connections over the given clients (each should hold one connection). */
export function createConnections(clients: Sql[]): Connections {
  const idle = [...clients].reverse(); // the first client on top
  const waiters: ((sql: Sql) => void)[] = [];
  const release = (sql: Sql) => {
    const next = waiters.shift();
    if (next) next(sql);
    else idle.push(sql);
  };
  return {
    size: clients.length,
    async use(fn) {
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
