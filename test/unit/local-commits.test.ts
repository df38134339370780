import { describe, expect, it } from 'vitest';
import { createLocalCommits } from '../../src/publishing/local-commits.ts';
import type { EventRecord } from '../../src/store/event-record.ts';

const records = (...positions: number[]): EventRecord[] => positions.map((position) => ({ position, aggregateType: 'agent', json: `{"position":${position}}` }));
const leading = { leader: true, running: true };

describe("the relay's local commits", () => {
  it('hands over only events that continue exactly after what was published, at most `max` at a time', () => {
    const local = createLocalCommits();
    local.add(records(1, 2, 3), leading);
    local.add(records(4, 5), leading);
    expect(local.take(0, 4).map((r) => r.position)).toEqual([1, 2, 3, 4]);
    expect(local.take(4, 10).map((r) => r.position)).toEqual([5]);
    local.add(records(7), leading);
    expect(local.take(5, 10)).toEqual([]); // 6 is missing: the relay must read the store
  });

  it('merges commits that arrive out of order, and drops what is already published', () => {
    const local = createLocalCommits();
    local.add(records(3, 4), leading);
    local.add(records(1, 2), leading);
    expect(local.take(1, 10).map((r) => r.position)).toEqual([2, 3, 4]);
  });

  it('keeps nothing for a relay that is not the leader or not running', () => {
    const local = createLocalCommits();
    local.add(records(1), { leader: false, running: true });
    local.add(records(2), { leader: true, running: false });
    expect(local.take(0, 10)).toEqual([]);
  });

  it("reports each commit's publication once, for a leader's commits only", () => {
    const delays: number[] = [];
    const local = createLocalCommits((s) => delays.push(s));
    local.add(records(1, 2), leading);
    local.add(records(3), { leader: false, running: true });
    local.add(records(4), leading);
    local.published(2);
    expect(delays).toHaveLength(1);
    local.published(4);
    expect(delays).toHaveLength(2);
    expect(delays.every((d) => d >= 0)).toBe(true);
  });
});
