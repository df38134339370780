// An archive run in a process of its own, for crash tests: with CRASH_AT set, the process
// SIGKILLs itself as soon as the run completes that step (see ArchiveStep). Prints the run.
import { parseConfig } from '../../src/config.ts';
import { createLifecycle } from '../../src/lifecycle/lifecycle.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createDatabase } from '../../src/postgres/database.ts';

const config = parseConfig(process.env);
const database = createDatabase({ ...config.database, url: config.database.url! });
const lifecycle = createLifecycle({
  config: config.archive, database, metrics: createMetrics(), logger: createLogger('silent'), owner: `crash-child:${process.pid}`,
  onStep: (step) => {
    if (step === process.env.CRASH_AT) process.kill(process.pid, 'SIGKILL');
  },
});
const started = await lifecycle.runs.start('request', false);
const run = await lifecycle.runs.wait(started.id);
process.stdout.write(JSON.stringify(run));
await lifecycle.stop();
await database.close();
