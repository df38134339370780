import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Server-made
 * event ids use it because ids that grow with time land near the right edge of the id index
 * instead of on a random page, which keeps index inserts and WAL small. Ids of one millisecond
 * are in random order (the RFC's ordering within a millisecond is optional, and nothing here
 * relies on it). The random bits come from crypto.randomUUID(), which draws on a pooled
 * entropy buffer; its variant bits are already the RFC's.
 */
export function uuidv7(now = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V in 8..b
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
