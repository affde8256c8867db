/** Median of a list of numbers (NaN for an empty list). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0-100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** A JSON payload of about `bytes` bytes, shaped like a visit's data. */
export function payloadOfSize(bytes: number, seed = 0): Record<string, unknown> {
  const base = {
    visitId: `v${seed}`,
    workerId: 'w-00001',
    mode: 'home',
    durationMinutes: 45,
    services: ['daily_living', 'counselling'],
    notes: '',
  };
  const fill = bytes - JSON.stringify(base).length;
  return { ...base, notes: 'x'.repeat(Math.max(0, fill)) };
}
