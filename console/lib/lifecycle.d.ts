// Types of lifecycle.js for its unit test (the browser code is checked from its JSDoc).
export interface Tiers { hot: { events: number; bytes: number | null; bytes_estimated: true }; archive: { events: number; bytes: number; segments: number }; deleted: { events: number } }
export interface TypePlan { aggregate_type: string; archive_after: string | null; delete_after: string | null; archive: { events: number; segments: number }; delete: { hot_events: number; archived_events: number; segments: number } }
export interface ArchiveRun {
  id: string; status: 'running' | 'succeeded' | 'failed'; dry_run: boolean; trigger: 'schedule' | 'request';
  archived: number; deleted: number; segments: number; bytes: number; planned: number | null; plan: TypePlan[] | null;
  error: string | null; started_at: string; updated_at: string; finished_at: string | null;
}
export function formatBytes(n: number | null | undefined): string;
export function policyBody(values: { archive_after?: string | null; delete_after?: string | null }): { archive_after: string | null; delete_after: string | null };
export function sumTiers(tiers: Tiers[]): { hotEvents: number; hotBytes: number | null; archivedEvents: number; archivedBytes: number; segments: number; deletedEvents: number };
export function runProgress(run: ArchiveRun): { done: number; total: number };
export function runSummary(run: ArchiveRun): string;
export function formatAge(seconds: number | null): string;
export interface Policy { aggregate_type: string; archive_after: string | null; delete_after: string | null; updated_at: string | null }
export interface Segment {
  id: number; aggregate_type: string; from_position: number; to_position: number; first_created_at: string; last_created_at: string;
  events: number; bytes: number; sha256: string; key: string; run_id: string; created_at: string;
}
