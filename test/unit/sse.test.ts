import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../console/lib/sse.js';
import { readSse } from '../../src/client/sse.ts';

// The two Server-Sent Events parsers: the package's readSse() and the console's. Each must give the same messages
// however the stream is cut into chunks, in time linear in its length.

const STREAM = ': connected\n\nid: 7\ndata: {"a":1}\n\nid: 8\r\ndata: x\r\ndata: y\r\n\r\n: heartbeat\n\nid: 9\rdata: z\r\r';
const MESSAGES = [{ id: '7', data: '{"a":1}' }, { id: '8', data: 'x\ny' }, { id: '9', data: 'z' }];

async function viaClient(chunks: string[]): Promise<{ id: string | null; data: string }[]> {
  const encoder = new TextEncoder();
  const out = [];
  for await (const m of readSse((async function* () {
    for (const c of chunks) yield encoder.encode(c);
  })())) out.push({ id: m.id ?? null, data: m.data! });
  return out;
}

async function viaConsole(chunks: string[]): Promise<{ id: string | null; data: string }[]> {
  const parser = createSseParser();
  return chunks.flatMap((c) => parser.push(c));
}

describe.each([['readSse()', viaClient], ["the console's parser", viaConsole]] as const)('%s', (_, parse) => {
  it('reads the same messages wherever the stream is cut, with CRLF, LF or CR line ends', async () => {
    expect(await parse([STREAM])).toEqual(MESSAGES);
    for (let at = 0; at <= STREAM.length; at++) expect(await parse([STREAM.slice(0, at), STREAM.slice(at)]), `cut at ${at}`).toEqual(MESSAGES);
    expect(await parse([...STREAM])).toEqual(MESSAGES);
  });

  it('reads a message of 16 MB sent in 1 KiB chunks in one pass (each chunk once rescanned all before it: minutes)', async () => {
    const data = `{"payload":"${'x'.repeat(16 * 1024 * 1024)}"}`;
    const text = `id: 1\ndata: ${data}\n\n`;
    const chunks = Array.from({ length: Math.ceil(text.length / 1024) }, (_, i) => text.slice(i * 1024, (i + 1) * 1024));
    expect(await parse(chunks)).toEqual([{ id: '1', data }]);
  });
});
