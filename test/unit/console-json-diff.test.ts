import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffJson, type JsonChange } from '../../console/lib/json-diff.js';

/** Applies changes to a copy of `before` (the diff's inverse, for the round-trip law). */
function apply(before: unknown, changes: JsonChange[]): unknown {
  let root = structuredClone(before);
  for (const change of changes) {
    if (change.path === '') {
      root = change.kind === 'removed' ? undefined : structuredClone(change.after);
      continue;
    }
    const tokens = change.path.slice(1).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = tokens.pop()!;
    let parent = root as Record<string, unknown>;
    for (const t of tokens) parent = parent[t] as Record<string, unknown>;
    if (change.kind !== 'removed') Object.defineProperty(parent, last, { value: structuredClone(change.after), enumerable: true, writable: true, configurable: true });
    else if (Array.isArray(parent)) parent.length = Math.min(parent.length, Number(last));
    else delete parent[last];
  }
  return root;
}

describe('diffJson (the aggregate view: what an event changed)', () => {
  it('names each added, removed and changed leaf by its JSON Pointer', () => {
    const before = { name: 'explore-agent', renames: 0, tags: ['a', 'b'], owner: { team: 'x' }, 'a/b': 1 };
    const after = { name: 'explorer', renames: 1, tags: ['a'], owner: { team: 'x', lead: 'kim' }, kind: 'general' };
    expect(diffJson(before, after)).toEqual([
      { path: '/name', kind: 'changed', before: 'explore-agent', after: 'explorer' },
      { path: '/renames', kind: 'changed', before: 0, after: 1 },
      { path: '/tags/1', kind: 'removed', before: 'b' },
      { path: '/owner/lead', kind: 'added', after: 'kim' },
      { path: '/kind', kind: 'added', after: 'general' },
      { path: '/a~1b', kind: 'removed', before: 1 },
    ]);
  });

  it('the first event adds the whole state; a change of kind is one change', () => {
    expect(diffJson(undefined, { n: 1 })).toEqual([{ path: '', kind: 'added', after: { n: 1 } }]);
    expect(diffJson({ v: [1] }, { v: { 0: 1 } })).toEqual([{ path: '/v', kind: 'changed', before: [1], after: { 0: 1 } }]);
    expect(diffJson({ v: null }, { v: 0 })).toEqual([{ path: '/v', kind: 'changed', before: null, after: 0 }]);
  });

  it('equal values give no change, and applying the changes to the first value gives the second', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
      expect(diffJson(a, structuredClone(a))).toEqual([]);
      const plain = (v: unknown) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
      expect(plain(apply(a, diffJson(a, b)))).toEqual(plain(b));
    }), { numRuns: 300 });
  });
});
