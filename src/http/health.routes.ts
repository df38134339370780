import { Hono } from 'hono';
import type { Circuit } from '../postgres/circuit.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { RedisConnection } from '../publishing/redis.ts';
import type { Relay } from '../publishing/relay.ts';
import type { EventStore } from '../store/event-store.ts';

export interface HealthDeps {
  /** The store on the background connections: health never waits behind requests' reads. */
  background: Pick<EventStore, 'headPosition'>;
  redis: RedisConnection;
  relay: Relay;
  /** Requests fail at once while a server is known down, so these answer at once then too. */
  databases: { primary: Circuit; replica?: Circuit };
  lifecycle?: Pick<Lifecycle, 'health'>;
}

// PostgreSQL is probed in the background: try again soon.
const RETRY = { 'retry-after': '1' };

const replicaField = (databases: HealthDeps['databases']) => (databases.replica ? { replica: databases.replica.up ? 'ok' : 'unavailable' } : {});

/** 200 while PostgreSQL answers (appends work), else 503; Redis being away shows but is not unhealthy. */
export function createHealthRoutes({ background, redis, relay, databases, lifecycle }: HealthDeps) {
  return new Hono().get('/', async (c) => {
    let head: number | null = null;
    try {
      head = await background.headPosition();
    } catch {
      head = null;
    }
    const relayStatus = relay.status();
    const body = {
      status: head === null ? 'unavailable' : 'ok',
      postgres: head === null ? 'unavailable' : 'ok',
      ...replicaField(databases),
      redis: redis.status === 'ready' ? 'ok' : 'unavailable',
      head_position: head,
      published_position: relayStatus.publishedPosition,
      publish_lag: head === null ? null : Math.max(0, head - relayStatus.publishedPosition),
      relay: relayStatus.state,
      // A failing archive storage is reported, not unhealthy: appends and hot reads work without it.
      ...(lifecycle ? { archive: head === null ? null : await lifecycle.health().catch(() => null) } : {}),
    };
    return head === null ? c.json(body, 503, RETRY) : c.json(body, 200);
  });
}

export interface ReadyDeps extends HealthDeps {
  expectedMigrations: number;
  appliedMigrations(): Promise<number>;
}

/** 200 when PostgreSQL answers and every migration is applied, else 503; Redis is reported, not required. */
export function createReadyRoutes({ redis, expectedMigrations, appliedMigrations, databases }: ReadyDeps) {
  return new Hono().get('/', async (c) => {
    let postgres = 'ok';
    let migrations: string;
    try {
      const applied = await appliedMigrations();
      migrations = applied >= expectedMigrations ? 'ok' : `pending (${applied} of ${expectedMigrations} applied)`;
    } catch {
      postgres = 'unavailable';
      migrations = 'unknown';
    }
    const ready = postgres === 'ok' && migrations === 'ok';
    const body = { status: ready ? 'ready' : 'not_ready', postgres, ...replicaField(databases), migrations, redis: redis.status === 'ready' ? 'ok' : 'unavailable' };
    return ready ? c.json(body, 200) : c.json(body, 503, RETRY);
  });
}
