import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server';

interface Operation {
  security?: unknown[];
  responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
}

const ANALYST_ROUTES = [
  '/v1/stats/service-instances',
  '/v1/projects/outcomes',
  '/v1/workers/workloads',
  '/v1/regions/{code}/summary',
];

/** The document the all-in-one process serves, held against what its routes answer. */
describe('the OpenAPI document', () => {
  let server: TestServer;
  let document: { paths: Record<string, Record<string, Operation>> };

  beforeAll(async () => {
    server = await startTestServer({ rateLimit: { max: 1_000, timeWindowMs: 60_000 } });
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as typeof document;
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        route: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );

  it('declares every problem as application/problem+json, the media type it is served as', () => {
    const declared = operations().flatMap(({ route, operation }) =>
      Object.entries(operation.responses)
        .filter(([status]) => Number(status) >= 400)
        .map(([status, response]) => [`${route} ${status}`, Object.keys(response.content ?? {})]),
    );
    expect(declared.length).toBeGreaterThan(30);
    expect(declared.filter(([, media]) => String(media) !== 'application/problem+json')).toEqual([]);
  });

  it('lists 401 with its WWW-Authenticate header and 429 on every route that needs a key, neither on the public ones', () => {
    const listed = operations().map(({ route, operation }) => [
      route,
      operation.security?.length === 0 ? 'public' : 'keyed',
      Boolean(operation.responses['401']?.headers?.['WWW-Authenticate']),
      '429' in operation.responses,
    ]);
    expect(listed.filter(([, access]) => access === 'public').map(([route]) => route)).toEqual(
      expect.arrayContaining(['GET /healthz', 'GET /readyz', 'GET /metrics']),
    );
    expect(
      listed.filter(
        ([, access, challenge, limited]) =>
          challenge !== (access === 'keyed') || limited !== (access === 'keyed'),
      ),
    ).toEqual([]);
  });

  it('documents the CSV the analyst routes serve, beside their JSON', async () => {
    for (const path of ANALYST_ROUTES) {
      const ok = document.paths[path]?.get?.responses['200'];
      expect([path, Object.keys(ok?.content ?? {})]).toEqual([path, ['application/json', 'text/csv']]);
    }
    const analyst = await server.issueKey('analyst');
    for (const [query, accept] of [
      ['?format=csv', '*/*'],
      ['', 'text/csv'],
    ] as const) {
      const response = await fetch(`${server.url}/v1/projects/outcomes${query}`, {
        headers: { authorization: `Bearer ${analyst}`, accept },
      });
      expect([query, accept, response.status, response.headers.get('content-type')?.split(';')[0]]).toEqual([
        query,
        accept,
        200,
        'text/csv',
      ]);
    }
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await fetch(`${server.url}/docs`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('swagger');
  });
});
