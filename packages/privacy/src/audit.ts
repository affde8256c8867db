import { z } from 'zod';

/**
 * The event that records a read of a case's personal record. It is appended by the query
 * side, never posted by an agency, so it is not part of the integration contract
 * (EVENT_SCHEMAS); projections skip it as a type they do not know.
 */
export const CASE_RECORD_READ = 'CaseRecordRead';

export const CaseRecordReadSchema = z.strictObject({
  caseId: z.uuid(),
  keyId: z.string().min(1),
  role: z.enum(['agency', 'analyst', 'reviewer', 'admin']),
  organisationId: z.string().min(1).optional(),
  /** Why the record was read; null for the owning agency, which needs to give none. */
  purpose: z.string().min(1).max(500).nullable(),
  /** The route read, e.g. `/v1/cases/:caseId/history`. */
  route: z.string().min(1),
});

export type CaseRecordRead = z.infer<typeof CaseRecordReadSchema>;

/** The stream of a case's read trail: beside the case, hash-chained like every stream. */
export function auditStreamId(caseId: string): string {
  return `audit-${caseId}`;
}
