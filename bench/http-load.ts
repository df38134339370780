import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

// Load generators in this process, and latencies measured the way a client feels them.

export interface HttpLoad {
  connections: number;
  durationSec?: number;
  amount?: number;
  method?: 'GET' | 'POST';
  path: string;
  body?: string;
  /** A fresh body per request (e.g. a new aggregate id). */
  makeBody?: () => string;
  overallRate?: number;
}

export interface HttpResult { rps: number; p50: number; p99: number; errors: number; non2xx: number; total: number }

/** HTTP load with autocannon from this (separate) process. Latencies in ms. */
export async function httpLoad(baseUrl: string, load: HttpLoad): Promise<HttpResult> {
  const headers = { 'content-type': 'application/json' };
  const result = await autocannon({
    url: baseUrl + load.path,
    connections: load.connections,
    ...(load.amount ? { amount: load.amount } : { duration: load.durationSec ?? 5 }),
    ...(load.overallRate ? { overallRate: load.overallRate } : {}),
    method: load.method ?? 'GET',
    headers,
    body: load.body,
    requests: load.makeBody ? [{ method: load.method ?? 'POST', path: load.path, headers, setupRequest: (req) => ({ ...req, body: load.makeBody!() }) }] : undefined,
  });
  return {
    rps: result.requests.total / (result.duration || 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface PacedResult { p50: number; p99: number; sent: number; failed: number; latencies: number[] }

/**
 * Precise latencies (ms, microsecond resolution) for requests started at a fixed rate over
 * keep-alive connections, each request timed from its scheduled start (so a slow server
 * cannot hide queueing: coordinated omission is avoided). autocannon rounds to whole ms.
 */
export async function pacedHttp(
  baseUrl: string,
  opts: {
    rate: number; durationSec: number; method?: 'GET' | 'POST'; path: string; makeBody?: () => string; connections?: number;
    /** Called with each request's body once its response has arrived in full. */
    onResponse?: (body: string | undefined) => void;
  },
): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections ?? 64 });
  const url = new URL(opts.path, baseUrl);
  const total = Math.round(opts.rate * opts.durationSec);
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const one = (scheduled: number) =>
    new Promise<void>((resolve) => {
      const body = opts.makeBody?.();
      const req = request(url, { method: opts.method ?? 'GET', agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode! >= 300) failed++;
          latencies.push(performance.now() - scheduled);
          opts.onResponse?.(body);
          resolve();
        });
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = started + (i * 1000) / opts.rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(one(scheduled));
  }
  await Promise.all(inflight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), sent: total, failed, latencies };
}

/**
 * One request at a time over one keep-alive connection (node:http, lighter than fetch): each
 * call resolves with the status once the whole body has arrived. For latencies measured the
 * same way as a query on one warm database connection.
 */
export function keepAliveClient(baseUrl: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    request: (method: 'GET' | 'POST', path: string, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
        const req = request(new URL(path, baseUrl), { method, agent, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** Latencies (ms) of `n` sequential runs of `op`, sorted. */
export async function latencies(n: number, op: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}
