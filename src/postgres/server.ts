import type { Logger } from '../observability/logger.ts';
import { type Circuit, createCircuit, type ProbeSettings } from './circuit.ts';
import type { Sql } from './database.ts';
import { UnreachableError } from './errors.ts';
import { createServerSockets, type SocketTarget } from './sockets.ts';
import { connectPostgres, postgresTarget } from './url.ts';

export interface ServerOptions {
  url: string;
  role: string;
  connectTimeoutSeconds: number;
  statementTimeoutMs: number;
  probe: ProbeSettings;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** This server, believed up, is being probed. */
  onSuspect?(): void;
}

export interface Server {
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
      socket: (target: SocketTarget) => sockets.open(target),
      // The circuit keeps requests off a down server, so the driver's growing backoff would only delay recovery.
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
    received: () => sockets.received(),
    onProbeFailed: (error) => sockets.destroyAll(() => new UnreachableError(error.message)),
    onSuspect: options.onSuspect,
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
