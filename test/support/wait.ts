/**
 * Polls `check` until it holds or `timeoutMs` passes; resolves to whether it held. Tests wait
 * for outcomes with it instead of sleeping for a fixed time.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
