import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { DomainError } from '@fengcheng/domain';
import { childWithIds, type Logger, metricHistogram, metricsRegistry } from '@fengcheng/platform';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySerializerCompiler,
  LogController,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  ResponseSerializationError,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { safeParse } from 'zod/v4/core';
import { authenticateHook, checkRolesFirst, isPublicRoute } from './auth/authenticate';
import type { KeyStore } from './auth/key-store';
import { answerClientError, problemOf, problemResponses, sendProblem, toProblem } from './problem';

/** The Fastify instance every service registers its routes on. */
export type HttpApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface RateLimit {
  max: number;
  timeWindowMs: number;
}

export interface HttpAppDeps {
  logger: Logger;
  keys: KeyStore;
  /** Whether the service can do its work (database reachable, …); `/readyz` answers 503 when false. */
  readiness?: () => Promise<boolean>;
  /** Largest request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Requests per key (or per address, without a key). Default: FENGCHENG_RATE_LIMIT, else 600,000 a minute. */
  rateLimit?: RateLimit | false;
  /** Longest a request may take to arrive, in ms. Default 30 s. */
  requestTimeoutMs?: number;
  /** Title of the OpenAPI document. */
  title?: string;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_RATE_LIMIT: RateLimit = { max: 600_000, timeWindowMs: 60_000 };

/**
 * Parses FENGCHENG_RATE_LIMIT: `off`, `<max>` (a minute) or `<max>/<seconds>s`,
 * e.g. `6000/1s`. Throws naming the variable when it cannot.
 */
export function parseRateLimit(value: string | undefined): RateLimit | false {
  if (value === undefined || value.trim() === '') return DEFAULT_RATE_LIMIT;
  const text = value.trim().toLowerCase();
  if (text === 'off' || text === '0' || text === 'false') return false;
  const match = /^(\d+)(?:\/(\d+)s)?$/.exec(text);
  const max = Number(match?.[1]);
  const seconds = match?.[2] === undefined ? 60 : Number(match[2]);
  if (!match || !Number.isSafeInteger(max) || max < 1 || seconds < 1) {
    throw new Error(
      `FENGCHENG_RATE_LIMIT must be "off", "<max>" or "<max>/<seconds>s", not ${JSON.stringify(value)}`,
    );
  }
  return { max, timeWindowMs: seconds * 1000 };
}

// A caller's request id is kept only if it is short and plain: it lands in every log line.
const httpRequestDuration = metricHistogram(
  'http_request_duration_seconds',
  'HTTP request duration by method, route and status',
  ['method', 'route', 'status'],
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const PUBLIC = { public: true, rateLimit: false } as const;

/**
 * Every answer is checked against its route's response schema on the way out (what is not in
 * the schema is stripped: no field reaches a caller by accident), then written as JSON. The
 * library's own serializer checks with zod's `encode`, which skips zod's compiled object
 * checks: 2.6 ms for a county's 1,252 workload rows, where `parse` takes 0.5 ms. The two
 * agree for schemas without codecs or transforms, and no response schema has one.
 */
const checkedJson: FastifySerializerCompiler<z.ZodType | { properties: z.ZodType }> = ({
  schema: given,
  method,
  url,
}) => {
  const schema = given instanceof z.ZodType ? given : given.properties;
  return (data) => {
    const result = safeParse(schema, data);
    if (result.error) throw new ResponseSerializationError(method, url, { cause: result.error });
    return JSON.stringify(result.data);
  };
};

/** What helmet's plugin would send with `HELMET_OPTIONS`: no route asks for another policy. */
export const HELMET_OPTIONS = {
  // The embedded mode serves plain http on localhost; upgrading would break /docs there.
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
} as const;

/**
 * The headers helmet sets for `HELMET_OPTIONS`, written once here: @fastify/helmet rebuilds
 * its middleware (and re-parses the CSP) on every request, a few percent of a small POST.
 * A test compares them with the plugin's own output, so a helmet upgrade cannot drift past us.
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  [
    'content-security-policy',
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline'",
  ],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
  ['origin-agent-cluster', '?1'],
  ['referrer-policy', 'no-referrer'],
  ['strict-transport-security', 'max-age=31536000; includeSubDomains'],
  ['x-content-type-options', 'nosniff'],
  ['x-dns-prefetch-control', 'off'],
  ['x-download-options', 'noopen'],
  ['x-frame-options', 'SAMEORIGIN'],
  ['x-permitted-cross-domain-policies', 'none'],
  ['x-xss-protection', '0'],
];

/** The headers every answer carries, refusals included: helmet's and the request id. */
function sendEdgeHeaders(request: FastifyRequest, reply: FastifyReply): void {
  for (const [name, value] of SECURITY_HEADERS) reply.raw.setHeader(name, value);
  reply.header('x-request-id', request.id);
}

/** The one error handler: anything thrown becomes a problem, logged by whether it was expected. */
function answerError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { problem, internal } = toProblem(error, request);
  if (internal) request.log.error({ err: error, status: problem.status }, 'request failed');
  else request.log.info({ code: problem.code, status: problem.status }, 'request refused');
  if (problem.code === 'NOT_READY') reply.header('retry-after', '1');
  return sendProblem(reply, problem);
}

/**
 * Fastify's `frameworkErrors`: a URL it cannot route (bad percent-encoding, a parameter past
 * `maxParamLength`) is refused before any hook runs, so the edge headers are sent here.
 */
function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  sendEdgeHeaders(request, reply);
  answerError(error, request, reply);
}

/**
 * The OpenAPI transform of the zod type provider, keeping the headers a response documents
 * (it drops them; problemResponses documents a 401's WWW-Authenticate).
 */
const transform: typeof jsonSchemaTransform = (input) => {
  const output = jsonSchemaTransform(input);
  const given = input.schema?.response as Record<string, { headers?: unknown }> | undefined;
  const made = (output.schema as { response?: Record<string, Record<string, unknown>> } | undefined)
    ?.response;
  for (const [status, response] of Object.entries(given ?? {})) {
    const documented = made?.[status];
    if (response?.headers && documented) documented.headers = response.headers;
  }
  return output;
};

/**
 * Builds the HTTP platform every service shares: validation and serialisation by zod,
 * OpenAPI at `/openapi.json` and `/docs`, the security headers helmet would send (written
 * from `SECURITY_HEADERS`; the plugin is not registered), per-key rate limit, request ids,
 * API-key authentication, health, readiness, Prometheus metrics and the one error handler
 * that answers RFC 9457 problem+json. It does not listen.
 */
export async function createHttpApp(deps: HttpAppDeps): Promise<HttpApp> {
  const requestTimeout = deps.requestTimeoutMs ?? 30_000;
  const app: HttpApp = Fastify({
    // Widened so the instance type does not depend on which pino version a caller has.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    requestTimeout,
    // Node checks request deadlines only every 30 s by default: a slow client (slowloris)
    // would hold its socket up to 30 s past the deadline.
    http: {
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(requestTimeout / 2))),
      headersTimeout: Math.min(requestTimeout, 60_000),
    },
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // One line per request at info level would cost more than the request at 6,000/s.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // Each request's child logger carries its id without pino's redaction walk (childWithIds).
    childLoggerFactory: (logger, bindings, options) =>
      Object.keys(options).length === 0 && Object.values(bindings).every((value) => typeof value === 'string')
        ? (childWithIds(logger as Logger, bindings as Record<string, string>) as FastifyBaseLogger)
        : logger.child(bindings, options),
    // A connection refused before it made a request (too slow, headers too large, not HTTP)
    // is answered by Node's parser, not by a route: it gets a problem with a code all the same.
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(checkedJson);
  app.decorateRequest('auth', null);
  // Every body this API takes is JSON; anything else is 415, not a string handed to a route.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => {
    return sendProblem(
      reply,
      problemOf('NOT_FOUND', request, `no route for ${request.method} ${request.url}`),
    );
  });

  const authenticate = authenticateHook(deps.keys);
  app.addHook('onRequest', async (request, reply) => {
    // Before authentication: a refused request (401) carries the security headers too.
    sendEdgeHeaders(request, reply);
    await authenticate(request, reply);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    request.log.debug(
      { method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime },
      'request done',
    );
  });

  const rateLimit =
    deps.rateLimit === undefined ? parseRateLimit(process.env.FENGCHENG_RATE_LIMIT) : deps.rateLimit;
  if (rateLimit) {
    await app.register(fastifyRateLimit, {
      global: true,
      max: rateLimit.max,
      timeWindow: rateLimit.timeWindowMs,
      // Runs after authentication (route hooks follow the app's), so a key is limited as a key.
      keyGenerator: (request) => request.auth?.keyId ?? request.ip,
      errorResponseBuilder: (_request, context) =>
        new DomainError('RATE_LIMITED', `at most ${context.max} requests per ${context.after}`, {
          retryAfter: context.after,
        }),
    });
  }

  // After the rate limit's own onRoute step, so that a role check follows its hook; before
  // the document is collected, so that it lists what every authenticated route may answer.
  app.addHook('onRoute', (route) => {
    if (isPublicRoute(route)) return;
    const checksRole = checkRolesFirst(route);
    if (!route.schema || (route.schema as { hide?: boolean }).hide) return;
    const refusals = problemResponses(401, ...(checksRole ? [403] : []), ...(rateLimit ? [429] : []));
    route.schema = { ...route.schema, response: { ...(route.schema.response as object), ...refusals } };
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: deps.title ?? 'Fengcheng',
        description:
          'Event-sourced service-record ledger for community social work. Errors are RFC 9457 problem+json with a stable `code`.',
        version: '0.1.0',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.get(
    '/openapi.json',
    { config: PUBLIC, schema: { hide: true, response: { 200: z.looseObject({ openapi: z.string() }) } } },
    async () => app.swagger() as { openapi: string },
  );

  app.get(
    '/healthz',
    {
      config: PUBLIC,
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['operations'],
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: PUBLIC,
      schema: {
        summary: 'Readiness: the process can do its work',
        tags: ['operations'],
        security: [],
        response: { 200: z.object({ status: z.literal('ready') }), ...problemResponses(503) },
      },
    },
    async () => {
      const ready = deps.readiness ? await deps.readiness().catch(() => false) : true;
      if (!ready) throw new DomainError('NOT_READY');
      return { status: 'ready' as const };
    },
  );

  app.get(
    '/metrics',
    {
      config: PUBLIC,
      schema: {
        summary: 'Prometheus metrics',
        tags: ['operations'],
        security: [],
        response: { 200: z.string().meta({ description: 'Prometheus text exposition format' }) },
      },
    },
    async (_request, reply) => {
      reply.type(metricsRegistry.contentType);
      return metricsRegistry.metrics();
    },
  );

  return app;
}
