import { failOn, type Target, writeOut } from './http.ts';

/**
 * events-service tail <aggregate_type> [--after P]
 * Follows GET /events/stream and prints each event as one JSON line; reconnects after errors
 * with Last-Event-ID, so nothing is missed or repeated.
 */
export async function tail(t: Target, aggregateType: string | undefined, flags: Record<string, string>): Promise<void> {
  let last: string | undefined = flags.after;
  for (;;) {
    try {
      const query = new URLSearchParams();
      if (aggregateType) query.set('aggregate_type', aggregateType);
      const headers: Record<string, string> = { ...t.headers, accept: 'text/event-stream' };
      if (last !== undefined) headers['last-event-id'] = last;
      const res = await fetch(`${t.url}/events/stream?${query}`, { headers });
      await failOn(res, 'GET /events/stream');
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id: string | undefined;
          let data: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (data !== undefined) await writeOut(data + '\n');
          if (id !== undefined) last = id;
        }
      }
    } catch (error) {
      if ((error as Error).message.startsWith('GET /events/stream: 4')) throw error;
      process.stderr.write(`tail: ${(error as Error).message}; reconnecting\n`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
