import type { EventStore } from '@fengcheng/event-store';
import { metricGauge } from '@fengcheng/platform';
import type { Projector } from './projector';

/**
 * The projector's figures on the process's `/metrics`, read at each scrape: how far the read
 * models reach, how far the log reaches, and for how long the projector has been failing at one
 * position. An alert on `fengcheng_projector_failing_seconds > 0` for a while, or on the head
 * staying ahead of the position, says the read models have stopped moving — which, in the
 * all-in-one, nothing else but the log says (its ingest and queries still answer). The function
 * returned takes the gauges off again, once the projector stops.
 */
export function registerProjectorMetrics(
  projector: Projector,
  store: Pick<EventStore, 'headPosition'>,
): () => void {
  const unregister = [
    metricGauge(
      'fengcheng_projector_position',
      'Log position the read models include (positions are ordered, not counted)',
      () => Number(projector.position),
    ),
    metricGauge(
      'fengcheng_event_log_head_position',
      'Log position of the newest event readers can see; above fengcheng_projector_position while the projector is behind; NaN while the store does not answer',
      // The store unreachable is when the projector fails too: the scrape must still carry that.
      async () => Number(await store.headPosition().catch(() => Number.NaN)),
    ),
    metricGauge(
      'fengcheng_projector_failing_seconds',
      'Seconds the projector has been failing (and retrying each second) at one position; 0 while it follows the log',
      () => {
        const { failing } = projector;
        return failing ? (Date.now() - failing.since) / 1000 : 0;
      },
    ),
  ];
  return () => {
    for (const remove of unregister) remove();
  };
}
