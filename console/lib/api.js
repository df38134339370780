import { ApiError, readProblem } from './problem.js';

/**
 * @typedef {object} RequestOptions
 * @property {URLSearchParams | Record<string, string>} [query]
 * @property {unknown} [body]
 * @property {AbortSignal} [signal]
 * @property {Record<string, string>} [headers]
 * @property {string} [key] a key to check instead of the session's: its 401 is the caller's, the session keeps its key
 */

/**
 * @typedef {ReturnType<typeof createApi>} Api
 */

/**
 * The console's only way to the service: its public HTTP API, with the session's key as a
 * bearer token. Every non-2xx answer becomes an ApiError carrying the problem+json body.
 * @param {{ getKey(): string | null, onUnauthorized(error: ApiError): void }} options
 */
export function createApi({ getKey, onUnauthorized }) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {RequestOptions} [options]
   */
  async function request(method, path, options = {}) {
    const query = new URLSearchParams(options.query).toString();
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json', ...options.headers };
    const key = options.key ?? getKey();
    if (key) headers.authorization = `Bearer ${key}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(query ? `${path}?${query}` : path, {
        method, headers, signal: options.signal, body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError(0, { title: 'The service did not answer', detail: error instanceof Error ? error.message : String(error) });
    }
    if (res.ok) return res;
    const failure = new ApiError(res.status, await readProblem(res));
    if (res.status === 401 && options.key === undefined) onUnauthorized(failure);
    throw failure;
  }

  return {
    request,
    /**
     * @param {string} path
     * @param {RequestOptions} [options]
     * @returns {Promise<any>}
     */
    async get(path, options) {
      return (await request('GET', path, options)).json();
    },
    /**
     * @param {string} path
     * @param {RequestOptions} [options]
     */
    async text(path, options) {
      return (await request('GET', path, { ...options, headers: { accept: 'text/plain', ...options?.headers } })).text();
    },
    /**
     * @param {'POST' | 'PUT' | 'DELETE'} method
     * @param {string} path
     * @param {unknown} [body]
     * @returns {Promise<any>}
     */
    async send(method, path, body) {
      return (await request(method, path, { body })).json();
    },
  };
}
