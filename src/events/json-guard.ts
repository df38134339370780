import { type FieldError, MAX_FIELD_ERRORS, toPointer } from '../errors.ts';

export interface JsonGuardOptions {
  maxDepth: number;
  /** The most issues kept (all are counted). */
  maxIssues?: number;
  /** The body's size and the most it may take once stored (both in bytes); unchecked without them. */
  size?: { bytes: number; maxBytes: number };
}

// Finds what JSON allows but the store must refuse rather than silently change: NUL and lone
// surrogates (jsonb), numbers a double cannot hold exactly, duplicate keys, "__proto__", and
// numbers in exponent form that would grow the body past its limit once stored (jsonb writes
// every number out in full: 1e308 as 309 digits). Scans text JSON.parse accepted; stops at
// maxDepth so nesting cannot exhaust the stack.
export function findUnstorableJson(text: string, options: JsonGuardOptions): { issues: FieldError[]; found: number } {
  const scanner = new Scanner(text, options.maxDepth, options.maxIssues ?? MAX_FIELD_ERRORS, options.size);
  try {
    scanner.value(0);
  } catch (e) {
    if (e !== STOP) throw e;
  }
  return { issues: scanner.issues, found: scanner.found };
}

const STOP = Symbol('stop');
// Character codes the scan compares (charCodeAt: no string per character).
const MINUS = 45, DOT = 46, ZERO = 48, NINE = 57, LOWER_E = 101, UPPER_E = 69, PLUS = 43;
// An object's keys are compared in an array up to this many, then in a Set.
const FEW_KEYS = 8;

class Scanner {
  readonly issues: FieldError[] = [];
  found = 0;
  private i = 0;
  private readonly path: (string | number)[] = [];
  /** Bytes the numbers in exponent form gain when written out in full; -1 once reported. */
  private growth = 0;
  // The next '"' and '\\' at or after the scan (-1: none left), each searched for again only
  // once the scan has passed it: every search starts where the last ended, so the scan stays linear.
  private quote = -1;
  private backslash = -1;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
    private readonly maxIssues: number,
    private readonly size?: { bytes: number; maxBytes: number },
  ) {
    if (s.charCodeAt(0) === 0xfeff) this.i = 1;
    this.backslash = s.indexOf('\\');
  }

  value(depth: number): void {
    this.ws();
    const c = this.s[this.i];
    if (c === '{' || c === '[') {
      if (depth >= this.maxDepth) {
        this.report(`nesting is deeper than ${this.maxDepth} levels`);
        throw STOP;
      }
      if (c === '{') this.object(depth + 1);
      else this.array(depth + 1);
    } else if (c === '"') {
      this.string();
    } else if (c === 't' || c === 'n') {
      this.i += 4;
    } else if (c === 'f') {
      this.i += 5;
    } else {
      this.number();
    }
  }

  private object(depth: number) {
    this.i++;
    const few: string[] = [];
    let many: Set<string> | undefined;
    this.ws();
    if (this.s[this.i] === '}') return void this.i++;
    for (;;) {
      this.ws();
      const before = this.issues.length;
      const key = this.string(true);
      this.path.push(key);
      // problems inside the key itself were found before the key was known: address them to it
      for (let n = before; n < this.issues.length; n++) this.issues[n]!.pointer = toPointer(this.path);
      if (key === '__proto__') this.report('the key "__proto__" is not allowed');
      if (many ? many.has(key) : few.includes(key)) this.report(`duplicate key "${key}"`);
      if (many) many.add(key);
      else if (few.push(key) > FEW_KEYS) many = new Set(few);
      this.ws();
      this.i++; // ':'
      this.value(depth);
      this.path.pop();
      this.ws();
      if (this.s[this.i++] === '}') return;
    }
  }

  private array(depth: number) {
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') return void this.i++;
    for (let index = 0; ; index++) {
      this.path.push(index);
      this.value(depth);
      this.path.pop();
      this.ws();
      if (this.s[this.i++] === ']') return;
    }
  }

  private string(decode = false): string {
    const start = this.i;
    let escaped = false;
    let j = start + 1;
    for (;;) {
      if (this.quote < j) this.quote = this.s.indexOf('"', j);
      if (this.backslash !== -1 && this.backslash < j) this.backslash = this.s.indexOf('\\', j);
      // JSON.parse accepted the text, so the string has its closing quote.
      if (this.backslash === -1 || this.backslash > this.quote) {
        this.i = this.quote + 1;
        break;
      }
      const k = this.backslash;
      escaped = true;
      if (this.s.charCodeAt(k + 1) === 117 /* u */) {
        j = k + this.unicodeEscape(k);
      } else {
        j = k + 2;
      }
    }
    if (!decode) return '';
    return escaped ? (JSON.parse(this.s.slice(start, this.i)) as string) : this.s.slice(start + 1, this.i - 1);
  }

  // \uXXXX at k; returns the length consumed. A surrogate must come as a high-low pair.
  private unicodeEscape(k: number): number {
    const code = parseInt(this.s.slice(k + 2, k + 6), 16);
    if (code === 0) {
      this.report('the character U+0000 cannot be stored');
    } else if (code >= 0xd800 && code <= 0xdbff) {
      const next = this.s.slice(k + 6, k + 12);
      const low = /^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(next);
      if (low) return 12;
      this.report(`lone UTF-16 surrogate \\u${this.s.slice(k + 2, k + 6)}`);
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      this.report(`lone UTF-16 surrogate \\u${this.s.slice(k + 2, k + 6)}`);
    }
    return 6;
  }

  private number() {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === MINUS) i++;
    i = this.digits(i);
    if (s.charCodeAt(i) === DOT) i = this.digits(i + 1);
    const exponent = s.charCodeAt(i) === LOWER_E || s.charCodeAt(i) === UPPER_E;
    if (exponent) {
      i++;
      if (s.charCodeAt(i) === PLUS || s.charCodeAt(i) === MINUS) i++;
      i = this.digits(i);
    }
    this.i = Math.max(i, start + 1);
    // Up to 15 significant digits always survive a round trip through a double: no token to look at.
    if (!exponent && i - start <= 15) return;
    const token = s.slice(start, i);
    if (!isExactDouble(token)) {
      this.report(`the number ${token.length > 40 ? token.slice(0, 40) + '…' : token} cannot be kept exactly (beyond double precision); send it as a string`);
    } else if (this.size && this.growth >= 0 && exponent) {
      this.growth += Math.max(0, storedNumberLength(token) - token.length);
      if (this.size.bytes + this.growth > this.size.maxBytes) {
        this.growth = -1;
        this.report(`numbers in exponent form are stored written out in full (1e300 as 301 digits), which would make this body larger than ${this.size.maxBytes} bytes; send them as strings`);
      }
    }
  }

  private digits(i: number): number {
    let c = this.s.charCodeAt(i);
    while (c >= ZERO && c <= NINE) c = this.s.charCodeAt(++i);
    return i;
  }

  private ws() {
    const s = this.s;
    let i = this.i;
    let c = s.charCodeAt(i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++i);
    this.i = i;
  }

  private report(detail: string) {
    if (++this.found <= this.maxIssues) this.issues.push({ pointer: toPointer(this.path), detail });
  }
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

function normalise(s: string): string | null {
  const m = DECIMAL.exec(s);
  if (!m) return null;
  const digits = m[2]! + (m[3] ?? '');
  let exp = (m[4] ? Number(m[4]) : 0) - (m[3]?.length ?? 0);
  // Trimmed by scanning: /0+$/ retries at every zero of a long run, quadratic in a body's digits.
  let start = 0, end = digits.length;
  while (start < end && digits.charCodeAt(start) === 48) start++;
  if (start === end) return '0';
  while (digits.charCodeAt(end - 1) === 48) end--;
  exp += digits.length - end;
  return `${m[1]}${digits.slice(start, end)}e${exp}`;
}

/** The length of the text jsonb writes for the JSON number `token`: every digit, no exponent ('1.5e3' as '1500', '1e-3' as '0.001'). */
export function storedNumberLength(token: string): number {
  const m = DECIMAL.exec(token);
  if (!m) return token.length;
  const fraction = m[3]?.length ?? 0;
  const exponent = m[4] ? Number(m[4]) : 0;
  const significant = (m[2]! + (m[3] ?? '')).replace(/^0+/, '').length;
  const scale = Math.max(0, fraction - exponent);
  const integer = significant === 0 ? 1 : Math.max(1, significant + exponent - fraction);
  return (m[1] && significant > 0 ? 1 : 0) + integer + (scale > 0 ? 1 + scale : 0);
}

/** Whether the decimal `token` is exactly the double JavaScript will hold and write back. */
export function isExactDouble(token: string): boolean {
  const n = Number(token);
  if (!Number.isFinite(n)) return false;
  // Up to 15 significant digits always survive a round trip through a double.
  if (token.length <= 15 && !/[eE]/.test(token)) return true;
  const a = normalise(token);
  const b = normalise(Math.abs(n) === 0 ? '0' : n.toString().replace('e+', 'e'));
  return a !== null && (a === b || (a === '0' && b === '0') || (a === '-0' && b === '0'));
}
