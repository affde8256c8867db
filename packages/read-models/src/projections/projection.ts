import type { RecordedEvent } from '@fengcheng/event-store';
import type { ReadModelTrx } from './batch';

/** One read model fed by the event log. */
export interface Projection {
  readonly name: string;
  /**
   * Applies a batch of events, in position order, inside the caller's transaction (whose
   * search path starts with the generation's schema). Not idempotent by itself: the
   * projector's checkpoint guards against a batch applied twice.
   */
  apply(trx: ReadModelTrx, events: RecordedEvent[]): Promise<void>;
}
