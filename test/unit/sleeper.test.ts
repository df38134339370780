import { describe, expect, it } from 'vitest';
import { createSleeper } from '../../src/events/sleeper.ts';

describe('createSleeper', () => {
  it('ends a sleep at its time when nobody wakes it', async () => {
    const { sleep } = createSleeper();
    const started = performance.now();
    await sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('wake() ends the sleep in progress at once', async () => {
    const { sleep, wake } = createSleeper();
    let done = false;
    const slept = sleep(60_000).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    wake();
    await slept;
    expect(done).toBe(true);
  });

  it('wake() while awake does not shorten the next sleep', async () => {
    const { sleep, wake } = createSleeper();
    wake();
    const started = performance.now();
    await sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });
});
