import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The one Prometheus registry of the process. Services that run together (all-in-one)
 * share it, so `/metrics` of any of them shows everything the process does.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

/** A counter on the shared registry; asking twice for the same name returns the same counter. */
export function metricCounter<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): Counter<L> {
  const existing = metricsRegistry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [metricsRegistry] });
}

/** A histogram on the shared registry; asking twice for the same name returns the same histogram. */
export function metricHistogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets?: number[],
): Histogram<L> {
  const existing = metricsRegistry.getSingleMetric(name);
  if (existing) return existing as Histogram<L>;
  return new Histogram({
    name,
    help,
    labelNames,
    registers: [metricsRegistry],
    ...(buckets ? { buckets } : {}),
  });
}

export const httpRequestDuration = metricHistogram(
  'http_request_duration_seconds',
  'HTTP request duration by method, route and status',
  ['method', 'route', 'status'],
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);
