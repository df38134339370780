import { randomUUID } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * A UUID version 7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Server-generated
 * event ids use it because ids that grow with time land on the rightmost page of the unique
 * index instead of a random one, which keeps index inserts and WAL small. Within one
 * millisecond a 12-bit counter keeps them increasing.
 *
 * The random bits come from crypto.randomUUID(), which draws on a pooled entropy buffer (one
 * call to the system's generator per 128 ids instead of one per id); its variant bits are
 * already the RFC's.
 */
export function uuidv7(now = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V in 8..b
  if (now <= lastMs) {
    counter = (counter + 1) & 0xfff;
    if (counter === 0) lastMs++;
    now = lastMs;
  } else {
    lastMs = now;
    counter = parseInt(random.slice(15, 18), 16) & 0x7ff; // start low, leaving room to count
  }
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${counter.toString(16).padStart(3, '0')}${random.slice(18)}`;
}
