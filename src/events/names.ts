// Names become part of Redis channel names: nothing PSUBSCRIBE reads as a glob, no colon, space or control character.
export const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_-]{0,63}\.[a-z][a-z0-9_-]{0,63}$/;
// Any RFC 9562 layout of hex digits; PostgreSQL normalises to lower case.
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export const aggregateTypeOf = (eventType: string) => eventType.slice(0, eventType.indexOf('.'));
