import { defineProjection } from './projection';
import { insertIgnoring, upsertReplacing } from './write';

/** Organisations, workers and projects: what the other read models join against. */
export const registryProjection = defineProjection('registry', async (trx, batch) => {
  await insertIgnoring(trx, 'organisation', ['organisation_id'], [...batch.organisations.values()]);
  await upsertReplacing(trx, 'worker', ['worker_id'], [...batch.workers.values()]);
  await upsertReplacing(trx, 'project', ['project_id'], [...batch.projects.values()]);
});
