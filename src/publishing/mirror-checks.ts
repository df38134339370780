import type { Logger } from '../observability/logger.ts';
import type { RedisConnection } from './redis.ts';
import type { Relay } from './relay.ts';
import type { StreamMirror } from './stream-mirror.ts';

/** Checks the mirror every `intervalMs` and on each Redis reconnect while this relay publishes; returns stop(). */
export function scheduleMirrorChecks({ mirror, redis, relay, intervalMs, logger }: { mirror: StreamMirror; redis: RedisConnection; relay: Relay; intervalMs: number; logger: Logger }) {
  let running: Promise<void> | null = null;
  let stopped = false;
  const check = () => {
    const status = relay.status();
    if (stopped || running || status.state !== 'running') return;
    running = mirror
      .check(status.publishedPosition)
      .catch((error: Error) => logger.warn({ err: error.message }, 'stream mirror check failed; trying again later'))
      .finally(() => (running = null));
  };
  const timer = setInterval(check, intervalMs);
  timer.unref();
  redis.on('ready', check);
  return async () => {
    stopped = true;
    clearInterval(timer);
    redis.off('ready', check);
    await running;
  };
}
