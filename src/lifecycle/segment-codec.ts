import { Worker } from 'node:worker_threads';
import type { SegmentRow } from './segment-row.ts';
import type { CodecCall, CodecResponse, SegmentSummary } from './segment-worker.ts';

export type { SegmentSummary } from './segment-worker.ts';

export interface SegmentCodec {
  encode(rows: SegmentRow[], rowGroupSize?: number): Promise<{ bytes: Uint8Array; summary: SegmentSummary }>;
  inspect(bytes: Uint8Array): Promise<SegmentSummary>;
  close(): Promise<void>;
}

type Pending = { resolve: (r: CodecResponse & { ok: true }) => void; reject: (e: Error) => void };

/** Encodes and decodes segments in a worker thread; from TypeScript sources the worker loads through tsx. */
export function createSegmentCodec(): SegmentCodec {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(`./segment-worker.${source ? 'ts' : 'js'}`, import.meta.url);
  const worker = source
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true })
    : new Worker(entry);
  worker.unref();
  const pending = new Map<number, Pending>();
  let next = 0;
  let failure: Error | null = null;
  const failAll = (error: Error) => {
    failure = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (r: CodecResponse) => {
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (r.ok) p?.resolve(r);
    else p?.reject(new Error(`segment codec: ${r.error}`));
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new Error(`the segment codec's worker exited (${code})`)));

  const call = (request: CodecCall, transfer: ArrayBuffer[] = []) =>
    new Promise<CodecResponse & { ok: true }>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    });

  return {
    async encode(rows, rowGroupSize) {
      const r = await call({ op: 'encode', rows, rowGroupSize });
      return { bytes: r.bytes!, summary: r.summary };
    },
    async inspect(bytes) {
      return (await call({ op: 'inspect', bytes })).summary;
    },
    async close() {
      await worker.terminate();
    },
  };
}
