import { isUnavailable, UnreachableError } from './errors.ts';

export interface ProbeSettings {
  /** An operation without an answer for this long makes the circuit probe the server. */
  afterMs: number;
  /** A probe without an answer for this long has failed. */
  timeoutMs: number;
  /** While the server is down, the pause between probes. */
  intervalMs: number;
}

export interface CircuitOptions extends ProbeSettings {
  /** Names the server in errors ('primary', 'replica'). */
  server: string;
  /** One round trip to the server on a connection of its own. */
  probe(): Promise<unknown>;
  /** After every failed probe, with the error that fails whatever still waits on the server. */
  onProbeFailed?(error: UnreachableError): void;
  /** When the server is found down, and when it answers again. */
  onChange?(up: boolean): void;
}

/** Whether one server answers, and requests to it run fail-fast. */
export interface Circuit {
  readonly up: boolean;
  /**
   * Runs `op` unless the server is known down (then it fails at once with UnreachableError).
   * If `op` has had no answer after `afterMs` or failed as an unavailable server would, the
   * server is probed; when the probe fails, `op` and every other run in flight fail at once
   * and `signal` is aborted (op is abandoned: it must not start work after that).
   */
  run<T>(op: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Probe now (once, however many ask). */
  suspect(): void;
  stop(): void;
}

/**
 * A circuit breaker that trusts no timeout of the driver: a stopped server or a network that
 * drops packets leaves a connection silent for minutes, so silence past `afterMs` is checked by
 * a probe on another connection, and only a failed probe opens the circuit (a slow query on a
 * healthy server keeps running). While open, requests fail at once and the server is probed
 * every `intervalMs`; the first probe that succeeds closes it.
 */
export function createCircuit(options: CircuitOptions): Circuit {
  let up = true;
  let stopped = false;
  let probing = false;
  let retry: NodeJS.Timeout | undefined;
  // One entry per run in flight, removed when it settles (racing every run against one
  // long-lived promise would keep a reaction per run alive for as long as the server is up).
  const inFlight = new Set<(error: Error) => void>();

  const unreachable = () => new UnreachableError(`PostgreSQL (${options.server}) does not answer`);

  async function probeOnce(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(unreachable()), options.timeoutMs)));
    try {
      await Promise.race([options.probe(), late]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  function suspect() {
    if (probing || stopped) return;
    probing = true;
    void probeOnce().then((ok) => {
      probing = false;
      if (stopped) return;
      if (ok) {
        if (up) return;
        up = true;
        options.onChange?.(true);
        return;
      }
      const error = unreachable();
      options.onProbeFailed?.(error);
      if (up) {
        up = false;
        for (const fail of inFlight) fail(error);
        inFlight.clear();
        options.onChange?.(false);
      }
      retry = setTimeout(suspect, options.intervalMs);
    });
  }

  return {
    get up() {
      return up;
    },
    async run(op) {
      if (!up) throw unreachable();
      const abandon = new AbortController();
      let fail!: (error: Error) => void;
      const failed = new Promise<never>((_, reject) => {
        fail = (error) => {
          abandon.abort(error);
          reject(error);
        };
      });
      inFlight.add(fail);
      const watch = setTimeout(suspect, options.afterMs);
      try {
        return await Promise.race([op(abandon.signal), failed]);
      } catch (error) {
        if (isUnavailable(error) && !(error instanceof UnreachableError)) suspect();
        throw error;
      } finally {
        clearTimeout(watch);
        inFlight.delete(fail);
      }
    },
    suspect,
    stop() {
      stopped = true;
      clearTimeout(retry);
    },
  };
}
