import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { RequestError } from '@hono/node-server';
import type { Logger } from '../observability/logger.ts';

// Refusals made before the app sees a request, by Node's HTTP parser (by the error's code), by
// Node's Expect handling, or by the Hono adapter building the Request: problem+json like the rest.
const ANSWERS: Record<string, { status: number; title: string; type: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, title: 'Request header fields too large', type: 'malformed-request', detail: 'the request line and headers are larger than 16 KiB' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, title: 'Request timeout', type: 'timeout', detail: 'the request did not arrive in time; nothing was done' },
};
const MALFORMED = { status: 400, title: 'Bad request', type: 'malformed-request', detail: 'the HTTP request could not be read' };

const problemJson = (status: number, title: string, type: string, detail: string) => JSON.stringify({ type: `/problems/${type}`, title, status, detail });

/** The server's 'clientError' listener: such refusals are problem+json too (SPEC §3), not Node's bare status line. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex & { bytesWritten?: number }): void {
  // As Node's own default: answer only where nothing of a response has been written yet.
  if (error.code !== 'ECONNRESET' && socket.writable && socket.bytesWritten === 0) {
    const { status, title, type, detail } = ANSWERS[error.code ?? ''] ?? MALFORMED;
    const body = problemJson(status, title, type, error.code && !ANSWERS[error.code] ? `${detail} (${error.code})` : detail);
    socket.write(`HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** The server's 'connect' listener: CONNECT (a proxy's method) is refused as any unknown method is, not by closing the socket. */
export function answerConnect(_req: IncomingMessage, socket: Duplex): void {
  const body = problemJson(405, 'Method not allowed', 'method-not-allowed', 'CONNECT is not supported: this is not a proxy');
  socket.end(`HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** The server's 'checkExpectation' listener (any Expect but 100-continue, which Node answers itself): 417 problem+json instead of Node's empty one. */
export function answerExpectation(req: IncomingMessage, res: ServerResponse): void {
  const body = problemJson(417, 'Expectation failed', 'malformed-request', `Expect: ${req.headers.expect} is not supported; only 100-continue is`);
  // Whether the client sends its body after an expectation it did not get is up to it: close.
  res.writeHead(417, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
}

/**
 * What is wrong with a request's Host (RFC 9112, 3.2: HTTP/1.1 needs one, and no request may have two), or undefined.
 * The server turns off Node's own check, which answers a missing Host with an empty 400 and lets a second one by.
 */
export function hostProblem(req: IncomingMessage): string | undefined {
  if (req.headers.host === undefined) return req.httpVersionMajor > 1 || req.httpVersionMinor >= 1 ? 'an HTTP/1.1 request needs a Host header' : undefined;
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.length === 4 && req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
  return hosts > 1 ? 'a request may have one Host header, not several' : undefined;
}

export function answerHostProblem(res: ServerResponse, detail: string): void {
  const body = problemJson(400, 'Bad request', 'malformed-request', detail);
  res.writeHead(400, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
}

/**
 * The Hono adapter's errorHandler. Its RequestError is a request it cannot turn into a Request
 * (a backslash in the path, a Host that is no host, an absolute URL that is none): 400. Anything
 * else escaped the app's own onError: 500, logged.
 */
export function createAdapterErrorHandler(logger: Logger) {
  return async function adapterError(error: unknown): Promise<Response> {
    const refused = error instanceof RequestError;
    if (!refused) logger.error({ err: error }, 'unhandled error in the HTTP adapter');
    const body = refused
      ? problemJson(400, 'Bad request', 'malformed-request', `the request could not be read: ${error.message}`)
      : problemJson(500, 'Internal server error', 'internal', 'an unexpected error occurred');
    return new Response(body, { status: refused ? 400 : 500, headers: { 'content-type': 'application/problem+json' } });
  };
}
