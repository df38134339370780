import postgres from 'postgres';
import { startPrivatePostgres } from '../../test/support/private-postgres.ts';
import { cpuTimeMs, DURATION_S, median, REPEAT, seedAggregateHistory, startService } from '../lib.ts';
import { httpLoad } from '../http-load.ts';
import type { Suite } from './index.ts';

const CONNECTIONS = 32;

/**
 * Reads per second of GET /events (a 100-event aggregate history) at 32 connections, from a
 * service reading its primary against one reading a streaming replica, and the same with
 * min_position (a position already replayed: the replica's head is cached). Both services run
 * beside each other on a private primary and replica (the same machine and cores), in
 * alternating rounds. Beside each figure, CPU time per 1,000 reads of the service process and
 * of the read connections' backends on each server (Linux /proc): on shared cores the rate
 * says little about a replica on a host of its own, the primary's share of the work does.
 */

/** CPU time so far of the backends serving the service's reads on one server, by pid. */
async function readBackendsCpu(sql: postgres.Sql): Promise<Map<number, number>> {
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where application_name = 'event-service-read'`;
  return new Map(rows.map((r) => [r.pid, cpuTimeMs(r.pid)]));
}
const spent = (before: Map<number, number>, after: Map<number, number>) => [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);
const suite: Suite = {
  name: 'reads',
  description: `GET /events at ${CONNECTIONS} connections: reads per second with a streaming replica vs the primary alone`,
  async run(record) {
    const pg = await startPrivatePostgres();
    const services: { stop(): Promise<void> }[] = [];
    try {
      await pg.addReplica();
      const common = { DATABASE_URL: pg.url, DATABASE_POOL_MAX: '8' };
      const primary = await startService(common);
      services.push(primary);
      const aggregateId = await seedAggregateHistory(primary.url, pg.url);
      const replica = await startService({ ...common, DATABASE_READ_URL: pg.replicaUrl });
      services.push(replica);
      await pg.waitForReplay();
      const servers = { primary: postgres(pg.url, { max: 1, onnotice: () => {} }), replica: postgres(pg.replicaUrl, { max: 1, onnotice: () => {} }) };
      services.push({ stop: async () => void (await Promise.all([servers.primary.end(), servers.replica.end()])) });
      const head = Number(((await (await fetch(`${primary.url}/health`)).json()) as { head_position: number }).head_position);
      const path = `/events?aggregate_id=${aggregateId}`;
      const contenders = [
        { name: 'primary alone', service: primary, path },
        { name: 'replica', service: replica, path },
        { name: 'replica, min_position', service: replica, path: `${path}&min_position=${head}` },
      ].map((c) => ({ ...c, url: c.service.url, cpu: { service: 0, primary: 0, replica: 0, reads: 0 } }));
      for (const c of contenders) await httpLoad(c.url, { connections: CONNECTIONS, durationSec: 2, path: c.path }); // warm-up
      const rps = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
      for (let round = 0; round < REPEAT; round++) {
        for (const c of round % 2 ? [...contenders].reverse() : contenders) {
          const before = { service: cpuTimeMs(c.service.pid), primary: await readBackendsCpu(servers.primary), replica: await readBackendsCpu(servers.replica) };
          const r = await httpLoad(c.url, { connections: CONNECTIONS, durationSec: DURATION_S, path: c.path });
          if (r.errors + r.non2xx > 0) throw new Error(`${c.name}: ${r.errors} errors, ${r.non2xx} non-2xx`);
          rps.get(c.name)!.push(r.rps);
          c.cpu.service += cpuTimeMs(c.service.pid) - before.service;
          c.cpu.primary += spent(before.primary, await readBackendsCpu(servers.primary));
          c.cpu.replica += spent(before.replica, await readBackendsCpu(servers.replica));
          c.cpu.reads += r.total;
        }
      }
      const base = median(rps.get('primary alone')!);
      for (const c of contenders) {
        const runs = rps.get(c.name)!;
        const value = median(runs);
        const per1000 = (ms: number) => ((ms / c.cpu.reads) * 1000).toFixed(0);
        const range = `${Math.round(Math.min(...runs))}–${Math.round(Math.max(...runs))} over ${runs.length} rounds; CPU ms per 1,000 reads: service ${per1000(c.cpu.service)}, primary ${per1000(c.cpu.primary)}, replica ${per1000(c.cpu.replica)}`;
        record({ suite: 'reads', name: `GET /events 100 events, ${c.name}`, value, unit: 'req/s', ...(c.name === 'primary alone' ? {} : { baseline: 'primary alone', ratio: value / base }), note: range });
      }
    } finally {
      for (const s of services) await s.stop();
      await pg.stop();
    }
  },
};
export default suite;
