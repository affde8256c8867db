import { EVENTSTORE_URL_FORMAT, isEventStoreDbUrl } from '@fengcheng/event-store';
import { MIN_ENV_KEY_LENGTH, parseRateLimit, type RateLimit } from '@fengcheng/http';
import { MASTER_KEY_ENV, parseMasterKey } from '@fengcheng/privacy';
import { z } from 'zod';

/** The variables the standalone ingest service cannot start without. */
export const REQUIRED_ENV: string[] = ['DATABASE_URL', MASTER_KEY_ENV];

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// connection string')
    .meta({ description: 'The event store and the API keys live here' }),
  EVENTSTORE_URL: z.string().refine(isEventStoreDbUrl, EVENTSTORE_URL_FORMAT).optional(),
  FENGCHENG_ADMIN_KEY: z.string().min(MIN_ENV_KEY_LENGTH).optional(),
  FENGCHENG_MASTER_KEY: z
    .string()
    .meta({ description: 'base64 of 32 random bytes; wraps the client data keys' }),
  FENGCHENG_RATE_LIMIT: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface IngestConfig {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly eventStoreUrl: string | undefined;
  readonly adminKey: string | undefined;
  /** Wraps the per-client data keys. Never logged. */
  readonly masterKey: Buffer;
  readonly rateLimit: RateLimit | false;
  readonly logLevel: string;
}

/** Parses the environment once; throws naming each bad or missing variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const blank = (value: string | undefined) =>
    value === undefined || value.trim() === '' ? undefined : value;
  const raw = {
    PORT: blank(env.PORT),
    HOST: blank(env.HOST),
    DATABASE_URL: blank(env.DATABASE_URL),
    EVENTSTORE_URL: blank(env.EVENTSTORE_URL),
    FENGCHENG_ADMIN_KEY: blank(env.FENGCHENG_ADMIN_KEY),
    FENGCHENG_MASTER_KEY: blank(env.FENGCHENG_MASTER_KEY),
    FENGCHENG_RATE_LIMIT: blank(env.FENGCHENG_RATE_LIMIT),
    LOG_LEVEL: blank(env.LOG_LEVEL),
  };
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      return raw[name as keyof typeof raw] === undefined
        ? `${name} is required`
        : `${name}: ${issue.message}`;
    });
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  let rateLimit: RateLimit | false;
  let masterKey: Buffer;
  try {
    rateLimit = parseRateLimit(e.FENGCHENG_RATE_LIMIT);
    masterKey = parseMasterKey(e.FENGCHENG_MASTER_KEY);
  } catch (error) {
    throw new Error(`invalid configuration: ${(error as Error).message}`);
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    eventStoreUrl: e.EVENTSTORE_URL,
    adminKey: e.FENGCHENG_ADMIN_KEY,
    masterKey,
    rateLimit,
    logLevel: e.LOG_LEVEL,
  });
}
