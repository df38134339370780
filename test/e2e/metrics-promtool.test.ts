import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, newId, postJson } from '../support/http.ts';
import { startTestService, type TestService } from '../support/service.ts';

// promtool (Debian package prometheus; .ci/run installs it) lints a real scrape.
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

function promtool(args: string[], input = ''): Promise<{ code: number | null; output: string }> {
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

    // Every relay state has a sample: summed over instances, one no instance is in is 0, not empty.
    const states = [...scrape.matchAll(/^relay_state\{state="([a-z_]+)"\} ([01])$/gm)];
    expect(states.map((m) => m[1]).sort()).toEqual(['database_unavailable', 'redis_ahead', 'redis_unavailable', 'running', 'standby', 'starting', 'stopped']);
    expect(states.filter((m) => m[2] === '1')).toHaveLength(1);
  });
});

describe("README's alerts", () => {
  it('pass promtool check rules, and the no-relay-running alert fires when every instance stands by or is stopped', async () => {
    const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('What to alert on'), readme.indexOf('### API description and client'));
    const rows = [...section.matchAll(/^\| `([^`]+)`(?: for (\d+) min)? \|/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const rules = { groups: [{ name: 'readme', rules: rows.map(([, expr, minutes], i) => ({ alert: `Readme${i}`, expr, ...(minutes ? { for: `${minutes}m` } : {}) })) }] };
    const noRelay = rows.findIndex(([, expr]) => expr === 'sum(relay_state{state="running"}) == 0');
    expect(noRelay).toBeGreaterThanOrEqual(0);

    const dir = await mkdtemp(join(tmpdir(), 'alerts-'));
    try {
      await writeFile(join(dir, 'rules.yml'), JSON.stringify(rules));
      const checked = await promtool(['check', 'rules', join(dir, 'rules.yml')]);
      expect(checked.output).toContain(`SUCCESS: ${rows.length} rules found`);
      // Two instances as they now expose relay_state: one standing by, one stopped.
      const series = (instance: string, current: string) =>
        ['running', 'standby', 'stopped'].map((state) => ({ series: `relay_state{instance="${instance}",state="${state}"}`, values: `${state === current ? 1 : 0}x5` }));
      const tests = {
        rule_files: ['rules.yml'],
        tests: [{
          interval: '1m',
          input_series: [...series('a', 'standby'), ...series('b', 'stopped')],
          alert_rule_test: [{ eval_time: '3m', alertname: `Readme${noRelay}`, exp_alerts: [{ exp_labels: {} }] }],
        }],
      };
      await writeFile(join(dir, 'tests.yml'), JSON.stringify(tests));
      const tested = await promtool(['test', 'rules', join(dir, 'tests.yml')]);
      expect(tested.output, tested.output).toContain('SUCCESS');
      expect(tested.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
