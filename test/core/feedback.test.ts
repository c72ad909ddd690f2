import { describe, expect, it } from 'vitest';
import {
  ADAPTIVE_CAP,
  adaptiveBoost,
  adaptiveWeights,
  blendNarrative,
  FEEDBACK_FLOOR,
  feedbackSignal,
  halfLifeMs,
  halfLivesLeft,
  MAX_PHEROMONE,
  MAX_PHEROMONES,
  NARRATIVE_HALF_LIVES,
  narrativeStrength,
  pheromoneLevel,
  pheromoneSpent,
  reinforce,
  withFeedbackSettings,
  DEFAULT_FEEDBACK_SETTINGS,
  type FeedbackWrite,
} from '../../src/core/feedback.js';
import { applyFeedback } from '../../src/store/common/feedback-writes.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('pheromones', () => {
  it('halve every half-life and take each deposit on what is left, within the bound', () => {
    const p = reinforce(undefined, 'm', 2, T0, 7);
    expect(p).toEqual({ id: 'm', level: 2, updatedAt: T0 });
    expect(pheromoneLevel(p, T0 + 7 * DAY, 7)).toBeCloseTo(1, 12);
    expect(pheromoneLevel(p, T0 + 14 * DAY, 7)).toBeCloseTo(0.5, 12);
    expect(reinforce(p, 'm', 1, T0 + 7 * DAY, 7).level).toBeCloseTo(2, 12);
    expect(reinforce(p, 'm', -5, T0 + 7 * DAY, 7).level).toBeCloseTo(-4, 12);
    let big = p;
    for (let i = 0; i < 20; i++) big = reinforce(big, 'm', 10, T0, 7);
    expect(big.level).toBe(MAX_PHEROMONE);
    // A clock that went back counts as no time at all, never as growth.
    expect(pheromoneLevel(p, T0 - DAY, 7)).toBe(2);
  });

  it('are spent, for retention, exactly when the decayed level falls under the floor, under any half-life', () => {
    const p = reinforce(undefined, 'm', -3, T0, 2);
    for (const halfLife of [1, 2, 30]) {
      const spentAt = T0 + halfLivesLeft(p.level) * halfLifeMs(halfLife);
      expect(pheromoneSpent(p, spentAt - 60_000, halfLife)).toBe(false);
      expect(pheromoneSpent(p, spentAt + 60_000, halfLife)).toBe(true);
    }
    expect(halfLivesLeft(FEEDBACK_FLOOR / 2)).toBe(0);
  });

  it('signal in (−1, 1), zero under the floor, odd in the level', () => {
    expect(feedbackSignal(0)).toBe(0);
    expect(feedbackSignal(FEEDBACK_FLOOR / 2)).toBe(0);
    expect(feedbackSignal(1)).toBeCloseTo(Math.tanh(0.5), 12);
    expect(feedbackSignal(-1)).toBeCloseTo(-feedbackSignal(1), 12);
    expect(feedbackSignal(MAX_PHEROMONE)).toBeLessThan(1);
  });
});

describe('the narrative', () => {
  it('starts at the first vector, moves toward each next one at the rate, stays unit length, and fades', () => {
    const a = Float32Array.from([1, 0, 0]);
    const b = Float32Array.from([0, 1, 0]);
    const first = blendNarrative(undefined, [a], 0.5, T0)!;
    expect(Array.from(first.vector)).toEqual([1, 0, 0]);
    const second = blendNarrative(first, [b], 0.5, T0 + 1)!;
    expect(second.vector[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(second.vector[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(second).toMatchObject({ updates: 2, updatedAt: T0 + 1 });
    expect(blendNarrative(second, [], 0.5, T0 + 2)).toBe(second);
    expect(narrativeStrength(second, T0 + 1 + 7 * DAY, 7)).toBeCloseTo(0.5, 12);
    expect(narrativeStrength(second, T0 + 1 + NARRATIVE_HALF_LIVES * 7 * DAY, 7)).toBeCloseTo(FEEDBACK_FLOOR, 12);
  });
});

describe('the weights of a search', () => {
  it("are the request's when it sets either (the other then 0), else the space's; none when both are 0", () => {
    const space = { feedback: 0.3, narrative: 0.2 };
    expect(adaptiveWeights(undefined, space)).toEqual(space);
    expect(adaptiveWeights({ feedback: 1 }, space)).toEqual({ feedback: 1, narrative: 0 });
    expect(adaptiveWeights({ feedback: 0 }, space)).toBeUndefined();
    expect(adaptiveWeights(undefined, { feedback: 0, narrative: 0 })).toBeUndefined();
  });

  it('add at most the cap, either way', () => {
    expect(adaptiveBoost({ feedback: 1, narrative: 1 }, { feedback: 0.5, narrative: 0.5 })).toBeCloseTo(ADAPTIVE_CAP, 12);
    expect(adaptiveBoost({ feedback: -1, narrative: 0 }, { feedback: 1, narrative: 0 })).toBeCloseTo(-ADAPTIVE_CAP, 12);
  });

  it('come with settings merged over the defaults, weights one by one', () => {
    const once = withFeedbackSettings(DEFAULT_FEEDBACK_SETTINGS, { rank: { narrative: 0.4 } });
    expect(once).toEqual({ halfLifeDays: 7, narrativeRate: 0.1, rank: { feedback: 0, narrative: 0.4 } });
    expect(withFeedbackSettings(once, { halfLifeDays: 2, rank: { feedback: 0.1 } })).toEqual({ halfLifeDays: 2, narrativeRate: 0.1, rank: { feedback: 0.1, narrative: 0.4 } });
  });
});

describe('a feedback call, as every store applies it', () => {
  const write = (deposits: FeedbackWrite['deposits']): FeedbackWrite => ({ id: 'f', deposits, vectors: [], halfLifeDays: 7, narrativeRate: 0.1, audit: { action: 'feedback.record', ids: [], details: null } });

  it('lands repeated targets in order on their decayed pheromone, one record each', () => {
    const current = [{ id: 'm', level: 2, updatedAt: T0 - 7 * DAY }];
    const out = applyFeedback(write([{ id: 'm', deposit: 1, kind: 'memory' }, { id: 'd', deposit: -1, kind: 'document' }, { id: 'm', deposit: 0.5, kind: 'memory' }]), current, undefined, 1, T0);
    expect(out.pheromones.map((p) => [p.id, p.level])).toEqual([['m', 2.5], ['d', -1]]);
    expect(out.narrative).toBeUndefined();
  });

  it('refuses to hold more than the most pheromones a space keeps, counting only new targets', () => {
    expect(() => applyFeedback(write([{ id: 'new', deposit: 1, kind: 'document' }]), [], undefined, MAX_PHEROMONES, T0)).toThrow(expect.objectContaining({ code: 'QUOTA_EXCEEDED', details: expect.objectContaining({ quota: 'pheromones' }) }));
    const held = [{ id: 'old', level: 1, updatedAt: T0 }];
    expect(applyFeedback(write([{ id: 'old', deposit: 1, kind: 'document' }]), held, undefined, MAX_PHEROMONES, T0).pheromones).toHaveLength(1);
  });
});
