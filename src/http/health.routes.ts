import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { Relay } from '../publishing/relay.ts';
import type { Database } from '../store/database.ts';
import { headPosition } from '../store/event-store.ts';

export interface HealthDeps {
  database: Database;
  redis: Redis;
  relay: Relay;
}

/**
 * GET /health: 200 while PostgreSQL answers (appends work), 503 otherwise. Redis being away
 * does not make the service unhealthy; it shows as redis "unavailable" and a growing lag.
 */
export function createHealthRoutes({ database, redis, relay }: HealthDeps) {
  return new Hono().get('/', async (c) => {
    let head: number | null = null;
    try {
      head = await headPosition(database.sql);
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
    };
    return c.json(body, head === null ? 503 : 200);
  });
}
