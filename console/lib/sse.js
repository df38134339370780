/**
 * Splits a Server-Sent Events text stream into messages (the WHATWG rules the console needs:
 * `id`, `data` over several lines, comments ignored). Pure, so the parser is tested alone.
 */
export function createSseParser() {
  let buffer = '';
  return {
    /**
     * @param {string} chunk
     * @returns {{ id: string | null, data: string }[]}
     */
    push(chunk) {
      buffer += chunk.replace(/\r\n?/g, '\n');
      /** @type {{ id: string | null, data: string }[]} */
      const out = [];
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        /** @type {string | null} */
        let id = null;
        /** @type {string[]} */
        const data = [];
        for (const line of block.split('\n')) {
          if (line === '' || line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const name = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (name === 'id') id = value;
          else if (name === 'data') data.push(value);
        }
        if (data.length > 0) out.push({ id, data: data.join('\n') });
      }
      return out;
    },
  };
}

/**
 * Reads GET /events/stream with fetch, not EventSource, because EventSource cannot send the
 * Authorization header. Resolves when the server ends the stream; rejects on abort or failure.
 * @param {Response} res
 * @param {(message: { id: string | null, data: string }) => void} onMessage
 */
export async function readSse(res, onMessage) {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = createSseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const message of parser.push(value)) onMessage(message);
  }
}
