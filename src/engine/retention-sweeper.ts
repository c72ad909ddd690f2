import { isMemspaceError } from '../core/errors.js';
import type { SpaceRecord } from '../core/types.js';
import type { SpaceHandle, SpaceRegistry } from './space-registry.js';

const DAY_MS = 86_400_000;
/** Memories deleted per transaction: bounds how long one sweep holds a space's write lock. */
const SWEEP_BATCH = 1000;

/** What a sweep did. */
export interface SweepReport {
  /** Spaces looked at. */
  spaces: number;
  /** Memories hard-deleted. */
  deleted: number;
  /** Spaces that could not be swept (damaged storage), by name, with the reason. */
  failed: { space: string; code: string }[];
}

/** Running totals, for metrics. */
export interface SweeperStats {
  runs: number;
  deleted: number;
  lastRunAt: number | null;
}

/**
 * Hard-deletes memories past their `expiresAt` or past their space's `retentionDays`, with the
 * audit entries and change events of a delete. Reads never show expired memories; retention is
 * enforced at each sweep, so a memory past its space's retention may stay visible until the
 * next sweep of its space (at most one interval while the space is open, and before first use
 * when it opens: the registry sweeps a space as it opens).
 */
export class RetentionSweeper {
  private totals: SweeperStats = { runs: 0, deleted: 0, lastRunAt: null };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepReport> | undefined;

  constructor(
    private readonly registry: SpaceRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /** Totals since the process started. */
  stats(): SweeperStats {
    return { ...this.totals };
  }

  /** Sweeps a space that is open already (the registry's open hook calls this). */
  async sweepHandle({ record, store }: SpaceHandle): Promise<number> {
    const now = this.now();
    const createdBefore = record.retentionDays === null ? null : now - record.retentionDays * DAY_MS;
    const ctx = { actor: 'sweeper', now, requestId: null };
    let deleted = 0;
    for (;;) {
      const n = await store.sweepExpired(now, createdBefore, SWEEP_BATCH, ctx);
      deleted += n;
      if (n < SWEEP_BATCH) break;
    }
    this.totals.deleted += deleted;
    return deleted;
  }

  /** Sweeps one space, opening it if needed. */
  async sweepSpace(name: string): Promise<number> {
    return this.registry.use(name, (handle) => this.sweepHandle(handle));
  }

  /**
   * Sweeps every space of the catalogue (`memspace sweep`), or only those open in this process.
   * Archived spaces are skipped: their files are not read until restored, and they are swept as
   * they open again. A damaged space is reported, not fatal.
   */
  async sweep(options: { onlyOpen?: boolean; onProgress?: (report: SweepReport) => void } = {}): Promise<SweepReport> {
    const report: SweepReport = { spaces: 0, deleted: 0, failed: [] };
    const visit = async (record: SpaceRecord): Promise<void> => {
      if (record.state === 'archived') return;
      report.spaces += 1;
      try {
        report.deleted += options.onlyOpen
          ? ((await this.registry.ifOpen(record.name, (handle) => this.sweepHandle(handle))) ?? 0)
          : await this.sweepSpace(record.name);
      } catch (error) {
        if (!isMemspaceError(error)) throw error;
        report.failed.push({ space: record.name, code: error.code });
      }
      options.onProgress?.(report);
    };
    if (options.onlyOpen) {
      for (const name of this.registry.openNames()) await visit(await this.registry.record(name));
    } else {
      let after: string | undefined;
      for (;;) {
        const page = await this.registry.backend.listSpaces({ after, limit: 500 });
        for (const record of page) await visit(record);
        if (page.length < 500) break;
        after = page[page.length - 1]!.name;
      }
    }
    this.totals.runs += 1;
    this.totals.lastRunAt = this.now();
    return report;
  }

  /** Sweeps the open spaces every `intervalMs` in the background; closed ones are swept as they open. */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      this.running ??= this.sweep({ onlyOpen: true }).finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the background sweeps and waits for one in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
