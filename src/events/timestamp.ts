// A missing offset means UTC; a '+' in a query string decodes to a space, so " 02:00" reads as "+02:00".
export const INSTANT_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+\- ]\d{2}:?\d{2})?)?$/;

/** Orders two of parseInstant()'s instants to the microsecond: Date.parse keeps only the milliseconds. */
export function compareInstants(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b) || Number(a.slice(23, 26)) - Number(b.slice(23, 26));
}

/** An instant in a form PostgreSQL reads exactly (µs kept), or null if not real (2026-02-30 is refused). */
export function parseInstant(text: string): string | null {
  const m = INSTANT_PATTERN.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac, zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = Number(h), minute = Number(mi), second = Number(s);
  if (year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return null;
  let offset = '+00:00';
  if (zone && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)), om = Number(digits.slice(2));
    // PostgreSQL reads offsets up to ±15:59 (real ones span −12:00 to +14:00).
    if (oh > 15 || om > 59) return null;
    offset = `${zone[0] === '-' ? '-' : '+'}${digits.slice(0, 2)}:${digits.slice(2)}`;
  }
  const micros = (frac ?? '').slice(0, 6).padEnd(6, '0');
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${micros}${offset}`;
}

/** One of parseInstant()'s instants as the API writes instants, in UTC (`…000000Z`); as given where UTC needs a year outside 0001–9999. */
export function instantInUtc(instant: string): string {
  const iso = new Date(Date.parse(instant)).toISOString();
  return /^(?!0000)\d{4}-/.test(iso) ? `${iso.slice(0, 23)}${instant.slice(23, 26)}Z` : instant;
}
