import { rmSync } from 'node:fs';
import { appendFile, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from '../../src/postgres/free-port.ts';
import { type PostgresProcess, postgresProcess, runAs, runPg, type StopMode } from './postgres-process.ts';

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres, trust authentication. */
  url: string;
  /** The streaming replica's URL; throws before addReplica(). */
  readonly replicaUrl: string;
  /** pg_basebackup -R of the primary, started as a hot standby; resolves once it streams. */
  addReplica(): Promise<string>;
  /** Stops applying WAL on the replica (it keeps receiving); resolves once replay is paused. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** pg_last_wal_replay_lsn() on the replica, e.g. '0/3000148'. */
  replayLsn(): Promise<string>;
  /** pg_current_wal_lsn() on the primary. */
  primaryLsn(): Promise<string>;
  /** Resolves once the replica has replayed up to `lsn` (default: the primary's current LSN). */
  waitForReplay(lsn?: string, timeoutMs?: number): Promise<void>;
  stopReplica(options?: { mode?: StopMode }): Promise<void>;
  /** Starts the replica again; resolves once it streams. */
  startReplica(): Promise<void>;
  stopPrimary(options?: { mode?: StopMode }): Promise<void>;
  /** Starts the primary again; resolves once a running replica streams from it again. */
  startPrimary(): Promise<void>;
  /** Stops both servers and removes their data directories. */
  stop(): Promise<void>;
}

// Appended to the primary's postgresql.conf, which pg_basebackup copies to the replica.
const SETTINGS = `
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 4
max_replication_slots = 4
hot_standby = on
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 100ms
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 40
`;
const HBA = `host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
`;

/**
 * A primary PostgreSQL of the test's own (initdb in a temp directory, free port), with a
 * streaming replica on demand, for tests of replica reads and of an unreachable database.
 * As root, the servers run as the `postgres` user, which owns the temp directory.
 */
export async function startPrivatePostgres(options: { timeoutMs?: number } = {}): Promise<PrivatePostgres> {
  const { timeoutMs = 30_000 } = options;
  const as = runAs();
  const root = await mkdtemp(join(tmpdir(), 'evt-private-pg-'));
  if (as) await chown(root, as.uid, as.gid);
  const primaryDir = join(root, 'primary');
  const replicaDir = join(root, 'replica');
  const urlOf = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;
  let replica: { server: PostgresProcess; url: string } | undefined;
  let primary: PostgresProcess | undefined;
  const onExit = () => {
    primary?.killNow();
    replica?.server.killNow();
    rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  const query = async <T>(url: string, text: string, params: string[] = []): Promise<T | undefined> => {
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      const [row] = await sql.unsafe(text, params);
      return row?.value as T | undefined;
    } finally {
      await sql.end();
    }
  };
  const waitFor = async (what: string, check: () => Promise<boolean>, limit = timeoutMs) => {
    const deadline = Date.now() + limit;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`private PostgreSQL: ${what} did not happen within ${limit} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const replicaOnly = () => {
    if (!replica) throw new Error('private PostgreSQL: addReplica() first');
    return replica;
  };
  const streaming = () =>
    waitFor('streaming', async () => (await query<string>(replicaOnly().url, `select status as value from pg_stat_wal_receiver`)) === 'streaming');
  const replayState = async (state: string) => {
    await waitFor(`replay ${state}`, async () => (await query<string>(replicaOnly().url, `select pg_get_wal_replay_pause_state() as value`)) === state);
  };

  try {
    const port = await freePort();
    const url = urlOf(port);
    await runPg('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'], as, root);
    await appendFile(join(primaryDir, 'postgresql.conf'), SETTINGS);
    await writeFile(join(primaryDir, 'pg_hba.conf'), HBA);
    primary = postgresProcess(primaryDir, port, as);
    await primary.start();

    const harness: PrivatePostgres = {
      url,
      get replicaUrl() {
        return replicaOnly().url;
      },
      async addReplica() {
        if (replica) throw new Error('private PostgreSQL: this harness has one replica');
        const replicaPort = await freePort();
        // A slot keeps the WAL a stopped replica still needs.
        await runPg('pg_basebackup', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream',
          '--checkpoint=fast', '--no-sync', '--create-slot', '--slot=replica'], as, root);
        replica = { server: postgresProcess(replicaDir, replicaPort, as), url: urlOf(replicaPort) };
        await replica.server.start();
        await streaming();
        return replica.url;
      },
      async pauseReplay() {
        await query(replicaOnly().url, `select pg_wal_replay_pause()`);
        await replayState('paused');
      },
      async resumeReplay() {
        await query(replicaOnly().url, `select pg_wal_replay_resume()`);
        await replayState('not paused');
      },
      async replayLsn() {
        return (await query<string>(replicaOnly().url, `select pg_last_wal_replay_lsn()::text as value`))!;
      },
      async primaryLsn() {
        return (await query<string>(url, `select pg_current_wal_lsn()::text as value`))!;
      },
      async waitForReplay(lsn, limit = timeoutMs) {
        const target = lsn ?? (await harness.primaryLsn());
        await waitFor(`replay to ${target}`, async () => (await query<boolean>(replicaOnly().url, `select pg_last_wal_replay_lsn() >= $1::pg_lsn as value`, [target])) === true, limit);
      },
      async stopReplica({ mode = 'fast' } = {}) {
        await replicaOnly().server.stop(mode);
      },
      async startReplica() {
        await replicaOnly().server.start();
        await streaming();
      },
      async stopPrimary({ mode = 'fast' } = {}) {
        await primary!.stop(mode);
      },
      async startPrimary() {
        await primary!.start();
        if (replica?.server.running) await streaming();
      },
      async stop() {
        process.off('exit', onExit);
        await replica?.server.stop('immediate');
        await primary?.stop('immediate');
        await rm(root, { recursive: true, force: true });
      },
    };
    return harness;
  } catch (error) {
    process.off('exit', onExit);
    await primary?.stop('immediate');
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
