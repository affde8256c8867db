import { DomainError } from '@fengcheng/domain';
import type { EventStore } from '@fengcheng/event-store';
import type { Logger } from '@fengcheng/platform';
import type { KeyVault } from '@fengcheng/privacy';
import type { Kysely } from 'kysely';

/** What the query routes need; the all-in-one process and the standalone service supply it differently. */
export interface QueryRoutesDeps {
  store: EventStore;
  /** Client data keys: reviewers and the owning agency read personal fields decrypted. */
  vault: KeyVault;
  /** The current read-model generation (a rebuild may swap it between two calls). */
  readModels: () => Promise<Kysely<any>> | Kysely<any>;
  /** Resolves true once the projections include `position`, false after `timeoutMs`. */
  waitForPosition: (position: bigint, timeoutMs: number) => Promise<boolean>;
  clock?: () => Date;
  logger?: Logger;
}

/** How long a query waits for `minPosition` before answering 503 PROJECTION_LAGGING. */
export const MIN_POSITION_WAIT_MS = 5_000;

export async function ensurePosition(deps: QueryRoutesDeps, minPosition: bigint | undefined): Promise<void> {
  if (minPosition === undefined || minPosition === 0n) return;
  const reached = await deps.waitForPosition(minPosition, MIN_POSITION_WAIT_MS);
  if (!reached) {
    throw new DomainError(
      'PROJECTION_LAGGING',
      `the read models did not reach position ${minPosition} within ${MIN_POSITION_WAIT_MS / 1000} s; retry shortly`,
      { minPosition: minPosition.toString() },
    );
  }
}
