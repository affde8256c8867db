import { Writable } from 'node:stream';
import { createLogger, openTestDatabase, REDACT_PATHS } from '@fengcheng/platform';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerAdminRoutes } from './admin.routes';
import { createHttpApp, type HttpApp, SECURITY_HEADERS } from './app';
import { requireRole } from './auth/authenticate';
import { KeyStore } from './auth/key-store';

const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

describe('http platform', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let keys: KeyStore;
  let app: HttpApp;
  let ready = true;
  let firstAdmin: { created?: string };
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };

  beforeAll(async () => {
    database = await openTestDatabase();
    keys = await KeyStore.open(database);
    firstAdmin = await keys.ensureAdminKey();
    await keys.ensureAdminKey(ADMIN_KEY);
    app = await createHttpApp({
      logger: createLogger({ name: 'test', level: 'silent' }),
      keys,
      readiness: async () => ready,
      bodyLimit: 1024,
      rateLimit: false,
    });
    registerAdminRoutes(app, { keys });
    app.post(
      '/v1/echo',
      {
        preHandler: requireRole('agency', 'admin'),
        schema: {
          body: z.object({ n: z.int() }),
          response: { 200: z.object({ n: z.int(), keyId: z.string() }) },
        },
      },
      async (request) => ({ n: request.body.n, keyId: request.auth?.keyId ?? '' }),
    );
    // Answers that carry more than their schema says (or something else entirely).
    app.get(
      '/v1/leaky',
      { schema: { response: { 200: z.object({ rows: z.array(z.object({ id: z.string() })) }) } } },
      async (request) => {
        // What a handler that builds its answer loosely (from database rows, say) could return.
        const loose: unknown = (request.query as { bad?: string }).bad
          ? { rows: [{ id: 7 }] }
          : { rows: [{ id: 'a', phone: '13800000000' }], secret: 'x' };
        return loose as { rows: Array<{ id: string }> };
      },
    );
    app.get('/v1/boom', { schema: { response: { 200: z.object({}) } } }, async () => {
      throw new Error('secret connection string postgres://u:p@h');
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  async function issue(role: string, organisationId?: string) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: admin,
      payload: { role, label: `${role} key`, ...(organisationId ? { organisationId } : {}) },
    });
    expect(response.statusCode).toBe(201);
    return response.json<{ keyId: string; key: string }>();
  }

  it('answers /healthz without a key and echoes a given x-request-id', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(response.headers['x-request-id']).toBe('abc-123');
  });

  it('sends every security header on answers, refusals, unknown routes and the docs', async () => {
    for (const [method, url, status] of [
      ['GET', '/healthz', 200],
      ['POST', '/v1/echo', 401],
      ['GET', '/nowhere', 404],
      ['GET', '/docs', 200],
    ] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode).toBe(status);
      for (const [name, value] of SECURITY_HEADERS)
        expect([url, name, response.headers[name]]).toEqual([url, name, value]);
    }
  });

  it('generates a request id when none (or an unsafe one) is given', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'a b\n' },
    });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers /readyz 503 NOT_READY while readiness is false', async () => {
    ready = false;
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    ready = true;
    expect(response.statusCode).toBe(503);
    expect(response.json().code).toBe('NOT_READY');
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });

  it('refuses a request without a key as problem+json 401 UNAUTHENTICATED', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/echo', payload: { n: 1 } });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const body = response.json();
    expect(body).toEqual({
      type: 'urn:fengcheng:problem:unauthenticated',
      title: 'A valid API key is required',
      status: 401,
      detail: 'send Authorization: Bearer <API key>',
      instance: '/v1/echo',
      code: 'UNAUTHENTICATED',
      requestId: response.headers['x-request-id'],
    });
  });

  it('refuses an unknown key with 401', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { authorization: 'Bearer fck_nope' },
      payload: { n: 1 },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe('UNAUTHENTICATED');
  });

  it('requires an organisation for an agency key (400 VALIDATION_FAILED naming the field)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: admin,
      payload: { role: 'agency', label: 'x' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('VALIDATION_FAILED');
    expect(response.json().issues).toEqual([
      { path: 'organisationId', message: 'an agency key is bound to one organisation' },
    ]);
  });

  it('lets an issued agency key through, bound to its organisation', async () => {
    const { keyId, key } = await issue('agency', 'org-1');
    expect(key).toMatch(/^fck_[A-Za-z0-9_-]{43}$/);
    const auth = await keys.authenticate(key);
    expect(auth).toEqual({ keyId, role: 'agency', organisationId: 'org-1' });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { authorization: `Bearer ${key}` },
      payload: { n: 7 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ n: 7, keyId });
  });

  it('refuses a role the route does not allow with 403 FORBIDDEN_ROLE', async () => {
    const { key } = await issue('analyst');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { authorization: `Bearer ${key}` },
      payload: { n: 7 },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('FORBIDDEN_ROLE');
    const adminRoute = await app.inject({
      method: 'POST',
      url: '/v1/admin/keys',
      headers: { authorization: `Bearer ${key}` },
      payload: { role: 'analyst', label: 'x' },
    });
    expect(adminRoute.statusCode).toBe(403);
  });

  it('checks the role before the body: the wrong role gets 403 whatever it sends, no key still 401', async () => {
    const { key } = await issue('analyst');
    const reviewer = await issue('reviewer');
    const json = { 'content-type': 'application/json' };
    for (const [headers, url, payload, status, code] of [
      [{ authorization: `Bearer ${key}` }, '/v1/echo', '{}', 403, 'FORBIDDEN_ROLE'],
      [{ authorization: `Bearer ${key}` }, '/v1/echo', '{"n":', 403, 'FORBIDDEN_ROLE'],
      [{ authorization: `Bearer ${reviewer.key}` }, '/v1/admin/keys', '{}', 403, 'FORBIDDEN_ROLE'],
      [{}, '/v1/admin/keys', '{}', 401, 'UNAUTHENTICATED'],
    ] as const) {
      const response = await app.inject({ method: 'POST', url, headers: { ...headers, ...json }, payload });
      expect([url, payload, response.statusCode, response.json().code]).toEqual([url, payload, status, code]);
      // Nothing of the schema a caller may not use is spelt out to it.
      expect(response.json().issues).toBeUndefined();
    }
  });

  it('refuses an organisation on a key of any role but agency (400 VALIDATION_FAILED naming the field)', async () => {
    for (const role of ['analyst', 'reviewer', 'admin']) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/admin/keys',
        headers: admin,
        payload: { role, organisationId: 'org-1', label: 'x' },
      });
      expect([role, response.statusCode, response.json().code]).toEqual([role, 400, 'VALIDATION_FAILED']);
      expect(response.json().issues).toEqual([
        {
          path: 'organisationId',
          message: `only an agency key is bound to an organisation, not a ${role} key`,
        },
      ]);
    }
  });

  it('asks for a bearer token on every 401 (WWW-Authenticate, RFC 6750)', async () => {
    const { keyId, key } = await issue('agency', 'org-6');
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/admin/keys/${keyId}`, headers: admin })).statusCode,
    ).toBe(204);
    for (const [authorization, challenge] of [
      [undefined, 'Bearer'],
      ['Basic YWdlbmN5OnNlY3JldA==', 'Bearer'],
      ['Bearer fck_nope', 'Bearer error="invalid_token"'],
      [`Bearer ${key}`, 'Bearer error="invalid_token"'],
    ] as const) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/echo',
        headers: authorization ? { authorization } : {},
        payload: { n: 1 },
      });
      expect([authorization, response.statusCode, response.headers['www-authenticate']]).toEqual([
        authorization,
        401,
        challenge,
      ]);
    }
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: admin,
      payload: { n: 'x' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['www-authenticate']).toBeUndefined();
  });

  it('answers a URL it cannot decode, or a path parameter too long, with a problem and the usual headers', async () => {
    for (const [url, status, code] of [
      ['/v1/%zz', 400, 'MALFORMED_REQUEST'],
      [`/v1/admin/keys/${'k'.repeat(150)}`, 400, 'VALIDATION_FAILED'],
    ] as const) {
      const response = await app.inject({
        method: 'DELETE',
        url,
        headers: { ...admin, 'x-request-id': 'bad-url-1' },
      });
      expect([url, response.statusCode, response.headers['content-type']]).toEqual([
        url,
        status,
        'application/problem+json; charset=utf-8',
      ]);
      expect(response.json()).toMatchObject({
        type: `urn:fengcheng:problem:${code.toLowerCase().replaceAll('_', '-')}`,
        status,
        code,
        instance: url,
        requestId: 'bad-url-1',
      });
      expect(response.headers['x-request-id']).toBe('bad-url-1');
      for (const [name, value] of SECURITY_HEADERS)
        expect([url, name, response.headers[name]]).toEqual([url, name, value]);
    }
  });

  it('revokes a key at once: the next request is 401 KEY_REVOKED', async () => {
    const { keyId, key } = await issue('agency', 'org-2');
    const headers = { authorization: `Bearer ${key}` };
    expect(
      (await app.inject({ method: 'POST', url: '/v1/echo', headers, payload: { n: 1 } })).statusCode,
    ).toBe(200);
    const revoke = await app.inject({ method: 'DELETE', url: `/v1/admin/keys/${keyId}`, headers: admin });
    expect(revoke.statusCode).toBe(204);
    const after = await app.inject({ method: 'POST', url: '/v1/echo', headers, payload: { n: 1 } });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('KEY_REVOKED');
  });

  it('answers 404 KEY_NOT_FOUND when revoking a key that does not exist', async () => {
    const response = await app.inject({
      method: 'DELETE',
      url: '/v1/admin/keys/key_missing',
      headers: admin,
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('KEY_NOT_FOUND');
  });

  it('sees a revoke made by another process within a second', async () => {
    const { keyId, key } = await issue('agency', 'org-3');
    const other = await KeyStore.open(database);
    expect(await other.authenticate(key)).not.toBeNull();
    expect(await keys.revoke(keyId)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect(await other.authenticate(key)).toBe('revoked');
  });

  it('maps body errors to their codes', async () => {
    const { key } = await issue('agency', 'org-4');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const cases = [
      { payload: '{"n":', status: 400, code: 'MALFORMED_JSON' },
      { payload: '{"n":1,"__proto__":{"x":1}}', status: 400, code: 'MALFORMED_JSON' },
      { payload: '{"n":1,"constructor":{"prototype":{"x":1}}}', status: 400, code: 'MALFORMED_JSON' },
      { payload: JSON.stringify({ n: 1, pad: 'x'.repeat(2000) }), status: 413, code: 'BODY_TOO_LARGE' },
      { payload: '{"n":"one"}', status: 400, code: 'VALIDATION_FAILED' },
    ];
    for (const { payload, status, code } of cases) {
      const response = await app.inject({ method: 'POST', url: '/v1/echo', headers, payload });
      expect({ status: response.statusCode, code: response.json().code }).toEqual({ status, code });
    }
    const text = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' },
      payload: 'n=1',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('limits requests per key with 429 RATE_LIMITED, other keys unaffected', async () => {
    const limitedApp = await createHttpApp({
      logger: createLogger({ name: 'test', level: 'silent' }),
      keys,
      rateLimit: { max: 3, timeWindowMs: 60_000 },
    });
    limitedApp.get(
      '/v1/ping',
      { schema: { response: { 200: z.object({ ok: z.boolean() }) } } },
      async () => ({
        ok: true,
      }),
    );
    try {
      const first = await issue('agency', 'org-5');
      const second = await issue('agency', 'org-5');
      const get = (key: string) =>
        limitedApp.inject({ method: 'GET', url: '/v1/ping', headers: { authorization: `Bearer ${key}` } });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(first.key)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await get(first.key);
      expect(limited.json().code).toBe('RATE_LIMITED');
      expect(limited.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect((await get(second.key)).statusCode).toBe(200);
      expect((await limitedApp.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await limitedApp.close();
    }
  });

  it('documents problems as application/problem+json, a 401 with its challenge, and 429 on every route the limit applies to', async () => {
    const limitedApp = await createHttpApp({
      logger: createLogger({ name: 'test', level: 'silent' }),
      keys,
      rateLimit: { max: 3, timeWindowMs: 60_000 },
    });
    registerAdminRoutes(limitedApp, { keys });
    try {
      const unlimited = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const limited = (await limitedApp.inject({ method: 'GET', url: '/openapi.json' })).json();
      const issueKey = unlimited.paths['/v1/admin/keys'].post.responses;
      expect(Object.keys(issueKey['201'].content)).toEqual(['application/json']);
      for (const status of ['400', '401', '403', '422'])
        expect([status, Object.keys(issueKey[status].content)]).toEqual([
          status,
          ['application/problem+json'],
        ]);
      expect(issueKey['401'].headers['WWW-Authenticate']).toMatchObject({ schema: { type: 'string' } });
      // Without a limit, no route answers 429; with one, every route but the public ones may.
      expect(issueKey['429']).toBeUndefined();
      const operations = (document: { paths: Record<string, Record<string, { responses: object }>> }) =>
        Object.entries(document.paths).flatMap(([path, methods]) =>
          Object.entries(methods).map(([method, operation]) => ({
            route: `${method} ${path}`,
            statuses: Object.keys(operation.responses),
          })),
        );
      const limitedRoutes = operations(limited).map(({ route, statuses }) => [
        route,
        statuses.includes('429'),
      ]);
      expect(limitedRoutes).toEqual(
        expect.arrayContaining([
          ['post /v1/admin/keys', true],
          ['delete /v1/admin/keys/{keyId}', true],
          ['get /healthz', false],
          ['get /readyz', false],
          ['get /metrics', false],
        ]),
      );
      expect(limited.paths['/v1/admin/keys'].post.responses['429'].content).toHaveProperty(
        'application/problem+json',
      );
    } finally {
      await limitedApp.close();
    }
  });

  it('answers unknown routes with 404 NOT_FOUND problem', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json().code).toBe('NOT_FOUND');
  });

  it('hides the internals of a 500', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/boom', headers: admin });
    expect(response.statusCode).toBe(500);
    expect(response.json().code).toBe('INTERNAL');
    expect(response.json().detail).toBe('Internal error');
    expect(response.body).not.toContain('postgres://');
  });

  it('answers only what the response schema names, and a 500 for an answer that does not fit it', async () => {
    const stripped = await app.inject({ method: 'GET', url: '/v1/leaky', headers: admin });
    expect(stripped.statusCode).toBe(200);
    expect(stripped.json()).toEqual({ rows: [{ id: 'a' }] });
    const wrong = await app.inject({ method: 'GET', url: '/v1/leaky?bad=1', headers: admin });
    expect(wrong.statusCode).toBe(500);
    expect(wrong.json().code).toBe('INTERNAL');
  });

  it('serves the OpenAPI document, Swagger UI and Prometheus metrics without a key', async () => {
    const openapi = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(openapi.statusCode).toBe(200);
    expect(Object.keys(openapi.json().paths)).toContain('/v1/admin/keys');
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('route="/healthz"');
  });

  it('puts the request id in every line a request logs, and never the key', async () => {
    const lines: Array<Record<string, unknown>> = [];
    let written = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const logged = await createHttpApp({ logger, keys, rateLimit: false });
    logged.get('/v1/logs', { schema: { response: { 200: z.object({}) } } }, async (request) => {
      request.log.info({ step: 1, headers: { authorization: 'Bearer fck_logged_by_a_handler' } }, 'working');
      return {};
    });
    try {
      await logged.inject({
        method: 'GET',
        url: '/v1/logs',
        headers: { 'x-request-id': 'req-log-1', authorization: 'Bearer fck_secret_value_that_is_unknown' },
      });
      await logged.inject({
        method: 'GET',
        url: '/v1/logs',
        headers: { 'x-request-id': 'req-log-2', ...admin },
      });
      const byRequest = (id: string) => lines.filter((line) => line.requestId === id);
      expect(byRequest('req-log-1').map((line) => [line.msg, line.code])).toEqual([
        ['request refused', 'UNAUTHENTICATED'],
      ]);
      expect(byRequest('req-log-2').map((line) => [line.msg, line.step])).toEqual([['working', 1]]);
      // The request's child logger (childWithIds) carries its id once, and still redacts.
      const working = lines.find((line) => line.msg === 'working');
      expect(working?.headers).toEqual({ authorization: '[redacted]' });
      expect(written.match(/"requestId":"req-log-2"/g)).toHaveLength(1);
      expect(JSON.stringify(lines)).not.toContain('fck_logged_by_a_handler');
      expect(JSON.stringify(lines)).not.toContain('fck_secret_value');
      expect(JSON.stringify(lines)).not.toContain(ADMIN_KEY);
    } finally {
      await logged.close();
    }
  });

  it('creates a first admin key when none is configured, once', async () => {
    expect(firstAdmin.created).toMatch(/^fck_/);
    expect(await keys.authenticate(firstAdmin.created ?? '')).toMatchObject({ role: 'admin' });
    expect(await keys.ensureAdminKey()).toEqual({});
  });

  it('registers FENGCHENG_ADMIN_KEY as admin-env and replaces it when it changes', async () => {
    expect(await keys.authenticate(ADMIN_KEY)).toEqual({ keyId: 'admin-env', role: 'admin' });
    await keys.ensureAdminKey('second-env-admin-key-yyyyyyy');
    try {
      expect(await keys.authenticate(ADMIN_KEY)).toBeNull();
      expect(await keys.authenticate('second-env-admin-key-yyyyyyy')).toEqual({
        keyId: 'admin-env',
        role: 'admin',
      });
      await expect(keys.ensureAdminKey('short')).rejects.toThrow('FENGCHENG_ADMIN_KEY');
    } finally {
      await keys.ensureAdminKey(ADMIN_KEY);
    }
  });
});
