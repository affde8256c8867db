/**
 * Turns a replayed state into plain JSON: Maps become objects, Sets arrays, Dates ISO
 * strings and bigints decimal strings (positions are 64-bit and would lose digits as numbers).
 */
export function toJsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) out[String(key)] = toJsonSafe(item);
    return out;
  }
  if (value instanceof Set) return [...value].map((item) => toJsonSafe(item) ?? null);
  if (Array.isArray(value)) return value.map((item) => toJsonSafe(item) ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const safe = toJsonSafe(item);
    if (safe !== undefined) out[key] = safe;
  }
  return out;
}
