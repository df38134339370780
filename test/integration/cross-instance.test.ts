import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import postgres from 'postgres';
import { createCommitNotifications, type CommitNotificationsOptions } from '../../src/store/commit-notifications.ts';
import { get, newId, postJson } from '../support/http.ts';
import { createTestDatabase, newChannelPrefix, startTestService, subscribeAll, type TestService } from '../support/service.ts';
import { readSse } from '../support/sse.ts';
import { waitUntil } from '../support/wait.ts';

/** Commit notifications on a client of their own, closed with them. */
function notifications({ url, ...options }: Omit<CommitNotificationsOptions, 'sql'> & { url: string }) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const n = createCommitNotifications({ ...options, sql });
  return { ...n, stop: () => n.stop().then(() => sql.end()) };
}

const open: TestService[] = [];
afterAll(async () => {
  for (const s of open) await s.close().catch(() => {});
});

// Without a wake-up, polling would find a commit only after RELAY_POLL_INTERVAL_MS, and an idle
// relay would look only at its lease renewal (0.4 x RELAY_LEASE_MS): both far beyond this
// deadline, so an event seen within it was delivered by a wake-up.
const DEADLINE_MS = 10_000;

/** Two instances on one database that poll (and renew their lease) far less often than the deadline. */
async function twoInstances(pollIntervalMs = '60000', leaseMs = '120000') {
  const prefix = newChannelPrefix();
  const env = { REDIS_CHANNEL_PREFIX: prefix, RELAY_POLL_INTERVAL_MS: pollIntervalMs, RELAY_LEASE_MS: leaseMs };
  const a = await startTestService(env);
  const b = await startTestService(env, a.databaseUrl);
  open.push(a, b);
  const sub = await subscribeAll(prefix);
  const relayOf = async (t: TestService) => (await get(t.app, '/health')).body.relay;
  expect(await waitUntil(async () => [await relayOf(a), await relayOf(b)].sort().join() === 'running,standby', 5000)).toBe(true);
  const owner = (await relayOf(a)) === 'running' ? a : b;
  return { a, b, sub, owner, standby: owner === a ? b : a };
}

describe('commits of one instance wake the others (LISTEN/NOTIFY)', () => {
  it('an append through the standby instance is published by the lease holder, and streamed by both, well under the poll interval', async () => {
    const { sub, owner, standby } = await twoInstances();

    const streams = await Promise.all([owner, standby].map(async (t) => readSse(await t.app.request('/events/stream'))));
    for (const s of streams) expect(await s.waitFor(() => s.events.some((e) => e.comment === 'connected'))).toBe(true);
    // Let both instances settle into their idle waits, where only a wake-up or a poll ends them.
    await new Promise((r) => setTimeout(r, 300));

    for (const [round, via] of [standby, owner, standby].entries()) {
      const { id } = (await postJson(via.app, '/events', { event_type: 'task.progressed', aggregate_id: newId() })).body;
      const streamed = await Promise.all(streams.map((s) => s.waitFor(() => s.messages().some((m) => m.event.id === id), DEADLINE_MS)));
      const [published] = await sub.waitForIds([id], DEADLINE_MS);
      expect(published?.event.id, `round ${round}`).toBe(id);
      expect(streamed, `round ${round}`).toEqual([true, true]);
      await new Promise((r) => setTimeout(r, 100));
    }
    sub.close();
    for (const s of streams) await s.close();
  });

  // Notifications are hints: while the LISTEN connections are away (and until a sender has seen
  // them back) polling finds the commits. So this one polls, at a pace the deadline covers.
  it('when the LISTEN connections drop, no event is lost, and they come back', async () => {
    const { a, sub, standby } = await twoInstances('2000', '30000');
    const listeners = () => a.sql<{ pid: number }[]>`
      select pid from pg_stat_activity
      where datname = current_database() and application_name = 'event-service-notify' and query ilike 'listen%'`;
    expect(await waitUntil(async () => (await listeners()).length === 2, 10_000)).toBe(true);

    const dropped = await listeners();
    await a.sql`select pg_terminate_backend(pid) from pg_stat_activity where pid in ${a.sql(dropped.map((l) => l.pid))}`;
    const during = (await postJson(standby.app, '/events', { event_type: 'task.progressed', aggregate_id: newId() })).body.id;
    expect((await sub.waitForIds([during], DEADLINE_MS)).map((m) => m.event.id)).toEqual([during]);

    const back = async () => {
      const now = (await listeners()).map((l) => l.pid);
      return now.length === 2 && now.every((pid) => !dropped.some((d) => d.pid === pid));
    };
    expect(await waitUntil(back, 5000)).toBe(true);
    const after = (await postJson(standby.app, '/events', { event_type: 'task.progressed', aggregate_id: newId() })).body.id;
    expect((await sub.waitForIds([after], DEADLINE_MS)).map((m) => m.event.id)).toEqual([after]);
    sub.close();
  });

  it('sends no NOTIFY while no other instance listens, and does once one does', async () => {
    const env = { REDIS_CHANNEL_PREFIX: newChannelPrefix() };
    const a = await startTestService(env);
    open.push(a);
    const notified = async () => (await a.sql`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'event-service-notify' and query like '%pg_notify%'`)[0]!.n > 0;
    for (let i = 0; i < 10; i++) {
      expect((await postJson(a.app, '/events', { event_type: 'task.progressed', aggregate_id: newId() })).status).toBe(201);
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(await notified()).toBe(false);

    const b = await startTestService(env, a.databaseUrl);
    open.push(b);
    const listens = async () => (await a.sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and query = 'listen "events_committed"'`)[0]!.n;
    expect(await waitUntil(async () => (await listens()) === 2, 10_000)).toBe(true);
    const announced = async () => {
      await postJson(a.app, '/events', { event_type: 'task.progressed', aggregate_id: newId() });
      return notified();
    };
    expect(await waitUntil(announced, 10_000, 100)).toBe(true);
  });

  it('a notification reaches only listeners on the same database', async () => {
    const logger = createLogger('silent');
    const [one, other] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    const seen: Record<string, number[]> = { one: [], other: [], oneSender: [] };
    const listeners = [
      notifications({ url: one, logger, onCommitted: (p) => seen.one!.push(p) }),
      notifications({ url: other, logger, onCommitted: (p) => seen.other!.push(p) }),
    ];
    const sender = notifications({ url: one, logger, onCommitted: (p) => seen.oneSender!.push(p) });
    try {
      // A fresh database's head is 0, so nothing is received until something is announced.
      await new Promise((r) => setTimeout(r, 300));
      sender.announce(41);
      sender.announce(42);
      // Each listener has a connection of its own: each gets the notification in its own time.
      expect(await waitUntil(() => seen.one!.includes(42) && seen.oneSender!.includes(42), 10_000)).toBe(true);
      expect(seen.other).toEqual([]);
    } finally {
      await Promise.all([...listeners, sender].map((n) => n.stop()));
    }
  });

  it('a burst of commits is announced by a few notifications carrying the newest head, the last one even when stopping at once', async () => {
    const logger = createLogger('silent');
    const databaseUrl = await createTestDatabase();
    const seen: number[] = [];
    const listener = notifications({ url: databaseUrl, logger, onCommitted: (p) => seen.push(p) });
    const sender = notifications({ url: databaseUrl, logger, onCommitted: () => {} });
    try {
      const listening = await waitUntil(async () => {
        const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen%'`;
        await sql.end();
        return row!.n >= 2;
      }, DEADLINE_MS);
      expect(listening).toBe(true);
      // The first goes out at once (if the sender has already seen that others listen); the 49
      // announced while it is in flight become one more.
      for (let position = 1; position <= 50; position++) sender.announce(position);
      expect(await waitUntil(() => seen.includes(50), DEADLINE_MS)).toBe(true);
      expect([[50], [1, 50]]).toContainEqual(seen);
      // 51 goes out at once or waits; 52, in the same tick, can only wait: stopping sends it.
      sender.announce(51);
      sender.announce(52);
      await sender.stop();
      expect(await waitUntil(() => seen.includes(52), DEADLINE_MS)).toBe(true);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.length).toBeLessThanOrEqual(4);
    } finally {
      await Promise.all([listener.stop(), sender.stop()]);
    }
  });
});
