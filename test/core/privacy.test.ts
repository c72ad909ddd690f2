import { describe, expect, it } from 'vitest';
import { contentTerms, topTerms } from '../../src/core/insight-terms.js';
import {
  ballSumSensitivity,
  clamp,
  clipL1,
  clipL2,
  cryptoUniform,
  gaussianNoise,
  gaussianSigma,
  indicatorSumSensitivity,
  laplaceNoise,
  noisePlan,
  nonNegativeSumSensitivity,
} from '../../src/core/privacy.js';
import { BLOCKS, checkNoise, gaussianMoments, laplaceMoments } from '../support/noise-stats.js';

/** Draws per block: 1.5 million draws per mechanism in all. */
const PER_BLOCK = 10_000;

function draws(draw: () => number): number[] {
  return Array.from({ length: BLOCKS * PER_BLOCK }, draw);
}

describe('noise of the mechanisms (median of means: each check fails by chance with probability below 1e-8)', () => {
  it('Laplace(b) has mean 0 and variance 2b²', () => {
    const b = 3.5;
    const check = checkNoise(draws(() => laplaceNoise(b)), laplaceMoments(b));
    // With PER_BLOCK = 10,000 the tolerances are about 4.5% of the variance and 0.1 b for the mean.
    expect(Math.abs(check.mean)).toBeLessThanOrEqual(check.meanTolerance);
    expect(Math.abs(check.variance - 2 * b * b)).toBeLessThanOrEqual(check.varianceTolerance);
  });

  it('Gaussian(σ) has mean 0 and variance σ²', () => {
    const sigma = 0.7;
    const check = checkNoise(draws(() => gaussianNoise(sigma)), gaussianMoments(sigma));
    expect(Math.abs(check.mean)).toBeLessThanOrEqual(check.meanTolerance);
    expect(Math.abs(check.variance - sigma * sigma)).toBeLessThanOrEqual(check.varianceTolerance);
  });

  it('would catch a scale off by √2: the tolerance is much tighter than the error', () => {
    const b = 1;
    const check = checkNoise(draws(() => laplaceNoise(b / Math.SQRT2)), laplaceMoments(b));
    expect(Math.abs(check.variance - 2)).toBeGreaterThan(check.varianceTolerance);
  });

  it('the uniform source stays strictly inside (0, 1), and Laplace inverts its distribution function exactly', () => {
    for (let i = 0; i < 100_000; i++) {
      const u = cryptoUniform();
      expect(u > 0 && u < 1).toBe(true);
    }
    expect(laplaceNoise(2, () => 0.5)).toBe(0);
    // F(x) = 1 - e^{-x/b}/2 for x > 0: u = 0.75 is x = b ln 2.
    expect(laplaceNoise(2, () => 0.75)).toBeCloseTo(2 * Math.LN2, 12);
    expect(laplaceNoise(2, () => 0.25)).toBeCloseTo(-2 * Math.LN2, 12);
    expect(Number.isFinite(laplaceNoise(1, () => 2 ** -54))).toBe(true);
  });

  it('two draws differ (the noise is not a constant)', () => {
    expect(laplaceNoise(1)).not.toBe(laplaceNoise(1));
  });
});

describe('calibration', () => {
  it('Laplace b = Δ1/ε; Gaussian σ = Δ2·sqrt(2 ln(1.25/δ))/ε, and only for ε <= 1', () => {
    expect(noisePlan('laplace', { l1: 4, l2: 2 }, 0.5, null)).toMatchObject({ scale: 8, stddev: 8 * Math.SQRT2, sensitivity: 4 });
    expect(gaussianSigma(2, 1, 1e-5)).toBeCloseTo(2 * Math.sqrt(2 * Math.log(125_000)), 12);
    expect(noisePlan('gaussian', { l1: 4, l2: 2 }, 1, 1e-5).scale).toBeCloseTo(gaussianSigma(2, 1, 1e-5), 12);
    expect(() => gaussianSigma(1, 1.5, 1e-5)).toThrow(/epsilon/);
    expect(() => gaussianSigma(1, 0.5, 0)).toThrow(/delta/);
  });

  it('sensitivities are the diameters of the clipped sets under replacement of one participant', () => {
    expect(nonNegativeSumSensitivity(3)).toEqual({ l1: 6, l2: 3 * Math.SQRT2 });
    expect(indicatorSumSensitivity(8)).toEqual({ l1: 16, l2: 4 });
    expect(ballSumSensitivity(1, 16)).toEqual({ l1: 8, l2: 2 });
  });
});

describe('clipping', () => {
  it('scales a vector down to the bound and says so; leaves one within it alone', () => {
    expect(clipL1([3, 1], 2)).toEqual({ value: [1.5, 0.5], clipped: true, before: 4 });
    expect(clipL1([1, 0.5], 2)).toEqual({ value: [1, 0.5], clipped: false, before: 1.5 });
    const l2 = clipL2([3, 4], 1);
    expect(l2.clipped).toBe(true);
    expect(l2.value[0]).toBeCloseTo(0.6, 12);
    expect(l2.value[1]).toBeCloseTo(0.8, 12);
    expect(clamp(12, 0, 10)).toEqual({ value: 10, clipped: true, before: 12 });
    expect(clamp(-1, 0, 10)).toEqual({ value: 0, clipped: true, before: -1 });
    expect(clamp(5, 0, 10).clipped).toBe(false);
  });
});

describe('terms', () => {
  it('keeps vocabulary and drops stop words, numbers, ids, e-mails, URLs and UUIDs', () => {
    const terms = contentTerms(
      'The Customer asked about refunds for order 48213 via alice@example.com; see https://x.example/t/9 ' +
        'and ticket 0190a5c4-7d3e-7a1b-9c2d-3e4f5a6b7c8d, user_42 or acmeCorp or deadbeefcafebabe or qzxwvtk.',
    );
    expect([...terms].sort()).toEqual(['asked', 'customer', 'order', 'refunds', 'see', 'ticket']);
  });

  it('ranks by how many memories hold a word, ties by the word', () => {
    expect(topTerms(new Map([['b', 2], ['a', 2], ['c', 5], ['d', 1]]), 3)).toEqual(['c', 'a', 'b']);
  });
});
