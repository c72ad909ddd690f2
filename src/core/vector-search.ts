/**
 * When a space's vector search walks an approximate (HNSW) index instead of scanning every
 * vector: one threshold and one reading of it, for the configuration and every backend.
 */

/**
 * Memories a space needs before its vector searches go through an HNSW index: the measured
 * crossover of an exact scan and an index walk on the reference machine (bench/RESULTS.md).
 * Below it a scan is as fast and always exact.
 */
export const DEFAULT_ANN_THRESHOLD = 10_000;

/**
 * The threshold a store applies for a configured one: `0` and `Infinity` both mean that every
 * search is exact (returned as `Infinity`, which no space reaches); undefined is the default.
 * @default {@link DEFAULT_ANN_THRESHOLD}
 */
export function effectiveAnnThreshold(configured: number | undefined): number {
  const threshold = configured ?? DEFAULT_ANN_THRESHOLD;
  return threshold === 0 ? Number.POSITIVE_INFINITY : threshold;
}

/** True when some space can reach `threshold` (an {@link effectiveAnnThreshold}), so an index is worth keeping. */
export function annEnabled(threshold: number): boolean {
  return Number.isFinite(threshold);
}
