import { formatTime, h } from '../lib/dom.js';
import { correlationTimeline } from '../lib/correlation-timeline.js';
import { aggregateHref } from '../lib/event-table.js';

/**
 * Copies text; where the browser refuses (no permission, no secure context) the text is
 * selected instead so Ctrl+C finishes the job.
 * @param {string} text
 * @param {HTMLElement} source
 * @param {HTMLElement} status
 */
async function copy(text, source, status) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied.';
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    status.textContent = 'The browser refused to copy: the JSON is selected, press Ctrl+C.';
  }
}

/** @type {import('../lib/view.js').View} */
export const eventView = {
  route: /^events\/([^/]+)$/,
  title: 'Event',
  async render({ api, main, params, signal }) {
    const id = params[0] ?? '';
    /** @type {import('../lib/event-table.js').StoredEvent} */
    const event = await api.get(`/events/${encodeURIComponent(id)}`, { signal });
    const json = JSON.stringify(event, null, 2);
    const pre = h('pre', { class: 'json', tabindex: 0, 'aria-label': 'Event JSON' }, json);
    const status = h('span', { class: 'muted', role: 'status' });
    const correlationId = event.metadata?.correlation_id;
    main.append(
      h('h1', { tabindex: -1 }, event.event_type, h('span', { class: 'muted' }, ` #${event.position}`)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Id'), h('dd', {}, h('code', {}, event.id)),
        h('dt', {}, 'Aggregate'), h('dd', {}, h('a', { href: aggregateHref(event.aggregate_type, event.aggregate_id) }, `${event.aggregate_type} ${event.aggregate_id}`), ` · sequence ${event.sequence}`),
        h('dt', {}, 'Created'), h('dd', {}, formatTime(event.created_at)),
        h('dt', {}, 'Version'), h('dd', {}, event.version),
        typeof correlationId === 'string' ? [h('dt', {}, 'Correlation'), h('dd', {}, h('a', { href: `/admin/events?${new URLSearchParams({ correlation_id: correlationId })}` }, h('code', {}, correlationId)))] : null),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => void copy(json, pre, status) }, 'Copy JSON'),
        h('a', { class: 'button secondary', href: `/admin/events?${new URLSearchParams({ event_type: event.event_type })}` }, 'Events of this type'),
        status),
      pre);
    if (typeof correlationId === 'string' && correlationId !== '') {
      const timeline = correlationTimeline(api, correlationId, { focusId: event.id, signal });
      main.append(timeline.section);
      await timeline.loaded;
    }
  },
};
