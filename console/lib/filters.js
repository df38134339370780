import { field, h } from './dom.js';

/** The filters of GET /events (SPEC §3), with the console's labels and hints. */
export const EVENT_FILTERS = /** @type {const} */ ([
  ['aggregate_type', 'Aggregate type', 'agent'],
  ['aggregate_id', 'Aggregate id', 'UUID'],
  ['event_type', 'Event type', 'agent.created'],
  ['correlation_id', 'Correlation id', 'corr-456'],
  ['from', 'From (inclusive)', '2026-11-23T00:00:00Z'],
  ['to', 'To (exclusive)', '2026-11-24T00:00:00Z'],
]);

/** @typedef {typeof EVENT_FILTERS[number][0]} FilterName */

/**
 * The given names' non-empty values of a query, in that order.
 * @param {URLSearchParams} query
 * @param {readonly string[]} names
 */
export function pick(query, names) {
  const out = new URLSearchParams();
  for (const name of names) {
    const value = query.get(name)?.trim();
    if (value) out.set(name, value);
  }
  return out;
}

/**
 * Text fields for filters, filled from the query.
 * @param {URLSearchParams} query
 * @param {readonly (readonly [string, string, string])[]} filters
 */
export function filterFields(query, filters) {
  return filters.map(([name, label, hint]) => field(name, label, query.get(name) ?? '', { placeholder: hint }));
}

/**
 * A form's non-empty values, trimmed.
 * @param {HTMLFormElement} form
 */
export function formQuery(form) {
  const out = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string' && value.trim() !== '') out.set(name, value.trim());
  }
  return out;
}

/**
 * Marks the form's fields named by a problem's errors (JSON pointers like /from).
 * @param {HTMLFormElement} form
 * @param {unknown} error
 */
export function markInvalid(form, error) {
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const errors = /** @type {any} */ (error)?.problem?.errors;
  if (!Array.isArray(errors)) return;
  for (const e of errors) {
    const name = String(e?.pointer ?? '').split('/').pop();
    const input = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
    input?.setAttribute('aria-invalid', 'true');
  }
}

/**
 * A select field.
 * @param {string} name
 * @param {string} label
 * @param {string} value
 * @param {[string, string][]} options value, text
 */
export function selectField(name, label, value, options) {
  const id = `f-${name}`;
  return h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}
