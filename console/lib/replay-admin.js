import { h } from './dom.js';
import { ApiError } from './problem.js';

const NOT_ADMIN = 'This key lacks the admin scope: it can browse, but previewing, starting and cancelling replays needs an admin key.';

/**
 * A managing action's 403 teaches the console that this key lacks admin (shown, and the
 * actions disabled); a success that it has it. With GET /auth/key the console knows before.
 * @param {import('./session.js').Session} session
 * @param {unknown} error
 */
export function learnScope(session, error) {
  if (error instanceof ApiError && error.status === 403) session.setAdmin(false);
}

/**
 * @param {import('./session.js').Session} session
 * @param {string} [text] what the key cannot do, when it lacks admin
 */
export const adminNote = (session, text = NOT_ADMIN) => (session.admin === false ? h('p', { class: 'note', role: 'note' }, text) : null);

/**
 * @typedef {{ id: string, channel: string | null, status: string, filter: Record<string, unknown>, up_to: number, last_position: number, published: number, error: string | null, created_at: string, updated_at: string }} Replay
 */

/**
 * How far along positions a replay has read: from its filter's `after` to `up_to` (the head
 * when it started).
 * @param {Replay} r
 */
export function replayProgress(r) {
  const start = typeof r.filter.after === 'number' ? r.filter.after : 0;
  const total = Math.max(r.up_to - start, 0);
  const done = r.status === 'completed' ? total : Math.min(Math.max(r.last_position - start, 0), total);
  return { total, done };
}
