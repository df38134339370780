import type { FieldError } from '../errors.ts';
import type { NewEvent } from '../events/event.ts';
import type { EventTypeRegistry } from './event-types.ts';

/**
 * Checks payloads against the registry: a registered (type, version) must match; an unregistered
 * version of a registered type is refused; an unregistered type only if `rejectUnregistered`.
 */
export function validatePayloads(registry: EventTypeRegistry, events: NewEvent[], rejectUnregistered: boolean, prefix: (i: number) => string): FieldError[] {
  const errors: FieldError[] = [];
  events.forEach((e, i) => {
    const result = registry.validate(e.eventType, e.version, e.payload);
    if (result === 'unregistered-type') {
      if (rejectUnregistered) errors.push({ pointer: `${prefix(i)}/event_type`, detail: `event type ${e.eventType} is not registered (see GET /schemas)` });
    } else if (result === 'unregistered-version') {
      const known = [...registry.types.get(e.eventType)!.keys()].join(', ');
      errors.push({ pointer: `${prefix(i)}/version`, detail: `version ${e.version} of ${e.eventType} is not registered (registered: ${known})` });
    } else {
      for (const issue of result) errors.push({ pointer: `${prefix(i)}/payload${issue.pointer}`, detail: issue.detail });
    }
  });
  return errors;
}
