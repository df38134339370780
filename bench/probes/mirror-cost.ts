// Appends at 64 connections with the Streams mirror off and on: throughput, the service's and
// Redis's CPU, and the publish lag when the load stops.
//   npx tsx bench/probes/mirror-cost.ts [rounds]
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { cleanup, cpuTimeMs, createDatabase, redisUrl, startService, waitForRelay } from '../lib.ts';
import { httpLoad } from '../http-load.ts';

const redis = new Redis(redisUrl);
const redisCpu = async () => {
  const info = await redis.info('cpu');
  return (Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1])) * 1000;
};
try {
  for (let round = 0; round < Number(process.argv[2] ?? 2); round++) {
    for (const streams of round % 2 ? ['on', 'off'] : ['off', 'on']) {
      const prefix = `probe-${randomUUID().slice(0, 8)}:`;
      const service = await startService({ DATABASE_URL: await createDatabase(), REDIS_CHANNEL_PREFIX: prefix, REDIS_STREAMS: streams });
      const [cpu0, redis0] = [cpuTimeMs(service.pid), await redisCpu()];
      const r = await httpLoad(service.url, { connections: 64, durationSec: 5, method: 'POST', path: '/events', makeBody: () => JSON.stringify({ event_type: 'agent.created', aggregate_id: randomUUID(), payload: { name: 'explore-agent', agent_type: 'exploration' }, metadata: { session_id: 'session-123', correlation_id: 'corr-456' } }) });
      const [cpu1, redis1] = [cpuTimeMs(service.pid), await redisCpu()];
      const lag = ((await (await fetch(`${service.url}/health`)).json()) as { publish_lag: number }).publish_lag;
      await waitForRelay(service.url, 120_000);
      await service.stop();
      for (const key of await redis.keys(`*${prefix}*`)) await redis.del(key);
      console.log(`streams ${streams.padEnd(3)} ${r.rps.toFixed(0).padStart(5)} appends/s  service cpu ${((cpu1 - cpu0) / r.total).toFixed(3)} ms/event  redis cpu ${((redis1 - redis0) / r.total).toFixed(3)} ms/event  lag at end ${lag}`);
    }
  }
} finally {
  redis.disconnect();
  await cleanup();
}
