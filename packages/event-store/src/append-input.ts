import type { ExpectedVersion, NewEvent } from './port';

/**
 * What every adapter refuses in an append before it reads or writes anything, and the event
 * ids as they are stored. The rules live here once, so that PostgreSQL and EventStoreDB cannot
 * drift apart on what they accept.
 */

const EXPECTED_WORDS: ReadonlySet<unknown> = new Set(['any', 'no_stream', 'stream_exists']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An eventId as the stores keep it: a UUID, in lower case. A UUID names the same thing in
 * either case (RFC 9562), and PostgreSQL's uuid column compares it so; EventStoreDB's index
 * streams are named after the id as given and would take the upper-case one for a new event.
 * Any other id is refused: PostgreSQL keeps ids in a uuid column and EventStoreDB as record ids.
 */
export function eventIdOf(eventId: unknown): string {
  if (typeof eventId !== 'string' || !UUID.test(eventId)) {
    throw new TypeError(`eventId must be a UUID: ${String(eventId)}`);
  }
  return eventId.toLowerCase();
}

/**
 * The events of one append as an adapter stores them: each eventId a UUID in lower case, and
 * no eventId (in any case) and no source record twice. One source record twice can only be a
 * mistake, and EventStoreDB's appender would race its own two claims on the record's index
 * stream until it gave up. The events come back unchanged, and the same array, when every id
 * is already in lower case, as the ingest sends them.
 */
export function checkedEvents(events: NewEvent[]): NewEvent[] {
  let checked: NewEvent[] | undefined;
  const ids = new Set<string>();
  let sources: Set<string> | undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as NewEvent;
    const lower = typeof event.eventId === 'string' && LOWER_UUID.test(event.eventId);
    const eventId = lower ? event.eventId : eventIdOf(event.eventId);
    if (ids.has(eventId)) throw new RangeError(`eventId ${eventId} appears twice in one append`);
    ids.add(eventId);
    if (event.source) {
      const { system, recordId } = event.source;
      if (typeof system !== 'string' || typeof recordId !== 'string') {
        throw new TypeError('event source must have a string system and recordId');
      }
      const key = `${system}\u0000${recordId}`;
      sources ??= new Set();
      if (sources.has(key)) {
        throw new RangeError(`source record ${system}/${recordId} appears twice in one append`);
      }
      sources.add(key);
    }
    if (!lower) {
      checked ??= events.slice();
      checked[i] = { ...event, eventId };
    }
  }
  return checked ?? events;
}

/**
 * The expected version of an append, 'any' when none is given. Anything but a non-negative
 * integer or one of the three words is refused: -1 or -2 is a caller's arithmetic gone wrong,
 * not 'any' or 'stream_exists' in disguise, and an unknown word must not pass for a mismatch.
 */
export function checkedExpectedVersion(expected: ExpectedVersion | undefined): ExpectedVersion {
  if (expected === undefined) return 'any';
  const valid =
    typeof expected === 'number'
      ? Number.isSafeInteger(expected) && expected >= 0
      : EXPECTED_WORDS.has(expected);
  if (!valid) {
    throw new RangeError(
      `expectedVersion must be a whole number from 0, 'any', 'no_stream' or 'stream_exists', not ${String(expected)}`,
    );
  }
  return expected;
}
