import type { RecordedEvent } from '@fengcheng/event-store';
import { sql } from 'kysely';
import { assertSchemaName } from '../migrations';
import type { ReadModelTrx } from './batch';
import { caseSummariesProjection } from './case-summaries.projection';
import { projectOutcomesProjection } from './project-outcomes.projection';
import type { Projection } from './projection';
import { regionSummariesProjection } from './region-summaries.projection';
import { registryProjection } from './registry.projection';
import { serviceInstancesProjection } from './service-instances.projection';
import { workerWorkloadsProjection } from './worker-workloads.projection';

export const PROJECTIONS: readonly Projection[] = [
  registryProjection,
  caseSummariesProjection,
  serviceInstancesProjection,
  projectOutcomesProjection,
  workerWorkloadsProjection,
  regionSummariesProjection,
];

/**
 * Applies events to generation `schemaName` inside `trx` and moves its checkpoint, so the
 * change and the checkpoint commit together. Events at or below the checkpoint are skipped:
 * a batch delivered again after a crash counts once. Returns the new checkpoint.
 */
export async function applyEvents(
  trx: ReadModelTrx,
  schemaName: string,
  events: RecordedEvent[],
): Promise<bigint> {
  assertSchemaName(schemaName);
  // Asynchronous commit is safe here: a commit lost in a crash loses the change and its
  // checkpoint together, and the events are read again from the store.
  await sql.raw(`set local search_path to ${schemaName}`).execute(trx);
  await sql.raw('set local synchronous_commit to off').execute(trx);
  const { rows } = await sql<{ position: bigint | string }>`
    select position from projection_checkpoint where id = 1 for update`.execute(trx);
  const checkpoint = BigInt(rows[0]?.position ?? 0);
  const fresh = events.filter((e) => e.position > checkpoint);
  const last = fresh.at(-1);
  if (!last) return checkpoint;
  for (const projection of PROJECTIONS) await projection.apply(trx, fresh);
  await sql`update projection_checkpoint
    set position = ${last.position.toString()}, events = events + ${fresh.length}, updated_at = now()
    where id = 1`.execute(trx);
  return last.position;
}
