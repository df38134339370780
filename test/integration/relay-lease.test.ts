import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/postgres/free-port.ts';
import { closeAfterEach } from '../support/cleanup.ts';
import { get, newId, postJson } from '../support/http.ts';
import { privateRedis } from '../support/private-redis.ts';
import { newChannelPrefix, startTestService, subscribeAll, type TestService } from '../support/service.ts';
import { waitUntil } from '../support/wait.ts';

const cleanup = closeAfterEach();

describe('relay lease while Redis holds commands back', () => {
  it('with Redis paused for longer than the lease, two relays never send an aggregate\'s messages out of order, duplicates included', async () => {
    const redis = privateRedis(await freePort());
    await redis.start();
    cleanup.push(() => redis.stop());
    const prefix = newChannelPrefix();
    const env = { REDIS_URL: redis.url, REDIS_CHANNEL_PREFIX: prefix, RELAY_LEASE_MS: '1000', RELAY_POLL_INTERVAL_MS: '50' };
    const a = await startTestService(env);
    const b = await startTestService(env, a.databaseUrl);
    cleanup.push(() => a.close(), () => b.close());
    const sub = await subscribeAll(prefix, redis.url);
    cleanup.push(async () => sub.close());
    const relays = async (...ts: TestService[]) => (await Promise.all(ts.map(async (t) => (await get(t.app, '/health')).body.relay))).sort().join();
    expect(await waitUntil(async () => (await relays(a, b)) === 'running,standby')).toBe(true);

    // Appends to a few aggregates through both instances, before, during and after the pause.
    const aggregates = [newId(), newId(), newId()];
    const acked: string[] = [];
    let appending = true;
    const writer = (async () => {
      for (let i = 0; appending; i++) {
        const via = i % 2 ? a : b;
        const res = await postJson(via.app, '/events', { event_type: 'task.progressed', aggregate_id: aggregates[i % 3], payload: { i } });
        expect(res.status).toBe(201);
        acked.push(res.body.id);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    expect(await waitUntil(() => sub.messages.length >= 20)).toBe(true);
    // Every command of every client waits (PUBLISH and EVAL included) for three leases' time;
    // the relay holding the lease is stuck in a publish and its lease runs out meanwhile.
    spawnSync('redis-cli', ['-p', new URL(redis.url).port, 'client', 'pause', '3000', 'all']);
    await new Promise((r) => setTimeout(r, 3500));
    appending = false;
    await writer;
    expect(await waitUntil(async () => new Set(sub.messages.map((m) => m.event.id)).size === acked.length, 20_000)).toBe(true);

    // Per aggregate, sequences strictly increase: no message after a later one, no duplicate.
    for (const id of aggregates) {
      const sequences = sub.messages.filter((m) => m.event.aggregate_id === id).map((m) => m.event.sequence);
      expect(sequences).toEqual(sequences.map((_, i) => i + 1));
    }
    expect(new Set(sub.messages.map((m) => m.event.id))).toEqual(new Set(acked));
  });
});
