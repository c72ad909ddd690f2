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

/** How {@link rankHits} turns the two rankings of a search into one. */
export interface RankOptions {
  /** `vector` ranks by cosine, `keyword` by BM25, `hybrid` by a fusion of both. */
  mode: 'hybrid' | 'vector' | 'keyword';
  /** `weighted`: `vectorWeight * cosine + (1 - vectorWeight) * keywordScore(bm25)`; `rrf`: weighted reciprocal rank fusion. */
  fusion: 'weighted' | 'rrf';
  /** Share of the vector ranking in a hybrid score, 0 to 1. */
  vectorWeight: number;
  /** Hits scoring below this are dropped. @default undefined (none dropped) */
  threshold?: number | undefined;
  limit: number;
}

/** One ranked hit: its final score and the per-ranking scores it has. */
export interface RankedHit {
  id: string;
  score: number;
  /** Exact cosine similarity with the query vector, when the search had one. */
  vector?: number;
  /** BM25 mapped to [0, 1) by {@link keywordScore}, when the keyword ranking found it. */
  keyword?: number;
}

/**
 * The one ranking rule of a search, pure: the union of the vector hits (best first, scored by
 * cosine) and the keyword hits (best first, scored by raw BM25), scored as `options` say,
 * filtered by the threshold, best first (ties by id, so equal scores rank the same every time),
 * cut to `limit`. `cosines` gives the exact cosine of keyword-only hits, so a hybrid union is
 * scored exactly. `keywordHits` is undefined when no keyword ranking ran (a hybrid search given
 * only a vector): the hits then rank by cosine alone.
 */
export function rankHits(
  vectorHits: readonly ScoredId[],
  keywordHits: readonly ScoredId[] | undefined,
  cosines: ReadonlyMap<string, number>,
  options: RankOptions,
): RankedHit[] {
  const fused = options.mode === 'hybrid' && keywordHits !== undefined;
  keywordHits ??= [];
  const keywordById = new Map(keywordHits.map((h) => [h.id, keywordScore(h.score)]));
  const vectorById = new Map(cosines);
  for (const h of vectorHits) vectorById.set(h.id, h.score);
  const rrf = fused && options.fusion === 'rrf' ? new Map(fuseRanks([{ hits: vectorHits, weight: options.vectorWeight }, { hits: keywordHits, weight: 1 - options.vectorWeight }]).map((h) => [h.id, h.score])) : undefined;
  const ids = new Set([...vectorHits.map((h) => h.id), ...keywordHits.map((h) => h.id)]);
  let ranked: RankedHit[] = [...ids].map((id) => {
    const vector = vectorById.get(id);
    const keyword = keywordById.get(id);
    const score =
      options.mode === 'keyword' ? (keyword ?? 0)
      : !fused ? (vector ?? 0)
      : rrf ? (rrf.get(id) ?? 0)
      : options.vectorWeight * Math.max(vector ?? 0, 0) + (1 - options.vectorWeight) * (keyword ?? 0);
    return { id, score, ...(vector !== undefined && { vector }), ...(keyword !== undefined && { keyword }) };
  });
  if (options.threshold !== undefined) ranked = ranked.filter((r) => r.score >= options.threshold!);
  ranked.sort(byScore);
  return ranked.slice(0, options.limit);
}

/** The order of ranked hits: best score first, ties by id, so equal scores rank the same every time. */
export function byScore(a: { id: string; score: number }, b: { id: string; score: number }): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Weights of the signals a search may blend into its relevance (the request's `rank`), each in
 * [0, 1] and together at most 1: `recency` of creation and decayed `importance` (core/decay.ts).
 */
export interface RankWeights {
  recency: number;
  importance: number;
}

/** A memory's signals for {@link blendScore}, each in [0, 1]. */
export interface RankSignals {
  /** `recencyScore` of core/decay.ts. */
  recency: number;
  /** `decayedImportance` of core/decay.ts. */
  importance: number;
}

/**
 * The weights of a request's `rank`, absent ones 0; undefined when none is above 0, so a search
 * that does not ask for the blend ranks exactly as it always has.
 */
export function rankWeights(rank: Partial<RankWeights> | undefined): RankWeights | undefined {
  const weights = { recency: rank?.recency ?? 0, importance: rank?.importance ?? 0 };
  return weights.recency > 0 || weights.importance > 0 ? weights : undefined;
}

/**
 * The final score of a hit of a search with `rank` weights: a convex blend,
 * `(1 − wr − wi) × relevance + wr × recency + wi × importance`, where `relevance` is the score
 * {@link rankHits} gave it. With weights summing to 1 relevance no longer counts (but still
 * chose the candidates).
 */
export function blendScore(relevance: number, signals: RankSignals, weights: RankWeights): number {
  const rest = Math.max(0, 1 - weights.recency - weights.importance);
  return rest * relevance + weights.recency * signals.recency + weights.importance * signals.importance;
}
