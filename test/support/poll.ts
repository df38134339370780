/** Thrown by a check to stop polling at once. */
export class GaveUp extends Error {}

/** Polls until `pending` answers null; resolves to null, or to its last answer at the deadline. */
export async function poll(pending: () => Promise<string | null>, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let why: string | null;
    try {
      why = await pending();
    } catch (error) {
      if (error instanceof GaveUp) throw error;
      why = (error as Error).message; // e.g. a server that is still starting or was just killed
    }
    if (why === null || Date.now() >= deadline) return why;
    await new Promise((r) => setTimeout(r, 50));
  }
}
