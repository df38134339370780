import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { createDatabase, httpLoad, startService } from '../lib.ts';
import type { Suite } from './index.ts';

const payload = { name: 'explore-agent', agent_type: 'exploration' };
const metadata = { session_id: 'session-123', correlation_id: 'corr-456' };
const DURATION = Number(process.env.BENCH_DURATION_S ?? 5);

/** Raw single-row INSERTs of event rows through postgres.js, one transaction each. */
async function rawInsertRate(url: string, concurrency: number): Promise<number> {
  const sql = postgres(url, { max: concurrency, onnotice: () => {} });
  await sql`create table if not exists raw_events (like events including defaults)`;
  await sql`create sequence if not exists raw_events_position`;
  let n = 0;
  const deadline = Date.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await sql`insert into raw_events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at)
          values (nextval('raw_events_position'), ${randomUUID()}, 'agent.created', 'agent', ${randomUUID()}, 1, ${sql.json(payload)}, ${sql.json(metadata)}, 1, now())`;
        n++;
      }
    }),
  );
  await sql.end();
  return n / DURATION;
}

const suite: Suite = {
  name: 'appends',
  description: `POST /events over HTTP vs raw postgres.js INSERTs on the same PostgreSQL (${DURATION} s each)`,
  async run(record) {
    for (const connections of [1, 32]) {
      const url = await createDatabase();
      const raw = await rawInsertRate(url, connections);
      record({ suite: 'appends', name: `raw INSERT, ${connections} connections`, value: raw, unit: 'rows/s' });
      const service = await startService({ DATABASE_URL: url });
      const r = await httpLoad(service.url, {
        connections,
        durationSec: DURATION,
        method: 'POST',
        path: '/events',
        makeBody: () => JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload, metadata }),
      });
      await service.stop();
      record({ suite: 'appends', name: `POST /events, ${connections} connections`, value: r.rps, unit: 'events/s', baseline: 'raw INSERT', ratio: r.rps / raw, note: `p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}` });
    }
  },
};
export default suite;
