import type { RecordedEvent } from '@fengcheng/event-store';
import { type AnalysedBatch, analysed, type ReadModelTrx } from './batch';

/** One read model fed by the event log. */
export interface Projection {
  readonly name: string;
  /**
   * Applies a batch of events, in position order, inside the caller's transaction (whose
   * search path starts with the generation's schema). Not idempotent by itself: the
   * projector's checkpoint guards against a batch applied twice.
   */
  apply(trx: ReadModelTrx, events: RecordedEvent[]): Promise<void>;
  /** Writes this read model's share of a batch already analysed. */
  write(trx: ReadModelTrx, batch: AnalysedBatch): Promise<void>;
}

export function defineProjection(
  name: string,
  write: (trx: ReadModelTrx, batch: AnalysedBatch) => Promise<void>,
): Projection {
  return { name, write, apply: async (trx, events) => write(trx, await analysed(trx, events)) };
}
