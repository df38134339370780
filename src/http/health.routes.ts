import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { Relay } from '../publishing/relay.ts';
import type { EventStore } from '../store/event-store.ts';

export interface HealthDeps {
  /** The store on the background connections: health never waits behind requests' reads. */
  background: Pick<EventStore, 'headPosition'>;
  redis: Redis;
  relay: Relay;
  lifecycle?: Pick<Lifecycle, 'health'>;
}

/**
 * GET /health: 200 while PostgreSQL answers (appends work), 503 otherwise. Redis being away
 * does not make the service unhealthy; it shows as redis "unavailable" and a growing lag.
 */
export function createHealthRoutes({ background, redis, relay, lifecycle }: HealthDeps) {
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
      redis: redis.status === 'ready' ? 'ok' : 'unavailable',
      head_position: head,
      published_position: relayStatus.publishedPosition,
      publish_lag: head === null ? null : Math.max(0, head - relayStatus.publishedPosition),
      relay: relayStatus.state,
      // A failing archive storage is reported, not unhealthy: appends and hot reads work without it.
      ...(lifecycle ? { archive: head === null ? null : await lifecycle.health().catch(() => null) } : {}),
    };
    return c.json(body, head === null ? 503 : 200);
  });
}

export interface ReadyDeps extends HealthDeps {
  /** Migrations this build knows (drizzle journal entries). */
  expectedMigrations: number;
  /** Migrations applied to the database. */
  appliedMigrations(): Promise<number>;
}

/**
 * GET /ready: 200 when this instance can serve (PostgreSQL answers and every migration is
 * applied), else 503. Redis is reported but does not make the service unready: appends and
 * reads work without it, and publication catches up when it returns.
 */
export function createReadyRoutes({ redis, expectedMigrations, appliedMigrations }: ReadyDeps) {
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
    const body = { status: ready ? 'ready' : 'not_ready', postgres, migrations, redis: redis.status === 'ready' ? 'ok' : 'unavailable' };
    return c.json(body, ready ? 200 : 503);
  });
}
