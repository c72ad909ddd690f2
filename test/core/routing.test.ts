import { describe, expect, it } from 'vitest';
import { CentroidSum, cosine, keywordEvidence, rankSuggestions, RouteRequestSchema, routeScore, ROUTE_VECTOR_WEIGHT, type RouteSuggestion } from '../../src/core/routing.js';

const mean = (vs: number[][]): number[] => vs[0]!.map((_, i) => vs.reduce((s, v) => s + v[i]!, 0) / vs.length);
const suggestion = (space: string, score: number): RouteSuggestion => ({ space, score, vector: null, keyword: score, top: null });

describe('the running centroid', () => {
  it('equals the mean of the vectors after adds, replacements and removals, without a rescan', () => {
    const c = new CentroidSum(3);
    const a = [1, 0, 0];
    const b = [0, 1, 0];
    const d = [0, 0, 1];
    c.add(a);
    c.add(b);
    c.add(d);
    expect([...c.mean()!]).toEqual(mean([a, b, d]).map((x) => expect.closeTo(x, 12)));
    const b2 = [0.6, 0.8, 0];
    c.replace(b, b2);
    expect(c.count).toBe(3);
    expect([...c.mean()!]).toEqual(mean([a, b2, d]).map((x) => expect.closeTo(x, 12)));
    c.remove(a);
    expect(c.count).toBe(2);
    expect([...c.mean()!]).toEqual(mean([b2, d]).map((x) => expect.closeTo(x, 12)));
  });

  it('is empty again once every vector went, with no rounding left over', () => {
    const c = new CentroidSum(2);
    const vs = Array.from({ length: 50 }, (_, i) => [Math.cos(i / 7) / 3, Math.sin(i / 7) / 3]);
    for (const v of vs) c.add(v);
    for (const v of vs) c.remove(v);
    expect(c.count).toBe(0);
    expect(c.mean()).toBeUndefined();
    expect([...c.sum]).toEqual([0, 0]);
    expect(c.cosine([1, 0])).toBe(0);
  });

  it('compares a vector with the direction of the mean, and refuses another dimension', () => {
    const c = new CentroidSum(2);
    c.add([1, 0]);
    c.add([0, 1]);
    expect(c.cosine([1, 1])).toBeCloseTo(1, 12);
    expect(c.cosine([1, 0])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(() => c.add([1, 0, 0])).toThrow(RangeError);
    expect(cosine([0, 0], [1, 0])).toBe(0);
  });
});

describe('route scores', () => {
  it('map BM25 to [0, 1) and blend it with the centroid cosine, a negative cosine counting as none', () => {
    expect(keywordEvidence(undefined)).toBe(0);
    expect(keywordEvidence(0)).toBe(0);
    expect(keywordEvidence(3)).toBeCloseTo(0.75, 12);
    expect(routeScore(0.5, 0.5)).toBeCloseTo(0.5, 12);
    expect(routeScore(1, 0)).toBeCloseTo(ROUTE_VECTOR_WEIGHT, 12);
    expect(routeScore(-0.9, 0.4)).toBeCloseTo((1 - ROUTE_VECTOR_WEIGHT) * 0.4, 12);
    expect(routeScore(null, 0.4)).toBe(0.4);
  });

  it('rank best first, ties by name, cut to the limit', () => {
    const ranked = rankSuggestions([suggestion('b', 0.5), suggestion('c', 0.9), suggestion('a', 0.5)], 2);
    expect(ranked.map((s) => s.space)).toEqual(['c', 'a']);
  });
});

describe('the route request', () => {
  it('takes a text with a limit of 1 to 50 (5 by default) and refuses anything else', () => {
    expect(RouteRequestSchema.parse({ text: 'tea' })).toEqual({ text: 'tea', limit: 5 });
    for (const bad of [{ text: '' }, { text: '   ' }, { text: 'x', limit: 0 }, { text: 'x', limit: 51 }, { text: 'x', limit: 1000 }, { text: 'x', extra: 1 }, {}, { text: 'x', spaces: [] }]) {
      expect(RouteRequestSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
