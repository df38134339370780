import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type ServerType } from '@hono/node-server';
import type { Logger } from '../observability/logger.ts';
import { answerClientError, answerConnect, answerExpectation, answerHostProblem, createAdapterErrorHandler, hostProblem } from './client-error.ts';

/** The HTTP server could not listen (the port in use, an address not of this machine). */
export class ListenError extends Error {
  override name = 'ListenError';
}

/**
 * The app on a Node HTTP server, listening; `onServer` gets the server at once, so a shutdown
 * during the listen can close it. Adapter errors and bad requests answer problem+json.
 */
export function listenHttp(fetch: (request: Request) => Response | Promise<Response>, at: { host: string; port: number }, logger: Logger, onServer: (server: ServerType) => void): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const failed = (error: Error) => reject(new ListenError(`cannot listen on ${at.host}:${at.port} (${error.message}); is the port in use, or HOST not an address of this machine?`));
    // serve() without its errorHandler, which only getRequestListener() takes.
    const listener = getRequestListener(fetch, { hostname: at.host, errorHandler: createAdapterErrorHandler(logger) });
    const http = createServer({ requireHostHeader: false }, (req, res) => {
      const wrong = hostProblem(req);
      return wrong === undefined ? listener(req, res) : answerHostProblem(res, wrong);
    });
    onServer(http);
    http.once('error', failed);
    http.on('clientError', answerClientError);
    http.on('checkExpectation', answerExpectation);
    http.on('connect', answerConnect);
    http.listen(at.port, at.host, () => {
      http.off('error', failed);
      resolve((http.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, lets requests in flight finish, and closes what is left after `timeoutMs`. */
export async function closeServer(server: ServerType, timeoutMs: number, logger: Logger) {
  const force = setTimeout(() => {
    logger.warn('shutdown timeout: closing remaining connections');
    if ('closeAllConnections' in server) server.closeAllConnections();
  }, timeoutMs);
  force.unref();
  // Otherwise keep-alive connections whose last response ends after close() stay open until their idle timeout.
  const reaper = setInterval(() => 'closeIdleConnections' in server && server.closeIdleConnections(), 50);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  clearInterval(reaper);
  clearTimeout(force);
}
