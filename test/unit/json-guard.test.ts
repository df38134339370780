import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findUnstorableJson, isExactDouble } from '../../src/events/json-guard.ts';

const scan = (text: string, maxDepth = 64) => findUnstorableJson(text, { maxDepth }).issues;
const pointers = (text: string) => scan(text).map((i) => i.pointer);

describe('findUnstorableJson', () => {
  it('finds nothing in ordinary JSON', () => {
    expect(scan('{"a":[1,2.5,-3e-7,true,false,null,"x\\n\\"y"],"b":{"c":"😀 \\ud83d\\ude00"}}')).toEqual([]);
    expect(scan(' [ ] ')).toEqual([]);
    expect(scan('\ufeff{}')).toEqual([]);
  });

  it('addresses each problem by JSON Pointer, escaping ~ and /', () => {
    expect(pointers('{"a/b":{"c~d":["\\u0000"]}}')).toEqual(['/a~1b/c~0d/0']);
    expect(pointers('{"k\\u0000":1}')).toEqual(['/k\u0000']);
  });

  it('finds NUL, lone surrogates, duplicate keys, __proto__ and inexact numbers', () => {
    expect(scan('{"a":"\\u0000"}')[0]!.detail).toMatch(/U\+0000/);
    expect(scan('["\\ud800"]')[0]!.detail).toMatch(/surrogate/);
    expect(scan('["\\udfff"]')[0]!.detail).toMatch(/surrogate/);
    expect(scan('["\\ud800x"]')).toHaveLength(1);
    expect(scan('["\\\\ud800"]')).toEqual([]); // an escaped backslash, not an escape
    expect(scan('{"a":1,"\\u0061":2}')[0]!.detail).toMatch(/duplicate key "a"/);
    expect(scan('{"__proto__":1}')[0]!.detail).toMatch(/__proto__/);
    expect(scan('{"constructor":{"prototype":1}}')).toEqual([]);
    expect(pointers('[1, 9007199254740993]')).toEqual(['/1']);
  });

  it('stops at the depth limit without recursing further', () => {
    expect(scan('[[[]]]', 3)).toEqual([]);
    expect(scan('[[[[]]]]', 3)[0]!.detail).toMatch(/deeper than 3/);
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(scan(deep)).toHaveLength(1);
  });

  it('refuses a number of a million digits in one pass (a long run of zeros once took minutes)', () => {
    const zeros = '0'.repeat(1_000_000);
    expect(scan(`{"x":1.${zeros}1}`)[0]!.detail).toMatch(/cannot be kept exactly/);
    expect(scan(`{"x":1${zeros}}`)[0]!.detail).toMatch(/cannot be kept exactly/);
    expect(scan(`{"x":1.${zeros}}`)).toEqual([]);
    expect(isExactDouble(`0.${zeros}`)).toBe(true);
  });

  it('reports at most 20 problems', () => {
    expect(scan(JSON.stringify(Array(100).fill('\u0000')))).toHaveLength(20);
  });

  it('never flags JSON.stringify output of NUL-free well-formed values (property)', () => {
    const str = fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0'));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), str, tie('a'), tie('o')),
      a: fc.array(tie('v'), { maxLength: 5 }),
      o: fc.dictionary(str.filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 5 }),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(scan(JSON.stringify(v), 1000)).toEqual([]);
      }),
    );
  });

  it('always flags a NUL or a lone surrogate wherever it is (property)', () => {
    const bad = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff');
    fc.assert(
      fc.property(fc.string(), bad, fc.string(), fc.boolean(), (before, b, after, asKey) => {
        const s = before + b + after;
        const text = JSON.stringify(asKey ? { [s]: 1 } : [s]);
        expect(scan(text).length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('isExactDouble', () => {
  it.each([
    ['0', true], ['-0', true], ['1', true], ['1.0', true], ['1.10', true], ['1E2', true], ['0.1', true],
    ['9007199254740991', true], ['9007199254740992', true], ['1e21', true], ['5e-324', true], ['1.7976931348623157e308', true],
    ['9007199254740993', false], ['12345678901234567890', false], ['3.14159265358979323846', false],
    ['1e400', false], ['-1e400', false], ['1e-400', false], ['0.1000000000000000055511151231257827', false],
  ])('%s → %s', (token, exact) => expect(isExactDouble(token)).toBe(exact));

  it('accepts the shortest form of every finite double (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        expect(isExactDouble(JSON.stringify(d))).toBe(true);
      }),
    );
  });

  it('refuses integers JavaScript cannot hold exactly (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 80n }), (n) => {
        if (BigInt(Number(n)) !== n) expect(isExactDouble(String(n))).toBe(false);
      }),
    );
  });
});
