/** One Server-Sent Events message: its `id` (an event's position) and `data` (the event JSON). */
export interface SseMessage {
  id?: string;
  data?: string;
}

/**
 * Cuts a text/event-stream into its blocks (the text between blank lines), however it is chunked, in time linear in
 * its length: a block arriving in many small chunks is held as parts and joined once, never rescanned. Line ends may
 * be CRLF, LF or CR, as the format allows.
 */
function createBlockSplitter(): (chunk: string) => string[] {
  let parts: string[] = [];
  let carriage = false;
  return (chunk) => {
    // A CR ending a chunk ends its line; an LF starting the next is then the second half of a CRLF.
    const text = (carriage && chunk.startsWith('\n') ? chunk.slice(1) : chunk).replace(/\r\n?/g, '\n');
    carriage = chunk.endsWith('\r');
    if (text === '') return [];
    const blocks: string[] = [];
    let from = 0;
    // A blank line across two chunks: the held part's last newline and this one's first.
    if (parts.at(-1)?.endsWith('\n') && text.startsWith('\n')) {
      blocks.push(parts.join('').slice(0, -1));
      parts = [];
      from = 1;
    }
    for (let end; (end = text.indexOf('\n\n', from)) >= 0; from = end + 2) {
      parts.push(text.slice(from, end));
      blocks.push(parts.join(''));
      parts = [];
    }
    if (from < text.length) parts.push(text.slice(from));
    return blocks;
  };
}

/** The messages of a text/event-stream body, comments (heartbeats) skipped. */
export async function* readSse(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const split = createBlockSplitter();
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    for (const block of split(decoder.decode(chunk, { stream: true }))) {
      const message: SseMessage = {};
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') message.id = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) message.data = data.join('\n');
      if (message.id !== undefined || message.data !== undefined) yield message;
    }
  }
}
