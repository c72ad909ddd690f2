/**
 * The mathematics of differential privacy that federations release under (docs/federations.md):
 * the Laplace and Gaussian mechanisms, their noise scales, and clipping of contributions. Pure,
 * but for the randomness, which comes from `globalThis.crypto.getRandomValues` (a CSPRNG: noise
 * drawn from a predictable generator could be subtracted again).
 */
import { MemspaceError } from './errors.js';

/** The two noise mechanisms a federation may release under. */
export const MECHANISMS = ['laplace', 'gaussian'] as const;
/** One noise mechanism. */
export type Mechanism = (typeof MECHANISMS)[number];

/** A source of uniform numbers in the open interval (0, 1); never 0, never 1. */
export type UniformSource = () => number;

const TWO_POW_53 = 2 ** 53;
const POOL_WORDS = 1024;
const pool = new Uint32Array(POOL_WORDS);
let poolAt = POOL_WORDS;

function nextWord(): number {
  if (poolAt >= POOL_WORDS) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  return pool[poolAt++]!;
}

/**
 * A uniform number in (0, 1) from 53 random bits of the CSPRNG: `(k + 0.5) / 2^53` for a uniform
 * integer `k` in [0, 2^53), so every value is exactly representable, the grid is symmetric about
 * 1/2, and neither 0 nor 1 can come out (the logarithms below never see 0).
 */
export const cryptoUniform: UniformSource = () => {
  const high = nextWord() >>> 5; // 27 bits
  const low = nextWord() >>> 6; // 26 bits
  return (high * 2 ** 26 + low + 0.5) / TWO_POW_53;
};

/**
 * One draw of Laplace(0, `scale`) by the inverse of its distribution function:
 * `-scale · sign(u - 1/2) · ln(1 - 2|u - 1/2|)` for a uniform `u` in (0, 1). Variance `2·scale²`.
 */
export function laplaceNoise(scale: number, uniform: UniformSource = cryptoUniform): number {
  const v = uniform() - 0.5;
  if (v === 0) return 0;
  return -scale * Math.sign(v) * Math.log(1 - 2 * Math.abs(v));
}

/**
 * One draw of Normal(0, `sigma`²) by the Box–Muller transform,
 * `sigma · sqrt(-2 ln u1) · cos(2π u2)`; `u1` is never 0, so the logarithm is finite.
 */
export function gaussianNoise(sigma: number, uniform: UniformSource = cryptoUniform): number {
  const u1 = uniform();
  const u2 = uniform();
  return sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * σ of the classic Gaussian mechanism (Dwork & Roth, Theorem A.1): `Δ2 · sqrt(2 ln(1.25/δ)) / ε`
 * gives (ε, δ)-differential privacy for ε in (0, 1]. Larger ε is refused, since the theorem does
 * not cover it.
 */
export function gaussianSigma(l2Sensitivity: number, epsilon: number, delta: number): number {
  if (!(epsilon > 0 && epsilon <= 1)) throw new MemspaceError('VALIDATION_FAILED', 'the Gaussian mechanism needs 0 < epsilon <= 1', { issues: [{ path: 'epsilon', message: 'must be in (0, 1]' }] });
  if (!(delta > 0 && delta < 1)) throw new MemspaceError('VALIDATION_FAILED', 'the Gaussian mechanism needs 0 < delta < 1', { issues: [{ path: 'delta', message: 'must be in (0, 1)' }] });
  return (l2Sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
}

/** `b = Δ1 / ε` of the Laplace mechanism: ε-differential privacy for a query of L1 sensitivity `Δ1`. */
export function laplaceScale(l1Sensitivity: number, epsilon: number): number {
  if (!(epsilon > 0)) throw new MemspaceError('VALIDATION_FAILED', 'epsilon must be positive', { issues: [{ path: 'epsilon', message: 'must be positive' }] });
  return l1Sensitivity / epsilon;
}

/** How much one participant's change can move a vector-valued query, in the two norms the mechanisms need. */
export interface Sensitivity {
  /** L1 sensitivity, for the Laplace mechanism. */
  l1: number;
  /** L2 sensitivity, for the Gaussian mechanism. */
  l2: number;
}

/** The noise a mechanism adds to each coordinate of a release. */
export interface NoisePlan {
  mechanism: Mechanism;
  /** Laplace `b`, or Gaussian σ. */
  scale: number;
  /** Standard deviation of each coordinate's noise: `b·√2` or σ. */
  stddev: number;
  /** The sensitivity the scale was computed from (L1 for Laplace, L2 for Gaussian). */
  sensitivity: number;
  epsilon: number;
  delta: number | null;
}

/** The noise of one release of a query with `sensitivity`, at (`epsilon`, `delta`). */
export function noisePlan(mechanism: Mechanism, sensitivity: Sensitivity, epsilon: number, delta: number | null): NoisePlan {
  if (mechanism === 'laplace') {
    const scale = laplaceScale(sensitivity.l1, epsilon);
    return { mechanism, scale, stddev: scale * Math.SQRT2, sensitivity: sensitivity.l1, epsilon, delta: null };
  }
  const sigma = gaussianSigma(sensitivity.l2, epsilon, delta ?? Number.NaN);
  return { mechanism, scale: sigma, stddev: sigma, sensitivity: sensitivity.l2, epsilon, delta };
}

/** One draw of the plan's noise. */
export function drawNoise(plan: NoisePlan, uniform: UniformSource = cryptoUniform): number {
  return plan.mechanism === 'laplace' ? laplaceNoise(plan.scale, uniform) : gaussianNoise(plan.scale, uniform);
}

/** `values` with independent noise of the plan added to each. */
export function addNoise(values: readonly number[], plan: NoisePlan, uniform: UniformSource = cryptoUniform): number[] {
  return values.map((v) => v + drawNoise(plan, uniform));
}

/** A contribution after clipping: its values, whether the bound cut it, and its norm before. */
export interface Clipped<T> {
  value: T;
  clipped: boolean;
  /** The norm (or, for a scalar, the value) before clipping. */
  before: number;
}

/** `values` scaled down to an L1 norm of at most `bound` (unchanged when within it). */
export function clipL1(values: readonly number[], bound: number): Clipped<number[]> {
  const norm = values.reduce((s, v) => s + Math.abs(v), 0);
  return scaleTo(values, norm, bound);
}

/** `values` scaled down to an L2 norm of at most `bound` (unchanged when within it). */
export function clipL2(values: readonly number[], bound: number): Clipped<number[]> {
  const norm = Math.sqrt(values.reduce((s, v) => s + v * v, 0));
  return scaleTo(values, norm, bound);
}

function scaleTo(values: readonly number[], norm: number, bound: number): Clipped<number[]> {
  if (norm <= bound) return { value: [...values], clipped: false, before: norm };
  const factor = bound / norm;
  return { value: values.map((v) => v * factor), clipped: true, before: norm };
}

/** `x` clamped to [`lower`, `upper`]. */
export function clamp(x: number, lower: number, upper: number): Clipped<number> {
  if (x < lower) return { value: lower, clipped: true, before: x };
  if (x > upper) return { value: upper, clipped: true, before: x };
  return { value: x, clipped: false, before: x };
}

/**
 * Sensitivities of a sum of per-participant vectors when one participant's whole data is
 * replaced (the unit of privacy: docs/federations.md). Each participant contributes a
 * non-negative vector of norm at most `bound` in the mechanism's norm; the sum moves by at
 * most the diameter of that set: 2·bound in L1 (two disjoint supports), √2·bound in L2
 * (`|a-b|² = |a|² + |b|² - 2a·b` and `a·b ≥ 0`).
 */
export function nonNegativeSumSensitivity(bound: number): Sensitivity {
  return { l1: 2 * bound, l2: Math.SQRT2 * bound };
}

/**
 * Sensitivities of a sum of per-participant vectors of dimension `dimension` and L2 norm at
 * most `bound`, of any sign (centroids): replacing one moves the sum by at most 2·bound in L2,
 * and 2·bound·√dimension in L1 (an L2 ball's widest L1 extent).
 */
export function ballSumSensitivity(bound: number, dimension: number): Sensitivity {
  return { l1: 2 * bound * Math.sqrt(dimension), l2: 2 * bound };
}

/**
 * Sensitivities of a sum of per-participant 0/1 vectors with at most `m` ones (terms each
 * participant holds): replacing one flips at most 2m coordinates, so 2m in L1 and √(2m) in L2.
 */
export function indicatorSumSensitivity(m: number): Sensitivity {
  return { l1: 2 * m, l2: Math.sqrt(2 * m) };
}

/** Sensitivities of a sum of per-participant scalars in an interval of width `width`: `width` in both norms. */
export function scalarSumSensitivity(width: number): Sensitivity {
  return { l1: width, l2: width };
}
