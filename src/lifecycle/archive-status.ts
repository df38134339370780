import { Counter, Gauge, type Registry } from 'prom-client';
import type { RunProgress } from './archive-context.ts';
import { StorageError } from './object-storage.ts';
import type { ArchiveRun, RunObserver } from './runs.ts';

export interface StorageStatus {
  status: 'ok' | 'failing' | 'unknown';
  error: string | null;
  since: string | null;
}

// Reads, runs and damaged segments each keep their own state: a read that succeeds must not hide
// that runs cannot write, nor one segment's good read another's damage.
export function createArchiveStatus(registry: Registry, description: string, listed: (keys: string[]) => Promise<Set<string>>) {
  let storage: StorageStatus = { status: 'unknown', error: null, since: null };
  const last: { read?: StorageError | null; run?: StorageError | null } = {};
  const damaged = new Map<string, string>();
  // Unknown until this instance used the storage (update() runs only then).
  const update = () => {
    const [firstDamaged] = damaged.values();
    const error = last.run?.message ?? last.read?.message ?? (firstDamaged === undefined ? null : damaged.size > 1 ? `${firstDamaged} (and ${damaged.size - 1} more)` : firstDamaged);
    const status = error ? 'failing' : 'ok';
    if (status !== storage.status || (error && error !== storage.error)) storage = { status, error, since: new Date().toISOString() };
    up.set(error ? 0 : 1);
    damagedGauge.set(damaged.size);
  };
  // A run that wrote or finished shows the storage answering reads as well; a read shows nothing of writes.
  const setRun = (error: StorageError | null) => {
    last.run = error;
    if (!error) last.read = null;
    update();
  };
  const runs = new Counter({ name: 'archive_runs_total', help: 'Archive runs of this instance that finished, by outcome (dry runs not included)', labelNames: ['outcome'] as const, registers: [registry] });
  const events = new Counter({ name: 'archive_events_total', help: 'Events this instance archived or deleted, by action', labelNames: ['action'] as const, registers: [registry] });
  const segments = new Counter({ name: 'archive_segments_written_total', help: 'Segments this instance wrote, verified and committed', registers: [registry] });
  const bytes = new Counter({ name: 'archive_bytes_written_total', help: 'Bytes of the segments this instance committed', registers: [registry] });
  const lastRun = new Gauge({ name: 'archive_last_run_timestamp_seconds', help: 'When an archive run of this instance last finished, by outcome (dry runs not included)', labelNames: ['outcome'] as const, registers: [registry] });
  // 0 only on evidence: an instance that has not used the storage yet (another won the runs) is not failing.
  const up = new Gauge({ name: 'archive_storage_up', help: `0 when the archive storage (${description}) failed this instance's last read or last run, or a segment was found damaged; else 1 (also before this instance used it)`, registers: [registry] });
  up.set(1);
  const running = new Gauge({ name: 'archive_run_in_progress', help: '1 while a run of this instance is going', registers: [registry] });
  const damagedGauge = new Gauge({ name: 'archive_segments_damaged', help: 'Segments the manifest lists that this instance found missing or not matching their SHA-256 (until one opens whole again)', registers: [registry] });

  const observer: RunObserver & { started(): void } = {
    started: () => running.inc(),
    progressed(p: RunProgress) {
      if (p.archived) events.inc({ action: 'archived' }, p.archived);
      if (p.deleted) events.inc({ action: 'deleted' }, p.deleted);
      if (p.segments) segments.inc(p.segments);
      if (p.bytes) bytes.inc(p.bytes);
      if (p.segments || p.bytes) setRun(null);
    },
    finished(run: ArchiveRun | undefined, error?: unknown) {
      running.dec();
      // A dry run only reads PostgreSQL: counted as a run, it would let a preview stand in for the
      // archiving that an alert on the last succeeded run is there to miss.
      if (!run?.dry_run) {
        const outcome = error === undefined ? 'succeeded' : 'failed';
        runs.inc({ outcome });
        lastRun.set({ outcome }, Date.now() / 1000);
      }
      if (error instanceof StorageError || (error as { cause?: unknown })?.cause instanceof StorageError) setRun((error instanceof StorageError ? error : (error as { cause: StorageError }).cause));
      // Every run lists the storage (its orphan sweep), so one that succeeded shows it answering.
      else if (error === undefined && run && !run.dry_run) setRun(null);
      // A damaged segment that retention deleted is no longer a fault: nothing will read it again.
      if (damaged.size > 0) {
        const keys = [...damaged.keys()];
        void listed(keys).then((kept) => {
          for (const key of keys) if (!kept.has(key)) damaged.delete(key);
          update();
        }, () => {});
      }
    },
  };
  return {
    observer,
    /** A read of archived events: null when the storage answered it. */
    onStorage: (error: StorageError | null) => {
      last.read = error;
      update();
    },
    /** A segment opened for reading: whole (null), or missing or damaged. */
    onSegment: (key: string, error: StorageError | null) => {
      if (error) damaged.set(key, error.message);
      else if (!damaged.delete(key)) return;
      update();
    },
    storage: () => storage,
  };
}

export type ArchiveStatus = ReturnType<typeof createArchiveStatus>;
