import { performance } from 'node:perf_hooks';
import type { EventRecord } from '../store/event-record.ts';

const MAX_BUFFERED = 10_000;

/** This instance's commits, each in position order: a running leader publishes them from memory and times them. */
export function createLocalCommits(onCommitPublished?: (seconds: number) => void) {
  let buffer: EventRecord[] = [];
  let commits: { position: number; at: number }[] = [];
  return {
    add(created: EventRecord[], { leader, running }: { leader: boolean; running: boolean }) {
      if (created.length === 0) return;
      const keep = leader && running;
      if (onCommitPublished && leader && commits.length < MAX_BUFFERED) {
        commits.push({ position: created[created.length - 1]!.position, at: performance.now() });
      }
      if (!keep || buffer.length + created.length > MAX_BUFFERED) buffer = [];
      // Commits may arrive out of order (several transactions in flight): merge them.
      else if (buffer.length === 0 || buffer[buffer.length - 1]!.position < created[0]!.position) buffer.push(...created);
      else buffer = [...buffer, ...created].sort((a, b) => a.position - b.position);
    },
    /** Up to `max` buffered events that continue exactly after `published`, or none. */
    take(published: number, max: number): EventRecord[] {
      while (buffer.length > 0 && buffer[0]!.position <= published) buffer.shift();
      if (buffer.length === 0 || buffer[0]!.position !== published + 1) return [];
      let n = 1;
      while (n < buffer.length && n < max && buffer[n]!.position === buffer[n - 1]!.position + 1) n++;
      return buffer.splice(0, n);
    },
    /** Memory is no guide after a new lease or a failure: forget the events. */
    forget() {
      buffer = [];
    },
    /** Forget the commits' times too (the lease is gone: another instance publishes them). */
    forgetAll() {
      buffer = [];
      commits = [];
    },
    published(published: number) {
      if (commits.length === 0 || commits[0]!.position > published) return;
      const now = performance.now();
      commits = commits.filter((c) => {
        if (c.position > published) return true;
        onCommitPublished?.((now - c.at) / 1000);
        return false;
      });
    },
  };
}
