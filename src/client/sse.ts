/** One Server-Sent Events message: its `id` (an event's position) and `data` (the event JSON). */
export interface SseMessage {
  id?: string;
  data?: string;
}

/** The messages of a text/event-stream body, comments (heartbeats) skipped. */
export async function* readSse(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replaceAll('\r\n', '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
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
