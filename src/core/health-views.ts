import type { SpaceHealth } from './views.js';

/**
 * One row of `GET /v1/health/spaces`: a visible space's settings and its cheap figures, read
 * as {@link SpaceHealth} reads them (an idle space's from its files, never opening it), without
 * consolidation and feedback figures, which cost a read of each space's database.
 */
export interface SpaceHealthRow extends Pick<SpaceHealth, 'name' | 'state' | 'open' | 'memories' | 'bytes' | 'payloadBytes' | 'indexLag' | 'lastWriteAt' | 'quotas' | 'retentionDays' | 'error'> {
  description: string;
  project: string | null;
}

/** One sample of a space's figures taken by the process's health sampler (engine/health-samples.ts). */
export interface HealthSample {
  /** ISO-8601 UTC time of the sample. */
  at: string;
  memories: number;
  payloadBytes: number;
  /** Bytes on disk. */
  bytes: number;
  indexLag: number;
  /** Writes (change-feed events) since the previous sample; null for a space's first sample. */
  writes: number | null;
}

/** A space's samples over the last hour, oldest first (`GET /v1/spaces/{space}/health/history`). */
export interface HealthHistory {
  space: string;
  /** How often the process samples its open spaces; 0 when sampling is off. */
  intervalMs: number;
  samples: HealthSample[];
}
