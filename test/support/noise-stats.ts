/**
 * Distribution-free checks of noise samples, with a failure probability we can bound without
 * trusting a normal approximation: median of means (e.g. Lugosi & Mendelson, "Mean estimation
 * and regression under heavy-tailed distributions", 2019).
 *
 * Split the samples into B independent blocks of n. By Chebyshev, a block's mean of X (or of X²)
 * lies farther than 2·sd/√n from its expectation with probability at most 1/4, where sd is the
 * exact standard deviation of X (or of X²) under the mechanism. The median of the B block values
 * is that far off only when at least B/2 blocks are, which by Hoeffding's inequality has
 * probability at most exp(-2B(1/2 - 1/4)²) = exp(-B/8). With B = 150, exp(-18.75) ≈ 7.2e-9 per
 * check, so a test of a few such checks fails by chance far less than once in a million runs.
 */

/** Blocks of the median-of-means checks; exp(-BLOCKS/8) bounds each check's false failure. */
export const BLOCKS = 150;

/** Moments of a zero-mean noise: its variance and the variance of its square (μ4 - σ⁴). */
export interface NoiseMoments {
  variance: number;
  varianceOfSquare: number;
}

/** Laplace(0, b): variance 2b², fourth moment 24b⁴. */
export function laplaceMoments(b: number): NoiseMoments {
  return { variance: 2 * b * b, varianceOfSquare: 24 * b ** 4 - 4 * b ** 4 };
}

/** Normal(0, σ²): fourth moment 3σ⁴. */
export function gaussianMoments(sigma: number): NoiseMoments {
  return { variance: sigma ** 2, varianceOfSquare: 2 * sigma ** 4 };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** What the checks found: the estimates and the tolerances they were held to. */
export interface NoiseCheck {
  mean: number;
  meanTolerance: number;
  variance: number;
  varianceTolerance: number;
}

/**
 * Median-of-means estimates of the mean and of E[X²] (= the variance, the mean being 0) of
 * `samples`, in {@link BLOCKS} blocks, with the tolerances each must meet (2·sd/√n).
 */
export function checkNoise(samples: readonly number[], moments: NoiseMoments): NoiseCheck {
  const n = Math.floor(samples.length / BLOCKS);
  if (n < 1) throw new Error('too few samples');
  const means: number[] = [];
  const squares: number[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    let s = 0;
    let s2 = 0;
    for (let i = b * n; i < (b + 1) * n; i++) {
      s += samples[i]!;
      s2 += samples[i]! ** 2;
    }
    means.push(s / n);
    squares.push(s2 / n);
  }
  return {
    mean: median(means),
    meanTolerance: 2 * Math.sqrt(moments.variance / n),
    variance: median(squares),
    varianceTolerance: 2 * Math.sqrt(moments.varianceOfSquare / n),
  };
}
