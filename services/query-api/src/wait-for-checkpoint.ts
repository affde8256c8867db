import type { Database } from '@fengcheng/platform';
import { readCheckpoint } from '@fengcheng/read-models';

/**
 * `waitForPosition` for a query process that does not run the projector itself: polls the
 * checkpoint the projector commits with each batch. One poll in flight is shared by all
 * waiters, so a burst of `minPosition` queries costs one query per interval.
 */
export function checkpointWaiter(database: Database, intervalMs = 50) {
  let known = 0n;
  let inFlight: Promise<bigint> | null = null;
  const poll = (): Promise<bigint> => {
    if (!inFlight) {
      inFlight = readCheckpoint(database).finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  };
  return async function waitForPosition(position: bigint, timeoutMs: number): Promise<boolean> {
    if (known >= position) return true;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const checkpoint = await poll();
      if (checkpoint > known) known = checkpoint;
      if (known >= position) return true;
      if (Date.now() + intervalMs > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
}
