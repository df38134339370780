import { describe, expect, it } from 'vitest';
import { createScheduler, type Job } from '../../src/client/consume-scheduler.ts';

const turn = () => new Promise((r) => setImmediate(r));
const job = (aggregate: string, position: number): Job => ({ aggregate, position });

/** Jobs that run until released. */
function holding() {
  const releases: (() => void)[] = [];
  return { run: () => new Promise<'done'>((r) => releases.push(() => r('done'))), release: () => releases.forEach((r) => r()) };
}

describe("consume()'s scheduler", () => {
  it("does not count an aggregate's jobs waiting behind its retry against the buffer, up to the bound on all it holds", async () => {
    const others = holding();
    const s = createScheduler<Job>({
      concurrency: 2,
      buffer: { jobs: 4, held: 10 },
      // The failing aggregate's first job fails and waits a minute for its retry; any other job runs until the end.
      run: (j) => (j.aggregate === 'failing' ? Promise.resolve({ retryAfterMs: 60_000 }) : others.run()),
    });
    for (let p = 1; p <= 6; p++) s.add(job('failing', p));
    await turn();
    expect(s.room()).toBe(4); // the six wait behind the retry: the buffer is empty for the others
    for (let p = 7; p <= 9; p++) s.add(job('failing', p));
    expect(s.room()).toBe(1); // ten in all at most: nine held
    s.add(job('other', 10));
    expect(s.room()).toBe(0);
    let roomAgain = false;
    void s.whenRoom().then(() => (roomAgain = true));
    await turn();
    expect(roomAgain).toBe(false);
    const stopped = s.stop();
    await turn();
    expect(roomAgain).toBe(true);
    others.release();
    await stopped;
  });

  it('counts every job held while its aggregate is not waiting for a retry', async () => {
    const jobs = holding();
    const s = createScheduler<Job>({ concurrency: 1, buffer: { jobs: 4, held: 40 }, run: jobs.run });
    for (let p = 1; p <= 3; p++) s.add(job('a', p));
    s.add(job('b', 4));
    await turn();
    expect(s.room()).toBe(0);
    const stopped = s.stop();
    jobs.release();
    await stopped;
  });
});
