import { describe, expect, it } from 'vitest';
import { createShutdown } from '../../src/shutdown.ts';

describe('the shutdown registry', () => {
  it('stops the parts in the reverse order they were built, once, and goes on past a failing one', async () => {
    const order: string[] = [];
    const warnings: unknown[] = [];
    const shutdown = createShutdown({ warn: (o: unknown) => warnings.push(o) } as never);
    shutdown.add('database', () => order.push('database'));
    shutdown.add('relay', () => {
      throw new Error('relay stuck');
    });
    shutdown.add('server', async () => order.push('server'));
    await Promise.all([shutdown.run(), shutdown.run()]);
    await shutdown.run();
    expect(order).toEqual(['server', 'database']);
    expect(warnings).toHaveLength(1);
  });
});
