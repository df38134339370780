/** The service the CLI talks to: --url or EVENTS_URL, and EVENTS_API_KEY if keys are on. */
export interface Target {
  url: string;
  headers: Record<string, string>;
}

export function target(flags: Record<string, string>): Target {
  const url = (flags.url ?? process.env.EVENTS_URL ?? 'http://localhost:8011').replace(/\/$/, '');
  const key = flags.key ?? process.env.EVENTS_API_KEY;
  return { url, headers: key ? { authorization: `Bearer ${key}` } : {} };
}

/** Writes to stdout, waiting when the pipe is full (a slow reader never fills memory). */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
}

export async function failOn(res: Response, what: string): Promise<void> {
  if (res.ok) return;
  throw new Error(`${what}: ${res.status} ${await res.text()}`);
}
