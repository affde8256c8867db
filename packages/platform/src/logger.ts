import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths redacted from every log line: credentials and a client's personal data.
 * Redaction is configuration, not care: a new field that holds such data belongs here.
 */
export const REDACT_PATHS = [
  // Credentials: API keys, the master key, data keys, connection strings with passwords.
  'authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.authorization',
  'req.headers.cookie',
  'headers.cookie',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  'adminKey',
  '*.adminKey',
  'masterKey',
  '*.masterKey',
  'dataKey',
  '*.dataKey',
  'wrappedKey',
  'wrapped_key',
  '*.wrapped_key',
  'FENGCHENG_ADMIN_KEY',
  'FENGCHENG_MASTER_KEY',
  'env.FENGCHENG_ADMIN_KEY',
  'env.FENGCHENG_MASTER_KEY',
  'password',
  '*.password',
  'databaseUrl',
  'connectionString',
  // Request and response bodies: they carry clients' personal data on the write side.
  'body',
  '*.body',
  'payload',
  '*.payload',
  // A client's personal data and free text, wherever an event or its data is logged.
  'client',
  '*.client',
  'data.client',
  '*.data.client',
  'idNumber',
  '*.idNumber',
  'phone',
  '*.phone',
  'address',
  '*.address',
  'notes',
  '*.notes',
  'data.notes',
  '*.data.notes',
  'data.summary',
  '*.data.summary',
];

export type { Logger };

/**
 * The one way services make a logger. `destination` defaults to stdout; tests hand in a
 * stream to read what would have been written.
 */
export function createLogger(
  options: { name: string; level?: string } & LoggerOptions,
  destination?: DestinationStream,
): Logger {
  const config: LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...options,
  };
  return destination ? pino(config, destination) : pino(config);
}
