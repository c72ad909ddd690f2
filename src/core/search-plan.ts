/**
 * One search of one space once access, embedding and filters are settled: fetch both candidate
 * lists, rank them, read the hits (and, with `expand`, their neighbours). It runs over any
 * {@link SpaceReads}, so a store may run it where its data is cheapest to reach (the embedded
 * backend, in a search thread of its own; see `SpaceStore.search`).
 */
import type { FilterNode } from './filter.js';
import type { SpaceReads } from './ports/space-store.js';
import { rankHits } from './ranking.js';
import type { SearchRequest } from './schemas.js';
import type { ScoredId } from './types.js';
import { memoryView, relationView, type SearchHit } from './views.js';

/** How many candidates each ranking contributes to hybrid fusion, per result asked for. */
const HYBRID_OVERFETCH = 4;
const MIN_HYBRID_CANDIDATES = 50;

/** A search ready to run: plain data, so it can cross to another thread. */
export interface SearchPlan {
  request: SearchRequest;
  /** The query as a unit vector; undefined for keyword search. */
  vector: Float32Array | undefined;
  /** The request's filter, scopes and tags combined; undefined for none. Expiry is the store's. */
  filter: FilterNode | undefined;
  /** Time the search runs at, in epoch ms (what has expired). */
  now: number;
}

/** Runs `plan` over `reads`, which should see one snapshot of the space (a read session). */
export async function runSearchPlan(reads: SpaceReads, { request: req, vector, filter, now }: SearchPlan): Promise<SearchHit[]> {
  const useKeyword = req.mode !== 'vector' && req.query !== undefined;
  const candidates = req.mode === 'hybrid' ? Math.max(req.limit * HYBRID_OVERFETCH, MIN_HYBRID_CANDIDATES) : req.limit;
  const [vectorHits, keywordHits]: [ScoredId[], ScoredId[]] = await Promise.all([
    vector ? reads.vectorSearch(vector, filter, candidates, now, { exact: req.exact }) : [],
    useKeyword ? reads.keywordSearch(req.query!, filter, candidates, now) : [],
  ]);
  // Keyword-only candidates get their true cosine too, so the union is scored exactly.
  const vectorIds = new Set(vectorHits.map((h) => h.id));
  const unscored = keywordHits.filter((h) => !vectorIds.has(h.id)).map((h) => h.id);
  const cosines = vector && unscored.length > 0 ? await reads.vectorScores(vector, unscored) : new Map<string, number>();
  const ranked = rankHits(vectorHits, useKeyword ? keywordHits : undefined, cosines, req);
  // Only the hits returned are read in full.
  const byId = new Map((await reads.getMemories(ranked.map((r) => r.id), { embeddings: false })).map((m) => [m.id, m]));
  const hits = ranked.flatMap((r): SearchHit[] => {
    const memory = byId.get(r.id);
    if (memory === undefined) return []; // deleted between ranking and reading
    return [{ memory: memoryView(memory), score: r.score, scores: { ...(r.vector !== undefined && { vector: r.vector }), ...(r.keyword !== undefined && { keyword: r.keyword }) } }];
  });
  if (req.expand) await expand(reads, hits);
  return hits;
}

/** Attaches to each hit the memories one relation away, in either direction. */
async function expand(reads: SpaceReads, results: SearchHit[]): Promise<void> {
  const ids = results.map((r) => r.memory.id);
  const relations = await reads.listRelations(ids, 'both', undefined);
  const others = new Set(relations.flatMap((r) => [r.from, r.to]));
  const byId = new Map((await reads.getMemories([...others], { embeddings: false })).map((m) => [m.id, m]));
  for (const hit of results) {
    hit.related = relations.flatMap((r) => {
      if (r.from !== hit.memory.id && r.to !== hit.memory.id) return [];
      const other = byId.get(r.from === hit.memory.id ? r.to : r.from);
      return other ? [{ relation: relationView(r), memory: memoryView(other) }] : [];
    });
  }
}
