import { isUnavailable, UnreachableError } from './errors.ts';

export interface ProbeSettings {
  /** An operation without an answer for this long makes the circuit probe the server. */
  afterMs: number;
  /** A probe without an answer for this long has failed. */
  timeoutMs: number;
  intervalMs: number;
}

export interface CircuitOptions extends ProbeSettings {
  server: string;
  probe(): Promise<unknown>;
  /** How many bytes the server has sent on all connections so far: a probe without an answer fails only if this did not grow meanwhile. */
  received?(): number;
  onProbeFailed?(error: UnreachableError): void;
  onChange?(up: boolean): void;
  /** A server believed up is being probed. */
  onSuspect?(): void;
}

export interface RunState {
  /** The server was found down while the operation ran: it failed, and must not start work now. */
  readonly abandoned: boolean;
}

export interface Circuit {
  readonly up: boolean;
  /** Fails at once while the server is known down; an `op` silent past `afterMs` or failing as if unreachable triggers a probe. */
  run<T>(op: (state: RunState) => Promise<T>): Promise<T>;
  suspect(): void;
  stop(): void;
}

interface Run extends RunState {
  readonly started: number;
  abandoned: boolean;
  probed: boolean;
  fail(error: Error): void;
}

// A circuit breaker that trusts no driver timeout: silence past `afterMs` triggers a probe on
// another connection, and only a failed probe opens the circuit (slow queries keep running).
export function createCircuit(options: CircuitOptions): Circuit {
  let up = true;
  let stopped = false;
  let probing = false;
  let retry: NodeJS.Timeout | undefined;
  // One watchdog timer for all runs in flight: a timer per run would cost more than the rest.
  const inFlight = new Set<Run>();
  let watchdog: NodeJS.Timeout | undefined;

  const unreachable = () => new UnreachableError(`PostgreSQL (${options.server}) does not answer`);

  async function probeOnce(): Promise<boolean> {
    const received = options.received ?? (() => 0);
    const receivedBefore = received();
    let timer: NodeJS.Timeout | undefined;
    let silent = false;
    // setImmediate: on a busy loop, read an answer already on the socket before giving up.
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => setImmediate(() => {
        silent = true;
        reject(unreachable());
      }), options.timeoutMs);
    });
    try {
      await Promise.race([options.probe(), late]);
      return true;
    } catch {
      // A server that sent anything on another connection meanwhile is busy, not gone: on a loaded
      // machine, starting the probe's session alone can take longer than the probe's timeout.
      return silent && received() > receivedBefore;
    } finally {
      clearTimeout(timer);
    }
  }

  function watch() {
    const now = performance.now();
    for (const run of inFlight) {
      if (now - run.started < options.afterMs) break;
      if (!run.probed) {
        run.probed = true;
        suspect();
      }
    }
    if (inFlight.size === 0) {
      clearInterval(watchdog);
      watchdog = undefined;
    }
  }

  function suspect() {
    if (probing || stopped) return;
    probing = true;
    if (up) options.onSuspect?.();
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
        for (const run of inFlight) run.fail(error);
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
    run(op) {
      if (!up) return Promise.reject(unreachable());
      return new Promise((resolve, reject) => {
        const run: Run = {
          started: performance.now(),
          probed: false,
          abandoned: false,
          fail(error) {
            run.abandoned = true;
            reject(error);
          },
        };
        inFlight.add(run);
        watchdog ??= setInterval(watch, Math.max(5, options.afterMs / 5)).unref();
        const settled = () => inFlight.delete(run);
        let result: ReturnType<typeof op>;
        try {
          result = op(run);
        } catch (error) {
          settled();
          throw error;
        }
        result.then(
          (value) => {
            settled();
            resolve(value);
          },
          (error: unknown) => {
            settled();
            if (isUnavailable(error) && !(error instanceof UnreachableError)) suspect();
            reject(error);
          },
        );
      });
    },
    suspect,
    stop() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(watchdog);
    },
  };
}
