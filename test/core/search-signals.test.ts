import { describe, expect, it } from 'vitest';
import { boostDates, DATE_BOOST, liftNeighbors, NEIGHBOR_SEEDS, NEIGHBOR_SHARE, neighborSeeds } from '../../src/core/search-signals.js';

const hit = (id: string, score: number) => ({ id, score });

describe('search signals', () => {
  it('boost the hits dated in the range, and only those, then re-sort', () => {
    const hits = [hit('a', 0.9), hit('b', 0.8), hit('c', 0.1)];
    const dates: Record<string, number> = { a: 50, b: 150, c: 199 };
    const out = boostDates(hits, { from: 100, to: 200 }, (id) => dates[id]);
    expect(out.map((h) => [h.id, h.score])).toEqual([['b', 0.8 + DATE_BOOST], ['a', 0.9], ['c', 0.1 + DATE_BOOST]]);
    expect(out[0]).toMatchObject({ date: DATE_BOOST });
    expect(out[1]).not.toHaveProperty('date');
    // The range is half-open: a memory dated at its end is outside.
    expect(boostDates([hit('x', 0.5)], { from: 100, to: 200 }, () => 200)[0]!.score).toBe(0.5);
  });

  it('seed the best hits with a score above 0', () => {
    const hits = Array.from({ length: 8 }, (_, i) => hit(`m${i}`, 1 - i / 10));
    expect(neighborSeeds(hits)).toEqual(hits.slice(0, NEIGHBOR_SEEDS).map((h) => h.id));
    expect(neighborSeeds([hit('a', 0.4), hit('b', 0)])).toEqual(['a']);
  });

  it("lend neighbours a share of a seed's score when it beats their own, never lowering one", () => {
    const hits = [hit('q', 1), hit('strong', 0.95), hit('weak', 0.2)];
    const out = liftNeighbors(hits, [
      { id: 'q', before: 'weak', after: 'new' },
      { id: 'strong', before: 'q', after: null },
    ]);
    expect(out.map((h) => h.id)).toEqual(['q', 'strong', 'new', 'weak']);
    expect(out.find((h) => h.id === 'new')).toEqual({ id: 'new', score: NEIGHBOR_SHARE, neighbor: NEIGHBOR_SHARE });
    expect(out.find((h) => h.id === 'weak')).toMatchObject({ score: NEIGHBOR_SHARE, neighbor: NEIGHBOR_SHARE });
    // q keeps its own 1 rather than 0.9 × 0.95.
    expect(out.find((h) => h.id === 'q')).toEqual(hit('q', 1));
  });
});
