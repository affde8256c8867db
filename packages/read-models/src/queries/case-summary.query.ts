import type { RiskLevel, TargetGroup } from '@fengcheng/domain';
import type { Kysely } from 'kysely';
import { num } from './filters';

/** A case as analysts and agencies may see it: codes, dates, counts and its chain head, no personal data. */
export interface CaseSummary {
  caseId: string;
  organisationId: string;
  workerId: string;
  projectId: string | null;
  communityCode: string;
  targetGroups: TargetGroup[];
  riskLevel: RiskLevel;
  status: 'open' | 'closed';
  openedAt: string;
  closedAt: string | null;
  closureReason: string | null;
  goalAttainment: number | null;
  lastVisitAt: string | null;
  counts: {
    visits: number;
    serviceInstances: number;
    referralsMade: number;
    referralsAccepted: number;
    referralsDeclined: number;
    referralsCompleted: number;
    referralsCancelled: number;
    referralsOpen: number;
    resourcesLinked: number;
    resourceValueYuan: number;
    assessments: number;
    transfers: number;
  };
  firstAssessmentScore: number | null;
  latestAssessmentScore: number | null;
  /** How many events the case stream holds, its last version and hash: completeness can be checked against the store. */
  eventCount: number;
  lastVersion: number;
  chainHead: string;
  /** Global position of the case's last event, as a decimal string. */
  lastPosition: string;
}

const isoOrNull = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

export async function getCaseSummary(db: Kysely<any>, caseId: string): Promise<CaseSummary | null> {
  const row = await db
    .selectFrom('case_summary')
    .selectAll()
    .where('case_id', '=', caseId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    caseId: row.case_id,
    organisationId: row.organisation_id,
    workerId: row.worker_id,
    projectId: row.project_id === '' ? null : row.project_id,
    communityCode: row.community_code,
    targetGroups: row.target_groups === '' ? [] : (row.target_groups.split(',') as TargetGroup[]),
    riskLevel: row.risk_level,
    status: row.status,
    openedAt: isoOrNull(row.opened_at)!,
    closedAt: isoOrNull(row.closed_at),
    closureReason: row.closure_reason,
    goalAttainment: row.goal_attainment,
    lastVisitAt: isoOrNull(row.last_visit_at),
    counts: {
      visits: num(row.visits),
      serviceInstances: num(row.service_instances),
      referralsMade: num(row.referrals_made),
      referralsAccepted: num(row.referrals_accepted),
      referralsDeclined: num(row.referrals_declined),
      referralsCompleted: num(row.referrals_completed),
      referralsCancelled: num(row.referrals_cancelled),
      referralsOpen: num(row.referrals_open),
      resourcesLinked: num(row.resources_linked),
      resourceValueYuan: num(row.resource_value_yuan),
      assessments: num(row.assessments),
      transfers: num(row.transfers),
    },
    firstAssessmentScore: row.first_assessment_score === null ? null : num(row.first_assessment_score),
    latestAssessmentScore: row.latest_assessment_score === null ? null : num(row.latest_assessment_score),
    eventCount: num(row.event_count),
    lastVersion: num(row.last_version),
    chainHead: row.chain_head,
    lastPosition: String(row.last_position),
  };
}
