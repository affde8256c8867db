export { registerAdminRoutes } from './admin.routes';
export {
  createHttpApp,
  DEFAULT_BODY_LIMIT,
  DEFAULT_RATE_LIMIT,
  type HttpApp,
  type HttpAppDeps,
  parseRateLimit,
  type RateLimit,
} from './app';
export { authOf, requireRole } from './auth/authenticate';
export {
  type AuthContext,
  ENV_ADMIN_KEY_ID,
  KeyStore,
  MIN_ENV_KEY_LENGTH,
  ROLES,
  type Role,
} from './auth/key-store';
export {
  PROBLEM_CONTENT_TYPE,
  type Problem,
  ProblemSchema,
  problemOf,
  problemResponses,
  problemType,
  sendProblem,
  toProblem,
  type ValidationIssue,
} from './problem';
