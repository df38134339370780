import { performance } from 'node:perf_hooks';
import type { Logger } from '../observability/logger.ts';
import type { Sql } from '../postgres/database.ts';
import { headPosition } from './event-store.ts';

/** NOTIFY channel; PostgreSQL scopes it to the database, so it names no database itself. */
export const COMMITS_CHANNEL = 'events_committed';
const MIN_INTERVAL_MS = 10;
// Whether another instance listens is looked up at most this often while none did, and this
// often while one does (a NOTIFY wakes every listener, this instance's own included).
const RECHECK_ALONE_MS = 250;
const RECHECK_MS = 2_000;

export interface CommitNotificationsOptions {
  /** A client of its own (with synchronous_commit off: a NOTIFY's commit need not wait for a flush). */
  sql: Sql;
  logger: Logger;
  onCommitted(position: number): void;
}

export interface CommitNotifications {
  /** A local commit reached `position`: tell every instance. Coalesced; never awaited. */
  announce(position: number): void;
  stop(): Promise<void>;
}

/**
 * Cross-instance wake-ups: NOTIFY the head on a connection of its own, outside the append, only
 * while another instance LISTENs. A hint only: polling stays the safety net.
 */
export function createCommitNotifications(options: CommitNotificationsOptions): CommitNotifications {
  const log = options.logger.child({ component: 'commit-notifications' });
  const { sql } = options;
  let stopped = false;
  let pending = 0; // highest position announced locally
  let sent = 0; // highest position a NOTIFY was sent for
  let lastSentAt = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  let sending: Promise<void> | null = null;

  function received(position: number) {
    if (stopped || !Number.isSafeInteger(position) || position <= 0) return;
    try {
      options.onCommitted(position);
    } catch (error) {
      log.error({ err: (error as Error).message }, 'commit notification handler failed');
    }
  }

  let listening = false;
  let othersListen = false;
  let checkedAt = -Infinity;
  let checking: Promise<void> | null = null;
  const listenStatement = `listen "${COMMITS_CHANNEL}"`;

  function checkListeners() {
    checkedAt = performance.now();
    checking = sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname = current_database() and query = ${listenStatement}`
      .then(
        ([row]) => {
          othersListen = row!.n - (listening ? 1 : 0) > 0;
        },
        () => {
          othersListen = true; // cannot tell: announce, as without the check
        },
      )
      .finally(() => {
        checking = null;
        schedule();
      });
  }

  let unlisten: (() => Promise<void>) | null = null;
  void sql
    .listen(
      COMMITS_CHANNEL,
      (payload) => received(Number(payload)),
      () => {
        listening = true;
        log.debug('listening for commits of other instances');
        void headPosition(sql).then(received, () => {});
      },
    )
    .then(
      (subscription) => {
        unlisten = subscription.unlisten;
      },
      (error: Error) => {
        // postgres.js goes on trying; until it succeeds, polling finds other instances' commits.
        if (!stopped) log.warn({ err: error.message }, 'cannot LISTEN for commits of other instances yet; polling finds them meanwhile');
      },
    );

  function send() {
    timer = null;
    const position = pending;
    sent = position;
    lastSentAt = performance.now();
    sending = sql
      .notify(COMMITS_CHANNEL, String(position))
      .then(
        () => {},
        (error: Error) => log.debug({ err: error.message }, 'NOTIFY failed; other instances poll'),
      )
      .finally(() => {
        sending = null;
        schedule();
      });
  }

  function schedule() {
    if (stopped || timer || sending || checking || pending <= sent) return;
    const sinceCheck = performance.now() - checkedAt;
    if (!othersListen) {
      if (sinceCheck >= RECHECK_ALONE_MS) checkListeners();
      else sent = pending; // nobody to tell
      return;
    }
    if (sinceCheck >= RECHECK_MS) checkListeners();
    const wait = lastSentAt + MIN_INTERVAL_MS - performance.now();
    if (wait <= 0) send();
    else timer = setTimeout(send, wait);
  }

  return {
    announce(position) {
      if (position <= pending) return;
      pending = position;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      // A database that does not answer must not hold the shutdown: others' polling finds these commits.
      const flush = async () => {
        await sending;
        if (pending > sent) send();
        await sending;
      };
      await Promise.race([flush(), new Promise((r) => setTimeout(r, 1_000).unref())]);
      // Unlisten first: postgres.js would otherwise re-LISTEN when the connection closes.
      await unlisten?.().catch(() => {});
    },
  };
}
