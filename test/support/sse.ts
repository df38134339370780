import { waitUntil } from './wait.ts';

/** Reads Server-Sent Events from a streaming response body. */
export function readSse(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: { id?: string; data?: string; comment?: string }[] = [];
  let done = false;
  const pump = (async () => {
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        buffer += decoder.decode(r.value, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const e: { id?: string; data?: string; comment?: string } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) e.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) e.id = line.slice(4);
            else if (line.startsWith('data: ')) e.data = (e.data ? e.data + '\n' : '') + line.slice(6);
          }
          events.push(e);
        }
      }
    } catch {
      // cancelled
    } finally {
      done = true;
    }
  })();
  return {
    events,
    /** The server ended the stream (or it was cancelled). */
    get ended() {
      return done;
    },
    messages: () => events.filter((e) => e.data !== undefined).map((e) => ({ id: Number(e.id), event: JSON.parse(e.data!) })),
    /** Waits until `check` holds, the stream ends or `timeoutMs` passes; returns `check()`. */
    async waitFor(check: () => boolean, timeoutMs = 5000) {
      await waitUntil(() => check() || done, timeoutMs, 10);
      return check();
    },
    async close() {
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
}
