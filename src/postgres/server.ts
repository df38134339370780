import type { Logger } from '../observability/logger.ts';
import { type Circuit, createCircuit, type ProbeSettings } from './circuit.ts';
import type { Sql } from './database.ts';
import { createServerSockets, type SocketTarget } from './sockets.ts';
import { connectPostgres, postgresTarget } from './url.ts';

export interface ServerOptions {
  url: string;
  /** 'primary' or 'replica', in messages. */
  role: string;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
  probe: ProbeSettings;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/** One PostgreSQL server: the clients to it, and whether it answers. */
export interface Server {
  /** A client of `max` connections with the service's settings plus `settings`. */
  client(max: number, applicationName: string, settings?: Record<string, string>): Sql;
  circuit: Circuit;
  close(timeoutSeconds: number): Promise<void>;
}

export function openServer(options: ServerOptions): Server {
  const clients: Sql[] = [];
  const sockets = createServerSockets();
  const client = (max: number, applicationName: string, settings: Record<string, string> = {}) => {
    const sql = connectPostgres(options.url, {
      max,
      connect_timeout: options.connectTimeoutSeconds,
      idle_timeout: 60,
      // Every socket is known here, so those of a server that stopped answering can be closed.
      socket: (target: SocketTarget) => sockets.open(target),
      // Reconnect soon: while the server is down the circuit keeps requests off it, so the
      // driver's own growing backoff (to 20 s) would only delay the recovery.
      backoff: (attempt: number) => Math.min(0.05 * attempt, 0.25),
      onnotice: () => {},
      connection: {
        application_name: applicationName,
        statement_timeout: options.statementTimeoutMs,
        // A session that dies mid-transaction must not hold the append lock for long.
        idle_in_transaction_session_timeout: 60_000,
        TimeZone: 'UTC',
        ...settings,
      },
    } as Parameters<typeof connectPostgres>[1]);
    clients.push(sql);
    return sql;
  };
  const probe = client(1, 'event-service-probe');
  const where = postgresTarget(options.url).where;
  const circuit = createCircuit({
    ...options.probe,
    server: options.role,
    probe: () => probe`select 1`,
    onProbeFailed: (error) => sockets.destroyAll(error),
    onChange: (up) =>
      up
        ? options.logger?.info({ postgres: where, role: options.role }, `PostgreSQL (${options.role}) answers again`)
        : options.logger?.warn({ postgres: where, role: options.role }, `PostgreSQL (${options.role}) does not answer: requests that need it get 503 at once until it does`),
  });
  return {
    client,
    circuit,
    async close(timeoutSeconds) {
      circuit.stop();
      await Promise.all(clients.map((s) => s.end({ timeout: timeoutSeconds })));
    },
  };
}
