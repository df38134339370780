import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allEventsPattern, eventsChannel, publishedMarkKey } from '../../src/events/channels.ts';
import { EVENT_TYPE_PATTERN, NAME_PATTERN } from '../../src/events/names.ts';

describe('names and channels', () => {
  it('admits no Redis glob, colon, space or control character into a name', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 70 }), (name) => {
        if (NAME_PATTERN.test(name)) expect(name).not.toMatch(/[*?[\]\\:\s\p{Cc}{}]/u);
      }),
    );
    for (const bad of ['agent*', 'a?', '[a]', 'a:b', 'a b', 'Agent', '1agent', '']) expect(NAME_PATTERN.test(bad), bad).toBe(false);
    expect(EVENT_TYPE_PATTERN.test('agent.created')).toBe(true);
    expect(EVENT_TYPE_PATTERN.test('agent.created.twice')).toBe(false);
  });

  it('builds channels under the prefix, matched by the pattern that sees them all', () => {
    expect(eventsChannel('staging:', 'agent')).toBe('staging:events:agent');
    expect(allEventsPattern('staging:')).toBe('staging:events:*');
  });

  it("keeps the relay's mark key in its channel's cluster slot (a hash tag of the channel name)", () => {
    expect(publishedMarkKey('p:', 'agent')).toBe('{p:events:agent}:published');
  });
});
