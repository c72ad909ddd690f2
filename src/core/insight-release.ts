/**
 * Turns the clipped contributions of a release's participants into what is released: sums,
 * noise of the federation's mechanism calibrated to each kind's sensitivity, and thresholds
 * (docs/federations.md). Nothing per space leaves this module: only sums with noise, public
 * bins, labels held by at least k participants, a unit vector, counts and the noise's figures.
 */
import type { CentroidRequest, HistogramRequest, MeanRequest, ReleaseRequest, TermsRequest } from './federations.js';
import type { CentroidContribution, Contribution, HistogramContribution, MeanContribution, TermsContribution } from './insight-contributions.js';
import {
  ballSumSensitivity,
  cryptoUniform,
  drawNoise,
  indicatorSumSensitivity,
  noisePlan,
  nonNegativeSumSensitivity,
  scalarSumSensitivity,
  type Mechanism,
  type NoisePlan,
  type UniformSource,
} from './privacy.js';
import type { JsonObject } from './types.js';

/** What a release is computed with. */
export interface ReleaseContext {
  mechanism: Mechanism;
  epsilon: number;
  delta: number | null;
  /** Fewest participants that must hold a discovered label or term (at least 2). */
  k: number;
  /** Vector length of a centroid release. */
  dimension: number;
  /** Randomness of the noise. @default cryptoUniform */
  uniform?: UniformSource;
}

/** The released aggregate of `contributions` (one per contributing space), as stored and shown. */
export function aggregate(request: ReleaseRequest, contributions: readonly Contribution[], ctx: ReleaseContext): JsonObject {
  switch (request.kind) {
    case 'histogram':
      return histogram(request.params, contributions as HistogramContribution[], ctx);
    case 'mean':
      return mean(request.params, contributions as MeanContribution[], ctx);
    case 'terms':
      return terms(request.params, contributions as TermsContribution[], ctx);
    case 'centroid':
      return centroid(request.params, contributions as CentroidContribution[], ctx);
  }
}

/** The figures of a noise plan a release shows. */
function planJson(plan: NoisePlan): JsonObject {
  return { mechanism: plan.mechanism, scale: plan.scale, stddev: plan.stddev, sensitivity: plan.sensitivity, epsilon: plan.epsilon, delta: plan.delta };
}

/** Sums of values per label, and how many contributions hold each label. */
function sumsByLabel(entries: readonly Map<string, number>[]): { sums: Map<string, number>; holders: Map<string, number> } {
  const sums = new Map<string, number>();
  const holders = new Map<string, number>();
  for (const values of entries) {
    for (const [label, v] of values) {
      sums.set(label, (sums.get(label) ?? 0) + v);
      if (v > 0) holders.set(label, (holders.get(label) ?? 0) + 1);
    }
  }
  return { sums, holders };
}

function histogram(params: HistogramRequest, contributions: readonly HistogramContribution[], ctx: ReleaseContext): JsonObject {
  const bound = params.contribution === 'share' ? 1 : params.clip;
  const plan = noisePlan(ctx.mechanism, nonNegativeSumSensitivity(bound), ctx.epsilon, ctx.delta);
  const uniform = ctx.uniform ?? cryptoUniform;
  const { sums, holders } = sumsByLabel(contributions.map((c) => c.values));
  const base = { field: params.field, ...(params.key !== undefined && { key: params.key }), contribution: params.contribution, noise: planJson(plan) };
  if (params.bins !== undefined) {
    // Public bins: every bin is released, with noise, whatever the data holds.
    const bins = params.bins.map((label) => ({ label, value: (sums.get(label) ?? 0) + drawNoise(plan, uniform) }));
    return { ...base, binsPublic: true, bins };
  }
  const threshold = params.threshold ?? 2 * plan.stddev;
  const released = [...sums.keys()]
    .filter((label) => (holders.get(label) ?? 0) >= ctx.k)
    .sort()
    .map((label) => ({ label, value: sums.get(label)! + drawNoise(plan, uniform) }))
    .filter((b) => b.value >= threshold)
    .sort((a, b) => b.value - a.value);
  return { ...base, binsPublic: false, k: ctx.k, threshold, bins: released };
}

function mean(params: MeanRequest, contributions: readonly MeanContribution[], ctx: ReleaseContext): JsonObject {
  const width = params.upper - params.lower;
  // Two queries, each at half of the release's ε (and δ): their sequential composition is the release's.
  const half = ctx.delta === null ? null : ctx.delta / 2;
  const sumPlan = noisePlan(ctx.mechanism, scalarSumSensitivity(width), ctx.epsilon / 2, half);
  const countPlan = noisePlan(ctx.mechanism, scalarSumSensitivity(1), ctx.epsilon / 2, half);
  const uniform = ctx.uniform ?? cryptoUniform;
  let sum = 0;
  let count = 0;
  for (const c of contributions) {
    if (c.value === null) continue;
    sum += c.value - params.lower; // within [0, width]: a space moves the sum by at most width
    count += 1;
  }
  const noisySum = sum + drawNoise(sumPlan, uniform);
  const noisyCount = count + drawNoise(countPlan, uniform);
  const estimate = noisyCount >= 1 ? Math.min(params.upper, Math.max(params.lower, params.lower + noisySum / noisyCount)) : null;
  return {
    key: params.key,
    lower: params.lower,
    upper: params.upper,
    mean: estimate,
    spacesWithValues: Math.max(0, Math.round(noisyCount)),
    noise: { sum: planJson(sumPlan), count: planJson(countPlan) },
  };
}

function terms(params: TermsRequest, contributions: readonly TermsContribution[], ctx: ReleaseContext): JsonObject {
  const plan = noisePlan(ctx.mechanism, indicatorSumSensitivity(params.termsPerSpace), ctx.epsilon, ctx.delta);
  const uniform = ctx.uniform ?? cryptoUniform;
  const holders = new Map<string, number>();
  for (const c of contributions) for (const term of c.terms) holders.set(term, (holders.get(term) ?? 0) + 1);
  const threshold = params.threshold ?? ctx.k;
  const released = [...holders.entries()]
    .filter(([, n]) => n >= ctx.k)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([term, n]) => ({ term, value: n + drawNoise(plan, uniform) }))
    .filter((t) => t.value >= threshold)
    .sort((a, b) => b.value - a.value)
    .slice(0, params.limit);
  return { termsPerSpace: params.termsPerSpace, k: ctx.k, threshold, terms: released, noise: planJson(plan) };
}

function centroid(params: CentroidRequest, contributions: readonly CentroidContribution[], ctx: ReleaseContext): JsonObject {
  const d = ctx.dimension;
  const plan = noisePlan(ctx.mechanism, ballSumSensitivity(params.clip, d), ctx.epsilon, ctx.delta);
  const uniform = ctx.uniform ?? cryptoUniform;
  const sum = new Float64Array(d);
  for (const c of contributions) for (let i = 0; i < d; i++) sum[i]! += c.vector[i]!;
  const n = Math.max(1, contributions.length);
  const noisyMean = Array.from(sum, (v) => (v + drawNoise(plan, uniform)) / n);
  const norm = Math.sqrt(noisyMean.reduce((s, v) => s + v * v, 0));
  return {
    ...(params.tag !== undefined && { tag: params.tag }),
    dimension: d,
    vector: norm > 0 ? noisyMean.map((v) => Math.round((v / norm) * 1e6) / 1e6) : null,
    noisyNorm: norm,
    // What noise alone would give the mean's norm: compare with noisyNorm (the true mean's norm is at most clip).
    expectedNoiseNorm: (plan.stddev * Math.sqrt(d)) / n,
    noise: planJson(plan),
  };
}
