import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

// promtool (Debian package prometheus; .ci/run installs it) lints a real scrape.
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

function promtool(args: string[], input: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(input);
  });
}

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.close());

describe('GET /metrics', () => {
  it('passes promtool check metrics on a scrape taken after appends, conflicts, reads and a 404', async () => {
    if (spawnSync(PROMTOOL, ['--version']).error) {
      throw new Error(`promtool not found (${PROMTOOL}): install Debian's prometheus package ("apt-get install -y prometheus"; .ci/run does), or set PROMTOOL.`);
    }
    // Traffic that gives the labelled families samples: appends of each outcome, reads, a 404.
    const aggregateId = newId();
    const id = newId();
    await postJson(t.app, '/events', { id, event_type: 'agent.created', aggregate_id: aggregateId });
    await postJson(t.app, '/events', { id, event_type: 'agent.created', aggregate_id: aggregateId });
    await postJson(t.app, '/events', { event_type: 'agent.created', aggregate_id: aggregateId, expected_sequence: 0 });
    await postJson(t.app, '/events/batch', { events: [{ event_type: 'agent.noted', aggregate_id: aggregateId }] });
    await get(t.app, `/events?aggregate_id=${aggregateId}`);
    await get(t.app, '/nope');
    const scrape = await (await t.app.request('/metrics')).text();
    expect(scrape).toMatch(/^events_appended_total\{event_type="agent.created",outcome="conflict"\} 1$/m);
    expect(scrape).toMatch(/^nodejs_active_handles\{/m);

    const { code, output } = await promtool(['check', 'metrics'], scrape);
    expect(output.trim()).toBe('');
    expect(code).toBe(0);
  });
});
