import { readSse } from '../client/sse.ts';
import { OutputClosed, request, type Target, TransientError, writeOut } from './http.ts';

/** Follows GET /events/stream, reconnecting with Last-Event-ID so nothing is missed or repeated. */
export async function tail(t: Target, aggregateType: string | undefined, after: string | undefined, retries: number): Promise<void> {
  let last = after;
  let failures = 0;
  const query = new URLSearchParams(aggregateType ? { aggregate_type: aggregateType } : {});
  const path = `/events/stream?${query}`;
  for (;;) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (last !== undefined) headers['last-event-id'] = last;
      const res = await request(t, path, { headers });
      failures = 0;
      try {
        for await (const message of readSse(res.body!)) {
          if (message.data !== undefined) await writeOut(message.data + '\n');
          if (message.id !== undefined) last = message.id;
        }
      } catch (error) {
        if (error instanceof OutputClosed) throw error;
        throw new TransientError(`${t.url}${path}: the stream broke (${(error as Error).message})`);
      }
      throw new TransientError(`${t.url}${path}: the stream ended`);
    } catch (error) {
      if (!(error instanceof TransientError) || ++failures > retries) throw error;
      process.stderr.write(`tail: ${(error as Error).message}; reconnecting (${failures}${retries === Infinity ? '' : ` of ${retries}`})\n`);
    }
    await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** failures, 5_000)));
  }
}
