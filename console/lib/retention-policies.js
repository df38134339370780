import { whileBusy } from './busy.js';
import { field, formatNumber, formatTime, h } from './dom.js';
import { markInvalid } from './filters.js';
import { formatBytes, policyBody } from './lifecycle.js';
import { ApiError, problemView } from './problem.js';
import { adminNote, learnScope } from './replay-admin.js';

export const NOT_ADMIN = 'This key lacks the admin scope: it can read policies, runs and segments, but setting or removing a policy and starting a run need an admin key.';

/**
 * @param {import('./lifecycle.js').Policy} p
 * @param {import('./lifecycle.js').Tiers | null} t null when its tiers could not be read
 */
function policyRow(p, t) {
  const n = (/** @type {number | undefined} */ v) => h('td', { class: 'num' }, v === undefined ? '–' : formatNumber(v));
  return h('tr', { 'data-type': p.aggregate_type },
    h('th', { scope: 'row' }, h('a', { href: `/admin/retention?type=${encodeURIComponent(p.aggregate_type)}` }, p.aggregate_type)),
    h('td', {}, p.archive_after ?? 'never'),
    h('td', {}, p.delete_after ?? 'never'),
    n(t?.hot.events), h('td', { class: 'num nowrap' }, t ? `~${formatBytes(t.hot.bytes)}` : '–'),
    n(t?.archive.events), h('td', { class: 'num nowrap' }, t ? formatBytes(t.archive.bytes) : '–'), n(t?.archive.segments),
    n(t?.deleted.events),
    h('td', { class: 'nowrap' }, p.updated_at ? formatTime(p.updated_at).replace(' UTC', '') : '–'));
}

/**
 * The policies with each type's events and bytes per tier (one GET /retention/{type} each:
 * the service answers those from per-aggregate ranges and the manifest, never a scan).
 * @param {import('./api.js').Api} api
 * @param {AbortSignal} signal
 */
export async function loadPolicies(api, signal) {
  /** @type {{ policies: import('./lifecycle.js').Policy[] }} */
  const { policies } = await api.get('/retention', { signal });
  const tiers = await Promise.all(policies.map((p) => api.get(`/retention/${encodeURIComponent(p.aggregate_type)}`, { signal }).then(
    (/** @type {{ tiers: import('./lifecycle.js').Tiers }} */ r) => r.tiers,
    (error) => {
      if (error instanceof ApiError && error.status === 401) throw error;
      return null;
    })));
  return policies.map((policy, i) => ({ policy, tiers: tiers[i] ?? null }));
}

/** @param {Awaited<ReturnType<typeof loadPolicies>>} rows */
export function policiesTable(rows) {
  if (rows.length === 0) return h('p', { class: 'empty' }, 'No policy: every event stays in PostgreSQL forever.');
  return h('div', { class: 'table-wrap' }, h('table', { id: 'policies' },
    h('caption', {}, 'Hot bytes are PostgreSQL\u2019s estimate'),
    h('thead', {}, h('tr', {}, ['Type', 'Archive after', 'Delete after', 'Hot events', 'Hot bytes', 'Archived', 'Archived bytes', 'Segments', 'Deleted', 'Updated (UTC)'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => policyRow(r.policy, r.tiers)))));
}

/**
 * The form that sets or removes one type's policy (admin only), prefilled from the type in the
 * URL. `changed` is called after the service stored the change.
 * @param {import('./view.js').ViewContext} ctx
 * @param {() => Awaited<ReturnType<typeof loadPolicies>>} rows the policies as the view shows them now
 * @param {string} type
 * @param {(type: string) => void} changed
 */
export function policyForm({ api, session }, rows, type, changed) {
  const current = rows().find((r) => r.policy.aggregate_type === type)?.policy;
  const status = h('div', { role: 'status', id: 'policy-status' });
  const problem = h('div');
  const note = h('div', {}, adminNote(session, NOT_ADMIN));
  const save = h('button', { type: 'submit' }, 'Save policy');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Remove policy');
  const fieldset = h('fieldset', { disabled: session.admin === false },
    h('legend', {}, 'Set a policy'),
    h('p', { class: 'muted' }, 'ISO 8601 durations on created_at (P30D, PT12H, P1Y; PT0S: now); empty: never. Delete after must not be shorter than archive after.'),
    h('div', { class: 'grid' },
      field('aggregate_type', 'Aggregate type', type, { required: true, pattern: '[a-z][a-z0-9_\\-]{0,63}' }),
      field('archive_after', 'Archive after', current?.archive_after ?? '', { placeholder: 'never' }),
      field('delete_after', 'Delete after', current?.delete_after ?? '', { placeholder: 'never' })),
    h('div', { class: 'actions' }, save, remove));
  const form = h('form', { class: 'filters', 'aria-label': 'Set a policy' }, fieldset, status, problem);
  const value = (/** @type {string} */ name) => String(new FormData(form).get(name) ?? '').trim();

  /** @param {'PUT' | 'DELETE'} method @param {HTMLButtonElement} button */
  async function send(method, button) {
    const t = value('aggregate_type');
    // DELETE answers 204 whether or not there was a policy: the list shown tells which.
    const had = rows().some((r) => r.policy.aggregate_type === t);
    problem.replaceChildren();
    status.replaceChildren();
    try {
      const path = `/retention/${encodeURIComponent(t)}`;
      await whileBusy(button, () => (method === 'PUT'
        ? api.send('PUT', path, policyBody({ archive_after: value('archive_after'), delete_after: value('delete_after') }))
        : api.request('DELETE', path)));
      markInvalid(form, null);
      session.setAdmin(true);
      changed(t);
      status.replaceChildren(h('p', {}, method === 'PUT' ? `Policy for ${t} saved.`
        : had ? `Policy for ${t} removed: its events are kept forever.` : `No policy for ${t} to remove: its events were already kept forever.`));
    } catch (error) {
      learnScope(session, error);
      markInvalid(form, error);
      fieldset.disabled = session.admin === false;
      note.replaceChildren(adminNote(session, NOT_ADMIN) ?? '');
      problem.replaceChildren(problemView(error));
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void send('PUT', save);
  });
  remove.addEventListener('click', () => {
    if (form.reportValidity()) void send('DELETE', remove);
  });
  return h('div', {}, note, form);
}
