/**
 * The consolidation figures of a space's health (docs/consolidation.md, "Watching it"), from the
 * store's record of its passes (`SpaceStore.consolidationStats`) and the count of memories
 * retention dropped by decay.
 *
 * `ratePerMinute` is the memories consolidated over the last hour (merged or superseded by
 * passes not undone that finished in it, and dropped by retention's decay floor in it), divided
 * by 60: a sliding window, so a watcher sees it rise while consolidation finds work and fall back
 * to 0 within an hour of the last that did, whatever the schedule.
 * (The throughput of a pass, memories examined per second, is a benchmark's figure, not a
 * health one: it says how fast, not how much.)
 */
import type { ConsolidationStats } from './ports/space-store.js';
import { iso, type ConsolidationHealth } from './views.js';

/** The window `ratePerMinute` counts over: the last hour. */
export const CONSOLIDATION_RATE_WINDOW_MS = 60 * 60_000;

/** Per-minute rates are shown to three decimals: one memory an hour is 0.017. */
const RATE_DECIMALS = 1000;

/** The health view of a space's consolidation record at the time the store read it, with `decayed` memories dropped. */
export function consolidationHealth(stats: ConsolidationStats, decayed: number): ConsolidationHealth {
  const perMinute = stats.recent / (CONSOLIDATION_RATE_WINDOW_MS / 60_000);
  return {
    lastRunAt: stats.lastRunAt === null ? null : iso(stats.lastRunAt),
    runs: stats.runs,
    merged: stats.merged,
    superseded: stats.superseded,
    decayed,
    ratePerMinute: Math.round(perMinute * RATE_DECIMALS) / RATE_DECIMALS,
    pending: stats.pending,
  };
}
