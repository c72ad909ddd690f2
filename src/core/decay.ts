/**
 * Importance that decays (docs/consolidation.md, "Importance that decays"): how much a memory
 * still matters at a given time, from the importance it was stored with, how often it was read
 * and how long ago it was last read. Searches may rank by it (`rank.importance`), and retention
 * may drop the memories it leaves under a space's floor (`consolidation.importanceFloor`).
 *
 * The rule, for a memory of stored importance `i` (0 to 1), read `n` times, last at `t_a` (its
 * creation `t_c` when never read), at time `now`, in a space of half-life `h`:
 *
 *     boosted = min(1, i × (1 + ACCESS_GAIN × ln(1 + n)))
 *     decayed = boosted × 2^(−(now − (t_a ?? t_c)) / h)
 *
 * Reading a memory both raises it (more reads, a larger boost, growing ever slower) and restarts
 * its clock; left unread, it halves every half-life. The boost is capped at 1, so a decayed
 * importance stays in [0, 1].
 */
import { MemspaceError } from './errors.js';

const DAY_MS = 86_400_000;

/**
 * How much reads raise importance: `1 + ACCESS_GAIN × ln(1 + n)` for `n` reads, so 10 reads
 * raise it by about half and 150 double it. Logarithmic, so a memory read in every search of a
 * busy agent does not crowd out everything else.
 */
export const ACCESS_GAIN = 0.2;

/** The fields of a memory the decay rule reads (a `MemoryRecord` has them all); times in epoch ms. */
export interface DecayInput {
  /** Importance as stored, 0 to 1. */
  importance: number;
  accessCount: number;
  /** Last time a search or a get read it; null when it was never read. */
  lastAccessedAt: number | null;
  createdAt: number;
}

/** The rule retention drops memories by: the space's half-life and its floor (`consolidation.importanceFloor`). */
export interface DecayFloor {
  halfLifeDays: number;
  /** Decayed importance under which a memory goes, in [0, 1]. */
  floor: number;
}

/**
 * The decayed importance of `memory` at `now` (see the module's rule), in [0, 1]. Bad fields
 * count as little as they can: an importance that is not a finite number as 0 (clamped into
 * [0, 1] otherwise), a negative or non-finite access count as none, a last read in the future as
 * now. A half-life that is not a positive finite number of days is `VALIDATION_FAILED`.
 */
export function decayedImportance(memory: DecayInput, now: number, halfLifeDays: number): number {
  const n = Number.isFinite(memory.accessCount) && memory.accessCount > 0 ? memory.accessCount : 0;
  const boosted = Math.min(1, clampUnit(memory.importance) * (1 + ACCESS_GAIN * Math.log1p(n)));
  return boosted * halving(idleSince(memory, now), halfLifeDays);
}

/**
 * How recent a memory is, for ranking (`rank.recency`): `2^(−age / h)` with `age` the time since
 * it was created, so 1 for a memory created now, ½ one half-life later. Creation rather than the
 * last update: editing a memory or merging duplicates into it does not make an old fact new.
 */
export function recencyScore(createdAt: number, now: number, halfLifeDays: number): number {
  return halving(Number.isFinite(createdAt) ? Math.max(0, now - createdAt) : Number.POSITIVE_INFINITY, halfLifeDays);
}

/**
 * Whether retention drops `memory` at `now` under `rule`: its decayed importance is below the
 * floor, it has gone unread (or, never read, been stored) for at least one half-life, and its
 * stored importance is below 1. The half-life of grace means only decay drops a memory: one
 * stored with an importance under the floor is not deleted as it arrives. Importance 1 pins a
 * memory: its importance still decays for ranking, but retention never drops it.
 */
export function dropsByDecay(memory: DecayInput, now: number, rule: DecayFloor): boolean {
  if (!(clampUnit(memory.importance) < 1)) return false;
  if (idleSince(memory, now) < rule.halfLifeDays * DAY_MS) return false;
  return decayedImportance(memory, now, rule.halfLifeDays) < rule.floor;
}

/**
 * The latest last-read time (`lastAccessedAt ?? createdAt`) a memory dropped at `now` can have:
 * one half-life before `now`. Stores select their candidates with it and leave the decision to
 * {@link dropsByDecay}.
 */
export function decayIdleCutoff(now: number, halfLifeDays: number): number {
  checkHalfLife(halfLifeDays);
  return now - halfLifeDays * DAY_MS;
}

/** Time since the memory was last read (or created, never read), never negative. */
function idleSince(memory: DecayInput, now: number): number {
  const since = memory.lastAccessedAt ?? memory.createdAt;
  return Number.isFinite(since) ? Math.max(0, now - since) : Number.POSITIVE_INFINITY;
}

/** `2^(−elapsed / halfLife)`: 1 at once, ½ after one half-life, 0 after forever. */
export function halving(elapsedMs: number, halfLifeDays: number): number {
  checkHalfLife(halfLifeDays);
  return Math.pow(2, -elapsedMs / (halfLifeDays * DAY_MS));
}

function checkHalfLife(halfLifeDays: number): void {
  if (!(Number.isFinite(halfLifeDays) && halfLifeDays > 0)) {
    throw new MemspaceError('VALIDATION_FAILED', 'halfLifeDays must be a positive number of days', { halfLifeDays });
  }
}

function clampUnit(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
