/**
 * The one registry of error codes. Every 4xx the HTTP surface answers carries one of
 * these codes; its status and title live here and nowhere else.
 */
export const ERRORS = {
  // Request shape
  VALIDATION_FAILED: { status: 400, title: 'The request does not match the schema' },
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON' },
  UNKNOWN_EVENT_TYPE: { status: 400, title: 'The event type is not part of the contract' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The body must be application/json' },
  BODY_TOO_LARGE: { status: 413, title: 'The body is larger than allowed' },
  BATCH_TOO_LARGE: { status: 413, title: 'The batch has more events than allowed' },
  APPEND_TOO_LARGE: {
    status: 413,
    title: "One case's events in this request are larger than the event store takes in one append",
  },
  DUPLICATE_EVENT_IN_BATCH: { status: 400, title: 'The same eventId appears twice in one batch' },
  BATCH_GROUP_REJECTED: {
    status: 424,
    title: 'Another event of the same stream in this batch was refused, so none of them was appended',
  },
  INVALID_QUERY: { status: 400, title: 'A query parameter is invalid' },
  // Refused before a request exists: the connection's bytes are not a complete HTTP request
  MALFORMED_REQUEST: { status: 400, title: 'The request is not valid HTTP' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are larger than allowed' },
  // Authentication and authorisation
  UNAUTHENTICATED: { status: 401, title: 'A valid API key is required' },
  KEY_REVOKED: { status: 401, title: 'The API key has been revoked' },
  FORBIDDEN_ROLE: { status: 403, title: 'This role may not do this' },
  NOT_YOUR_CASE: { status: 403, title: 'The case belongs to another organisation' },
  NOT_YOUR_ORGANISATION: { status: 403, title: 'An agency acts only for its own organisation' },
  WORKER_OF_OTHER_ORGANISATION: { status: 403, title: 'The worker belongs to another organisation' },
  PROJECT_OF_OTHER_ORGANISATION: { status: 403, title: 'The project is run by another organisation' },
  PURPOSE_REQUIRED: { status: 400, title: 'A reviewer must state the purpose of the read' },
  RATE_LIMITED: { status: 429, title: 'Too many requests for this key' },
  // Personal data
  CLIENT_NOT_FOUND: {
    status: 422,
    title: 'No personal data of this client was recorded under that organisation',
  },
  PERSONAL_DATA_ERASED: {
    status: 409,
    title: "This client's personal data was erased; personal fields cannot be recorded for them again",
  },
  // Lookups
  NOT_FOUND: { status: 404, title: 'No such resource' },
  CASE_NOT_FOUND: { status: 404, title: 'No such case' },
  KEY_NOT_FOUND: { status: 404, title: 'No such API key' },
  UNKNOWN_REGION: { status: 404, title: 'No such region' },
  // Concurrency and idempotency
  EXPECTED_VERSION_MISMATCH: { status: 409, title: 'The stream has moved on since the expected version' },
  EVENT_ID_CONFLICT: { status: 409, title: 'This eventId was used before for a different event' },
  SOURCE_RECORD_CONFLICT: { status: 409, title: 'This source record was sent before as a different event' },
  // Case rules (the decider)
  CASE_NOT_OPENED: { status: 409, title: 'Nothing can be recorded before intake' },
  CASE_ALREADY_OPENED: { status: 409, title: 'The case already has an intake' },
  CASE_CLOSED: { status: 409, title: 'Only CaseReopened or EntryVoided may follow closure' },
  CASE_NOT_CLOSED: { status: 409, title: 'Only a closed case can be reopened' },
  CASE_ALREADY_WITH_WORKER: { status: 409, title: 'A transfer must hand the case to another worker' },
  REFERRAL_NOT_FOUND: { status: 409, title: 'No such referral in this case' },
  REFERRAL_ALREADY_EXISTS: { status: 409, title: 'A referral with this id was already made' },
  REFERRAL_TRANSITION_INVALID: {
    status: 409,
    title: 'The referral cannot move to that state from its current one',
  },
  CONSENT_TO_SHARE_REQUIRED: {
    status: 409,
    title: 'Referral to another organisation needs consent to share',
  },
  CONSENT_NOT_GIVEN: { status: 409, title: 'There is no such consent to withdraw' },
  WORKER_NOT_REGISTERED: { status: 422, title: 'The worker is not registered' },
  PROJECT_NOT_REGISTERED: { status: 422, title: 'The project is not registered' },
  ORGANISATION_NOT_REGISTERED: { status: 422, title: 'The organisation is not registered' },
  APPROVER_NOT_SUPERVISOR: { status: 422, title: 'A case plan is approved by a supervisor' },
  OCCURRED_IN_FUTURE: { status: 422, title: 'occurredAt is more than 5 minutes in the future' },
  OCCURRED_TOO_EARLY: { status: 422, title: 'occurredAt is before 2000-01-01 (China Standard Time)' },
  OCCURRED_BEFORE_INTAKE: { status: 409, title: "occurredAt is before the case's intake" },
  ENTRY_NOT_FOUND: { status: 409, title: 'The entry to void is not in this stream' },
  ENTRY_ALREADY_VOIDED: { status: 409, title: 'The entry is already voided' },
  ENTRY_NOT_VOIDABLE: { status: 409, title: 'This entry cannot be voided' },
  ALREADY_REGISTERED: { status: 409, title: 'It is already registered' },
  ACTIVITY_ALREADY_RECORDED: { status: 409, title: 'A group activity with this id was already recorded' },
  NOT_A_SUPERVISOR: { status: 422, title: 'The worker named as supervisor has not the supervisor role' },
  // Server side
  NOT_READY: { status: 503, title: 'The service is not ready' },
  PROJECTION_LAGGING: { status: 503, title: 'Projections did not reach minPosition in time' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** A broken rule: carries a stable code; the HTTP layer turns it into problem+json. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? ERRORS[code].title);
  }
  get status(): number {
    return ERRORS[this.code].status;
  }
}
