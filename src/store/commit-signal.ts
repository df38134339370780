import type { EventStore } from './event-store.ts';

export interface CommitSignal {
  readonly head: number;
  notify(position: number): void;
  /** Resolves once the head passes `position`, or after `timeoutMs`, or when aborted. */
  waitBeyond(position: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  stop(): void;
}

/** Wakes SSE readers at once on local and announced commits, and polls the head while anyone waits in case one is lost. */
export function createCommitSignal(store: Pick<EventStore, 'headPosition'>, pollIntervalMs: number): CommitSignal {
  let head = 0;
  const waiters = new Set<{ position: number; wake: () => void }>();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  function advance(position: number) {
    if (position <= head) return;
    head = position;
    for (const w of waiters) if (head > w.position) w.wake();
  }

  function poll() {
    timer = null;
    if (stopped || waiters.size === 0) return;
    store
      .headPosition()
      .then(advance, () => {})
      .finally(() => {
        if (!stopped && waiters.size > 0) timer ??= setTimeout(poll, pollIntervalMs);
      });
  }

  return {
    get head() {
      return head;
    },
    notify: advance,
    waitBeyond(position, timeoutMs, signal) {
      if (head > position || signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const waiter = { position, wake: done };
        const timeout = setTimeout(done, timeoutMs);
        signal?.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timeout);
          signal?.removeEventListener('abort', done);
          waiters.delete(waiter);
          resolve();
        }
        waiters.add(waiter);
        timer ??= setTimeout(poll, pollIntervalMs);
      });
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const w of waiters) w.wake();
    },
  };
}
