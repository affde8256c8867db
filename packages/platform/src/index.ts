export { integerArgument } from './cli';
export { copyRows } from './copy';
export { type Database, type OpenDatabaseOptions, openDatabase } from './database';
export { childWithIds, createLogger, type Logger, REDACT_PATHS } from './logger';
export { metricCounter, metricGauge, metricHistogram, metricsRegistry } from './metrics';
export { queryOn, textBytes } from './pg-query';
export { PGliteDialect } from './pglite-dialect';
export { openTestDatabase, reachableBackends } from './test-database';
