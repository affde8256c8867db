export { ACTIVITY_EVENT_SCHEMAS } from './activity/activity.events';
export {
  type Actor,
  type CaseCommand,
  type DecideContext,
  decide,
  hasConsentToShare,
  referencedIds,
  toEvent,
  type WorkerInfo,
} from './case/case.decider';
export {
  CASE_EVENT_SCHEMAS,
  CASE_EVENT_TYPES,
  type CaseEvent,
  type CaseEventData,
  type CaseEventType,
  CLOSURE_REASONS,
  PERSONAL_CLIENT_FIELDS,
} from './case/case.events';
export {
  type AssessmentInfo,
  type CaseState,
  type CaseStatus,
  type ClosureReason,
  type ConsentScope,
  type ConsentState,
  type EntryInfo,
  evolve,
  type Goal,
  initialState,
  type ReferralInfo,
  type ReferralState,
  replay,
} from './case/case.state';
export { serviceInstancesOf } from './counting';
export {
  caseStateOf,
  decideEnvelope,
  decideOn,
  hasEvent,
  initialStreamState,
  isCaseCommand,
  otherStateOf,
  StreamDraft,
  type StreamState,
  stateAt,
  streamStateOf,
} from './decide';
export {
  type DomainEvent,
  type Envelope,
  type EnvelopeParseResult,
  EnvelopeSchema,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  type EventData,
  type EventType,
  isCaseEventType,
  isEventType,
  parseEnvelope,
  SCHEMA_VERSION,
  toDomainEvent,
} from './events';
export { PRIVACY_EVENT_SCHEMAS } from './privacy/privacy.events';
export {
  isValidCommunityCode,
  isValidRegionCode,
  levelOf,
  normaliseRegionCode,
  REGION_LEVELS,
  type RegionLevel,
  regionPath,
  rollUp,
  YINCHUAN_CITY,
  YINCHUAN_COUNTIES,
  yinchuanRegionName,
} from './region/region';
export {
  decideOther,
  evolveOther,
  initialOtherState,
  type OtherCommand,
  type OtherEvent,
  type OtherStreamState,
} from './registry/registry.decider';
export { BRAND_PROJECTS, REGISTRY_EVENT_SCHEMAS } from './registry/registry.events';
export { cstDay, FUTURE_TOLERANCE_MS } from './shared/decide-context';
export { DomainError, ERRORS, type ErrorCode } from './shared/errors';
export {
  type Certification,
  IdSchema,
  type RiskLevel,
  SERVICES,
  type Service,
  TARGET_GROUPS,
  type TargetGroup,
  UuidSchema,
  type WorkerRole,
} from './shared/primitives';
export { isValidResidentId, residentIdCheckCharacter } from './shared/resident-id';
export { categoryOf, type StreamCategory, streamIdFor, streamIds } from './streams';
export { given, testContext } from './testing/given';
