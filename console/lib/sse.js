/**
 * Splits a Server-Sent Events text stream into messages (the WHATWG rules the console needs:
 * `id`, `data` over several lines, comments ignored, CRLF, LF or CR line ends). Pure, so the
 * parser is tested alone. Linear in the stream's length however it is chunked: a message arriving
 * in many small chunks is held as parts and joined once, never rescanned.
 */
export function createSseParser() {
  /** @type {string[]} */
  let parts = [];
  let carriage = false;
  return {
    /**
     * @param {string} chunk
     * @returns {{ id: string | null, data: string }[]}
     */
    push(chunk) {
      // A CR ending a chunk ends its line; an LF starting the next is then the second half of a CRLF.
      const text = (carriage && chunk.startsWith('\n') ? chunk.slice(1) : chunk).replace(/\r\n?/g, '\n');
      carriage = chunk.endsWith('\r');
      if (text === '') return [];
      /** @type {string[]} */
      const blocks = [];
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
      return blocks.flatMap(message);
    },
  };
}

/**
 * @param {string} block
 * @returns {{ id: string | null, data: string }[]}
 */
function message(block) {
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
  return data.length > 0 ? [{ id, data: data.join('\n') }] : [];
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
