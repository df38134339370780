// One client, one request at a time, over HTTP against the service as `npm start` runs it:
// what a read and an append cost beyond the database.
//   npx tsx bench/probes/http-path.ts
// Rows (p50 in ms, 500 requests each, three rounds or ROUNDS; the first warms up): the aggregate query
// run directly by postgres.js (100 and 1 events), GET /events?aggregate_id= of 100, 10 and 1
// events, a 404 (the HTTP floor), POST /events (201), and POST /events refused with 422
// before it reaches the store (body read, parsed and checked; no database). For each HTTP row,
// also the CPU time the service process used per request (Linux /proc; relay and publishing
// included), the figure that decides how much such load two shared cores can take. A last
// round follows a burst of 64 concurrent GETs, which leaves every read connection open (through
// postgres.js's own pool, sequential reads then went to each open connection in turn).
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { cleanup, cpuTimeMs, createDatabase, rawEventQuery, seedAggregateHistory, startService } from '../lib.ts';
import { keepAliveClient, latencies, percentile } from '../http-load.ts';

const url = await createDatabase();
const service = await startService({ DATABASE_URL: url });
const sql = postgres(url, { max: 1, onnotice: () => {} });
const client = keepAliveClient(service.url);
const payload = { name: 'explore-agent', agent_type: 'exploration' };
try {
  const aggregateId = await seedAggregateHistory(service.url, url); // as in the latency suite

  const expect = (status: number) => (got: number) => {
    if (got !== status) throw new Error(`expected ${status}, got ${got}`);
  };
  const get = (path: string, status = 200) => () => client.request('GET', path).then(expect(status));
  const rows: [string, () => Promise<unknown>][] = [
    ['query 100', rawEventQuery(sql, `/events?aggregate_id=${aggregateId}`)],
    ['query 1', rawEventQuery(sql, `/events?aggregate_id=${aggregateId}&limit=1`)],
    ['GET 100', get(`/events?aggregate_id=${aggregateId}`)],
    ['GET 10', get(`/events?aggregate_id=${aggregateId}&limit=10`)],
    ['GET 1', get(`/events?aggregate_id=${aggregateId}&limit=1`)],
    ['404', get('/no-such-route', 404)],
    ['POST 201', () => client.request('POST', '/events', JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload })).then(expect(201))],
    ['POST 422', () => client.request('POST', '/events', JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload: { bad: '\u0000' } })).then(expect(422))],
  ];
  const round = async (label = '') => {
    const out: string[] = [];
    for (const [name, op] of rows) {
      const cpuBefore = cpuTimeMs(service.pid);
      const p50 = percentile(await latencies(500, op), 50).toFixed(3);
      const cpu = name.startsWith('query') ? '' : ` (cpu ${((cpuTimeMs(service.pid) - cpuBefore) / 500).toFixed(2)})`;
      out.push(`${name} ${p50}${cpu}`);
    }
    console.log(label + out.join(' | '));
  };
  for (let r = 0; r < Number(process.env.ROUNDS ?? 3); r++) await round();
  await Promise.all(Array.from({ length: 64 }, () => fetch(`${service.url}/events?aggregate_id=${aggregateId}`).then((res) => res.text())));
  await round('after a burst: ');
} finally {
  client.close();
  await sql.end();
  await service.stop();
  await cleanup();
}
