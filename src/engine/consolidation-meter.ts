/**
 * What consolidation passes did in this process, for the server's Prometheus metrics: running
 * totals (all spaces, and per space) read at scrape time, and each completed pass told to
 * listeners as it ends (a duration histogram observes them). Figures and space names only, never
 * an id or a content. The durable record, which health reads, is each space's own
 * (`SpaceStore.consolidationStats`); memories dropped by decay are the retention sweeper's count.
 */
import { spaceKey } from '../core/space-name.js';

/** A completed (not dry) pass. */
export interface PassEvent {
  /** The space, as its record names it. */
  space: string;
  merged: number;
  superseded: number;
  /** From the pass's first read to its last batch's commit, by the engine's clock. */
  durationMs: number;
}

/** Running totals of completed passes. */
export interface PassTotals {
  runs: number;
  merged: number;
  superseded: number;
}

/** Counts completed passes and tells listeners of each; a listener that throws is ignored, so it never fails a pass. */
export class ConsolidationMeter {
  private readonly listeners = new Set<(event: PassEvent) => void>();
  private readonly all: PassTotals = { runs: 0, merged: 0, superseded: 0 };
  /** By case-folded space name ({@link spaceKey}), as metrics label spaces. */
  private readonly spaces = new Map<string, PassTotals>();

  /** Calls `listener` with every pass completed from now on; returns what stops it. */
  listen(listener: (event: PassEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A pass completed: counted, then told. */
  passed(event: PassEvent): void {
    const key = spaceKey(event.space);
    const space = this.spaces.get(key) ?? { runs: 0, merged: 0, superseded: 0 };
    this.spaces.set(key, space);
    for (const totals of [this.all, space]) {
      totals.runs += 1;
      totals.merged += event.merged;
      totals.superseded += event.superseded;
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener observes: its failure is not the pass's.
      }
    }
  }

  /** Totals of every pass this process completed. */
  totals(): PassTotals {
    return { ...this.all };
  }

  /** Totals per space (by case-folded name), of the spaces that completed a pass in this process. */
  bySpace(): ReadonlyMap<string, PassTotals> {
    return this.spaces;
  }
}
