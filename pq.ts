import { pacedHttp } from './bench/lib.ts';
import { randomUUID } from 'node:crypto';
const base = 'http://127.0.0.1:8311';
const makeBody = () => JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload: { name: 'explore-agent', agent_type: 'exploration' }, metadata: { correlation_id: 'c' } });
for (let i = 0; i < 3; i++) {
  const r = await pacedHttp(base, { rate: 1000, durationSec: 5, method: 'POST', path: '/events', makeBody });
  console.log(process.env.LABEL, r.p50.toFixed(2), r.p99.toFixed(2), r.failed);
}
