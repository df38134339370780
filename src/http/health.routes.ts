import { Hono } from 'hono';
import { withDeadline } from '../events/deadline.ts';
import { isTrusted } from './auth.ts';
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

const REDIS_PING_MS = 500;

/**
 * Redis is 'ok' when connected, answering a PING in time, and taking this instance's publishes (a
 * cluster missing a slot's master answers PING but not PUBLISH): a connection alone says nothing
 * of a server that stopped answering.
 */
async function redisField(redis: RedisConnection, relay: Relay): Promise<'ok' | 'unavailable'> {
  if (redis.status !== 'ready' || relay.status().state === 'redis_unavailable') return 'unavailable';
  const answered = await withDeadline(redis.ping(), REDIS_PING_MS, () => new Error('no PONG')).then(() => true, () => false);
  return answered ? 'ok' : 'unavailable';
}

/**
 * The archive's storage and last run. The error texts name the bucket, endpoint or directory: with
 * API keys on, only a request with a valid key gets them (anyone may ask /health).
 */
async function archiveHealth(lifecycle: Pick<Lifecycle, 'health'>, trusted: boolean) {
  const health = await lifecycle.health().catch(() => null);
  if (!health || trusted) return health;
  return { ...health, storage_error: null, last_run: health.last_run && { ...health.last_run, error: null } };
}

/** 200 while PostgreSQL answers (appends work), else 503; Redis being away shows but is not unhealthy. */
export function createHealthRoutes({ background, redis, relay, databases, lifecycle }: HealthDeps) {
  return new Hono().get('/', async (c) => {
    const redisState = redisField(redis, relay);
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
      redis: await redisState,
      head_position: head,
      published_position: relayStatus.publishedPosition,
      publish_lag: head === null ? null : Math.max(0, head - relayStatus.publishedPosition),
      relay: relayStatus.state,
      // A failing archive storage is reported, not unhealthy: appends and hot reads work without it.
      ...(lifecycle ? { archive: head === null ? null : await archiveHealth(lifecycle, isTrusted(c)) } : {}),
    };
    return head === null ? c.json(body, 503, RETRY) : c.json(body, 200);
  });
}

export interface ReadyDeps extends HealthDeps {
  expectedMigrations: number;
  appliedMigrations(): Promise<number>;
}

/** 200 when PostgreSQL answers and every migration is applied, else 503; Redis is reported, not required. */
export function createReadyRoutes({ redis, relay, expectedMigrations, appliedMigrations, databases }: ReadyDeps) {
  return new Hono().get('/', async (c) => {
    const redisState = redisField(redis, relay);
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
    const body = { status: ready ? 'ready' : 'not_ready', postgres, ...replicaField(databases), migrations, redis: await redisState };
    return ready ? c.json(body, 200) : c.json(body, 503, RETRY);
  });
}
