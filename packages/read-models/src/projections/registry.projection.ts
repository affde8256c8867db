import { analysed } from './batch';
import type { Projection } from './projection';
import { insertIgnoring, upsertReplacing } from './write';

/** Organisations, workers and projects: what the other read models join against. */
export const registryProjection: Projection = {
  name: 'registry',
  async apply(trx, events) {
    const batch = await analysed(trx, events);
    await insertIgnoring(trx, 'organisation', ['organisation_id'], [...batch.organisations.values()]);
    await upsertReplacing(trx, 'worker', ['worker_id'], [...batch.workers.values()]);
    await upsertReplacing(trx, 'project', ['project_id'], [...batch.projects.values()]);
  },
};
