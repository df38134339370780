/** @typedef {string | number | Node | null | undefined | false} Child */

/**
 * Builds an element. Text is always set as text (never parsed as HTML), so data from events
 * cannot inject markup. `on<event>` attributes take listeners; `true` sets a boolean attribute.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    else if (name === 'value' && (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement)) el.value = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {(Child | Child[])[]} children
 */
export function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
}

/** @param {number} n */
export const formatNumber = (n) => (Number.isFinite(n) ? n.toLocaleString('en-US') : '–');

/** @param {string} iso created_at, shown in UTC as stored */
export const formatTime = (iso) => iso.replace('T', ' ').replace(/Z$/, ' UTC');

/** @param {string} id a UUID, shortened for tables (the full one is in the title) */
export const shortId = (id) => id.slice(0, 8) + '…';

/**
 * A labelled text field of a filter form.
 * @param {string} name
 * @param {string} label
 * @param {string} value
 * @param {Record<string, unknown>} [attrs]
 */
export function field(name, label, value, attrs = {}) {
  const id = `f-${name}`;
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name, value, autocomplete: 'off', spellcheck: 'false', ...attrs }));
}
