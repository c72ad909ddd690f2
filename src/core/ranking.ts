import type { ScoredId } from './types.js';

/** Rank constant of reciprocal rank fusion; 60 is the value of the original RRF paper. */
export const RRF_K = 60;

/** One ranked list to fuse and the weight it carries. */
export interface RankedList {
  hits: readonly ScoredId[];
  weight: number;
}

/**
 * Weighted reciprocal rank fusion. Scores are scaled so that a memory ranked first in every
 * list scores 1; a memory found by one list only scores at most that list's share of the weight.
 * Ranks rather than raw scores are fused because BM25 and cosine live on unrelated scales.
 */
export function fuseRanks(lists: readonly RankedList[], k: number = RRF_K): ScoredId[] {
  const totalWeight = lists.reduce((sum, l) => sum + l.weight, 0);
  const best = totalWeight / (k + 1);
  const fused = new Map<string, number>();
  for (const { hits, weight } of lists) {
    if (weight <= 0) continue;
    hits.forEach((hit, rank) => {
      fused.set(hit.id, (fused.get(hit.id) ?? 0) + weight / (k + rank + 1));
    });
  }
  const out: ScoredId[] = [];
  for (const [id, score] of fused) out.push({ id, score: best > 0 ? score / best : 0 });
  return out.sort((a, b) => b.score - a.score);
}

/** Maps a BM25 relevance (0 and up, higher is better) to a score in [0, 1). */
export function keywordScore(bm25: number): number {
  const s = Math.max(0, bm25);
  return s / (1 + s);
}

/** Scales `vector` to unit length in place (a zero vector stays zero) and returns it. */
export function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm;
  return vector;
}
