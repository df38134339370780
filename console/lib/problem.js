import { h } from './dom.js';

/**
 * @typedef {{ type?: string, title?: string, status?: number, detail?: string,
 *   errors?: { pointer: string, detail: string }[], [extension: string]: unknown }} Problem
 */

/** An answer of the API that was not 2xx, with its problem+json body (RFC 9457). */
export class ApiError extends Error {
  /**
   * @param {number} status 0 when the service did not answer at all
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * @param {Response} res
 * @returns {Promise<Problem>}
 */
export async function readProblem(res) {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object') return body;
  } catch {
    // not JSON: described below
  }
  return { title: res.statusText || `HTTP ${res.status}`, status: res.status, detail: text.slice(0, 500) || undefined };
}

/**
 * A readable block for any error: the problem's status, title, detail and field errors.
 * @param {unknown} error
 */
export function problemView(error) {
  if (!(error instanceof ApiError)) {
    return h('div', { class: 'problem', role: 'alert' }, h('strong', {}, 'Something went wrong'), h('p', {}, String(error instanceof Error ? error.message : error)));
  }
  const p = error.problem;
  const errors = Array.isArray(p.errors) ? p.errors : [];
  const extras = Object.entries(p).filter(([k]) => !['type', 'title', 'status', 'detail', 'errors', 'instance', 'request_id'].includes(k));
  return h('div', { class: 'problem', role: 'alert', 'data-status': error.status },
    h('strong', {}, error.status ? `${error.status} ${p.title ?? ''}` : (p.title ?? 'No answer')),
    p.detail ? h('p', {}, p.detail) : null,
    errors.length > 0 ? h('ul', {}, errors.map((e) => h('li', {}, h('code', {}, e.pointer || '(body)'), ' ', e.detail))) : null,
    extras.length > 0 ? h('p', { class: 'muted' }, extras.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(' · ')) : null,
    p.request_id ? h('p', { class: 'muted' }, `request id ${p.request_id}`) : null);
}
