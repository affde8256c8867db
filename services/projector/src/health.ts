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
