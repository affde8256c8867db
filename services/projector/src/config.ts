import { EVENTSTORE_URL_FORMAT, isEventStoreDbUrl } from '@fengcheng/event-store';
import { z } from 'zod';

/** The variables the standalone projector cannot start without. */
export const REQUIRED_ENV: string[] = ['DATABASE_URL'];

const ConfigSchema = z.object({
  DATABASE_URL: z
    .string({
      error: 'DATABASE_URL is required: postgres://user@host:5432/db holding the events and read models',
    })
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'DATABASE_SCHEMA must be a lower-case Postgres identifier')
    .default('public'),
  /** EventStoreDB holds the events when set; the read models and the checkpoint stay in DATABASE_URL. */
  // Blank is unset, as in the ingest API, the all-in-one and the rebuild.
  EVENTSTORE_URL: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.string().refine(isEventStoreDbUrl, `EVENTSTORE_URL must be ${EVENTSTORE_URL_FORMAT}`).optional(),
  ),
  /** Health endpoint for orchestrators: GET /healthz, /readyz. 0 picks a free port. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(2000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ProjectorConfig = Readonly<z.infer<typeof ConfigSchema>>;

/** Parses the environment once; a bad or missing variable stops the boot with its name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ProjectorConfig {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`projector configuration is invalid:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(result.data);
}
