// The least a Node HTTP front-end of PostgreSQL can do per append, for design-floor.ts: node:http,
// the body parsed, a new id, and the rows of the raw baseline (bench/pgbench.ts) written by one
// prepared statement in its own transaction per request, on a pool of POOL postgres.js
// connections. No validation, ordering, idempotency, publishing or metrics.
// LOCKED=1: the same statement takes the events_head lock first and writes the rows at the next
// positions, moving the head (what bench/pgbench.ts's locked_append() does): one writer at a
// time, as our ordering design (SPEC §5), with no group commit.
//   DATABASE_URL (prepared with rawSetup()), PORT, POOL, LOCKED
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL!, { max: Number(process.env.POOL ?? 1), onnotice: () => {} });
const locked = process.env.LOCKED === '1';
const input = `jsonb_to_recordset($1::text::jsonb) as x(id uuid, event_type text, aggregate_type text, aggregate_id uuid, payload jsonb, metadata jsonb)`;
const insert = `with ${locked ? `h as (
  select last_position as v from events_head where singleton for update
), r as (
  select h.v + row_number() over () as position, x.* from h, ${input}
), u as (
  update events_head set last_position = (select max(position) from r) where singleton
), ` : `r as (
  select nextval('raw_position') as position, x.* from ${input}
), `}e as (
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
