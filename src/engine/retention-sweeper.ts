import { isMemspaceError } from '../core/errors.js';
import { compactionHorizon, DEFAULT_FEED_RETENTION, type FeedRetention, retainedSince } from '../core/feed-horizon.js';
import type { SpaceStore } from '../core/ports/space-store.js';
import { spaceKey } from '../core/space-name.js';
import type { SpaceRecord } from '../core/types.js';
import { principalOf, type AccessGuard, type CallContext } from './access-guard.js';
import type { SpaceHandle, SpaceRegistry } from './space-registry.js';
import { BackgroundRounds } from './background-rounds.js';

const DAY_MS = 86_400_000;
/** Memories deleted per transaction: bounds how long one sweep holds a space's write lock. */
const SWEEP_BATCH = 1000;
/** Change-feed events deleted per transaction, for the same reason. */
const COMPACT_BATCH = 10_000;
/**
 * Least time between two looks at a space's decay floor by the background sweeps: a decayed
 * importance moves over days, and each look reads every memory of the space unread for a half-life.
 */
export const DECAY_SWEEP_EVERY_MS = 3_600_000;

/** Closed spaces a background tick opens, sweeps and closes again: bounds the work of one tick. */
export const CLOSED_PER_TICK = 100;

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
  /** Memories hard-deleted, those under a decay floor included. */
  deleted: number;
  /** Of `deleted`, memories whose decayed importance fell under their space's floor. */
  decayed: number;
  /** Change-feed events deleted by compaction. */
  compacted: number;
  lastRunAt: number | null;
}

/**
 * Hard-deletes memories past their `expiresAt` or past their space's `retentionDays`, and those
 * whose decayed importance fell under their space's `consolidation.importanceFloor` when it has
 * one (core/decay.ts), with the audit entries and change events of a delete, then compacts the space's change feed down to
 * what its {@link FeedRetention} keeps (core/feed-horizon.ts), and deletes the feedback state that
 * decayed to nothing (core/feedback.ts). Reads never show expired
 * memories; retention is enforced at each sweep, so a memory past its space's retention may stay
 * visible until the next sweep of its space (at most one interval while the space is open, and
 * before first use when it opens: the registry sweeps a space as it opens). Closed spaces are
 * visited a few at a time in the background ({@link CLOSED_PER_TICK} per interval, in catalogue
 * order, each closed again at once), so expired data does not stay on disk in a space nobody opens.
 */
export class RetentionSweeper {
  private totals: SweeperStats = { runs: 0, deleted: 0, decayed: 0, compacted: 0, lastRunAt: null };
  private readonly rounds = new BackgroundRounds(() => this.tick());
  /** Memories deleted by the sweep of a space as it opened, until {@link sweepSpace} reports them. */
  private readonly sweptOnOpen = new WeakMap<object, number>();
  /** Where the background walk over closed spaces resumes (the last name visited). */
  private closedCursor: string | undefined;
  /** When each space's decay floor was last applied, by {@link spaceKey}. */
  private readonly decaySweptAt = new Map<string, number>();

  constructor(
    private readonly registry: SpaceRegistry,
    private readonly guard: AccessGuard,
    private readonly now: () => number = Date.now,
    /** How much of each change feed the sweeps keep. */
    private readonly feedRetention: FeedRetention = DEFAULT_FEED_RETENTION,
  ) {}

  /** Totals since the process started. */
  stats(): SweeperStats {
    return { ...this.totals };
  }

  /**
   * Sweeps a space that is open already (the registry's open hook calls this). Its decay floor is
   * applied when `decay` is `always` (a sweep someone asked for) or, `due`, when it was not in the
   * last {@link DECAY_SWEEP_EVERY_MS}.
   */
  async sweepHandle({ record, store }: SpaceHandle, decay: 'always' | 'due' = 'due'): Promise<number> {
    const now = this.now();
    const createdBefore = record.retentionDays === null ? null : now - record.retentionDays * DAY_MS;
    const ctx = { actor: 'sweeper', now, requestId: null };
    let deleted = 0;
    for (;;) {
      const n = await store.sweepExpired(now, createdBefore, SWEEP_BATCH, ctx);
      deleted += n;
      if (n < SWEEP_BATCH) break;
    }
    const decayed = await this.sweepDecayed(store, record, now, decay);
    deleted += decayed;
    this.totals.deleted += deleted;
    this.totals.decayed += decayed;
    this.totals.compacted += await this.compactFeed(store, now);
    await this.sweepFeedback(store, record, now);
    return deleted;
  }

  /** Deletes the pheromones (and narrative) whose pull fell under core/feedback.ts's floor, a batch per transaction. */
  private async sweepFeedback(store: SpaceStore, record: SpaceRecord, now: number): Promise<void> {
    const ctx = { actor: 'sweeper', now, requestId: null };
    while ((await store.sweepFeedback(now, record.feedback.halfLifeDays, SWEEP_BATCH, ctx)) === SWEEP_BATCH);
  }

  /**
   * Drops the memories whose decayed importance fell under the space's floor
   * (`consolidation.importanceFloor`, off when null: the default), a batch per transaction, after
   * expiry took what it takes; returns how many (core/decay.ts `dropsByDecay`).
   */
  private async sweepDecayed(store: SpaceStore, record: SpaceRecord, now: number, when: 'always' | 'due'): Promise<number> {
    const { importanceFloor: floor, halfLifeDays } = record.consolidation;
    if (floor === null) return 0;
    const key = spaceKey(record.name);
    const last = this.decaySweptAt.get(key);
    if (when === 'due' && last !== undefined && now - last < DECAY_SWEEP_EVERY_MS) return 0;
    this.decaySweptAt.set(key, now);
    const ctx = { actor: 'sweeper', now, requestId: null };
    let decayed = 0;
    for (;;) {
      const n = await store.sweepDecayed(now, { floor, halfLifeDays }, SWEEP_BATCH, ctx);
      decayed += n;
      if (n < SWEEP_BATCH) return decayed;
    }
  }

  /** Deletes the change-feed events below the space's horizon at `now`, a batch per transaction; returns how many. */
  private async compactFeed(store: SpaceStore, now: number): Promise<number> {
    const retention = this.feedRetention;
    const { bounds, horizon } = await store.read(async (reads) => {
      const bounds = await reads.feedBounds();
      // A feed of no more than `minEvents` events keeps them all: its times need not be read.
      if (compactionHorizon(bounds, undefined, retention) <= bounds.oldest) return { bounds, horizon: bounds.oldest };
      return { bounds, horizon: compactionHorizon(bounds, await reads.firstChangeSince(retainedSince(now, retention)), retention) };
    });
    let compacted = 0;
    if (horizon <= bounds.oldest) return compacted; // the usual case: no write at all
    for (;;) {
      const n = await store.compactChanges(horizon, COMPACT_BATCH);
      compacted += n;
      if (n < COMPACT_BATCH) return compacted;
    }
  }

  /** The registry's open hook: sweeps a space as it opens, remembering the count for {@link sweepSpace}. */
  async sweepOnOpen(handle: SpaceHandle): Promise<void> {
    this.sweptOnOpen.set(handle.store, await this.sweepHandle(handle));
  }

  /** Sweeps one space (admins only), opening it if needed; the count includes what its opening swept. */
  async sweepSpace(name: string, call: CallContext = {}): Promise<number> {
    await this.guard.authorize(principalOf(call), name, 'admin', call);
    return this.registry.use(name, async (handle) => {
      const onOpen = this.sweptOnOpen.get(handle.store) ?? 0;
      this.sweptOnOpen.delete(handle.store);
      return onOpen + (await this.sweepHandle(handle, 'always'));
    });
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
        const page = await this.registry.backend.spaces.list({ after, limit: 500 });
        for (const record of page) await visit(record);
        if (page.length < 500) break;
        after = page[page.length - 1]!.name;
      }
    }
    this.totals.runs += 1;
    this.totals.lastRunAt = this.now();
    return report;
  }

  /**
   * One background round: every open space, then the next {@link CLOSED_PER_TICK} closed spaces
   * of the catalogue, each closed again once swept so the walk does not crowd out spaces in use.
   */
  async tick(): Promise<SweepReport> {
    const report = await this.sweep({ onlyOpen: true });
    const page = await this.registry.backend.spaces.list({ after: this.closedCursor, limit: CLOSED_PER_TICK });
    this.closedCursor = page.length < CLOSED_PER_TICK ? undefined : page[page.length - 1]!.name;
    for (const record of page) {
      if (record.state === 'archived' || this.registry.isOpen(record.name)) continue;
      try {
        report.deleted += await this.sweepSpace(record.name);
        report.spaces += 1;
        await this.registry.closeSpace(record.name);
      } catch (error) {
        if (!isMemspaceError(error)) throw error;
        report.failed.push({ space: record.name, code: error.code });
      }
    }
    return report;
  }

  /** Runs {@link tick} every `intervalMs` in the background. */
  start(intervalMs: number): void {
    this.rounds.start(intervalMs);
  }

  /** Stops the background sweeps and waits for one in progress. */
  stop(): Promise<void> {
    return this.rounds.stop();
  }
}
