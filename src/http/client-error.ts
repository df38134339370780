import type { Duplex } from 'node:stream';

// What Node's HTTP parser refuses before the app sees the request, by the error's code.
const ANSWERS: Record<string, { status: number; title: string; type: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, title: 'Request header fields too large', type: 'malformed-request', detail: 'the request line and headers are larger than 16 KiB' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, title: 'Request timeout', type: 'timeout', detail: 'the request did not arrive in time; nothing was done' },
};
const MALFORMED = { status: 400, title: 'Bad request', type: 'malformed-request', detail: 'the HTTP request could not be read' };

/** The server's 'clientError' listener: such refusals are problem+json too (SPEC §3), not Node's bare status line. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex & { bytesWritten?: number }): void {
  // As Node's own default: answer only where nothing of a response has been written yet.
  if (error.code !== 'ECONNRESET' && socket.writable && socket.bytesWritten === 0) {
    const { status, title, type, detail } = ANSWERS[error.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify({ type: `/problems/${type}`, title, status, detail: error.code && !ANSWERS[error.code] ? `${detail} (${error.code})` : detail });
    socket.write(`HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
