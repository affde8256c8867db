import type { HttpApp } from '@fengcheng/http';
import type { QueryRoutesDeps } from './deps';
import { registerAnalystRoutes } from './routes/analyst.routes';
import { registerAuditRoutes } from './routes/audit.routes';
import { registerReviewerRoutes } from './routes/reviewer.routes';

/** Registers the analyst, reviewer and audit-trail routes on an app made by `createHttpApp`. */
export function registerQueryRoutes(app: HttpApp, deps: QueryRoutesDeps): void {
  registerAnalystRoutes(app, deps);
  registerReviewerRoutes(app, deps);
  registerAuditRoutes(app, deps);
}
