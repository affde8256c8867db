import {
  type DomainEvent,
  isEventType,
  SERVICES,
  serviceInstancesOf,
  TARGET_GROUPS,
} from '@fengcheng/domain';
import type { RecordedEvent } from '@fengcheng/event-store';
import { type Kysely, type Selectable, sql } from 'kysely';
import { cstDay, placeOf, regionCodesOf, serviceMask, targetMask, utcInstant } from '../dimensions';
import type { CaseSummaryTable, EntryKind } from '../schema';
import { addCaseOutcome, addCount, emptyOutcomeDelta, type OutcomeDelta } from './project-outcome-figures';

/** A transaction (or connection) whose search path starts with one read-model generation. */
export type ReadModelTrx = Kysely<any>;

/**
 * A case_summary row as a batch keeps it: its times as ISO strings (what the events carry and
 * what the row's insert takes), every other column as it is selected.
 */
export type CaseState = Omit<Selectable<CaseSummaryTable>, 'opened_at' | 'closed_at' | 'last_visit_at'> & {
  opened_at: string;
  closed_at: string | null;
  last_visit_at: string | null;
};

export interface Entry {
  event_id: string;
  kind: EntryKind;
  case_id: string | null;
  occurred_at: string;
  day: string;
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

export interface OrganisationRow {
  organisation_id: string;
  name: string;
  kind: string;
  region_code: string;
  parent_organisation_id: string | null;
}
export interface WorkerRow {
  worker_id: string;
  organisation_id: string;
  certification: string;
  role: string;
}
export interface ProjectRow {
  project_id: string;
  organisation_id: string;
  name: string;
  brand: string | null;
  funding_source: string;
  region_code: string | null;
}

export interface CaseActivityDelta {
  day: string;
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
export interface RegionDelta {
  region_code: string;
  level: string;
  cases_open: number;
  cases_closed: number;
  service_instances: number;
  workers: number;
  organisations: number;
}

/**
 * What one batch of events changes, worked out once in memory from the state before the
 * batch; each projection then writes its share with a few set-based statements.
 */
export interface AnalysedBatch {
  events: RecordedEvent[];
  organisations: Map<string, OrganisationRow>;
  workers: Map<string, WorkerRow>;
  projects: Map<string, ProjectRow>;
  /** Final state of every case the batch touched. */
  cases: Map<string, CaseState>;
  /** Ledger rows first counted in this batch (already marked if voided within it). */
  newEntries: Map<string, Entry>;
  /** Ledger rows of earlier batches voided by this one (in a rebuild, the cache's `voided` instead). */
  voidedEntries: string[];
  /**
   * Analysed for a rebuild (with a `StateCache`): its ledger rows cannot be in the fresh
   * generation yet, which gets the ledger's key only at the end; the voids of earlier
   * batches' rows are left to the cache's `voided`, and its cases and the projects' medians
   * to the end.
   */
  rebuilding: boolean;
  caseActivity: Map<string, CaseActivityDelta>;
  supervision: Map<string, { day: string; supervisor_id: string; supervisee_id: string; minutes: number }>;
  regions: Map<string, RegionDelta>;
  /** Service-instance sum rows, each once, in the order first counted (found again through `sumIndexOf`). */
  monthly: MonthlyDelta[];
  regionMonthly: Array<{
    month: string;
    township_code: string;
    target_mask: number;
    service_mask: number;
    service_instances: number;
  }>;
  countyMonthly: Array<{
    month: string;
    county_code: string;
    target_mask: number;
    service_mask: number;
    service_instances: number;
  }>;
  daily: Array<{ organisation_id: string; day: string; service_instances: number }>;
  /** Change to each project's outcome figures, for every project a case or entry of the batch touched. */
  outcomes: Map<string, OutcomeDelta>;
  /** Projects whose closed cases changed, so whose median case duration is worked out again. */
  durationsChanged: Set<string>;
}

export interface MonthlyDelta {
  month: string;
  county_code: string;
  target_mask: number;
  service_mask: number;
  project_id: string;
  organisation_id: string;
  service_instances: number;
}

/** Rows whose `column` is one of `ids`, the ids sent as one JSON parameter. */
async function selectIn<T>(
  trx: ReadModelTrx,
  table: string,
  column: string,
  ids: Iterable<string>,
  type: 'text' | 'uuid' = 'text',
): Promise<T[]> {
  const json = JSON.stringify([...new Set(ids)]);
  const { rows } = await sql<T>`select * from ${sql.raw(table)}
    where ${sql.raw(column)} in (select json_array_elements_text(${json}::json)::${sql.raw(type)})`.execute(
    trx,
  );
  return rows;
}

const iso = (value: Date | string | null): string | null =>
  value === null ? null : typeof value === 'string' ? new Date(value).toISOString() : value.toISOString();

function caseFromRow(row: Record<string, any>): CaseState {
  const openedAt = iso(row.opened_at)!;
  const closedAt = iso(row.closed_at);
  return {
    ...(row as CaseState),
    opened_at: openedAt,
    opened_day: cstDay(openedAt),
    closed_at: closedAt,
    closed_day: closedAt === null ? null : cstDay(closedAt),
    last_visit_at: iso(row.last_visit_at),
    resource_value_yuan: Number(row.resource_value_yuan),
    first_assessment_score: row.first_assessment_score === null ? null : Number(row.first_assessment_score),
    latest_assessment_score:
      row.latest_assessment_score === null ? null : Number(row.latest_assessment_score),
    last_position: BigInt(row.last_position),
  };
}

function entryFromRow(row: Record<string, any>): Entry {
  const occurredAt = iso(row.occurred_at)!;
  return {
    ...(row as Entry),
    occurred_at: occurredAt,
    day: cstDay(occurredAt),
    value_yuan: Number(row.value_yuan),
  };
}

/**
 * Where each service-instance sum row of `sums` is found again: maps keyed by the strings
 * entries share (a county, a project, an organisation: the same string objects entry after
 * entry, whose hashes V8 keeps), then by one number for month and masks. Building the four
 * rows' text keys for every entry (`month|county|masks|project|organisation` and the like)
 * and hashing them took a tenth of a rebuild (5.6 s of 55 at 10x Yinchuan). The lists in
 * `sums` hold every row once, for the writers.
 */
interface SumIndex {
  monthly: Branch<Branch<Branch<Map<number, MonthlyDelta>>>>;
  regionMonthly: Branch<Map<number, AnalysedBatch['regionMonthly'][number]>>;
  countyMonthly: Branch<Map<number, AnalysedBatch['countyMonthly'][number]>>;
  daily: Branch<Map<number, AnalysedBatch['daily'][number]>>;
}
type Branch<T> = Map<string, T>;

const sumIndexes = new WeakMap<ServiceInstanceSums, SumIndex>();

function sumIndexOf(sums: ServiceInstanceSums): SumIndex {
  let index = sumIndexes.get(sums);
  if (!index) {
    index = { monthly: new Map(), regionMonthly: new Map(), countyMonthly: new Map(), daily: new Map() };
    sumIndexes.set(sums, index);
  }
  return index;
}

/** The map under `key`, made empty the first time. */
function branch<T extends Map<unknown, unknown>>(tree: Map<string, T>, key: string): T {
  let next = tree.get(key);
  if (!next) {
    next = new Map() as T;
    tree.set(key, next);
  }
  return next;
}

// A mask has a bit per target group or service. Months count from 2000, so that the number
// stays a small integer for two centuries around it (a V8 Smi: no heap number per entry).
const SERVICE_SPAN = 2 ** SERVICES.length;
const TARGET_SPAN = 2 ** TARGET_GROUPS.length;
const MASKS_SPAN = TARGET_SPAN * SERVICE_SPAN;

/** `YYYY-MM-DD`'s month and the two masks as one number, distinct for distinct triples. */
function monthAndMasks(day: string, targetMask: number, serviceMask: number): number {
  if (targetMask >= TARGET_SPAN || serviceMask >= SERVICE_SPAN) {
    throw new RangeError(`masks ${targetMask}/${serviceMask} name more groups or services than there are`);
  }
  const month = (digits(day, 0, 4) - 2000) * 12 + digits(day, 5, 7);
  return month * MASKS_SPAN + targetMask * SERVICE_SPAN + serviceMask;
}

/** `YYYY-MM-DD` as the number YYYYMMDD. */
function dayOf(day: string): number {
  return digits(day, 0, 4) * 10_000 + digits(day, 5, 7) * 100 + digits(day, 8, 10);
}

const monthOf = (day: string) => `${day.slice(0, 8)}01`;

function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

const CASE_PREFIX = 'case-';

/**
 * Whether an event changes any read model: every event of a case stream does (the case's
 * event count and chain head), elsewhere only the domain's own event types. The audit trail
 * (`CaseRecordRead`) and other streams of the privacy layer feed none: the projector moves
 * past them without a transaction.
 */
export function feedsReadModels(event: Pick<RecordedEvent, 'streamId' | 'type'>): boolean {
  return event.streamId.startsWith(CASE_PREFIX) || isEventType(event.type);
}

// occurredAt carries the sender's offset; as UTC ISO text instants compare as strings.
// Events are analysed one after another, so the last one's instant is all worth keeping (a
// WeakMap of every event's cost a rebuild seconds of lookups and garbage collection).
let lastEvent: RecordedEvent | undefined;
let lastInstant = '';
function instant(e: RecordedEvent): string {
  if (e !== lastEvent) {
    const at = e.occurredAt;
    // Already in the form toISOString writes (a JavaScript client's): nothing to make.
    lastInstant = isUtcIso(at) ? at : utcInstant(at);
    lastEvent = e;
  }
  return lastInstant;
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ`; the log holds only valid instants (checked at ingest). */
const isUtcIso = (at: string) =>
  at.length === 24 && at.charCodeAt(23) === 90 /* Z */ && at.charCodeAt(19) === 46 /* . */;

function mean(values: number[]): number | null {
  if (values.length === 0) return null;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

type AssessmentLog = Array<[eventId: string, score: number | null, riskLevel: string]>;

/** First and latest scores and the risk level follow the standing assessments, as in the case state. */
function assessmentFacts(state: CaseState, log: AssessmentLog): void {
  const scored = log.filter(([, score]) => score !== null);
  state.assessment_log = JSON.stringify(log);
  state.assessments = log.length;
  state.first_assessment_score = scored[0]?.[1] ?? null;
  state.latest_assessment_score = scored.at(-1)?.[1] ?? null;
  state.risk_level = log.at(-1)?.[2] ?? state.intake_risk_level;
}

/**
 * Everything projected so far, kept in memory by a rebuild, which is its generation's only
 * writer: analysis then needs no reads, and writes can trail it. About 700 bytes of heap per
 * case and per counted entry (238 MB at the peak of a 400,000-event rebuild keeping 331,000),
 * which is why `bulkApplier` bounds it.
 */
export interface StateCache {
  cases: Map<string, CaseState>;
  /**
   * Each case's ledger entries, where a void of the case finds its target (the deciders let a
   * void name only an entry of its own stream). One map of every entry by event id took 4% of a
   * rebuild of 10x Yinchuan (1.1 million entries) to fill.
   */
  entriesByCase: Map<string, Entry[]>;
  /** Group activities' entries by event id. */
  activityEntries: Map<string, Entry>;
  entryCount: number;
  projects: Map<string, ProjectRow>;
  organisations: Map<string, OrganisationRow>;
  workers: Map<string, WorkerRow>;
  /**
   * The service-instance sums of every batch so far: few keys hit again and again, so a
   * rebuild adds to them here and writes them once at the end, and its batches carry none.
   */
  sums: ServiceInstanceSums;
  /** Ledger rows of earlier batches voided since: marked once at the end of a rebuild. */
  voided: string[];
}

export type ServiceInstanceSums = Pick<
  AnalysedBatch,
  'monthly' | 'regionMonthly' | 'countyMonthly' | 'daily'
>;

export function emptyStateCache(): StateCache {
  return {
    cases: new Map(),
    entriesByCase: new Map(),
    activityEntries: new Map(),
    entryCount: 0,
    projects: new Map(),
    organisations: new Map(),
    workers: new Map(),
    sums: { monthly: [], regionMonthly: [], countyMonthly: [], daily: [] },
    voided: [],
  };
}

type Known = Awaited<ReturnType<typeof loadKnown>>;

/** The state before the batch that the batch's events refer to, read from the generation. */
async function loadKnown(trx: ReadModelTrx, events: RecordedEvent[]) {
  const caseIds = new Set<string>();
  const voidTargets = new Set<string>();
  const projectIds = new Set<string>();
  const organisationIds = new Set<string>();
  const workerIds = new Set<string>();
  for (const e of events) {
    if (e.streamId.startsWith(CASE_PREFIX)) caseIds.add(e.streamId.slice(CASE_PREFIX.length));
    const data = e.data as Record<string, any>;
    switch (e.type) {
      case 'EntryVoided':
        voidTargets.add(data.targetEventId);
        break;
      case 'GroupActivityRecorded':
        projectIds.add(data.projectId);
        break;
      case 'WorkerRegistered':
        organisationIds.add(data.organisationId);
        break;
      case 'WorkerCertified':
        workerIds.add(data.workerId);
        break;
    }
  }

  const [caseRows, entryRows, projectRows, organisationRows, workerRows] = await Promise.all([
    caseIds.size ? selectIn<Record<string, any>>(trx, 'case_summary', 'case_id', caseIds) : [],
    voidTargets.size
      ? selectIn<Record<string, any>>(trx, 'counted_entry', 'event_id', voidTargets, 'uuid')
      : [],
    projectIds.size ? selectIn<ProjectRow>(trx, 'project', 'project_id', projectIds) : [],
    organisationIds.size
      ? selectIn<OrganisationRow>(trx, 'organisation', 'organisation_id', organisationIds)
      : [],
    workerIds.size ? selectIn<WorkerRow>(trx, 'worker', 'worker_id', workerIds) : [],
  ]);

  return {
    cases: new Map(caseRows.map((row) => [row.case_id as string, caseFromRow(row)])),
    entries: new Map(entryRows.map((row) => [row.event_id as string, entryFromRow(row)])),
    projects: new Map(projectRows.map((row) => [row.project_id, row])),
    organisations: new Map(organisationRows.map((row) => [row.organisation_id, row])),
    workers: new Map(workerRows.map((row) => [row.worker_id, row])),
  };
}

/**
 * A rebuild analyses a batch while the previous one is being written (`bulkApplier`). That
 * write is a chain of statements, and each next one is sent only when the event loop turns:
 * analysing a whole batch in one go held it until the batch was done, and the two ran one
 * after the other. The loop turns after this many events.
 */
const EVENTS_PER_TURN = 250;

/**
 * Works out a batch's changes. Reads only, nothing is written; with a `cache` (a rebuild)
 * it reads nothing either, and leaves the batch's outcome in the cache.
 */
export async function analyseBatch(
  trx: ReadModelTrx,
  events: RecordedEvent[],
  cache?: StateCache,
): Promise<AnalysedBatch> {
  const known = cache ?? (await loadKnown(trx, events));

  const batch: AnalysedBatch = {
    events,
    organisations: new Map(),
    workers: new Map(),
    projects: new Map(),
    cases: new Map(),
    newEntries: new Map(),
    voidedEntries: [],
    rebuilding: cache !== undefined,
    caseActivity: new Map(),
    supervision: new Map(),
    regions: new Map(),
    monthly: [],
    regionMonthly: [],
    countyMonthly: [],
    daily: [],
    outcomes: new Map(),
    durationsChanged: new Set(),
  };

  // '' is no project: its cases are in no project's outcomes.
  const outcome = (projectId: string): OutcomeDelta | undefined => {
    if (projectId === '') return undefined;
    let delta = batch.outcomes.get(projectId);
    if (!delta) {
      delta = emptyOutcomeDelta(projectId);
      batch.outcomes.set(projectId, delta);
    }
    return delta;
  };

  const sums = cache?.sums ?? batch;
  const index = sumIndexOf(sums);
  const monthly = (entry: Entry, n: number) => {
    const { day, target_mask, service_mask, project_id, organisation_id } = entry;
    const place = placeOf(entry.community_code);
    const masks = monthAndMasks(day, target_mask, service_mask);
    const byMasks = branch(branch(branch(index.monthly, place.county), project_id), organisation_id);
    const row = byMasks.get(masks);
    if (row) row.service_instances += n;
    else {
      const created: MonthlyDelta = {
        month: monthOf(day),
        county_code: place.county,
        target_mask,
        service_mask,
        project_id,
        organisation_id,
        service_instances: n,
      };
      byMasks.set(masks, created);
      sums.monthly.push(created);
    }
    const regionByMasks = branch(index.regionMonthly, place.township);
    const regionRow = regionByMasks.get(masks);
    if (regionRow) regionRow.service_instances += n;
    else {
      const created = {
        month: monthOf(day),
        township_code: place.township,
        target_mask,
        service_mask,
        service_instances: n,
      };
      regionByMasks.set(masks, created);
      sums.regionMonthly.push(created);
    }
    const countyByMasks = branch(index.countyMonthly, place.county);
    const countyRow = countyByMasks.get(masks);
    if (countyRow) countyRow.service_instances += n;
    else {
      const created = {
        month: monthOf(day),
        county_code: place.county,
        target_mask,
        service_mask,
        service_instances: n,
      };
      countyByMasks.set(masks, created);
      sums.countyMonthly.push(created);
    }
    const byDay = branch(index.daily, organisation_id);
    const dayNumber = dayOf(day);
    const dayRow = byDay.get(dayNumber);
    if (dayRow) dayRow.service_instances += n;
    else {
      const created = { organisation_id, day, service_instances: n };
      byDay.set(dayNumber, created);
      sums.daily.push(created);
    }
  };

  const region = (code: string, change: Partial<Omit<RegionDelta, 'region_code' | 'level'>>) => {
    for (const { code: regionCode, level } of regionCodesOf(code)) {
      let delta = batch.regions.get(regionCode);
      if (!delta) {
        delta = {
          region_code: regionCode,
          level,
          cases_open: 0,
          cases_closed: 0,
          service_instances: 0,
          workers: 0,
          organisations: 0,
        };
        batch.regions.set(regionCode, delta);
      }
      delta.cases_open += change.cases_open ?? 0;
      delta.cases_closed += change.cases_closed ?? 0;
      delta.service_instances += change.service_instances ?? 0;
      delta.workers += change.workers ?? 0;
      delta.organisations += change.organisations ?? 0;
    }
  };

  // Referral and resource figures by day and case dimensions, and the project's totals.
  const activity = (
    entry: Entry,
    column: 'referrals_made' | 'referrals_accepted' | 'referrals_completed' | 'resources_linked',
    sign: 1 | -1,
  ) => {
    caseActivity(entry)[column] += sign;
    const delta = outcome(entry.project_id);
    if (delta) addCount(delta, column, sign);
  };
  const caseActivity = (entry: Entry) => {
    const key = `${entry.day}|${entry.community_code}|${entry.target_mask}|${entry.project_id}|${entry.organisation_id}`;
    let delta = batch.caseActivity.get(key);
    if (!delta) {
      delta = {
        day: entry.day,
        community_code: entry.community_code,
        target_mask: entry.target_mask,
        project_id: entry.project_id,
        organisation_id: entry.organisation_id,
        referrals_made: 0,
        referrals_accepted: 0,
        referrals_completed: 0,
        resources_linked: 0,
        resource_value_yuan: 0,
      };
      batch.caseActivity.set(key, delta);
    }
    return delta;
  };

  // What an entry adds (sign 1) or, once voided, takes back (sign -1), under the dimensions it was counted under.
  const count = (entry: Entry, sign: 1 | -1, state: CaseState | undefined) => {
    const n = entry.service_instances * sign;
    if (n !== 0) {
      region(entry.community_code, { service_instances: n });
      monthly(entry, n);
      const delta = outcome(entry.project_id);
      if (delta) addCount(delta, 'service_instances', n);
      if (state) state.service_instances += n;
    }
    switch (entry.kind) {
      case 'visit':
        if (state) state.visits += sign;
        break;
      case 'resource':
        activity(entry, 'resources_linked', sign);
        caseActivity(entry).resource_value_yuan += sign * entry.value_yuan;
        outcome(entry.project_id)?.resource_value_yuan.push(sign * entry.value_yuan);
        if (state) {
          state.resources_linked += sign;
          state.resource_value_yuan += sign * entry.value_yuan;
        }
        break;
      case 'referral_made':
        activity(entry, 'referrals_made', sign);
        if (state) {
          state.referrals_made += sign;
          state.referrals_open += sign;
        }
        break;
      case 'referral_accepted':
        activity(entry, 'referrals_accepted', sign);
        if (state) state.referrals_accepted += sign;
        break;
      case 'referral_completed':
        activity(entry, 'referrals_completed', sign);
        if (state) {
          state.referrals_completed += sign;
          state.referrals_open -= sign;
        }
        break;
      case 'group_activity':
        break;
      default: {
        const _exhaustive: never = entry.kind;
        throw new Error(`unknown entry kind ${_exhaustive}`);
      }
    }
  };

  const record = (
    e: RecordedEvent,
    kind: EntryKind,
    dims: Omit<
      Entry,
      'event_id' | 'kind' | 'occurred_at' | 'day' | 'voided' | 'service_instances' | 'value_yuan'
    >,
    state: CaseState | undefined,
    valueYuan = 0,
  ) => {
    const entry: Entry = {
      event_id: e.eventId,
      kind,
      occurred_at: instant(e),
      day: cstDay(instant(e)),
      ...dims,
      service_instances: serviceInstancesOf({ type: e.type, data: e.data } as DomainEvent),
      value_yuan: valueYuan,
      voided: false,
    };
    // Referral steps stay what they were when voided (the case state marks them only), so
    // they are counted but kept out of the ledger a void looks in.
    if (!kind.startsWith('referral_')) batch.newEntries.set(entry.event_id, entry);
    count(entry, 1, state);
  };

  const caseEntry = (
    e: RecordedEvent,
    kind: EntryKind,
    state: CaseState,
    workerId: string | null,
    services: string[] = [],
    valueYuan = 0,
  ) =>
    record(
      e,
      kind,
      {
        case_id: state.case_id,
        community_code: state.community_code,
        target_mask: state.target_mask,
        service_mask: serviceMask(services),
        project_id: state.project_id,
        organisation_id: state.organisation_id,
        worker_id: workerId,
      },
      state,
      valueYuan,
    );

  const casesNeedingLastVisit = new Set<string>();
  const voidedInBatch = new Set<string>();

  const voidEntry = (targetEventId: string, state: CaseState | undefined) => {
    if (state?.assessment_log.includes(targetEventId)) {
      const log = JSON.parse(state.assessment_log) as AssessmentLog;
      assessmentFacts(
        state,
        log.filter(([eventId]) => eventId !== targetEventId),
      );
      return;
    }
    const fresh = batch.newEntries.get(targetEventId);
    const entry =
      fresh ??
      (cache
        ? state
          ? cache.entriesByCase.get(state.case_id)?.find((e) => e.event_id === targetEventId)
          : cache.activityEntries.get(targetEventId)
        : (known as Known).entries.get(targetEventId));
    // A void takes back an entry of its own stream, as the deciders allow: the same whether the
    // entry was kept by a rebuild (by case) or read back by event id.
    if (!entry || entry.voided || entry.case_id !== (state?.case_id ?? null)) return;
    entry.voided = true;
    voidedInBatch.add(targetEventId);
    if (!fresh) (cache?.voided ?? batch.voidedEntries).push(targetEventId);
    const owner = entry.case_id === null ? undefined : (state ?? batch.cases.get(entry.case_id));
    count(entry, -1, owner);
    if (entry.kind === 'visit' && entry.case_id !== null) casesNeedingLastVisit.add(entry.case_id);
  };

  let sinceTurn = 0;
  for (const e of events) {
    if (cache && ++sinceTurn === EVENTS_PER_TURN) {
      sinceTurn = 0;
      await new Promise(setImmediate);
    }
    const knownType = isEventType(e.type);
    const event = { type: e.type, data: e.data } as DomainEvent;

    if (e.streamId.startsWith(CASE_PREFIX)) {
      const caseId = e.streamId.slice(CASE_PREFIX.length);
      let state = batch.cases.get(caseId);
      if (!state) {
        state = known.cases.get(caseId);
        // What the case counted in its project's outcomes before the batch is taken back here,
        // and what it counts after is added at the end.
        if (state) {
          const delta = outcome(state.project_id);
          if (delta) addCaseOutcome(delta, state, -1);
        }
      }
      if (knownType && event.type === 'IntakeRecorded' && !state) {
        const d = event.data;
        const groups = [...new Set(d.targetGroups)].sort();
        const openedAt = instant(e);
        state = {
          case_id: caseId,
          organisation_id: d.organisationId,
          worker_id: d.workerId,
          project_id: d.projectId ?? '',
          community_code: d.communityCode,
          target_groups: groups.join(','),
          target_mask: targetMask(groups),
          risk_level: d.riskLevel,
          status: 'open',
          opened_at: openedAt,
          opened_day: cstDay(openedAt),
          closed_at: null,
          closed_day: null,
          closure_reason: null,
          goal_attainment: null,
          last_visit_at: null,
          visits: 0,
          service_instances: 0,
          referrals_made: 0,
          referrals_accepted: 0,
          referrals_declined: 0,
          referrals_completed: 0,
          referrals_cancelled: 0,
          referrals_open: 0,
          resources_linked: 0,
          resource_value_yuan: 0,
          assessments: 0,
          intake_risk_level: d.riskLevel,
          assessment_log: '[]',
          first_assessment_score: null,
          latest_assessment_score: null,
          transfers: 0,
          event_count: 0,
          last_version: 0,
          chain_head: '',
          last_position: 0n,
        };
        region(state.community_code, { cases_open: 1 });
      }
      // The write side refuses anything before intake; a stray event has nothing to count against.
      if (!state) continue;
      batch.cases.set(caseId, state);
      state.event_count += 1;
      state.last_version = e.version;
      state.chain_head = e.hash;
      state.last_position = e.position;
      // A type this code does not know still belongs to the chain and its count.
      if (!knownType) continue;

      switch (event.type) {
        case 'IntakeRecorded':
        case 'ConsentRecorded':
        case 'ConsentWithdrawn':
        case 'CasePlanRecorded':
          break;
        case 'AssessmentRecorded': {
          const log = JSON.parse(state.assessment_log) as AssessmentLog;
          log.push([e.eventId, mean(Object.values(event.data.scores)), event.data.riskLevel]);
          assessmentFacts(state, log);
          break;
        }
        case 'VisitRecorded': {
          caseEntry(e, 'visit', state, event.data.workerId, event.data.services);
          const at = instant(e);
          if (state.last_visit_at === null || at > state.last_visit_at) state.last_visit_at = at;
          break;
        }
        case 'ReferralMade':
          caseEntry(e, 'referral_made', state, null, [event.data.service]);
          break;
        case 'ReferralAccepted':
          caseEntry(e, 'referral_accepted', state, null);
          break;
        case 'ReferralCompleted':
          caseEntry(e, 'referral_completed', state, null);
          break;
        case 'ReferralDeclined':
          state.referrals_declined += 1;
          state.referrals_open -= 1;
          break;
        case 'ReferralCancelled':
          state.referrals_cancelled += 1;
          state.referrals_open -= 1;
          break;
        case 'ResourceLinked':
          caseEntry(e, 'resource', state, null, [], event.data.valueYuan ?? 0);
          break;
        case 'CaseTransferred':
          state.worker_id = event.data.toWorkerId;
          state.organisation_id = event.data.toOrganisationId ?? state.organisation_id;
          state.transfers += 1;
          break;
        case 'CaseClosed': {
          const closedAt = instant(e);
          if (state.status === 'open') region(state.community_code, { cases_open: -1, cases_closed: 1 });
          state.status = 'closed';
          state.closed_at = closedAt;
          state.closed_day = cstDay(closedAt);
          state.closure_reason = event.data.reason;
          state.goal_attainment = event.data.goalAttainment;
          batch.durationsChanged.add(state.project_id);
          break;
        }
        case 'CaseReopened':
          if (state.status === 'closed') region(state.community_code, { cases_open: 1, cases_closed: -1 });
          batch.durationsChanged.add(state.project_id);
          state.status = 'open';
          state.closed_at = null;
          state.closed_day = null;
          state.closure_reason = null;
          state.goal_attainment = null;
          break;
        case 'EntryVoided':
          voidEntry(event.data.targetEventId, state);
          break;
        default:
          // Not a case event in a case stream: nothing to project beyond the chain bookkeeping.
          break;
      }
      continue;
    }

    if (!feedsReadModels(e)) continue;
    switch (event.type) {
      case 'OrganisationRegistered': {
        const d = event.data;
        if (batch.organisations.has(d.organisationId) || known.organisations.has(d.organisationId)) break;
        const row: OrganisationRow = {
          organisation_id: d.organisationId,
          name: d.name,
          kind: d.kind,
          region_code: d.regionCode,
          parent_organisation_id: d.parentOrganisationId ?? null,
        };
        batch.organisations.set(row.organisation_id, row);
        region(row.region_code, { organisations: 1 });
        break;
      }
      case 'WorkerRegistered': {
        const d = event.data;
        const row: WorkerRow = {
          worker_id: d.workerId,
          organisation_id: d.organisationId,
          certification: d.certification,
          role: d.role,
        };
        batch.workers.set(row.worker_id, row);
        const organisation =
          batch.organisations.get(d.organisationId) ?? known.organisations.get(d.organisationId);
        if (organisation) region(organisation.region_code, { workers: 1 });
        break;
      }
      case 'WorkerCertified': {
        const worker = batch.workers.get(event.data.workerId) ?? known.workers.get(event.data.workerId);
        if (worker)
          batch.workers.set(worker.worker_id, { ...worker, certification: event.data.certification });
        break;
      }
      case 'ProjectRegistered': {
        const d = event.data;
        // Every registered project has its outcome row, zero until something counts.
        outcome(d.projectId);
        batch.projects.set(d.projectId, {
          project_id: d.projectId,
          organisation_id: d.organisationId,
          name: d.name,
          brand: d.brand ?? null,
          funding_source: d.fundingSource,
          region_code: d.regionCode ?? null,
        });
        break;
      }
      case 'GroupActivityRecorded': {
        const d = event.data;
        const project = batch.projects.get(d.projectId) ?? known.projects.get(d.projectId);
        const recorder = typeof e.metadata.organisationId === 'string' ? e.metadata.organisationId : '';
        record(
          e,
          'group_activity',
          {
            case_id: null,
            community_code: d.communityCode,
            target_mask: targetMask(d.targetGroups),
            service_mask: serviceMask(d.services),
            project_id: d.projectId,
            organisation_id: project?.organisation_id ?? recorder,
            worker_id: null,
          },
          undefined,
        );
        break;
      }
      case 'SupervisionRecorded': {
        const d = event.data;
        const day = cstDay(e.occurredAt);
        const key = `${day}|${d.supervisorId}|${d.superviseeId}`;
        const row = batch.supervision.get(key);
        if (row) row.minutes += d.minutes;
        else
          batch.supervision.set(key, {
            day,
            supervisor_id: d.supervisorId,
            supervisee_id: d.superviseeId,
            minutes: d.minutes,
          });
        break;
      }
      case 'EntryVoided':
        voidEntry(event.data.targetEventId, undefined);
        break;
      case 'PersonalDataErased':
        // Read models never held personal data: nothing to erase.
        break;
      case 'IntakeRecorded':
      case 'ConsentRecorded':
      case 'ConsentWithdrawn':
      case 'AssessmentRecorded':
      case 'CasePlanRecorded':
      case 'VisitRecorded':
      case 'ReferralMade':
      case 'ReferralAccepted':
      case 'ReferralDeclined':
      case 'ReferralCompleted':
      case 'ReferralCancelled':
      case 'ResourceLinked':
      case 'CaseTransferred':
      case 'CaseClosed':
      case 'CaseReopened':
        // Case events outside a case stream do not occur.
        break;
      default: {
        const _exhaustive: never = event;
        throw new Error(`unhandled event ${(_exhaustive as { type: string }).type}`);
      }
    }
  }

  for (const state of batch.cases.values()) {
    const delta = outcome(state.project_id);
    if (delta) addCaseOutcome(delta, state, 1);
  }
  batch.durationsChanged.delete('');

  if (cache) {
    for (const [id, state] of batch.cases) cache.cases.set(id, state);
    for (const [id, row] of batch.projects) cache.projects.set(id, row);
    for (const [id, row] of batch.organisations) cache.organisations.set(id, row);
    for (const [id, row] of batch.workers) cache.workers.set(id, row);
    for (const [id, entry] of batch.newEntries) {
      cache.entryCount++;
      if (entry.case_id === null) {
        cache.activityEntries.set(id, entry);
        continue;
      }
      const entries = cache.entriesByCase.get(entry.case_id);
      if (entries) entries.push(entry);
      else cache.entriesByCase.set(entry.case_id, [entry]);
    }
    for (const caseId of casesNeedingLastVisit) {
      const state = batch.cases.get(caseId);
      if (!state) continue;
      let latest: string | null = null;
      for (const entry of cache.entriesByCase.get(caseId) ?? []) {
        if (entry.kind === 'visit' && !entry.voided && (latest === null || entry.occurred_at > latest))
          latest = entry.occurred_at;
      }
      state.last_visit_at = latest;
    }
  } else if (casesNeedingLastVisit.size > 0) {
    await recomputeLastVisits(trx, batch, casesNeedingLastVisit, voidedInBatch);
  }
  return batch;
}

/** A voided visit may have been a case's latest: find the latest one still standing. */
async function recomputeLastVisits(
  trx: ReadModelTrx,
  batch: AnalysedBatch,
  caseIds: Set<string>,
  voidedInBatch: Set<string>,
): Promise<void> {
  const latest = new Map<string, string>();
  // Case by case through the index on a case's standing visits. Left to itself, the planner of a
  // table not yet analysed (a live projector catching up) read every visit instead and matched
  // them by hash: the live catch-up then slowed as the table grew. `offset 0` keeps the lateral
  // subquery from being flattened into that join, so each case is one index probe.
  const { rows } = await sql<{ case_id: string; event_id: string; occurred_at: Date | string }>`
    select c.case_id, v.event_id, v.occurred_at
    from json_array_elements_text(${JSON.stringify([...caseIds])}::json) as c (case_id)
    cross join lateral (
      select e.event_id, e.occurred_at from counted_entry e
      where e.case_id = c.case_id and e.kind = 'visit' and not e.voided
      offset 0
    ) v`.execute(trx);
  for (const row of rows) {
    if (voidedInBatch.has(row.event_id)) continue;
    const at = iso(row.occurred_at)!;
    const current = latest.get(row.case_id);
    if (current === undefined || at > current) latest.set(row.case_id, at);
  }
  for (const entry of batch.newEntries.values()) {
    if (entry.kind !== 'visit' || entry.voided || entry.case_id === null || !caseIds.has(entry.case_id))
      continue;
    const current = latest.get(entry.case_id);
    if (current === undefined || entry.occurred_at > current) latest.set(entry.case_id, entry.occurred_at);
  }
  for (const caseId of caseIds) {
    const state = batch.cases.get(caseId);
    if (state) state.last_visit_at = latest.get(caseId) ?? null;
  }
}

const memo = new WeakMap<object, WeakMap<RecordedEvent[], Promise<AnalysedBatch>>>();

/**
 * The batch's analysis, worked out once per transaction and events array however many
 * projections ask, so every projection's `apply(trx, events)` sees the state before the batch.
 */
export function analysed(trx: ReadModelTrx, events: RecordedEvent[]): Promise<AnalysedBatch> {
  let perTrx = memo.get(trx);
  if (!perTrx) {
    perTrx = new WeakMap();
    memo.set(trx, perTrx);
  }
  let result = perTrx.get(events);
  if (!result) {
    result = analyseBatch(trx, events);
    perTrx.set(events, result);
  }
  return result;
}
