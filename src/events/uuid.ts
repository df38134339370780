import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): ids growing with time land at the right edge of the id index,
 * keeping inserts and WAL small. Ids within one millisecond are in random order.
 */
export function uuidv7(now = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V in 8..b
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
