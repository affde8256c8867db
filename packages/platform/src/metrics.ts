import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

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

/**
 * A gauge on the shared registry whose value is read when `/metrics` is scraped. Asking again
 * for the same name points it at the new `read` (the last service started in the process wins:
 * tests start several in one process; a deployment runs one). The function returned takes the
 * gauge off the registry if it is still this one: a stopped service's gauge must not be read.
 */
export function metricGauge(name: string, help: string, read: () => number | Promise<number>): () => void {
  metricsRegistry.removeSingleMetric(name);
  const gauge = new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    async collect() {
      this.set(await read());
    },
  });
  return () => {
    if (metricsRegistry.getSingleMetric(name) === gauge) metricsRegistry.removeSingleMetric(name);
  };
}
