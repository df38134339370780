/**
 * @typedef {{ path: string, kind: 'added' | 'removed' | 'changed', before?: unknown, after?: unknown }} JsonChange
 */

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** @param {string} key a JSON Pointer token (RFC 6901) */
const token = (key) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * What changed between two JSON values (e.g. an aggregate's state before and after an event),
 * as JSON Pointer paths in a stable order: object keys in the order of `after`, then the keys
 * only `before` had; arrays index by index. Equal values give no change; a value whose kind
 * changes (object to array, number to string…) is one change at its path.
 * @param {unknown} before
 * @param {unknown} after
 * @param {string} [path]
 * @returns {JsonChange[]}
 */
export function diffJson(before, after, path = '') {
  if (isObject(before) && isObject(after)) {
    /** @type {JsonChange[]} */
    const changes = [];
    for (const key of Object.keys(after)) {
      const at = `${path}/${token(key)}`;
      if (!Object.hasOwn(before, key)) changes.push({ path: at, kind: 'added', after: after[key] });
      else changes.push(...diffJson(before[key], after[key], at));
    }
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) changes.push({ path: `${path}/${token(key)}`, kind: 'removed', before: before[key] });
    }
    return changes;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    /** @type {JsonChange[]} */
    const changes = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const at = `${path}/${i}`;
      if (i >= before.length) changes.push({ path: at, kind: 'added', after: after[i] });
      else if (i >= after.length) changes.push({ path: at, kind: 'removed', before: before[i] });
      else changes.push(...diffJson(before[i], after[i], at));
    }
    return changes;
  }
  if (Object.is(before, after)) return [];
  if (before === undefined) return [{ path, kind: 'added', after }];
  if (after === undefined) return [{ path, kind: 'removed', before }];
  return [{ path, kind: 'changed', before, after }];
}
