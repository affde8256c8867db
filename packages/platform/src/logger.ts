import pino, { type Logger, type LoggerOptions } from 'pino';

/**
 * Paths redacted from every log line: credentials and a client's personal data.
 * Redaction is configuration, not care: a new field that holds such data belongs here.
 */
export const REDACT_PATHS = [
  'authorization',
  'req.headers.authorization',
  'headers.authorization',
  'key',
  '*.key',
  'apiKey',
  'masterKey',
  'password',
  'client.name',
  'client.idNumber',
  'client.phone',
  'client.address',
  '*.client.name',
  '*.client.idNumber',
  '*.client.phone',
  '*.client.address',
  'notes',
  '*.notes',
  'data.notes',
  'data.client',
];

export type { Logger };

/** The one way services make a logger. */
export function createLogger(options: { name: string; level?: string } & LoggerOptions): Logger {
  return pino({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...options,
  });
}
