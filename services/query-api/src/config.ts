import { EVENTSTORE_URL_FORMAT, isEventStoreDbUrl } from '@fengcheng/event-store';
import { MASTER_KEY_ENV, parseMasterKey } from '@fengcheng/privacy';
import { z } from 'zod';

/** The variables the standalone query service cannot start without. */
export const REQUIRED_ENV = ['DATABASE_URL', MASTER_KEY_ENV] as const;

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3002),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string({ error: 'DATABASE_URL is required: postgres://user@host:5432/db of the read models and events' })
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('public'),
  /** EventStoreDB holds the events when set (histories are read from it); read models stay in DATABASE_URL. */
  // Blank is unset, as in the ingest API, the all-in-one and the rebuild.
  EVENTSTORE_URL: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.string().refine(isEventStoreDbUrl, `EVENTSTORE_URL must be ${EVENTSTORE_URL_FORMAT}`).optional(),
  ),
  FENGCHENG_ADMIN_KEY: z.string().min(20).optional(),
  FENGCHENG_MASTER_KEY: z
    .string({
      error: 'FENGCHENG_MASTER_KEY is required: base64 of the 32-byte key that wraps the client data keys',
    })
    .transform((value, ctx) => {
      try {
        return parseMasterKey(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type QueryApiConfig = Readonly<z.infer<typeof ConfigSchema>>;

/** Parses the environment once; a bad or missing variable stops the boot with its name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): QueryApiConfig {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`query-api configuration is invalid:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(result.data);
}
