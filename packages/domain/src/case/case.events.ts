import { z } from 'zod';
import {
  CommunityCodeSchema,
  DateSchema,
  IdSchema,
  NotesSchema,
  ResidentIdSchema,
  RiskLevelSchema,
  ServiceSchema,
  serviceText,
  TargetGroupSchema,
  UuidSchema,
} from '../shared/primitives';

/** The person served. Only `clientRef` and the coded fields are not personal data. */
export const ClientSchema = z.strictObject({
  clientRef: IdSchema,
  name: z.string().min(1).max(100).optional(),
  idNumber: ResidentIdSchema.optional(),
  phone: z
    .string()
    .regex(/^\+?[0-9][0-9 -]{4,19}$/, 'digits, spaces or dashes, 5 to 20')
    .optional(),
  address: z.string().min(1).max(300).optional(),
  birthYear: z.int().min(1900).max(2100).optional(),
  gender: z.enum(['female', 'male', 'other', 'unknown']).optional(),
});

/** The client fields that are personal data and are never shown to analysts. */
export const PERSONAL_CLIENT_FIELDS = ['name', 'idNumber', 'phone', 'address'] as const;

export const IntakeRecordedSchema = z.strictObject({
  organisationId: IdSchema,
  workerId: IdSchema,
  projectId: IdSchema.optional(),
  communityCode: CommunityCodeSchema,
  targetGroups: z.array(TargetGroupSchema).min(1).max(6),
  client: ClientSchema,
  needs: z.array(z.string().min(1).max(64)).max(20),
  riskLevel: RiskLevelSchema,
  referralSource: z.string().min(1).max(200).optional(),
});

export const ConsentScopeSchema = z.enum(['services', 'share_with_other_organisations', 'reporting']);
export const ConsentRecordedSchema = z.strictObject({
  scope: ConsentScopeSchema,
  signatory: z.enum(['client', 'guardian']),
  expiresOn: DateSchema.optional(),
});
export const ConsentWithdrawnSchema = z.strictObject({
  scope: ConsentScopeSchema,
  signatory: z.enum(['client', 'guardian']),
});

export const AssessmentRecordedSchema = z.strictObject({
  workerId: IdSchema,
  /** Score by need domain, 0 (no need) to 10 (most severe). */
  scores: z.record(z.string().min(1).max(64), z.number().min(0).max(10)),
  riskLevel: RiskLevelSchema,
});

export const CasePlanRecordedSchema = z.strictObject({
  goals: z
    .array(
      z.strictObject({
        goalId: IdSchema,
        need: z.string().min(1).max(64),
        description: serviceText(1000),
      }),
    )
    .min(1)
    .max(50),
  /** A supervisor worker id. */
  approvedBy: IdSchema.optional(),
});

export const VisitRecordedSchema = z.strictObject({
  visitId: IdSchema,
  workerId: IdSchema,
  mode: z.enum(['home', 'phone', 'centre', 'online']),
  durationMinutes: z
    .int()
    .min(1)
    .max(24 * 60),
  services: z.array(ServiceSchema).min(1).max(10),
  notes: NotesSchema.optional(),
});

export const ReferralMadeSchema = z.strictObject({
  referralId: IdSchema,
  /** A registered organisation's id, or the name of an outside one. */
  toOrganisation: z.string().min(1).max(200),
  service: ServiceSchema,
  reason: serviceText(1000),
  urgency: z.enum(['routine', 'urgent']),
});
export const ReferralAcceptedSchema = z.strictObject({ referralId: IdSchema });
export const ReferralDeclinedSchema = z.strictObject({
  referralId: IdSchema,
  reason: serviceText(1000).optional(),
});
export const ReferralCompletedSchema = z.strictObject({
  referralId: IdSchema,
  outcome: serviceText(1000).optional(),
});
export const ReferralCancelledSchema = z.strictObject({
  referralId: IdSchema,
  reason: serviceText(1000).optional(),
});

export const ResourceLinkedSchema = z.strictObject({
  resourceType: z.enum(['material', 'financial', 'service', 'policy']),
  description: z.string().min(1).max(500),
  provider: z.string().min(1).max(200),
  quantity: z.number().positive().max(1e9).optional(),
  unit: z.string().min(1).max(32).optional(),
  valueYuan: z.number().min(0).max(1e9).optional(),
});

export const CaseTransferredSchema = z.strictObject({
  toWorkerId: IdSchema,
  toOrganisationId: IdSchema.optional(),
});

/** Why a case closes; projections report closures by these. */
export const CLOSURE_REASONS = [
  'goals_achieved',
  'client_declined',
  'moved',
  'transferred',
  'deceased',
  'ineligible',
  'other',
] as const;

export const CaseClosedSchema = z.strictObject({
  reason: z.enum(CLOSURE_REASONS),
  goalAttainment: z.int().min(-2).max(2),
  summary: NotesSchema.optional(),
});

export const CaseReopenedSchema = z.strictObject({ reason: serviceText(1000) });

/** Voids an earlier entry of the same stream (a case's, or a group activity's). */
export const EntryVoidedSchema = z.strictObject({
  targetEventId: UuidSchema,
  reason: serviceText(1000),
  /** Set (and the envelope's caseId left out) to void an entry of a group activity. */
  activityId: IdSchema.optional(),
});

/** Every case-stream event type and the schema of its data. */
export const CASE_EVENT_SCHEMAS = {
  IntakeRecorded: IntakeRecordedSchema,
  ConsentRecorded: ConsentRecordedSchema,
  ConsentWithdrawn: ConsentWithdrawnSchema,
  AssessmentRecorded: AssessmentRecordedSchema,
  CasePlanRecorded: CasePlanRecordedSchema,
  VisitRecorded: VisitRecordedSchema,
  ReferralMade: ReferralMadeSchema,
  ReferralAccepted: ReferralAcceptedSchema,
  ReferralDeclined: ReferralDeclinedSchema,
  ReferralCompleted: ReferralCompletedSchema,
  ReferralCancelled: ReferralCancelledSchema,
  ResourceLinked: ResourceLinkedSchema,
  CaseTransferred: CaseTransferredSchema,
  CaseClosed: CaseClosedSchema,
  CaseReopened: CaseReopenedSchema,
  EntryVoided: EntryVoidedSchema,
} as const;

export type CaseEventType = keyof typeof CASE_EVENT_SCHEMAS;
export const CASE_EVENT_TYPES = Object.keys(CASE_EVENT_SCHEMAS) as CaseEventType[];

export type CaseEventData<T extends CaseEventType = CaseEventType> = z.infer<(typeof CASE_EVENT_SCHEMAS)[T]>;

/** A case-stream event as the decider and projections see it. */
export type CaseEvent = {
  [T in CaseEventType]: { type: T; eventId: string; occurredAt: string; data: CaseEventData<T> };
}[CaseEventType];
