import { z } from 'zod';
import { defineAggregate, type AggregateEvent } from '../../src/aggregates/aggregate.ts';
import { defineEventTypes } from '../../src/aggregates/event-types.ts';

// A small aggregate used by the aggregate tests: every handler is pure.
export interface AgentState {
  name: string | null;
  kind: string | null;
  renames: number;
  log: string[];
}

export const agentEventTypes = defineEventTypes([
  { type: 'agent.created', version: 1, schema: z.object({ name: z.string() }) },
  { type: 'agent.created', version: 2, schema: z.object({ name: z.string(), kind: z.string() }), upcast: (p) => ({ ...p, kind: 'general' }) },
  {
    type: 'agent.created', version: 3, schema: z.object({ display_name: z.string(), kind: z.string() }),
    upcast: ({ name, ...rest }) => ({ display_name: name, ...rest }),
  },
  { type: 'agent.renamed', version: 1, schema: z.object({ name: z.string().min(1) }) },
  { type: 'agent.noted', version: 1, schema: z.object({ note: z.string() }) },
]);

export const agentStateSchema = z.object({ name: z.string().nullable(), kind: z.string().nullable(), renames: z.number().int(), log: z.array(z.string()) });

export const agentHandlers = {
  'agent.created': (s: AgentState, e: AggregateEvent<{ display_name: string; kind: string }>): AgentState => ({ ...s, name: e.payload.display_name, kind: e.payload.kind, log: [...s.log, `created:${e.sequence}`] }),
  'agent.renamed': (s: AgentState, e: AggregateEvent<{ name: string }>): AgentState => ({ ...s, name: e.payload.name, renames: s.renames + 1, log: [...s.log, `renamed:${e.sequence}`] }),
  'agent.noted': (s: AgentState, e: AggregateEvent<{ note: string }>): AgentState => ({ ...s, log: [...s.log, `${e.payload.note}:${e.sequence}`] }),
};

export const initialAgent: AgentState = { name: null, kind: null, renames: 0, log: [] };

export const agentAggregate = (options: { schemaVersion?: number; snapshotEvery?: number } = {}) =>
  defineAggregate<AgentState>({ type: 'agent', initialState: initialAgent, handlers: agentHandlers, stateSchema: agentStateSchema, ...options });
