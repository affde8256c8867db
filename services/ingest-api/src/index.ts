export { type IngestConfig, loadConfig, REQUIRED_ENV } from './config';
export {
  DEFAULT_BATCH_BODY_LIMIT,
  type IngestRoutesDeps,
  MAX_BATCH,
  registerIngestRoutes,
} from './events.routes';
export { organisationRegisteredIn } from './registrations';
