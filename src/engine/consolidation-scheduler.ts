/**
 * Scheduled consolidation: every space whose settings say `consolidation.enabled` gets a pass
 * every `intervalMinutes`, run by the server itself (actor `scheduler`) through the same service
 * as a requested pass, so it is batched, recorded and undoable like one.
 */
import { isMemspaceError } from '../core/errors.js';
import type { SpaceRecord } from '../core/types.js';
import type { SpaceRegistry } from './space-registry.js';
import { BackgroundRounds } from './background-rounds.js';

const MINUTE_MS = 60_000;
/** Catalogue rows read per page while looking for spaces that are due. */
const CATALOGUE_PAGE = 500;
/** Passes one tick runs at most: the rest are due still and run at the next tick. */
export const PASSES_PER_TICK = 10;

/** What the scheduler needs of the pass and of the record of past passes. */
export interface ScheduledPasses {
  /** Runs one pass over `space` as the server, with the space's own settings. */
  run(space: string): Promise<unknown>;
  /** When the last pass over `space` ended, from its own record (null when it never had one). */
  lastPassAt(space: string): Promise<number | null>;
}

/** What a tick did. */
export interface ScheduleReport {
  /** Passes run. */
  ran: string[];
  /** Spaces whose pass failed, with the error code (a damaged space, a pass already running). */
  failed: { space: string; code: string }[];
}

/**
 * Runs the passes that are due. A space's due time is its last pass's end plus its interval;
 * the end of the last pass is read from the space's own record the first time the scheduler
 * meets the space, so a restart does not run every pass again at once, and read again right
 * before a pass, so two servers of one PostgreSQL database seldom both run it (when they do,
 * the second pass finds little to do: a batch rechecks what it changes). A space that was
 * closed is closed again after its pass. Archived spaces are skipped.
 */
export class ConsolidationScheduler {
  /** When each space's last pass ended, as far as this process knows. */
  private readonly lastPass = new Map<string, number | null>();
  private readonly rounds = new BackgroundRounds(() => this.tick());

  constructor(
    private readonly registry: SpaceRegistry,
    private readonly passes: ScheduledPasses,
    private readonly now: () => number = Date.now,
  ) {}

  /** One round: finds the spaces that are due, in catalogue order, and runs up to {@link PASSES_PER_TICK} of their passes. */
  async tick(): Promise<ScheduleReport> {
    const report: ScheduleReport = { ran: [], failed: [] };
    let after: string | undefined;
    for (;;) {
      const page = await this.registry.backend.spaces.list({ after, limit: CATALOGUE_PAGE });
      for (const record of page) {
        if (report.ran.length + report.failed.length >= PASSES_PER_TICK) return report;
        if (!(await this.due(record))) continue;
        const wasOpen = this.registry.isOpen(record.name);
        try {
          await this.passes.run(record.name);
          report.ran.push(record.name);
        } catch (error) {
          if (!isMemspaceError(error)) throw error;
          report.failed.push({ space: record.name, code: error.code });
        } finally {
          // A failed pass waits a whole interval too: a damaged space is not retried every tick.
          this.lastPass.set(record.name, this.now());
          if (!wasOpen) await this.registry.closeSpace(record.name).catch(() => undefined);
        }
      }
      if (page.length < CATALOGUE_PAGE) return report;
      after = page[page.length - 1]!.name;
    }
  }

  /** Whether `record`'s space should get a pass now. */
  private async due(record: SpaceRecord): Promise<boolean> {
    const { enabled, intervalMinutes } = record.consolidation;
    if (!enabled || record.state === 'archived') return false;
    const interval = intervalMinutes * MINUTE_MS;
    const known = this.lastPass.get(record.name);
    if (known !== undefined && known !== null && this.now() - known < interval) return false;
    // Due as far as this process knows: the space's own record decides (another server may have run it).
    const last = await this.passes.lastPassAt(record.name).catch(() => null);
    this.lastPass.set(record.name, last);
    return last === null || this.now() - last >= interval;
  }

  /** Runs {@link tick} every `intervalMs` in the background. */
  start(intervalMs: number): void {
    this.rounds.start(intervalMs);
  }

  /** Stops the schedule and waits for a round in progress. */
  stop(): Promise<void> {
    return this.rounds.stop();
  }
}
