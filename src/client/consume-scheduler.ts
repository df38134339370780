/** A unit of work for one aggregate; `key` (when set) makes a second add of it a no-op. */
export interface Job {
  aggregate: string;
  position: number;
  key?: string;
  /** Runs with no other job beside it: it starts once those running are done, and none starts until it is. */
  alone?: boolean;
}

export type JobOutcome = 'done' | { retryAfterMs: number };

export interface Scheduler<J extends Job> {
  /** Queues a job; resolves when it is done. Undefined when a job of the same key is held. */
  add(job: J): Promise<void> | undefined;
  /** How many more jobs the buffer takes now (0 or less when full). */
  room(): number;
  /** Resolves once the buffer has room (or the scheduler stops). */
  whenRoom(): Promise<void>;
  held(): J[];
  /** Starts no more jobs; resolves, once those running are done, with the jobs never finished. */
  stop(): Promise<J[]>;
}

export interface SchedulerOptions<J extends Job> {
  concurrency: number;
  /**
   * The buffer: at most `jobs` held, not counting those whose aggregate waits for a retry, so that a failing aggregate's
   * events do not hold back the others; and at most `held` in all, which bounds the memory they take.
   */
  buffer: { jobs: number; held: number };
  run(job: J): Promise<JobOutcome>;
  beforeStart?(jobs: J[]): void;
}

// At most `concurrency` jobs at once, one per aggregate, in position order: a retry holds back its aggregate, not a slot.
export function createScheduler<J extends Job>(options: SchedulerOptions<J>): Scheduler<J> {
  const queues = new Map<string, J[]>();
  /** Aggregates whose first job waits for a retry. */
  const retrying = new Set<string>();
  const ready: string[] = [];
  const settle = new Map<J, () => void>();
  const keys = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let running = 0;
  let held = 0;
  let stopping = false;
  let waiters: (() => void)[] = [];

  const notify = () => {
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  };

  // With jobs running, deferred to the end of the event loop's turn: the jobs that become ready in one turn start
  // together, after one beforeStart call for all of them. With none running, at once.
  let pumping = false;
  function pump() {
    if (running === 0) return startReady();
    if (pumping) return;
    pumping = true;
    setImmediate(() => {
      pumping = false;
      startReady();
    });
  }

  function room(): number {
    let behindRetries = 0;
    for (const aggregate of retrying) behindRetries += queues.get(aggregate)?.length ?? 0;
    return Math.min(options.buffer.jobs - (held - behindRetries), options.buffer.held - held);
  }

  let aloneRunning = false;
  function startReady() {
    const starting: [string, J][] = [];
    while (!stopping && !aloneRunning && running < options.concurrency && ready.length > 0) {
      const aggregate = ready[0]!;
      const job = queues.get(aggregate)![0]!;
      if (job.alone && running > 0) break;
      ready.shift();
      starting.push([aggregate, job]);
      running++;
      if (job.alone) aloneRunning = true;
    }
    if (starting.length === 0) return;
    options.beforeStart?.(starting.map(([, job]) => job));
    for (const [aggregate, job] of starting) {
      void options.run(job).then(
        (outcome) => finish(aggregate, job, outcome),
        () => finish(aggregate, job, { retryAfterMs: 1000 }),
      );
    }
  }

  function finish(aggregate: string, job: J, outcome: JobOutcome) {
    running--;
    if (job.alone) aloneRunning = false;
    const queue = queues.get(aggregate)!;
    if (outcome === 'done') {
      queue.shift();
      held--;
      if (job.key) keys.delete(job.key);
      settle.get(job)?.();
      settle.delete(job);
      if (queue.length > 0) ready.push(aggregate);
      else queues.delete(aggregate);
    } else if (!stopping) {
      retrying.add(aggregate);
      const timer = setTimeout(() => {
        timers.delete(timer);
        retrying.delete(aggregate);
        ready.push(aggregate);
        pump();
      }, outcome.retryAfterMs);
      timers.add(timer);
    }
    notify();
    pump();
  }

  return {
    add(job) {
      if (stopping || (job.key && keys.has(job.key))) return undefined;
      if (job.key) keys.add(job.key);
      held++;
      const done = new Promise<void>((resolve) => settle.set(job, resolve));
      const queue = queues.get(job.aggregate);
      if (!queue) {
        queues.set(job.aggregate, [job]);
        ready.push(job.aggregate);
      } else {
        // A reclaimed older entry goes before later ones not yet started (never before the head).
        let at = queue.length;
        while (at > 1 && queue[at - 1]!.position > job.position) at--;
        queue.splice(at, 0, job);
      }
      pump();
      return done;
    },
    room,
    whenRoom() {
      if (room() > 0 || stopping) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const check = () => (room() > 0 || stopping ? resolve() : waiters.push(check));
        waiters.push(check);
      });
    },
    held: () => [...queues.values()].flat(),
    async stop() {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      retrying.clear();
      notify();
      while (running > 0) await new Promise<void>((resolve) => waiters.push(resolve));
      const left = [...queues.values()].flat();
      queues.clear();
      for (const resolve of settle.values()) resolve();
      settle.clear();
      return left;
    },
  };
}
