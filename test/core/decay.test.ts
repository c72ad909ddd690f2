import { describe, expect, it } from 'vitest';
import { ACCESS_GAIN, decayedImportance, decayIdleCutoff, dropsByDecay, recencyScore, type DecayInput } from '../../src/core/decay.js';
import { blendScore, rankWeights } from '../../src/core/ranking.js';
import { SearchRequestSchema } from '../../src/core/schemas.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const memory = (o: Partial<DecayInput> = {}): DecayInput => ({ importance: 0.8, accessCount: 0, lastAccessedAt: null, createdAt: NOW, ...o });

describe('decayedImportance', () => {
  it('is the stored importance at once, and halves every half-life since the last read', () => {
    expect(decayedImportance(memory(), NOW, 30)).toBe(0.8);
    expect(decayedImportance(memory({ createdAt: NOW - 30 * DAY }), NOW, 30)).toBeCloseTo(0.4, 12);
    expect(decayedImportance(memory({ createdAt: NOW - 60 * DAY }), NOW, 30)).toBeCloseTo(0.2, 12);
    expect(decayedImportance(memory({ createdAt: NOW - 10 * DAY }), NOW, 10)).toBeCloseTo(0.4, 12); // the half-life is the space's
  });

  it('counts from the last read, not from creation, once a memory was read', () => {
    const read = memory({ createdAt: NOW - 90 * DAY, lastAccessedAt: NOW - 30 * DAY, accessCount: 1 });
    const boost = 1 + ACCESS_GAIN * Math.log(2);
    expect(decayedImportance(read, NOW, 30)).toBeCloseTo(0.8 * boost * 0.5, 12);
  });

  it('grows with reads, ever slower, and never past 1', () => {
    const at = (n: number): number => decayedImportance(memory({ importance: 0.3, accessCount: n, lastAccessedAt: NOW }), NOW, 30);
    expect(at(1)).toBeGreaterThan(at(0));
    expect(at(10)).toBeGreaterThan(at(1));
    expect(at(10) - at(1)).toBeGreaterThan(at(100) - at(91));
    expect(at(10)).toBeCloseTo(0.3 * (1 + ACCESS_GAIN * Math.log(11)), 12);
    expect(decayedImportance(memory({ importance: 0.9, accessCount: 1e9, lastAccessedAt: NOW }), NOW, 30)).toBe(1);
  });

  it('stays in [0, 1] for bad fields, counting them as little as they can', () => {
    expect(decayedImportance(memory({ importance: Number.NaN }), NOW, 30)).toBe(0);
    expect(decayedImportance(memory({ importance: 7 }), NOW, 30)).toBe(1);
    expect(decayedImportance(memory({ importance: -1 }), NOW, 30)).toBe(0);
    expect(decayedImportance(memory({ accessCount: -5 }), NOW, 30)).toBe(0.8);
    expect(decayedImportance(memory({ accessCount: Number.POSITIVE_INFINITY }), NOW, 30)).toBe(0.8);
    expect(decayedImportance(memory({ createdAt: NOW + 5 * DAY }), NOW, 30)).toBe(0.8); // a clock ahead is now
    expect(decayedImportance(memory({ createdAt: Number.NaN }), NOW, 30)).toBe(0);
  });

  it('refuses a half-life that is not a positive number of days', () => {
    for (const h of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => decayedImportance(memory(), NOW, h)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
      expect(() => recencyScore(NOW, NOW, h)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});

describe('recencyScore', () => {
  it('is 1 for a memory created now and halves every half-life of age', () => {
    expect(recencyScore(NOW, NOW, 30)).toBe(1);
    expect(recencyScore(NOW - 30 * DAY, NOW, 30)).toBeCloseTo(0.5, 12);
    expect(recencyScore(NOW - 90 * DAY, NOW, 30)).toBeCloseTo(0.125, 12);
    expect(recencyScore(NOW + DAY, NOW, 30)).toBe(1);
  });
});

describe('dropsByDecay: the floor of retention', () => {
  const rule = { halfLifeDays: 30, floor: 0.1 };

  it('drops a memory unread long enough for its importance to fall under the floor', () => {
    // 0.8 halves three times in 90 days: 0.1, not under; a day later it is.
    expect(dropsByDecay(memory({ createdAt: NOW - 90 * DAY }), NOW, rule)).toBe(false);
    expect(dropsByDecay(memory({ createdAt: NOW - 91 * DAY }), NOW, rule)).toBe(true);
  });

  it('keeps a memory read recently, however old', () => {
    expect(dropsByDecay(memory({ createdAt: NOW - 400 * DAY, lastAccessedAt: NOW - DAY, accessCount: 1 }), NOW, rule)).toBe(false);
  });

  it('gives a memory stored under the floor one half-life before it goes', () => {
    const low = (createdAt: number): DecayInput => memory({ importance: 0.05, createdAt });
    expect(dropsByDecay(low(NOW), NOW, rule)).toBe(false);
    expect(dropsByDecay(low(NOW - 29 * DAY), NOW, rule)).toBe(false);
    expect(dropsByDecay(low(NOW - 30 * DAY), NOW, rule)).toBe(true);
  });

  it('never drops a memory of importance 1 (pinned), nor anything under a floor of 0', () => {
    expect(dropsByDecay(memory({ importance: 1, createdAt: NOW - 10_000 * DAY }), NOW, rule)).toBe(false);
    expect(dropsByDecay(memory({ importance: 0, createdAt: NOW - 10_000 * DAY }), NOW, { halfLifeDays: 30, floor: 0 })).toBe(false);
  });

  it('selects its candidates by the last read one half-life ago', () => {
    expect(decayIdleCutoff(NOW, 30)).toBe(NOW - 30 * DAY);
    expect(() => decayIdleCutoff(NOW, 0)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('rank weights', () => {
  it('blend relevance, recency and importance convexly', () => {
    const signals = { recency: 1, importance: 0.2 };
    expect(blendScore(0.6, signals, { recency: 0, importance: 0 })).toBe(0.6);
    expect(blendScore(0.6, signals, { recency: 0.5, importance: 0 })).toBeCloseTo(0.8, 12);
    expect(blendScore(0.6, signals, { recency: 0.25, importance: 0.25 })).toBeCloseTo(0.3 + 0.25 + 0.05, 12);
    expect(blendScore(0.6, signals, { recency: 0, importance: 1 })).toBeCloseTo(0.2, 12);
  });

  it('are off unless one is above 0', () => {
    expect(rankWeights(undefined)).toBeUndefined();
    expect(rankWeights({})).toBeUndefined();
    expect(rankWeights({ recency: 0, importance: 0 })).toBeUndefined();
    expect(rankWeights({ importance: 0.3 })).toEqual({ recency: 0, importance: 0.3 });
  });

  it('are validated: each in [0, 1], together at most 1, nothing else', () => {
    const parse = (rank: unknown) => SearchRequestSchema.safeParse({ query: 'q', rank });
    expect(parse({ recency: 0.4, importance: 0.6 }).success).toBe(true);
    expect(parse({ recency: 0.1, importance: 0.9 }).success).toBe(true);
    expect(parse({}).success).toBe(true);
    expect(parse({ recency: 0.6, importance: 0.5 }).success).toBe(false);
    expect(parse({ recency: -0.1 }).success).toBe(false);
    expect(parse({ importance: 1.5 }).success).toBe(false);
    expect(parse({ recency: '0.5' }).success).toBe(false);
    expect(parse({ popularity: 0.5 }).success).toBe(false);
    expect(parse(0.5).success).toBe(false);
  });
});
