export { ACTIVITY_EVENT_SCHEMAS } from './activity/activity.events';
export {
  CASE_EVENT_SCHEMAS,
  CASE_EVENT_TYPES,
  type CaseEvent,
  type CaseEventData,
  type CaseEventType,
  PERSONAL_CLIENT_FIELDS,
} from './case/case.events';
export { serviceInstancesOf } from './counting';
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
} from './region/region';
export { BRAND_PROJECTS, REGISTRY_EVENT_SCHEMAS } from './registry/registry.events';
export { DomainError, ERRORS, type ErrorCode } from './shared/errors';
export {
  type Certification,
  type RiskLevel,
  SERVICES,
  type Service,
  TARGET_GROUPS,
  type TargetGroup,
  type WorkerRole,
} from './shared/primitives';
export { isValidResidentId, residentIdCheckCharacter } from './shared/resident-id';
export { categoryOf, type StreamCategory, streamIdFor, streamIds } from './streams';
