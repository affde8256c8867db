/**
 * EventStoreDB refuses an append larger than its MaxAppendSize, a server setting of 1 MiB by
 * default, counted in bytes as the server stores them. The adapter checks the same sum before
 * it writes any claim: a refusal after the claims would leave them behind as orphans.
 */

/** The server's default MaxAppendSize. */
export const DEFAULT_MAX_APPEND_SIZE = 1024 * 1024;

/** A record as the adapter hands it to the client (`jsonEvent`). */
export interface OutgoingRecord {
  type: string;
  data: unknown;
  metadata?: unknown;
}

/**
 * The bytes EventStoreDB counts against its maximum for one record: data and metadata as the
 * client sends them (JSON in UTF-8, so a Chinese character is three bytes where its UTF-16
 * length counts one) and two bytes per character of the type (the server's Event.SizeOnDisk).
 */
export function recordSize(record: OutgoingRecord): number {
  const metadata = record.metadata === undefined ? 0 : Buffer.byteLength(JSON.stringify(record.metadata));
  return Buffer.byteLength(JSON.stringify(record.data)) + metadata + 2 * record.type.length;
}

/** The bytes of a whole append, as the server sums them. */
export function appendSize(records: readonly OutgoingRecord[]): number {
  let bytes = 0;
  for (const record of records) bytes += recordSize(record);
  return bytes;
}
