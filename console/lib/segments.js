import { formatNumber, formatTime, h } from './dom.js';
import { formatBytes } from './lifecycle.js';
import { ApiError, problemView } from './problem.js';

const PAGE = 50;

/**
 * One page of the manifest (GET /archive/segments, keyset paged by segment id), its filter,
 * cursor and page size in the page's URL as `segments_type`, `segments_after`, `segments_limit`.
 * @param {import('./view.js').ViewContext} ctx
 */
export async function segmentsSection({ api, query, signal, navigate }) {
  const type = query.get('segments_type')?.trim() ?? '';
  const after = /^\d+$/.test(query.get('segments_after') ?? '') ? /** @type {string} */ (query.get('segments_after')) : '';
  const limit = Number(query.get('segments_limit'));
  const size = Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : PAGE;
  const href = (/** @type {Record<string, string>} */ changes) => {
    const next = new URLSearchParams(query);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    return `/admin/retention${next.size > 0 ? `?${next}` : ''}`;
  };
  const form = h('form', { class: 'inline narrow', 'aria-label': 'Segment filter' },
    h('div', { class: 'field' }, h('label', { for: 'f-segments-type' }, 'Segments of type'), h('input', { id: 'f-segments-type', name: 'segments_type', value: type, placeholder: 'all', autocomplete: 'off', spellcheck: 'false', pattern: '[a-z][a-z0-9_\\-]{0,63}', title: 'An aggregate type: a lowercase letter, then up to 63 lowercase letters, digits, _ or -' })),
    h('button', { type: 'submit', class: 'secondary' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(href({ segments_type: String(new FormData(form).get('segments_type') ?? '').trim(), segments_after: '' }));
  });
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const section = h('section', { class: 'panel', 'aria-labelledby': 'segments-title', id: 'segments' }, h('h2', { id: 'segments-title' }, 'Archive segments'), form, list);

  const show = async () => {
    /** @type {{ segments: import('./lifecycle.js').Segment[], next_after: number | null }} */
    const page = await api.get('/archive/segments', { query: { limit: String(size), ...(type ? { aggregate_type: type } : {}), ...(after ? { after } : {}) }, signal });
    const pager = h('nav', { class: 'pager', 'aria-label': 'Segment pages' },
      after ? h('a', { href: href({ segments_after: '' }) }, 'First page') : null,
      page.next_after !== null ? h('a', { href: href({ segments_after: String(page.next_after) }), rel: 'next' }, 'Next page') : null);
    list.replaceChildren(page.segments.length === 0 ? h('p', { class: 'empty' }, after ? 'No more segments.' : 'No segment archived yet.') : h('div', { class: 'table-wrap' }, h('table', { id: 'segment-list' },
      h('caption', {}, `In commit order${after ? `, after segment ${after}` : ''}`),
      h('thead', {}, h('tr', {}, ['Id', 'Type', 'Positions', 'Events', 'Bytes', 'Created (UTC) of its events', 'Key'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, page.segments.map((s) => h('tr', { 'data-id': s.id },
        h('td', { class: 'num' }, String(s.id)),
        h('td', {}, s.aggregate_type),
        h('td', { class: 'nowrap' }, `${formatNumber(s.from_position)} – ${formatNumber(s.to_position)}`),
        h('td', { class: 'num' }, formatNumber(s.events)),
        h('td', { class: 'num nowrap' }, formatBytes(s.bytes)),
        h('td', {}, `${formatTime(s.first_created_at).replace(' UTC', '')} – ${formatTime(s.last_created_at).replace(' UTC', '')}`),
        h('td', {}, h('code', { title: `sha256 ${s.sha256}` }, s.key))))))), pager);
  };
  // Its problem (a type the service refuses) shows here; the rest of the page loads regardless.
  const load = () => show().catch((error) => {
    if (signal.aborted || (error instanceof ApiError && error.status === 401)) throw error;
    if (error instanceof ApiError && error.status === 400) form.querySelector('input')?.setAttribute('aria-invalid', 'true');
    list.replaceChildren(problemView(error));
  });
  return { section, load };
}
