import type postgres from 'postgres';
import type { Logger } from '../observability/logger.ts';
import type { Circuit, ProbeSettings } from './circuit.ts';
import { type Connections, createConnections, sqlConnections } from './connections.ts';
import { createReplicaReads } from './replica-reads.ts';
import { openServer } from './server.ts';

export type Sql = postgres.Sql;
export type { Connections } from './connections.ts';

export interface DatabaseOptions {
  url: string;
  poolMax: number;
  appendConnections?: number;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
  probe?: ProbeSettings;
  replica?: {
    url: string;
    minPositionWaitMs: number;
    readHead(sql: Sql): Promise<number>;
    onRead?(server: 'replica' | 'primary'): void;
  };
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export interface Database {
  /** Requests' reads; on the replica when there is one (`atLeast` for read-your-writes). */
  reads: Connections;
  /** The append queue's, one per append transaction in flight: appends never wait behind reads. */
  appends: Connections;
  sql: Sql;
  /** `sql` for what answers requests (health, metrics): fails at once while the primary is down. */
  background: Connections;
  /** A one-connection client for one component (relay, commit notifications), closed with the rest. */
  dedicated(component: string, settings?: Record<string, string>): Sql;
  primary: Circuit;
  replica?: Circuit;
  /**
   * Lets queries in flight finish for `timeoutSeconds` (default 1), then destroys the connections.
   * postgres.js also waits that long for a connection that lost its socket to an error and has
   * not reconnected (porsager/postgres#1130): after an outage, that is most of them.
   */
  close(timeoutSeconds?: number): Promise<void>;
}

const BACKGROUND_CONNECTIONS = 2;

export const DEFAULT_PROBE: ProbeSettings = { afterMs: 300, timeoutMs: 1000, intervalMs: 250 };

const times = <T>(n: number, make: () => T) => Array.from({ length: n }, make);

export function createDatabase(options: DatabaseOptions): Database {
  const settings = { ...options, probe: options.probe ?? DEFAULT_PROBE };
  const primary = openServer({ ...settings, role: 'primary' });
  const sql = primary.client(BACKGROUND_CONNECTIONS, 'event-service');
  const primaryReads = createConnections(times(options.poolMax, () => primary.client(1, 'event-service-read')), primary.circuit);
  const appendClients = times(options.appendConnections ?? 1, () => primary.client(1, 'event-service-append'));
  const servers = [primary];

  let reads = primaryReads;
  const replicaOptions = options.replica;
  if (replicaOptions) {
    // A read the replica leaves unanswered goes to the primary once the replica is found down: when
    // both are silent (a partition), probing the primary only then would double the time to a 503.
    const replica = openServer({ ...settings, url: replicaOptions.url, role: 'replica', onSuspect: () => primary.circuit.suspect() });
    servers.push(replica);
    const head = replica.client(1, 'event-service-replica-head');
    reads = createReplicaReads({
      replica: createConnections(times(options.poolMax, () => replica.client(1, 'event-service-read')), replica.circuit),
      primary: primaryReads,
      circuit: replica.circuit,
      readHead: () => replica.circuit.run(() => replicaOptions.readHead(head)),
      minPositionWaitMs: replicaOptions.minPositionWaitMs,
      onRead: replicaOptions.onRead,
    });
  }

  return {
    reads,
    appends: createConnections(appendClients, primary.circuit),
    sql,
    background: sqlConnections(sql, primary.circuit),
    dedicated: (component, extra) => primary.client(1, `event-service-${component}`, extra),
    primary: primary.circuit,
    replica: servers[1]?.circuit,
    close: async (timeoutSeconds = 1) => {
      await Promise.all(servers.map((s) => s.close(timeoutSeconds)));
    },
  };
}
