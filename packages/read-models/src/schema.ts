import type { ColumnType } from 'kysely';

/**
 * The read-model tables of one generation. Every generation lives in its own Postgres
 * schema (`rm_<n>`), so a rebuild fills a fresh copy while queries keep reading the old one.
 * No table holds a client's name, ID number, phone, address or any free-text note.
 */

/** A calendar day in China Standard Time, `YYYY-MM-DD`. */
type Day = ColumnType<string, string, string>;
type Timestamp = ColumnType<Date, string | Date, string | Date>;

export interface OrganisationTable {
  organisation_id: string;
  name: string;
  kind: string;
  region_code: string;
  parent_organisation_id: string | null;
}

export interface WorkerTable {
  worker_id: string;
  organisation_id: string;
  certification: string;
  role: string;
}

export interface ProjectTable {
  project_id: string;
  organisation_id: string;
  name: string;
  brand: string | null;
  funding_source: string;
  region_code: string | null;
}

/** One case, without personal data: codes, dates and counts, plus its chain head. */
export interface CaseSummaryTable {
  case_id: string;
  organisation_id: string;
  worker_id: string;
  /** '' when the case belongs to no project. */
  project_id: string;
  community_code: string;
  /** Sorted, comma-separated target groups. */
  target_groups: string;
  target_mask: number;
  risk_level: string;
  status: 'open' | 'closed';
  opened_at: Timestamp;
  opened_day: Day;
  closed_at: Timestamp | null;
  closed_day: Day | null;
  closure_reason: string | null;
  goal_attainment: number | null;
  last_visit_at: Timestamp | null;
  visits: number;
  service_instances: number;
  referrals_made: number;
  referrals_accepted: number;
  referrals_declined: number;
  referrals_completed: number;
  referrals_cancelled: number;
  referrals_open: number;
  resources_linked: number;
  resource_value_yuan: number;
  assessments: number;
  intake_risk_level: string;
  /** JSON of the standing assessments (event id, mean score, risk level); no free text. */
  assessment_log: string;
  first_assessment_score: number | null;
  latest_assessment_score: number | null;
  transfers: number;
  event_count: number;
  last_version: number;
  chain_head: string;
  last_position: ColumnType<bigint, bigint | string, bigint | string>;
}

/**
 * The service-instance fact table, one row per entry that counts (a visit, a group
 * activity, a resource link) with the dimensions it was counted under and its count.
 * A void marks the row: what it takes back is exactly what the entry added. Analysts'
 * roll-ups (county, month, target group …) are prefix and range sums over the standing rows.
 */
export interface CountedEntryTable {
  event_id: string;
  kind: EntryKind;
  case_id: string | null;
  occurred_at: Timestamp;
  day: Day;
  community_code: string;
  target_mask: number;
  service_mask: number;
  project_id: string;
  organisation_id: string;
  worker_id: string | null;
  service_instances: number;
  value_yuan: number;
  voided: boolean;
}

export type EntryKind =
  | 'visit'
  | 'group_activity'
  | 'resource'
  | 'referral_made'
  | 'referral_accepted'
  | 'referral_completed';

/**
 * Standing service instances summed by month × county × target groups × services ×
 * project × organisation (a void subtracts from the key it was counted under). Analysts'
 * queries read these sums instead of the per-entry ledger; only a period that starts or
 * ends mid-month reads its edge days from `counted_entry`.
 */
export interface ServiceInstanceMonthlyTable {
  /** First day of the CST month. */
  month: Day;
  /** The first 6 digits of the community code. */
  county_code: string;
  target_mask: number;
  service_mask: number;
  project_id: string;
  organisation_id: string;
  service_instances: number;
}

/** Per day and organisation, for a day-by-day series of one organisation. */
export interface ServiceInstanceDailyTable {
  organisation_id: string;
  day: Day;
  service_instances: number;
}

/** Month × township × groups × services, without project and organisation: region, group and service roll-ups. */
export interface ServiceInstanceRegionMonthlyTable {
  month: Day;
  /** The first 9 digits of the community code. */
  township_code: string;
  target_mask: number;
  service_mask: number;
  service_instances: number;
}

/** Month × county × groups × services: the city- and county-level roll-ups. */
export interface ServiceInstanceCountyMonthlyTable {
  month: Day;
  /** The first 6 digits of the community code. */
  county_code: string;
  target_mask: number;
  service_mask: number;
  service_instances: number;
}

/** Referral and resource figures of cases by day, for per-project outcomes over a period. */
export interface CaseActivityDailyTable {
  day: Day;
  community_code: string;
  target_mask: number;
  project_id: string;
  organisation_id: string;
  referrals_made: number;
  referrals_accepted: number;
  referrals_completed: number;
  resources_linked: number;
  resource_value_yuan: number;
}

/**
 * What a project's outcomes are over all its cases, kept by the projection: counts move by
 * each case's change, the median duration is worked out again whenever the project's closed
 * cases change. Unfiltered (or project / organisation) outcomes read these rows instead of every case.
 */
export interface ProjectOutcomeTable {
  project_id: string;
  cases_opened: number;
  cases_open: number;
  cases_closed: number;
  /** One column per closure reason, `closed_<reason>`, and one per goal-attainment score. */
  [closedOrGoal: `closed_${string}` | `goal_${string}`]: number;
  goal_sum: number;
  /** Cases assessed at least twice, and those of them with a first and a latest score. */
  assessed_cases: number;
  assessment_delta_cases: number;
  /** Sum of latest minus first score: exact (numeric), so it is the same however batches fell. */
  assessment_delta_sum: ColumnType<string, string | number, string | number>;
  /** Median days from intake to closure of the closed cases, null without any. */
  median_days: number | null;
}

export interface SupervisionDailyTable {
  day: Day;
  supervisor_id: string;
  supervisee_id: string;
  minutes: number;
}

/** Unfiltered totals per region code at each of the four levels. */
export interface RegionSummaryTable {
  region_code: string;
  level: string;
  cases_open: number;
  cases_closed: number;
  service_instances: number;
  workers: number;
  organisations: number;
}

export interface CheckpointTable {
  id: number;
  position: ColumnType<bigint, bigint | string, bigint | string>;
  events: ColumnType<bigint, bigint | string | number, bigint | string | number>;
  updated_at: Timestamp;
}

export interface ReadModelDatabase {
  organisation: OrganisationTable;
  worker: WorkerTable;
  project: ProjectTable;
  case_summary: CaseSummaryTable;
  counted_entry: CountedEntryTable;
  service_instance_monthly: ServiceInstanceMonthlyTable;
  service_instance_region_monthly: ServiceInstanceRegionMonthlyTable;
  service_instance_county_monthly: ServiceInstanceCountyMonthlyTable;
  service_instance_daily: ServiceInstanceDailyTable;
  case_activity_daily: CaseActivityDailyTable;
  project_outcome: ProjectOutcomeTable;
  supervision_daily: SupervisionDailyTable;
  region_summary: RegionSummaryTable;
  projection_checkpoint: CheckpointTable;
}
