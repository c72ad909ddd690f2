import { canonicalJson } from '../core/audit.js';
import { isMemspaceError } from '../core/errors.js';
import { spaceKey } from '../core/space-name.js';
import type { JsonObject } from '../core/types.js';
import { iso } from '../core/views.js';
import type { SpaceRegistry } from './space-registry.js';

/** Default {@link RefusalAuditOptions.intervalMs}: one minute. */
export const DEFAULT_REFUSAL_INTERVAL_MS = 60_000;
/** Default {@link RefusalAuditOptions.maxTallies}. */
export const DEFAULT_MAX_REFUSAL_TALLIES = 10_000;
/** Request ids an entry keeps as a sample: the first ones of its interval. */
export const REFUSAL_SAMPLE_IDS = 10;

/** One refused request, as the guard reports it. */
export interface Refusal {
  keyId: string;
  space: string;
  /** What the front-end says of the request (`{method, route}`, `{tool}`, `{rpc}`); part of what is counted together. */
  via: JsonObject | undefined;
  /** `SPACE_NOT_FOUND` or `FORBIDDEN`. */
  code: string;
  requestId: string | undefined;
}

/** Options of {@link RefusalAudit}. */
export interface RefusalAuditOptions {
  /** How long refusals are counted before their entries are written. @default {@link DEFAULT_REFUSAL_INTERVAL_MS} */
  intervalMs?: number;
  /** Most distinct (key, space, request) tallies held; reaching it writes them all at once. @default {@link DEFAULT_MAX_REFUSAL_TALLIES} */
  maxTallies?: number;
  /** Clock, in epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** The refusals of one key, in one space, of one kind of request, since the last write. */
interface Tally {
  refusal: Refusal;
  count: number;
  firstAt: number;
  lastAt: number;
  requestIds: string[];
}

/** Failures that mean there is no trail to write into: the space is gone, archived, or its name is not one. */
const NO_TRAIL = ['SPACE_NOT_FOUND', 'SPACE_ARCHIVED', 'INVALID_SPACE'] as const;

/**
 * The audit of refused requests without amplification. Writing an entry per refusal would let
 * any key that hammers a space it cannot see cost that space's owner a durable write (and an
 * fsync) per request, so refusals are counted in memory, and each (key, space, request) tally
 * becomes one `request.denied` entry, with its count, first and last time and a sample of
 * request ids, when the interval that its first refusal opened ends. Whether the space exists
 * is looked up only then, so a refusal costs the caller the same whatever it named.
 *
 * Memory is bounded: reaching `maxTallies` writes every tally at once, and a refusal that finds
 * the table full again while that write runs waits for it. Failures to write are retried at the
 * next interval; a space that is gone, archived or not a name drops its tallies (there is no
 * trail to tell). {@link close} writes what is held, so a clean shutdown loses nothing; a crash
 * loses at most the interval's counts, which were never acknowledged to anyone.
 */
export class RefusalAudit {
  private tallies = new Map<string, Tally>();
  /** Writes in progress, so {@link flush} and {@link close} can wait for them. */
  private readonly writing = new Set<Promise<void>>();
  /** The write started because the table was full, which refusals wait for while it is full again. */
  private fullWrite: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly intervalMs: number;
  private readonly maxTallies: number;
  private readonly now: () => number;

  constructor(
    private readonly registry: SpaceRegistry,
    options: RefusalAuditOptions = {},
  ) {
    this.intervalMs = Math.max(1, options.intervalMs ?? DEFAULT_REFUSAL_INTERVAL_MS);
    this.maxTallies = Math.max(1, options.maxTallies ?? DEFAULT_MAX_REFUSAL_TALLIES);
    this.now = options.now ?? Date.now;
  }

  /** Tallies held in memory, not yet written. */
  get pending(): number {
    return this.tallies.size;
  }

  /** Counts a refusal. Settles at once, unless the table is full: then after the write that empties it. */
  async count(refusal: Refusal): Promise<void> {
    const id = canonicalJson([refusal.keyId, spaceKey(refusal.space), refusal.code, refusal.via ?? null]);
    while (!this.tallies.has(id) && this.tallies.size >= this.maxTallies) {
      this.fullWrite ??= this.flush().finally(() => (this.fullWrite = undefined));
      await this.fullWrite;
    }
    const at = this.now();
    this.merge(id, { refusal, count: 1, firstAt: at, lastAt: at, requestIds: refusal.requestId === undefined ? [] : [refusal.requestId] });
  }

  /**
   * Writes the tallies held (only those of `space`, when given) and waits for every write in
   * progress, so that a trail read afterwards holds every refusal counted before.
   */
  async flush(space?: string): Promise<void> {
    const batch = this.take(space);
    if (batch.length > 0) {
      const write = this.write(batch);
      this.writing.add(write);
      void write.finally(() => this.writing.delete(write));
    }
    await Promise.all([...this.writing]);
  }

  /** Writes everything held and stops counting against a timer; for shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private merge(id: string, tally: Tally): void {
    const held = this.tallies.get(id);
    if (held === undefined) {
      this.tallies.set(id, tally);
    } else {
      held.count += tally.count;
      held.firstAt = Math.min(held.firstAt, tally.firstAt);
      held.lastAt = Math.max(held.lastAt, tally.lastAt);
      // A tally put back after a failed write is older: its ids come first.
      const ids = tally.firstAt < held.firstAt ? [...tally.requestIds, ...held.requestIds] : [...held.requestIds, ...tally.requestIds];
      held.requestIds = ids.slice(0, REFUSAL_SAMPLE_IDS);
    }
    this.schedule();
  }

  /** Starts the interval when the first tally arrives; an unref'd timer never keeps the process alive. */
  private schedule(): void {
    if (this.timer !== undefined || this.closed || this.tallies.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Removes and returns the tallies of `space` (all of them when undefined). */
  private take(space: string | undefined): [string, Tally][] {
    if (space === undefined) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      const all = [...this.tallies];
      this.tallies = new Map();
      return all;
    }
    const key = spaceKey(space);
    const some = [...this.tallies].filter(([, t]) => spaceKey(t.refusal.space) === key);
    for (const [id] of some) this.tallies.delete(id);
    return some;
  }

  /** Writes a batch, one space after another, so a flush never opens many spaces at once. */
  private async write(batch: readonly [string, Tally][]): Promise<void> {
    const bySpace = new Map<string, [string, Tally][]>();
    for (const entry of batch) {
      const key = spaceKey(entry[1].refusal.space);
      bySpace.set(key, [...(bySpace.get(key) ?? []), entry]);
    }
    for (const tallies of bySpace.values()) await this.writeSpace(tallies);
  }

  private async writeSpace(tallies: [string, Tally][]): Promise<void> {
    const left = [...tallies];
    try {
      const record = await this.registry.record(left[0]![1].refusal.space);
      // An archived space is not restored to take an entry: nobody can read its trail meanwhile.
      if (record.state === 'archived') return;
      await this.registry.use(record.name, async ({ store }) => {
        while (left.length > 0) {
          const [, t] = left[0]!;
          await store.appendAudit(
            {
              action: 'request.denied',
              ids: [],
              details: { ...t.refusal.via, code: t.refusal.code, count: t.count, firstAt: iso(t.firstAt), lastAt: iso(t.lastAt), requestIds: t.requestIds },
            },
            { actor: t.refusal.keyId, now: this.now(), requestId: t.requestIds[0] ?? null },
          );
          left.shift();
        }
      });
    } catch (error) {
      if (isMemspaceError(error) && (NO_TRAIL as readonly string[]).includes(error.code)) return;
      // Storage that failed (a full disk, a lost connection) gets the counts again next interval.
      if (!this.closed) for (const [id, t] of left) this.merge(id, t);
    }
  }
}
