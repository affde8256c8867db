import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { DomainError, ERRORS, type ErrorCode } from '@fengcheng/domain';
import { IdempotencyConflictError, WrongExpectedVersionError } from '@fengcheng/event-store';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerChallenge } from './auth/authenticate';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, with the registry code and the request id. */
export const ProblemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string(),
    requestId: z.string(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details with a stable error code' });

export type Problem = z.infer<typeof ProblemSchema>;

export interface ValidationIssue {
  path: string;
  message: string;
}

/** The problem `type` URI of a registry code. */
export function problemType(code: ErrorCode): string {
  return `urn:fengcheng:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

/** Builds the problem body for a registry code. */
export function problemOf(
  code: ErrorCode,
  request: { id: string; url: string },
  detail?: string,
  extra?: Record<string, unknown>,
): Problem {
  const { status, title } = ERRORS[code];
  return {
    ...extra,
    type: problemType(code),
    title,
    status,
    detail: detail ?? title,
    instance: request.url,
    code,
    requestId: request.id,
  };
}

/** Fastify's own refusals, by registry code, with the detail to send when the title is not enough. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; detail?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'MALFORMED_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED_JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_JSON' },
  FST_ERR_NOT_FOUND: { code: 'NOT_FOUND' },
  // Raised before routing (Fastify's frameworkErrors): the path cannot be matched at all.
  FST_ERR_BAD_URL: { code: 'MALFORMED_REQUEST', detail: 'the URL path is not valid percent-encoded UTF-8' },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'VALIDATION_FAILED',
    detail: 'a path parameter is longer than any this API takes (100 characters)',
  },
};

function issuesOf(error: unknown): ValidationIssue[] {
  if (!hasZodFastifySchemaValidationErrors(error)) return [];
  return error.validation.map((issue) => ({
    path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
    message: issue.message ?? 'invalid',
  }));
}

/**
 * Turns anything thrown while handling a request into a problem. Expected failures keep
 * their detail; anything else becomes INTERNAL with a detail that reveals nothing.
 */
export function toProblem(error: unknown, request: FastifyRequest): { problem: Problem; internal: boolean } {
  if (error instanceof DomainError) {
    return { problem: problemOf(error.code, request, error.message, error.extra), internal: false };
  }
  if (error instanceof WrongExpectedVersionError) {
    return {
      problem: problemOf('EXPECTED_VERSION_MISMATCH', request, error.message, {
        streamId: error.streamId,
        expectedVersion: error.expected,
        actualVersion: error.actual,
      }),
      internal: false,
    };
  }
  if (error instanceof IdempotencyConflictError) {
    const code: ErrorCode = 'eventId' in error.key ? 'EVENT_ID_CONFLICT' : 'SOURCE_RECORD_CONFLICT';
    return { problem: problemOf(code, request, error.detail), internal: false };
  }
  if (isResponseSerializationError(error)) {
    return { problem: problemOf('INTERNAL', request), internal: true };
  }
  const fastifyError = error as Partial<FastifyError> | null;
  const validationContext = (error as { validationContext?: string } | null)?.validationContext;
  if (fastifyError?.code === 'FST_ERR_VALIDATION' || (fastifyError?.validation && validationContext)) {
    const issues = issuesOf(error);
    const where = validationContext ?? 'request';
    const detail =
      issues.length > 0
        ? `${where}: ${issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ')}`
        : `${where} does not match the schema`;
    return { problem: problemOf('VALIDATION_FAILED', request, detail, { issues }), internal: false };
  }
  const mapped = fastifyError?.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return { problem: problemOf(mapped.code, request, mapped.detail), internal: false };
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // A client error fastify raised on its own (an unparsable header …).
    const code: ErrorCode =
      status === 404 ? 'NOT_FOUND' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION_FAILED';
    return { problem: { ...problemOf(code, request, fastifyError?.message), status }, internal: false };
  }
  return { problem: problemOf('INTERNAL', request), internal: true };
}

/** Node's parser errors of a connection that made no complete request, by registry code. */
const CLIENT_ERROR_CODES: Record<string, ErrorCode> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
};

/**
 * Fastify's `clientErrorHandler`: a connection whose bytes never made a request — too slow
 * (408), headers too large (431), not HTTP (400) — is answered with a problem and closed.
 * There is no request, so the problem's instance is its own id.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const code = CLIENT_ERROR_CODES[error.code ?? ''] ?? 'MALFORMED_REQUEST';
    const id = randomUUID();
    const body = JSON.stringify(problemOf(code, { id, url: `urn:uuid:${id}` }));
    const { status } = ERRORS[code];
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Request-Id: ${id}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Sends a problem with its status and media type; a 401 asks for a bearer token (RFC 6750). */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 401) reply.header('www-authenticate', bearerChallenge(reply.request));
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** The OpenAPI entry of a problem answer: RFC 9457 problem details, as served. */
function problemResponse(status: number) {
  return {
    description: `${STATUS_CODES[status] ?? 'Error'}: RFC 9457 problem details with a stable \`code\``,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
    ...(status === 401
      ? {
          headers: {
            'WWW-Authenticate': {
              type: 'string',
              description: 'Bearer (RFC 6750); `Bearer error="invalid_token"` when the key sent was refused',
            },
          },
        }
      : {}),
  };
}

/**
 * Response entries for the problems a route may answer, for the OpenAPI document. Every route
 * that needs a key gets 401, 403 if it checks a role and 429 under a rate limit from
 * `createHttpApp`; a route names only the others.
 */
export function problemResponses<S extends number>(
  ...statuses: S[]
): Record<S, ReturnType<typeof problemResponse>> {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)])) as Record<
    S,
    ReturnType<typeof problemResponse>
  >;
}
