import { Hono } from 'hono';
import type { RetentionPolicies } from '../lifecycle/policies.ts';
import { aggregateTypeParam, parsePolicyBody } from '../lifecycle/policy-input.ts';
import { readJsonBody } from './json-body.ts';

export function createRetentionRoutes(policies: RetentionPolicies, maxBodyBytes: number) {
  return new Hono()
    .get('/', async (c) => c.json({ policies: await policies.list() }))
    .get('/:aggregate_type', async (c) => {
      const type = aggregateTypeParam(c.req.param('aggregate_type'));
      const [policy, tiers] = await Promise.all([policies.get(type), policies.tiers(type)]);
      return c.json({ ...policy, tiers });
    })
    .put('/:aggregate_type', async (c) => {
      const type = aggregateTypeParam(c.req.param('aggregate_type'));
      const { policy, created } = await policies.put(type, parsePolicyBody(await readJsonBody(c, maxBodyBytes)));
      return c.json(policy, created ? 201 : 200, created ? { location: `/retention/${type}` } : {});
    })
    .delete('/:aggregate_type', async (c) => {
      await policies.remove(aggregateTypeParam(c.req.param('aggregate_type')));
      return c.body(null, 204);
    });
}
