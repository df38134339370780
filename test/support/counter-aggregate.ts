import { defineAggregate } from '../../src/aggregates/aggregate.ts';

// A small aggregate for the console's aggregate view: a total and the labels given.

interface Counter { total: number; labels: string[] }
export const counter = defineAggregate<Counter>({
  type: 'counter',
  initialState: { total: 0, labels: [] },
  handlers: {
    'counter.incremented': (s, e) => ({ ...s, total: s.total + (e.payload.by as number) }),
    'counter.labelled': (s, e) => ({ ...s, labels: [...s.labels, e.payload.label as string] }),
  },
});
