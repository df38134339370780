import { afterEach } from 'vitest';

/**
 * What a test opens (services, servers, clients), closed in reverse order as soon as the test
 * ends, so a file holds only one test's connections at a time. A failure to close is ignored:
 * the next test must not fail for it.
 */
export function closeAfterEach(): (() => unknown)[] {
  const pending: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of pending.splice(0).reverse()) await Promise.resolve().then(close).catch(() => {});
  });
  return pending;
}
