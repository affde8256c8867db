import type { Row } from './sql-client';

/** What one retried append looks for: its events' ids and source records. */
export interface LookupKeys {
  ids: string[];
  sources: Array<{ system: string; recordId: string }>;
}

interface Pending {
  keys: LookupKeys;
  resolve: (rows: Row[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Lookups of retried appends, batched: while one statement is out, those that arrive wait, and
 * the next statement carries them all. A replayed dataset retries thousands of one-event
 * appends at once (registrations each have a stream), and on PGlite, one backend, a statement
 * each queued up behind the others. Each caller gets back the rows of its own keys.
 * Rows are (event, version, position, source_system, source_record_id, append_end, event_id).
 */
export class LookupBatch {
  private readonly queue: Pending[] = [];
  private busy = false;

  constructor(private readonly send: (keys: LookupKeys) => Promise<Row[]>) {}

  find(keys: LookupKeys): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ keys, resolve, reject });
      if (!this.busy) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        const all: LookupKeys = {
          ids: batch.flatMap((p) => p.keys.ids),
          sources: batch.flatMap((p) => p.keys.sources),
        };
        let rows: Row[];
        try {
          rows = await this.send(all);
        } catch (error) {
          for (const pending of batch) pending.reject(error);
          continue;
        }
        // Indexed once, so that thousands of lookups in one statement cost each only its own keys.
        const byId = new Map<string, Row>();
        const bySource = new Map<string, Row>();
        for (const row of rows) {
          byId.set(String(row[6]).toLowerCase(), row);
          if (row[3] !== null) bySource.set(sourceKey(row[3] as string, row[4] as string), row);
        }
        for (const { keys, resolve } of batch) {
          const own = new Set<Row>();
          for (const id of keys.ids) {
            const row = byId.get(id.toLowerCase());
            if (row) own.add(row);
          }
          for (const { system, recordId } of keys.sources) {
            const row = bySource.get(sourceKey(system, recordId));
            if (row) own.add(row);
          }
          resolve([...own]);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

const sourceKey = (system: string, recordId: string) => `${system}\u0000${recordId}`;
