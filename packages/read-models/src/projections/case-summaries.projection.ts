import { defineProjection } from './projection';
import { upsertReplacing } from './write';

/** One row per case: codes, dates, counts and chain head; never a client's personal data. */
export const caseSummariesProjection = defineProjection('case-summaries', async (trx, batch) => {
  const rows = [...batch.cases.values()].map((state) => ({
    ...state,
    last_position: state.last_position.toString(),
  }));
  await upsertReplacing(trx, 'case_summary', ['case_id'], rows);
});
