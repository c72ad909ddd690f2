import { describe, expect, it } from 'vitest';
import { firstRelevantRank, ndcgAt, recallAt, reciprocalRank, summarize } from '../../src/eval/metrics.js';

const labels = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));
const log2 = Math.log2;

describe('recall@k', () => {
  const ranked = ['a', 'b', 'c', 'd', 'e'];
  const relevant = labels({ b: 1, e: 1, z: 1 });

  it('is the share of relevant ids in the first k', () => {
    expect(recallAt(ranked, relevant, 1)).toBe(0);
    expect(recallAt(ranked, relevant, 2)).toBeCloseTo(1 / 3, 12);
    expect(recallAt(ranked, relevant, 5)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(ranked, relevant, 100)).toBeCloseTo(2 / 3, 12);
  });

  it('ignores grades, counts a repeated id once, and is 0 without labels', () => {
    expect(recallAt(['a', 'a'], labels({ a: 3, b: 1 }), 2)).toBe(0.5);
    expect(recallAt(['a'], labels({}), 1)).toBe(0);
  });
});

describe('reciprocal rank', () => {
  it('is 1 / rank of the first relevant hit', () => {
    expect(reciprocalRank(['a', 'b', 'c'], labels({ a: 1 }))).toBe(1);
    expect(reciprocalRank(['a', 'b', 'c'], labels({ c: 1, b: 2 }))).toBe(0.5);
    expect(firstRelevantRank(['a', 'b', 'c'], labels({ c: 1 }))).toBe(3);
  });

  it('is 0 when no relevant id is in the list', () => {
    expect(reciprocalRank(['x', 'y'], labels({ a: 1 }))).toBe(0);
    expect(reciprocalRank([], labels({ a: 1 }))).toBe(0);
    expect(firstRelevantRank(['x', 'y'], labels({ a: 1 }))).toBeNull();
  });
});

describe('nDCG', () => {
  it('discounts binary gains by log2(rank + 1) against the ideal ranking', () => {
    // Hits at ranks 2 and 5; ideal: three relevant ids at ranks 1-3.
    const dcg = 1 / log2(3) + 1 / log2(6);
    const ideal = 1 + 1 / log2(3) + 1 / log2(4);
    expect(ndcgAt(['a', 'b', 'c', 'd', 'e'], labels({ b: 1, e: 1, z: 1 }))).toBeCloseTo(dcg / ideal, 12);
    expect(dcg / ideal).toBeCloseTo(0.47762, 4);
  });

  it('uses graded gains, with the ideal DCG from the labels', () => {
    const relevant = labels({ a: 2, b: 1, c: 3 });
    // x (not relevant) at rank 1, a (2) at rank 2, b (1) at rank 3; c (3) never returned.
    const dcg = 0 + 2 / log2(3) + 1 / log2(4);
    const ideal = 3 + 2 / log2(3) + 1 / log2(4);
    expect(ndcgAt(['x', 'a', 'b'], relevant)).toBeCloseTo(dcg / ideal, 12);
    expect(dcg / ideal).toBeCloseTo(0.36999, 4);
    expect(ndcgAt(['c', 'a', 'b'], relevant)).toBeCloseTo(1, 12);
    // A worse order of the same ids scores lower.
    expect(ndcgAt(['b', 'a', 'c'], relevant)).toBeLessThan(1);
  });

  it('cuts both the ranking and the ideal at k', () => {
    const relevant = labels({ a: 2, b: 1, c: 3 });
    expect(ndcgAt(['x', 'a', 'b'], relevant, 2)).toBeCloseTo(2 / log2(3) / (3 + 2 / log2(3)), 12);
    expect(ndcgAt(['x', 'y', 'z', 'w', 'v', 'u', 't', 's', 'r', 'q', 'a'], labels({ a: 1 }))).toBe(0); // rank 11 is past nDCG@10
  });

  it('is 0 with no relevant hit, and a repeated id gains once', () => {
    expect(ndcgAt(['x', 'y'], labels({ a: 1 }))).toBe(0);
    expect(ndcgAt(['a', 'a'], labels({ a: 1, b: 1 }))).toBeCloseTo(1 / (1 + 1 / log2(3)), 12);
  });
});

describe('summarize', () => {
  it('averages every metric over the queries', () => {
    const s = summarize(
      [
        { ranked: ['a', 'b'], relevant: labels({ a: 1 }) }, // perfect
        { ranked: ['x', 'y'], relevant: labels({ a: 1 }) }, // no relevant hit at all
        { ranked: ['x', 'a'], relevant: labels({ a: 1, b: 1 }) }, // rank 2, half found
      ],
      [1, 2],
    );
    expect(s.queries).toBe(3);
    expect(s.recall[1]).toBeCloseTo(1 / 3, 12);
    expect(s.recall[2]).toBeCloseTo((1 + 0 + 0.5) / 3, 12);
    expect(s.mrr).toBeCloseTo((1 + 0 + 0.5) / 3, 12);
    expect(s.ndcg10).toBeCloseTo((1 + 0 + 1 / log2(3) / (1 + 1 / log2(3))) / 3, 12);
  });

  it('gives zeros, not NaN, for no queries', () => {
    expect(summarize([], [5])).toEqual({ queries: 0, recall: { 5: 0 }, mrr: 0, ndcg10: 0 });
  });
});
