/**
 * What every adapter refuses in an append before it reads or writes anything. The rules live
 * here once, so that PostgreSQL and EventStoreDB cannot drift apart on what they accept.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Refuses an eventId that is not a UUID. PostgreSQL keeps event ids in a uuid column;
 * EventStoreDB takes them as record ids, which must be UUIDs too.
 */
export function checkEventId(eventId: unknown): void {
  if (typeof eventId !== 'string' || !UUID.test(eventId)) {
    throw new TypeError(`eventId must be a UUID: ${String(eventId)}`);
  }
}
