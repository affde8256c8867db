import { defineProjection } from './projection';
import { upsertAdding } from './write';

const FACT_KEYS = ['day', 'community_code', 'target_mask', 'service_mask', 'project_id', 'organisation_id'];

/**
 * Service instances (人次) by day × community × target groups × services × project ×
 * organisation; analysts' roll-ups (county, month …) are prefix and range sums over it.
 */
export const serviceInstancesProjection = defineProjection(
  'service-instances',
  'totals',
  async (trx, batch) => {
    const facts = [...batch.serviceInstances.values()].filter((row) => row.n !== 0);
    await upsertAdding(trx, 'service_instance_daily', FACT_KEYS, ['n'], facts);
  },
);
