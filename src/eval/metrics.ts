/**
 * Retrieval metrics over ranked lists of ids. Pure functions: a ranking is the ids a search
 * returned, best first; the labels map each relevant id to its graded gain (above 0). Ids
 * absent from the labels are not relevant.
 */

/** Relevance labels of one query: memory id to graded gain. */
export type Labels = ReadonlyMap<string, number>;

/** One query's ranking and labels. */
export interface RankedQuery {
  ranked: readonly string[];
  relevant: Labels;
}

/** Metrics averaged over queries. */
export interface MetricSummary {
  /** Queries averaged over. */
  queries: number;
  /** Mean recall@k for each k asked for. */
  recall: Record<number, number>;
  /** Mean reciprocal rank of the first relevant hit (0 for a query whose list holds none). */
  mrr: number;
  /** Mean nDCG@10 with graded gains. */
  ndcg10: number;
}

/** Cut-off of {@link MetricSummary.ndcg10}. */
export const NDCG_K = 10;

/**
 * Share of the relevant ids found in the first `k` of the ranking (grades ignored; an id
 * repeated in the ranking counts once). 0 when nothing is relevant, so such a query cannot
 * flatter an average.
 */
export function recallAt(ranked: readonly string[], relevant: Labels, k: number): number {
  const wanted = [...relevant].filter(([, gain]) => gain > 0).length;
  if (wanted === 0) return 0;
  let found = 0;
  for (const id of new Set(ranked.slice(0, k))) if (isRelevant(relevant, id)) found += 1;
  return found / wanted;
}

/** Rank (1 is the top) of the first relevant id; null when the ranking holds none. */
export function firstRelevantRank(ranked: readonly string[], relevant: Labels): number | null {
  const index = ranked.findIndex((id) => isRelevant(relevant, id));
  return index < 0 ? null : index + 1;
}

/** 1 / rank of the first relevant id; 0 when the ranking holds none. */
export function reciprocalRank(ranked: readonly string[], relevant: Labels): number {
  const rank = firstRelevantRank(ranked, relevant);
  return rank === null ? 0 : 1 / rank;
}

/**
 * Normalised discounted cumulative gain at `k`: the sum of `gain / log2(rank + 1)` over the
 * first `k` of the ranking, with each id's graded gain from the labels (linear, not `2^g - 1`),
 * divided by the same sum for the ideal ranking (labels sorted by gain). 0 without labels.
 * An id repeated in the ranking gains only once.
 */
export function ndcgAt(ranked: readonly string[], relevant: Labels, k: number = NDCG_K): number {
  const ideal = dcg([...relevant.values()].sort((a, b) => b - a).slice(0, k));
  if (ideal === 0) return 0;
  const seen = new Set<string>();
  const gains = ranked.slice(0, k).map((id) => {
    if (seen.has(id)) return 0;
    seen.add(id);
    return Math.max(relevant.get(id) ?? 0, 0);
  });
  return dcg(gains) / ideal;
}

/** Averages recall@k for every `k`, MRR and nDCG@10 over the queries; all 0 for no queries. */
export function summarize(queries: readonly RankedQuery[], ks: readonly number[]): MetricSummary {
  const n = queries.length;
  const mean = (f: (q: RankedQuery) => number): number => (n === 0 ? 0 : queries.reduce((sum, q) => sum + f(q), 0) / n);
  return {
    queries: n,
    recall: Object.fromEntries(ks.map((k) => [k, mean((q) => recallAt(q.ranked, q.relevant, k))])),
    mrr: mean((q) => reciprocalRank(q.ranked, q.relevant)),
    ndcg10: mean((q) => ndcgAt(q.ranked, q.relevant, NDCG_K)),
  };
}

function isRelevant(relevant: Labels, id: string): boolean {
  return (relevant.get(id) ?? 0) > 0;
}

function dcg(gains: readonly number[]): number {
  return gains.reduce((sum, gain, i) => sum + gain / Math.log2(i + 2), 0);
}

/** Nearest-rank percentile (`p` from 0 to 1) of a list of numbers; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}
