export { loadConfig, type QueryApiConfig, REQUIRED_ENV } from './config';
export { CSV_CONTENT_TYPE, toCsv } from './csv';
export { MIN_POSITION_WAIT_MS, type QueryRoutesDeps } from './deps';
export { type LedgerVerification, verifyLedger } from './ledger-verify';
export { registerQueryRoutes } from './query.routes';
