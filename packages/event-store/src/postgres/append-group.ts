import { textBytes } from '@fengcheng/platform';
import { EVENT_SEPARATOR } from './schema';
import type { Row } from './sql-client';

/** One append's arguments to `es_append`: per-append values and its events' columns. */
export interface AppendCall {
  streamId: string;
  expected: number;
  baseVersion: number | null;
  baseHash: string | null;
  ids: string[];
  types: string[];
  sourceSystems: Array<string | null>;
  sourceIds: Array<string | null>;
  /** One per event; null when the base is unknown (the function then answers 'stale'). */
  hashes: Array<string | null>;
  canonicals: Array<string | null>;
  /**
   * The events were chained on a head that exists and that `expected` allows: the append is
   * right exactly when version baseVersion + 1 is still free, which the (stream_id, version) key
   * checks by itself. Such appends go in as a plain insert, without es_append's head lookup;
   * a group the keys refuse is sent again through es_append (the store's `send`).
   */
  plain: boolean;
}

interface Pending {
  call: AppendCall;
  resolve: (rows: Row[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit in the application. Each database round trip (and each commit flush) costs
 * far more than the rows it carries, so appends to different streams that are waiting at
 * the same moment travel in one `es_append` call and one transaction. With at most
 * `maxInFlight` calls out, a lone writer is sent at once and waits for nobody; under load
 * the queue fills while calls are out, and the next call takes all of it.
 *
 * Appends stay independent: each gets its own verdict rows. If a grouped call fails (a
 * racing writer in another process, a bad value), every append in it is retried alone, so
 * one append's failure is never another's.
 */
export class AppendGroup {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly send: (calls: AppendCall[]) => Promise<Row[]>,
    private readonly maxInFlight: number,
    private readonly maxEvents: number,
  ) {}

  /** Rows of this append's verdict: (kind, version, position, hash). */
  submit(call: AppendCall): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ call, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const group = this.take();
      this.inFlight++;
      void this.run(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private take(): Pending[] {
    const group: Pending[] = [];
    let events = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Pending;
      if (group.length > 0 && events + next.call.ids.length > this.maxEvents) break;
      this.queue.shift();
      group.push(next);
      events += next.call.ids.length;
    }
    return group;
  }

  private async run(group: Pending[]): Promise<void> {
    if (group.length === 1) {
      await this.alone(group[0] as Pending);
      return;
    }
    let rows: Row[];
    try {
      rows = await this.send(group.map((p) => p.call));
    } catch {
      await Promise.all(group.map((p) => this.alone(p)));
      return;
    }
    const byAppend: Row[][] = group.map(() => []);
    for (const row of rows) byAppend[Number(row[0]) - 1]?.push(row.slice(1));
    group.forEach((pending, i) => {
      pending.resolve(byAppend[i] as Row[]);
    });
  }

  private async alone(pending: Pending): Promise<void> {
    try {
      const rows = await this.send([pending.call]);
      pending.resolve(rows.map((row) => row.slice(1)));
    } catch (error) {
      pending.reject(error);
    }
  }
}

/**
 * The positional parameters of the plain insert (see AppendCall.plain) for a group of
 * appends: one element per event, stream and version included, the events' texts as one.
 */
export function insertParameters(calls: AppendCall[]): unknown[] {
  const streams: string[] = [];
  const versions: number[] = [];
  const canonicals: string[] = [];
  for (const call of calls) {
    const base = call.baseVersion as number;
    for (let i = 0; i < call.ids.length; i++) {
      streams.push(call.streamId);
      versions.push(base + i + 1);
      canonicals.push(call.canonicals[i] as string);
    }
  }
  return [
    textArray(streams),
    joined(versions.map(String), '{', ',', '}'),
    ...eventColumns(calls),
    textBytes(canonicals.join(EVENT_SEPARATOR)),
  ];
}

/** `insertOne`'s parameters: an append of one event, alone in its group. */
export function insertOneParameters(call: AppendCall): unknown[] {
  return [
    call.streamId,
    (call.baseVersion as number) + 1,
    call.ids[0],
    call.types[0],
    call.sourceSystems[0],
    call.sourceIds[0],
    call.hashes[0],
    call.canonicals[0],
  ];
}

/**
 * The plain insert's answer — one row: the first position and the count — as es_append's
 * verdict rows (append, 'ok', version, position, null), one per event in the calls' order. The
 * k-th event of the statement went in at the first position + k (ADR 0001) as the version
 * insertParameters gave it.
 */
export function insertVerdicts(calls: AppendCall[], rows: Row[]): Row[] {
  const [answer] = rows;
  const total = calls.reduce((sum, call) => sum + call.ids.length, 0);
  if (!answer || Number(answer[1]) !== total)
    throw new Error(`the insert answered ${answer ? String(answer[1]) : 'nothing'} of ${total} events`);
  const first = BigInt(answer[0] as string | number | bigint);
  const verdicts: Row[] = [];
  calls.forEach((call, j) => {
    const base = call.baseVersion as number;
    for (let i = 0; i < call.ids.length; i++)
      verdicts.push([j + 1, 'ok', base + i + 1, first + BigInt(verdicts.length), null]);
  });
  return verdicts;
}

/** The positional parameters of `es_append` for a group of appends. */
export function appendParameters(calls: AppendCall[]): unknown[] {
  const canonicals: string[] = [];
  for (const call of calls) for (const text of call.canonicals) canonicals.push(text ?? 'null');
  return [
    calls.map((c) => c.streamId),
    calls.map((c) => c.expected),
    calls.map((c) => c.baseVersion),
    calls.map((c) => c.baseHash),
    calls.map((c) => c.ids.length),
    ...eventColumns(calls),
    // The canonical texts as one text, no per-element escaping (see es_append), as bytes.
    textBytes(canonicals.join(EVENT_SEPARATOR)),
  ];
}

/** The per-event key columns both statements take, in their order: ids, types, sources, hashes. */
function eventColumns(calls: AppendCall[]): string[] {
  return [
    columnArray(calls, (c) => c.ids),
    columnArray(calls, (c) => c.types),
    columnArray(calls, (c) => c.sourceSystems),
    columnArray(calls, (c) => c.sourceIds),
    columnArray(calls, (c) => c.hashes),
  ];
}

const NEEDS_ESCAPE = /["\\]/;

/** A Postgres array literal of one column of every call's events (see textArray). */
function columnArray(
  calls: AppendCall[],
  column: (call: AppendCall) => ReadonlyArray<string | null>,
): string {
  const elements: Array<string | null> = [];
  for (const call of calls) for (const value of column(call)) elements.push(value);
  return textArray(elements);
}

/**
 * A Postgres text[] literal: each element quoted (with `"` and `\` escaped), null as NULL.
 * pg would build it from a JS array element by element and copy it again to measure it;
 * this is one join. Takes over (and changes) `elements`.
 */
function textArray(elements: Array<string | null>): string {
  let plain = true;
  for (const value of elements) {
    if (value === null || NEEDS_ESCAPE.test(value)) {
      plain = false;
      break;
    }
  }
  if (elements.length === 0) return '{}';
  if (plain) return joined(elements as string[], '{"', '","', '"}');
  const quoted = elements.map((value) => (value === null ? 'NULL' : `"${value.replace(/["\\]/g, '\\$&')}"`));
  return joined(quoted, '{', ',', '}');
}

/** open + texts joined by separator + close, as one flat string: the ends ride on the first and last text. */
function joined(texts: string[], open: string, separator: string, close: string): string {
  if (texts.length === 0) return `${open}${close}`;
  texts[0] = open + texts[0];
  texts[texts.length - 1] += close;
  return texts.join(separator);
}
