import { createHash } from 'node:crypto';

/** An event as a segment holds it; created_at in microseconds since the epoch. */
export interface ProbeRow {
  id: string;
  event_type: string;
  aggregate_type: string;
  aggregate_id: string;
  sequence: number;
  position: number;
  payload: string;
  metadata: string;
  version: number;
  created_at: bigint;
}

const TYPES = ['agent', 'task', 'plan', 'run'];
const VERBS = ['created', 'updated', 'completed', 'failed'];
const WORDS = ('explore plan tool call result retry budget token model agent step review merge deploy ' +
  'search index cache latency summary draft error warning context window prompt reply vector ' +
  'schema branch commit café naïve 東京 größe').split(' ');
const MODELS = ['small-2025-01', 'medium-2025-06', 'large-2026-02'];

function uuidFrom(seed: string): string {
  const h = createHash('md5').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/** COPY text lines of `total` realistic events (payloads of about 300 bytes), deterministic. */
export function* probeEvents(total: number): Generator<string> {
  let state = 42;
  const rand = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const aggregates = Math.max(1, Math.floor(total / 50));
  const sequences = new Array<number>(aggregates).fill(0);
  let micros = Date.parse('2026-01-01T00:00:00Z') * 1000;
  for (let position = 1; position <= total; position++) {
    const n = Math.floor(rand() * aggregates);
    const type = TYPES[n % TYPES.length]!;
    micros += 1 + Math.floor(rand() * 5000);
    const summary = Array.from({ length: 6 + Math.floor(rand() * 8) }, () => pick(WORDS)).join(' ');
    const payload = {
      name: `${type}-${n}`,
      step: sequences[n]! + 1,
      model: pick(MODELS),
      status: pick(['ok', 'retrying', 'done']),
      summary,
      tokens: { prompt: Math.floor(rand() * 8000), completion: Math.floor(rand() * 2000) },
      cost_usd: Math.round(rand() * 1e5) / 1e5,
      tags: [pick(WORDS), pick(WORDS)],
      tool: { name: pick(['search', 'shell', 'http']), args: { q: pick(WORDS), limit: 10 } },
    };
    const metadata = { correlation_id: uuidFrom(`corr-${Math.floor(position / 5)}`), source_service: 'planner', user_id: `u-${n % 97}` };
    const created = new Date(Math.floor(micros / 1000)).toISOString().replace('Z', `${String(micros % 1000).padStart(3, '0')}Z`);
    const json = (v: unknown) => JSON.stringify(v).replaceAll('\\', '\\\\');
    yield `${position}\t${uuidFrom(`event-${position}`)}\t${type}.${pick(VERBS)}\t${type}\t${uuidFrom(`aggregate-${n}`)}\t${++sequences[n]!}\t`
      + `${json(payload)}\t${json(metadata)}\t${1 + Math.floor(rand() * 2)}\t${created}\n`;
  }
}
