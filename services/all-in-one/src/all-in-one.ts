import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { type EventStore, openEventStore } from '@fengcheng/event-store';
import { createHttpApp, KeyStore, registerAdminRoutes } from '@fengcheng/http';
import { organisationRegisteredIn, registerIngestRoutes } from '@fengcheng/ingest-api';
import { createLogger, type Database, type Logger, openDatabase } from '@fengcheng/platform';
import { KeyVault, loadOrCreateMasterKeyFile, MASTER_KEY_ENV, parseMasterKey } from '@fengcheng/privacy';
import { registerQueryRoutes } from '@fengcheng/query-api';
import {
  createProjector,
  READ_MODEL_DATABASE_SETTINGS,
  readCheckpoint,
  registerProjectorMetrics,
} from '@fengcheng/read-models';
import type { FastifyInstance } from 'fastify';
import { type DemoSummary, loadDemo } from './demo';

export interface AllInOneOptions {
  /** Default `PORT` or 3000; 0 picks a free port. */
  port?: number;
  /**
   * Default `HOST`, else 127.0.0.1 embedded (nobody else should reach an unconfigured ledger)
   * and 0.0.0.0 on a server. A container running the embedded mode sets `HOST=0.0.0.0`.
   */
  host?: string;
  /** PGlite data folder; default `FENGCHENG_DATA_DIR` or `./.fengcheng/data`. `memory://` keeps nothing. */
  dataDir?: string;
  /** postgres://… — use a server instead of PGlite (default `DATABASE_URL`). */
  databaseUrl?: string;
  /** Schema on the server (default `public`). */
  schema?: string;
  /** esdb://… — keep the events in EventStoreDB (default `EVENTSTORE_URL`); read models stay in the database. */
  eventstoreUrl?: string;
  /** An already-open database (tests); it is not closed by `stop()`. */
  database?: Database;
  /** Load the demo when the ledger is empty. Default true. */
  demo?: boolean;
  /** The first admin key (default `FENGCHENG_ADMIN_KEY`); without it one is made on first run. */
  adminKey?: string;
  /**
   * Base64 of the 32-byte master key that wraps the client data keys (default
   * `FENGCHENG_MASTER_KEY`). Without it the embedded mode keeps one in `<dataDir>/master.key`;
   * on a server (DATABASE_URL) it is required.
   */
  masterKey?: string;
  logger?: Logger;
  /** Events per projector transaction (the projector's default when absent). */
  projectorBatchSize?: number;
  /** Options for the HTTP app, e.g. `rateLimit: false` in load tests. */
  http?: {
    rateLimit?: { max: number; timeWindowMs: number } | false;
    bodyLimit?: number;
    /** Longest a request may take to arrive, in ms (default 30 s). */
    requestTimeoutMs?: number;
  };
}

export interface AllInOne {
  url: string;
  /** Set on the first run only, when no admin key existed and none was configured. */
  adminKey?: string;
  /** Where the data lives: the PGlite folder, or the server and schema. */
  dataLocation: string;
  /** Where the master key came from: the environment/options, or the data folder's file (made now or before). */
  masterKeySource:
    | { kind: 'configured' }
    | { kind: 'file'; path: string; created: boolean }
    /** `memory://`: the key lives as long as the data, in this process only. */
    | { kind: 'ephemeral' };
  demo?: DemoSummary;
  app: FastifyInstance;
  keys: KeyStore;
  store: EventStore;
  projector: ReturnType<typeof createProjector>;
  database: Database;
  stop(): Promise<void>;
}

/**
 * Everything in one process: the event store, the projector, and the ingest, query and
 * admin routes on one fastify. With no options and no environment it runs on PGlite in
 * `./.fengcheng/data` — the embedded default that `npm start` serves.
 */
export async function startAllInOne(options: AllInOneOptions = {}): Promise<AllInOne> {
  const env = process.env;
  const logger = options.logger ?? createLogger({ name: 'fengcheng' });
  const databaseUrl = options.databaseUrl ?? env.DATABASE_URL;
  const ownsDatabase = options.database === undefined;
  // npm runs workspace scripts in the workspace folder; INIT_CWD is where the user typed `npm start`.
  const dataDir =
    options.dataDir ?? env.FENGCHENG_DATA_DIR ?? resolve(env.INIT_CWD ?? process.cwd(), '.fengcheng/data');

  const masterKey = resolveMasterKey(options.masterKey ?? env.FENGCHENG_MASTER_KEY, {
    server: options.database ? options.database.kind === 'postgres' : databaseUrl !== undefined,
    dataDir: options.database && options.dataDir === undefined ? undefined : dataDir,
  });

  const database =
    options.database ??
    (await openDatabase({
      ...(databaseUrl
        ? { url: databaseUrl, schema: options.schema ?? 'public' }
        : { dataDir, schema: options.schema }),
      settings: READ_MODEL_DATABASE_SETTINGS,
    }));
  const dataLocation =
    database.kind === 'pglite'
      ? options.database
        ? 'embedded (PGlite)'
        : dataDir
      : `${redactUrl(databaseUrl ?? 'postgres')} schema ${database.schema}`;

  const cleanups: Array<() => Promise<void>> = [];
  try {
    const { store, kind } = await openEventStore({
      eventstoreUrl: options.eventstoreUrl ?? env.EVENTSTORE_URL,
      database,
      logger,
      checkpointStore: { load: () => readCheckpoint(database) },
    });
    cleanups.push(() => store.close());
    const keys = await KeyStore.open(database);
    const admin = await keys.ensureAdminKey(options.adminKey ?? env.FENGCHENG_ADMIN_KEY);
    if (admin.created) logger.warn('no admin key existed: one was made and is printed once on stdout');
    // With the events in the same database, a new client key's commit is flushed by the first append under it.
    const vault = await KeyVault.open(database, masterKey.key, { keysFlushedByAppends: kind === 'postgres' });
    if (masterKey.source.kind === 'file') {
      logger.warn(
        { path: masterKey.source.path, created: masterKey.source.created },
        masterKey.source.created
          ? `no ${MASTER_KEY_ENV}: a master key was generated into the data folder (owner-only); back it up — without it no personal data can be read`
          : `no ${MASTER_KEY_ENV}: using the master key in the data folder`,
      );
    }

    const projector = createProjector({
      store,
      database,
      logger,
      ...(options.projectorBatchSize ? { batchSize: options.projectorBatchSize } : {}),
    });
    await projector.start();
    cleanups.push(() => projector.stop());
    // Ingest and queries keep answering while the read models are stuck: /metrics says so.
    const unregisterMetrics = registerProjectorMetrics(projector, store);
    cleanups.push(async () => unregisterMetrics());

    const app = await createHttpApp({
      logger,
      keys,
      // Ready once the ledger answers; the projector catching up is what minPosition is for.
      readiness: async () => {
        await store.headPosition();
        return true;
      },
      ...(options.http?.rateLimit !== undefined ? { rateLimit: options.http.rateLimit } : {}),
      ...(options.http?.bodyLimit !== undefined ? { bodyLimit: options.http.bodyLimit } : {}),
      ...(options.http?.requestTimeoutMs !== undefined
        ? { requestTimeoutMs: options.http.requestTimeoutMs }
        : {}),
    });
    cleanups.push(() => app.close());
    registerAdminRoutes(app, { keys, organisationRegistered: organisationRegisteredIn(store) });
    registerIngestRoutes(app, { store, logger, vault });
    registerQueryRoutes(app, {
      store,
      vault,
      readModels: () => projector.readModels(),
      waitForPosition: (position, timeoutMs) => projector.waitFor(position, timeoutMs),
      logger,
    });
    await app.ready();

    let demo: DemoSummary | undefined;
    if ((options.demo ?? true) && (await store.headPosition()) === 0n) {
      demo = await loadDemo(app, keys);
      logger.info({ events: demo.events, lastPosition: demo.lastPosition.toString() }, 'demo loaded');
      await projector.waitFor(demo.lastPosition, 30_000);
    }

    const port = options.port ?? (env.PORT ? Number(env.PORT) : 3000);
    const host =
      options.host ?? env.HOST ?? (database.kind === 'pglite' && ownsDatabase ? '127.0.0.1' : '0.0.0.0');
    const address = await app.listen({ port, host });
    const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
    logger.info({ url, data: dataLocation, firstRun: admin.created !== undefined }, 'fengcheng listening');

    let stopped = false;
    return {
      url,
      ...(admin.created ? { adminKey: admin.created } : {}),
      dataLocation,
      masterKeySource: masterKey.source,
      ...(demo ? { demo } : {}),
      app,
      keys,
      store,
      projector,
      database,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await runCleanups(cleanups);
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
    await runCleanups(cleanups).catch(() => {});
    if (ownsDatabase) await database.close().catch(() => {});
    throw error;
  }
}

/**
 * The master key: configured, else (embedded only) the data folder's `master.key`, made on
 * the first run. A server without one is refused at boot, naming the variable: a generated
 * key would live on one machine while the data it guards lives on another.
 */
function resolveMasterKey(
  configured: string | undefined,
  where: { server: boolean; dataDir: string | undefined },
): { key: Buffer; source: AllInOne['masterKeySource'] } {
  if (configured !== undefined && configured.trim() !== '') {
    return { key: parseMasterKey(configured), source: { kind: 'configured' } };
  }
  if (where.dataDir === 'memory://' && !where.server) {
    return { key: randomBytes(32), source: { kind: 'ephemeral' } };
  }
  if (where.server || where.dataDir === undefined) {
    throw new Error(
      `${MASTER_KEY_ENV} is required${where.server ? ' with DATABASE_URL' : ' without a data folder'}: base64 of 32 random bytes (openssl rand -base64 32)`,
    );
  }
  const file = loadOrCreateMasterKeyFile(where.dataDir);
  return { key: file.key, source: { kind: 'file', path: file.path, created: file.created } };
}

async function runCleanups(cleanups: Array<() => Promise<void>>) {
  for (const cleanup of cleanups.reverse()) await cleanup();
}

/** The URL without its password, for banners and logs. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
