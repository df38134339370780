// One client, one request at a time, over HTTP against the service as `npm start` runs it:
// what a read and an append cost beyond the database.
//   npx tsx bench/probes/http-path.ts
// Rows (p50 in ms, 500 requests each, three rounds; the first warms up): the aggregate query
// run directly by postgres.js (100 and 1 events), GET /events?aggregate_id= of 100, 10 and 1
// events, a 404 (the HTTP floor), POST /events (201), and POST /events refused with 422
// before it reaches the store (body read, parsed and checked; no database).
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { cleanup, createDatabase, keepAliveClient, percentile, startService, waitForRelay } from '../lib.ts';

const url = await createDatabase();
const service = await startService({ DATABASE_URL: url });
const sql = postgres(url, { max: 1, onnotice: () => {} });
const client = keepAliveClient(service.url);
const payload = { name: 'explore-agent', agent_type: 'exploration' };
try {
  // One aggregate of 100 events among 20,000 others, as in the latency suite.
  const aggregateId = randomUUID();
  for (let b = 0; b < 20; b++) {
    const events = Array.from({ length: 1000 }, (_, i) => ({ event_type: 'task.progressed', aggregate_id: i % 200 === 0 ? aggregateId : randomUUID(), payload }));
    if ((await client.request('POST', '/events/batch', JSON.stringify({ events }))) !== 201) throw new Error('seeding failed');
  }
  await sql`analyze events`;
  await waitForRelay(service.url);

  const expect = (status: number) => (got: number) => {
    if (got !== status) throw new Error(`expected ${status}, got ${got}`);
  };
  const get = (path: string, status = 200) => () => client.request('GET', path).then(expect(status));
  const rows: [string, () => Promise<unknown>][] = [
    ['query 100', () => sql`select event_json(e) as json, e.position from events e where e.aggregate_id = ${aggregateId} order by e.position limit 101`],
    ['query 1', () => sql`select event_json(e) as json, e.position from events e where e.aggregate_id = ${aggregateId} order by e.position limit 2`],
    ['GET 100', get(`/events?aggregate_id=${aggregateId}`)],
    ['GET 10', get(`/events?aggregate_id=${aggregateId}&limit=10`)],
    ['GET 1', get(`/events?aggregate_id=${aggregateId}&limit=1`)],
    ['404', get('/no-such-route', 404)],
    ['POST 201', () => client.request('POST', '/events', JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload })).then(expect(201))],
    ['POST 422', () => client.request('POST', '/events', JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload: { bad: '\u0000' } })).then(expect(422))],
  ];
  for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
    const out: string[] = [];
    for (const [name, op] of rows) {
      const times: number[] = [];
      for (let i = 0; i < 500; i++) {
        const started = performance.now();
        await op();
        times.push(performance.now() - started);
      }
      out.push(`${name} ${percentile(times.sort((a, b) => a - b), 50).toFixed(3)}`);
    }
    console.log(out.join(' | '));
  }
} finally {
  client.close();
  await sql.end();
  await service.stop();
  await cleanup();
}
