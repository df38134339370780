// The least a Node HTTP front-end of PostgreSQL can do per append, for design-floor.ts: node:http,
// the body parsed, a new id, and the rows of the raw baseline (bench/pgbench.ts) written by one
// prepared statement in its own transaction per request, on a pool of POOL postgres.js
// connections. No validation, ordering, idempotency, publishing or metrics.
//   DATABASE_URL (prepared with rawSetup()), PORT, POOL
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL!, { max: Number(process.env.POOL ?? 1), onnotice: () => {} });
const insert = `with r as (
  select nextval('raw_position') as position, x.* from jsonb_to_recordset($1::text::jsonb)
    as x(id uuid, event_type text, aggregate_type text, aggregate_id uuid, payload jsonb, metadata jsonb)
), e as (
  insert into events (position, id, event_type, aggregate_type, aggregate_id, sequence, payload, metadata, version, created_at)
  select r.position, r.id, r.event_type, r.aggregate_type, r.aggregate_id, 1, r.payload, r.metadata, 1, now() from r
  returning position, id, aggregate_type, aggregate_id
), i as (
  insert into event_ids (id, position) select id, position from e
), a as (
  insert into aggregates (aggregate_id, aggregate_type, last_sequence, first_position, last_position)
  select aggregate_id, aggregate_type, 1, position, position from e
)
select id, position from e`;

interface Body { event_type: string; aggregate_id: string; payload: unknown; metadata?: unknown }

createServer((req, res) => {
  if (req.method !== 'POST') return void res.writeHead(200).end();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Body | { events: Body[] };
    const events = 'events' in body ? body.events : [body];
    const rows = events.map((e) => ({ ...e, id: randomUUID(), aggregate_type: e.event_type.split('.')[0] }));
    sql.unsafe<{ id: string; position: string }[]>(insert, [JSON.stringify(rows)], { prepare: true }).then(
      (stored) => {
        const answer = JSON.stringify('events' in body ? { events: stored } : stored[0]);
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
      },
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
