/**
 * Seeded, deterministic vector test data for the "search at scale" benchmarks, and the exact
 * ground truth that recall is measured against.
 *
 * The data are unit vectors scattered around random gaussian centroids. Uniform random vectors
 * would make every neighbour equally far (no ANN index can do better than chance on them), and
 * tight clusters would make the top 10 trivial; a noise norm of about 0.6 times the centroid norm
 * sits in between, like sentence embeddings of a corpus with many topics.
 */

/** Creates a seeded generator of uniform numbers in [0, 1); sfc32, fast and well distributed. */
export function seededRandom(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b);
  let c = 0xb7e15162 ^ Math.imul(seed, 0xc2b2ae35);
  let d = 1;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of sfc32 still carry the seed's structure; discard them.
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** Fills `out` with standard normal samples (Box-Muller, both outputs used). */
function fillGaussian(out: Float32Array, random: () => number, scale = 1): void {
  const n = out.length;
  let i = 0;
  while (i < n) {
    // 1 - u keeps the logarithm finite.
    const r = Math.sqrt(-2 * Math.log(1 - random())) * scale;
    const theta = 2 * Math.PI * random();
    out[i++] = r * Math.cos(theta);
    if (i < n) out[i++] = r * Math.sin(theta);
  }
}

function normalizeRows(data: Float32Array, dim: number): void {
  const rows = data.length / dim;
  for (let row = 0; row < rows; row++) {
    const base = row * dim;
    let sum = 0;
    for (let j = 0; j < dim; j++) {
      const x = data[base + j]!;
      sum += x * x;
    }
    const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let j = 0; j < dim; j++) data[base + j]! *= inv;
  }
}

/**
 * The centroids depend only on `(dim, clusters)`, never on the seed, so that data and queries
 * generated with different seeds come from the same distribution.
 */
function centroids(dim: number, clusters: number): Float32Array {
  const out = new Float32Array(clusters * dim);
  fillGaussian(out, seededRandom(0x5eed_c0de ^ Math.imul(dim, 31) ^ clusters));
  normalizeRows(out, dim);
  return out;
}

/**
 * Row-major unit vectors, `count` rows of `dim`, each a random centroid plus gaussian noise of
 * norm about `noise` (relative to the unit centroid), then normalized. Fills one array in place
 * with no per-row allocation: 1,000,000 x 512 is 2 GB and takes a few seconds per 100k rows.
 *
 * @param clusters number of centroids. @default 256
 * @param noise noise norm relative to the centroid norm. @default 0.6
 */
export function clusteredVectors(count: number, dim: number, seed: number, clusters = 256, noise = 0.6): Float32Array {
  const centers = centroids(dim, clusters);
  const out = new Float32Array(count * dim);
  const random = seededRandom(seed);
  // Per-coordinate sigma such that the expected noise norm is `noise`.
  fillGaussian(out, random, noise / Math.sqrt(dim));
  for (let row = 0; row < count; row++) {
    const c = Math.floor(random() * clusters) * dim;
    const base = row * dim;
    for (let j = 0; j < dim; j++) out[base + j]! += centers[c + j]!;
  }
  normalizeRows(out, dim);
  return out;
}

/** Query vectors from the same distribution as {@link clusteredVectors} (give a different seed). */
export function queryVectors(count: number, dim: number, seed: number, clusters = 256): Float32Array {
  return clusteredVectors(count, dim, seed ^ 0x51ed_27a5, clusters);
}

/** A copy of row `i` (copies, not subarrays: some native APIs ignore a typed array's byteOffset). */
export function row(data: Float32Array, dim: number, i: number): Float32Array {
  return data.slice(i * dim, (i + 1) * dim);
}

/** Keeps the k best (id, score) pairs seen, sorted best first; k is small, so insertion is cheapest. */
export class TopK {
  readonly ids: Int32Array;
  readonly scores: Float64Array;
  size = 0;

  constructor(readonly k: number) {
    this.ids = new Int32Array(k);
    this.scores = new Float64Array(k);
  }

  /** The score a candidate must beat to enter. */
  get threshold(): number {
    return this.size < this.k ? -Infinity : this.scores[this.k - 1]!;
  }

  push(id: number, score: number): void {
    if (this.size === this.k && score <= this.scores[this.k - 1]!) return;
    let i = this.size < this.k ? this.size++ : this.k - 1;
    while (i > 0 && this.scores[i - 1]! < score) {
      this.scores[i] = this.scores[i - 1]!;
      this.ids[i] = this.ids[i - 1]!;
      i--;
    }
    this.scores[i] = score;
    this.ids[i] = id;
  }

  /** Ids best first. */
  result(): Int32Array {
    return this.ids.slice(0, this.size);
  }
}

/**
 * Brute-force inner-product top k of each query over all rows of `data` (row index = id): the
 * ground truth for recall. Four queries are scored per pass over the data, so each data row is
 * read once from memory for four dot products; 200 queries over 100k x 512 take seconds.
 */
export function exactTopK(data: Float32Array, dim: number, queries: Float32Array, k: number): Int32Array[] {
  const rows = data.length / dim;
  const nq = queries.length / dim;
  const results: Int32Array[] = [];
  for (let q0 = 0; q0 < nq; q0 += 4) {
    const block = Math.min(4, nq - q0);
    // Missing queries in the last block repeat the first one; their results are dropped.
    const o0 = q0 * dim;
    const o1 = (q0 + Math.min(1, block - 1)) * dim;
    const o2 = (q0 + Math.min(2, block - 1)) * dim;
    const o3 = (q0 + Math.min(3, block - 1)) * dim;
    const tops = [new TopK(k), new TopK(k), new TopK(k), new TopK(k)] as const;
    for (let r = 0; r < rows; r++) {
      const base = r * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < dim; j++) {
        const x = data[base + j]!;
        s0 += x * queries[o0 + j]!;
        s1 += x * queries[o1 + j]!;
        s2 += x * queries[o2 + j]!;
        s3 += x * queries[o3 + j]!;
      }
      tops[0].push(r, s0);
      tops[1].push(r, s1);
      tops[2].push(r, s2);
      tops[3].push(r, s3);
    }
    for (let b = 0; b < block; b++) results.push(tops[b as 0 | 1 | 2 | 3].result());
  }
  return results;
}

/**
 * Mean recall@k: the fraction of each query's true top k found in the first k results.
 * A query whose truth is shorter than k (a small tenant) counts against its own length.
 */
export function recallAt(k: number, truth: readonly Int32Array[], results: readonly (readonly number[])[]): number {
  if (truth.length !== results.length) throw new Error(`recallAt: ${truth.length} truths but ${results.length} results`);
  if (truth.length === 0) return 1;
  let sum = 0;
  for (let q = 0; q < truth.length; q++) {
    const expected = truth[q]!.subarray(0, k);
    if (expected.length === 0) {
      sum += 1;
      continue;
    }
    const found = new Set(results[q]!.slice(0, k));
    let hits = 0;
    for (const id of expected) if (found.has(id)) hits++;
    sum += hits / expected.length;
  }
  return sum / truth.length;
}
