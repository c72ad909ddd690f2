/**
 * Signals a search adds to its rankings (issue 20; chosen and tuned by measurement, see
 * docs/search.md "How results are ranked" and bench/RESULTS.md):
 *
 * - **Dates.** A query that names a time ("in May 2023", "last week") adds {@link DATE_BOOST} to
 *   the score of each candidate whose date (core/query-dates.ts `memoryDate`) falls in it.
 * - **Run neighbours.** The memories written just before and after each of the best
 *   {@link NEIGHBOR_SEEDS} hits in the same run (a conversation's adjacent turns) score
 *   {@link NEIGHBOR_SHARE} of that hit's score, unless their own is higher: the answer to a
 *   question is often the turn after the one that matches it.
 *
 * Pure: the search plan fetches what these read.
 */
import type { RunNeighbors } from './ports/space-store.js';
import { byScore, type RankedHit } from './ranking.js';
import type { DateRange } from './query-dates.js';

/** What a candidate gains when its date falls in the span the query names; scores are mostly in [0, 1]. */
export const DATE_BOOST = 0.2;
/** How many of the best hits lend their score to their run neighbours. */
export const NEIGHBOR_SEEDS = 5;
/** Share of a hit's score its run neighbours get. */
export const NEIGHBOR_SHARE = 0.9;

/** A ranked hit with the signals that lifted it. */
export interface SignalledHit extends RankedHit {
  /** What {@link liftNeighbors} gave it, when that was its score. */
  neighbor?: number;
  /** {@link DATE_BOOST}, when its date falls in the query's span. */
  date?: number;
}

/** Adds {@link DATE_BOOST} to the hits whose date, by `dateOf`, falls in `range`; best first again. */
export function boostDates(hits: readonly SignalledHit[], range: DateRange, dateOf: (id: string) => number | undefined): SignalledHit[] {
  const boosted = hits.map((hit) => {
    const at = dateOf(hit.id);
    return at !== undefined && at >= range.from && at < range.to ? { ...hit, score: hit.score + DATE_BOOST, date: DATE_BOOST } : hit;
  });
  return boosted.sort(byScore);
}

/** The hits whose neighbours {@link liftNeighbors} looks up: the best few with a score above 0. */
export function neighborSeeds(hits: readonly SignalledHit[]): string[] {
  return hits
    .slice(0, NEIGHBOR_SEEDS)
    .filter((h) => h.score > 0)
    .map((h) => h.id);
}

/**
 * Gives each neighbour of a seed {@link NEIGHBOR_SHARE} of the seed's score when that is above
 * its own (a neighbour the rankings did not find starts at 0); best first again.
 */
export function liftNeighbors(hits: readonly SignalledHit[], neighbors: readonly RunNeighbors[]): SignalledHit[] {
  const byId = new Map(hits.map((h) => [h.id, h]));
  const seedScore = new Map(hits.map((h) => [h.id, h.score]));
  for (const { id, before, after } of neighbors) {
    const lent = NEIGHBOR_SHARE * (seedScore.get(id) ?? 0);
    for (const other of [before, after]) {
      if (other === null) continue;
      const current = byId.get(other);
      if (current !== undefined && current.score >= lent) continue;
      byId.set(other, { ...(current ?? { id: other }), score: lent, neighbor: lent });
    }
  }
  return [...byId.values()].sort(byScore);
}
