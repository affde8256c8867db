import { createServer, type Server } from 'node:http';
import { metricsRegistry } from '@fengcheng/platform';
import type { Projector } from '@fengcheng/read-models';

/** How long the projector may fail at one position (retrying each second) before it is not ready. */
export const FAILING_MS = 10_000;

/**
 * Whether the projector is ready: not stopping, and not failing at one position for FAILING_MS
 * or longer — the read models have then stopped moving, and the log alone said so.
 */
export function isReady(failing: Projector['failing'], stopping: boolean, now = Date.now()): boolean {
  return !stopping && (failing === null || now - failing.since < FAILING_MS);
}

/**
 * The projector's only HTTP, for orchestrators and Prometheus: `/healthz` (the process
 * answers), `/readyz` (see isReady; the body names the position and, when failing, since when
 * and why) and `/metrics` (the process's registry, with `registerProjectorMetrics`' gauges).
 */
export function createHealthServer(
  projector: Pick<Projector, 'failing' | 'position'>,
  stopping: () => boolean,
): Server {
  return createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (path === '/metrics') {
      metricsRegistry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': metricsRegistry.contentType });
          response.end(text);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
      return;
    }
    const { failing } = projector;
    const ok = path === '/healthz' || (path === '/readyz' && isReady(failing, stopping()));
    response.writeHead(ok ? 200 : path === '/readyz' ? 503 : 404, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ ok, position: projector.position.toString(), ...(failing ? { failing } : {}) }),
    );
  });
}
