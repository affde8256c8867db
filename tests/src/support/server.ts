import { randomBytes } from 'node:crypto';
import { type AllInOne, startAllInOne } from '@fengcheng/all-in-one';
import { createLogger, type Database, type Logger, openTestDatabase } from '@fengcheng/platform';

export interface TestServer {
  url: string;
  adminKey: string;
  /** Base64 master key the server wraps client data keys with (kept across restarts). */
  masterKey: string;
  running: AllInOne;
  /** The database under the process (for fault injection; the process owns its connections). */
  database: Database;
  /** Stops the process and starts it again on the same database (a restart after a crash or deploy). */
  restart(options?: { demo?: boolean }): Promise<void>;
  /** A client acting with `key`. */
  as(key: string): Client;
  /** Issues a key through the admin route. */
  issueKey(role: 'agency' | 'analyst' | 'reviewer' | 'admin', organisationId?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The all-in-one process on a free port, over a fresh database: a new schema on the server
 * when DATABASE_URL is set, an in-memory PGlite otherwise. Logs are kept quiet.
 */
export async function startTestServer(
  options: {
    demo?: boolean;
    projectorBatchSize?: number;
    /** A logger of the test's own (e.g. one writing into memory); default a silent one. */
    logger?: Logger;
    /** The HTTP rate limit; default off. */
    rateLimit?: { max: number; timeWindowMs: number } | false;
    /** Longest a request may take to arrive, in ms. */
    requestTimeoutMs?: number;
  } = {},
): Promise<TestServer> {
  const database = await openTestDatabase();
  const adminKey = `fck_test_${randomBytes(18).toString('base64url')}`;
  const masterKey = randomBytes(32).toString('base64');
  const start = (demo: boolean) =>
    startAllInOne({
      port: 0,
      host: '127.0.0.1',
      demo,
      database,
      adminKey,
      masterKey,
      logger: options.logger ?? createLogger({ name: 'e2e', level: process.env.E2E_LOG_LEVEL ?? 'silent' }),
      http: {
        rateLimit: options.rateLimit ?? false,
        ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      },
      ...(options.projectorBatchSize ? { projectorBatchSize: options.projectorBatchSize } : {}),
    });
  let running: AllInOne;
  try {
    running = await start(options.demo ?? false);
  } catch (error) {
    await database.drop();
    throw error;
  }
  const server: TestServer = {
    get url() {
      return running.url;
    },
    adminKey,
    masterKey,
    database,
    get running() {
      return running;
    },
    restart: async (again = {}) => {
      await running.stop();
      running = await start(again.demo ?? false);
    },
    as: (key) => client(() => running.url, key),
    issueKey: async (role, organisationId) => {
      const response = await client(() => running.url, adminKey).post('/v1/admin/keys', {
        role,
        ...(organisationId ? { organisationId } : {}),
        label: `e2e ${role} ${organisationId ?? ''}`.trim(),
      });
      if (response.status !== 201)
        throw new Error(`issuing a key answered ${response.status}: ${response.text}`);
      return (response.body as { key: string }).key;
    },
    stop: async () => {
      await running.stop();
      await dropReadModelGenerations(database);
      await database.drop();
    },
  };
  return server;
}

/** The read models live in sibling schemas (`<schema>_rm_<n>`) that the test schema's drop leaves behind. */
async function dropReadModelGenerations(database: Database): Promise<void> {
  if (database.kind !== 'postgres') return;
  const { rows } = await database.pool.query<{ name: string }>(
    `select nspname as name from pg_namespace where nspname like $1`,
    [`${database.schema}\\_rm\\_%`],
  );
  for (const { name } of rows) await database.pool.query(`drop schema if exists "${name}" cascade`);
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface Client {
  get<T = any>(path: string, headers?: Record<string, string>): Promise<Reply<T>>;
  post<T = any>(path: string, body: unknown): Promise<Reply<T>>;
}

/** fetch over a real socket; the body is parsed when it is JSON. */
export function client(baseUrl: string | (() => string), key: string): Client {
  const base = typeof baseUrl === 'string' ? () => baseUrl : baseUrl;
  const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base()}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: type.includes('json') && text ? JSON.parse(text) : text,
    };
  };
  return {
    get: (path, headers) => call('GET', path, undefined, headers),
    post: (path, body) => call('POST', path, body),
  };
}
