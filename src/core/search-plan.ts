/**
 * One search of one space once access, embedding and filters are settled: fetch both candidate
 * lists, rank them, add the signals of core/search-signals.ts, read the hits (and, with
 * `expand`, their relations). It runs over any {@link SpaceReads}, so a store may run it where
 * its data is cheapest to reach (the embedded backend, in a search thread of its own; see
 * `SpaceStore.search`).
 */
import { decayedImportance, recencyScore } from './decay.js';
import { adaptiveBoost, adaptiveWeights, DEFAULT_FEEDBACK_SETTINGS, feedbackSignal, narrativeSignal, narrativeStrength, pheromoneLevel, type AdaptiveWeights } from './feedback.js';
import { andFilters, columnCondition, type FilterNode } from './filter.js';
import type { SpaceReads } from './ports/space-store.js';
import { memoryDate, queryDateRange } from './query-dates.js';
import { blendScore, byScore, rankHits, rankWeights, type RankWeights } from './ranking.js';
import type { SearchRequest } from './schemas.js';
import { boostDates, liftNeighbors, neighborSeeds, type SignalledHit } from './search-signals.js';
import { DEFAULT_CONSOLIDATION_SETTINGS } from './space-settings.js';
import type { MemoryRecord, ScoredId } from './types.js';
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
  /** Time the search runs at, in epoch ms (what has expired, how old a memory is). */
  now: number;
  /** The space's `consolidation.halfLifeDays`, for the `rank` signals. @default DEFAULT_CONSOLIDATION_SETTINGS.halfLifeDays */
  halfLifeDays?: number | undefined;
  /** The space's feedback half-life and default weights (core/feedback.ts). @default DEFAULT_FEEDBACK_SETTINGS */
  feedback?: { halfLifeDays: number; rank: AdaptiveWeights } | undefined;
}

/** Runs `plan` over `reads`, which should see one snapshot of the space (a read session). */
export async function runSearchPlan(reads: SpaceReads, plan: SearchPlan): Promise<SearchHit[]> {
  const { request: req, vector, filter: asked, now } = plan;
  // Superseded memories are left out unless asked for; only a space that has some pays for the
  // filter (an unfiltered search of the embedded backend scans no rows for its candidates).
  const filter = !req.includeSuperseded && (await reads.hasSuperseded()) ? andFilters(asked, notSuperseded()) : asked;
  const useKeyword = req.mode !== 'vector' && req.query !== undefined;
  const weights = rankWeights(req.rank);
  const adaptive = adaptiveWeights(req.rank, (plan.feedback ?? DEFAULT_FEEDBACK_SETTINGS).rank);
  const rescored = weights !== undefined || adaptive !== undefined;
  const range = req.dates && req.query !== undefined ? queryDateRange(req.query, now) : undefined;
  // Fusion, and signals that may lift a memory from below the top `limit`, look deeper.
  const deep = req.mode === 'hybrid' || rescored || range !== undefined;
  const candidates = deep ? Math.max(req.limit * HYBRID_OVERFETCH, MIN_HYBRID_CANDIDATES) : req.limit;
  const [vectorHits, keywordHits]: [ScoredId[], ScoredId[]] = await Promise.all([
    vector ? reads.vectorSearch(vector, filter, candidates, now, { exact: req.exact }) : [],
    useKeyword ? reads.keywordSearch(req.query!, filter, candidates, now) : [],
  ]);
  // Keyword-only candidates get their true cosine too, so the union is scored exactly.
  const vectorIds = new Set(vectorHits.map((h) => h.id));
  const unscored = keywordHits.filter((h) => !vectorIds.has(h.id)).map((h) => h.id);
  const cosines = vector && unscored.length > 0 ? await reads.vectorScores(vector, unscored) : new Map<string, number>();
  let ranked: SignalledHit[] = rankHits(vectorHits, useKeyword ? keywordHits : undefined, cosines, { ...req, threshold: undefined, limit: candidates });
  const byId = new Map<string, MemoryRecord>();
  if (range !== undefined) {
    await readInto(reads, byId, ranked.map((r) => r.id));
    ranked = boostDates(ranked, range, (id) => (byId.has(id) ? memoryDate(byId.get(id)!) : undefined));
  }
  if (req.neighbors) ranked = liftNeighbors(ranked, await reads.runNeighbors(neighborSeeds(ranked), filter, now));
  // The threshold and the limit apply to the final score: here, or after the rescoring with weights.
  if (!rescored) ranked = ranked.filter((r) => req.threshold === undefined || r.score >= req.threshold).slice(0, req.limit);
  // Only the hits returned (or, to blend, ranked) are read in full.
  await readInto(reads, byId, ranked.map((r) => r.id));
  const found = ranked.filter((r) => byId.has(r.id)); // one deleted between ranking and reading is left out
  const learned = adaptive === undefined ? undefined : await adaptiveSignals(reads, found.map((r) => r.id), plan);
  const final = !rescored ? found.map((r) => ({ id: r.id, score: r.score, scores: partsOf(r) })) : rescore(found, byId, { weights, adaptive, learned }, plan, req);
  const hits = final.map((r): SearchHit => ({ memory: memoryView(byId.get(r.id)!), score: r.score, scores: r.scores }));
  if (req.expand) await expand(reads, hits);
  return hits;
}

/** Reads into `byId` the memories of `ids` it does not hold yet (without their vectors). */
async function readInto(reads: SpaceReads, byId: Map<string, MemoryRecord>, ids: readonly string[]): Promise<void> {
  const missing = ids.filter((id) => !byId.has(id));
  for (const m of await reads.getMemories(missing, { embeddings: false })) byId.set(m.id, m);
}

/** A ranked hit with the parts of its score a result shows. */
interface ScoredHit {
  id: string;
  score: number;
  scores: SearchHit['scores'];
}

/** The parts of a hit's score as {@link rankHits} and the signals gave them. */
function partsOf(r: SignalledHit): SearchHit['scores'] {
  return {
    ...(r.vector !== undefined && { vector: r.vector }),
    ...(r.keyword !== undefined && { keyword: r.keyword }),
    ...(r.neighbor !== undefined && { neighbor: r.neighbor }),
    ...(r.date !== undefined && { date: r.date }),
  };
}

/** The weights a search rescores with, and the feedback signals of its candidates. */
interface Rescoring {
  weights: RankWeights | undefined;
  adaptive: AdaptiveWeights | undefined;
  learned: ReadonlyMap<string, { feedback: number; narrative: number }> | undefined;
}

/**
 * The feedback and narrative signals (core/feedback.ts) of the candidates `ids`, from the
 * space's pheromones and narrative as this read session sees them; 0 where there is none.
 */
async function adaptiveSignals(reads: SpaceReads, ids: readonly string[], plan: SearchPlan): Promise<Map<string, { feedback: number; narrative: number }>> {
  const halfLife = (plan.feedback ?? DEFAULT_FEEDBACK_SETTINGS).halfLifeDays;
  const [pheromones, narrative] = await Promise.all([reads.pheromones(ids), reads.narrative()]);
  const levels = new Map(pheromones.map((p) => [p.id, pheromoneLevel(p, plan.now, halfLife)]));
  const cosines = narrative === undefined ? new Map<string, number>() : await reads.vectorScores(narrative.vector, ids);
  const strength = narrative === undefined ? 0 : narrativeStrength(narrative, plan.now, halfLife);
  return new Map(ids.map((id) => [id, { feedback: feedbackSignal(levels.get(id) ?? 0), narrative: narrativeSignal(cosines.get(id) ?? 0, strength) }]));
}

/**
 * Rescores the ranked candidates: the blend of the request's `rank` weights ({@link blendScore}),
 * plus what feedback and the narrative add (core/feedback.ts `adaptiveBoost`); then applies the
 * threshold and the limit. Each hit shows its relevance and the signals whose weight is above 0.
 */
function rescore(ranked: readonly SignalledHit[], byId: ReadonlyMap<string, MemoryRecord>, how: Rescoring, plan: SearchPlan, req: SearchRequest): ScoredHit[] {
  const halfLife = plan.halfLifeDays ?? DEFAULT_CONSOLIDATION_SETTINGS.halfLifeDays;
  const { weights, adaptive, learned } = how;
  let blended = ranked.map((r): ScoredHit => {
    const memory = byId.get(r.id)!;
    const signals = { recency: recencyScore(memory.createdAt, plan.now, halfLife), importance: decayedImportance(memory, plan.now, halfLife) };
    const own = learned?.get(r.id) ?? { feedback: 0, narrative: 0 };
    const scores = {
      ...partsOf(r),
      relevance: r.score,
      ...(weights !== undefined && weights.recency > 0 && { recency: signals.recency }),
      ...(weights !== undefined && weights.importance > 0 && { importance: signals.importance }),
      ...(adaptive !== undefined && adaptive.feedback > 0 && { feedback: own.feedback }),
      ...(adaptive !== undefined && adaptive.narrative > 0 && { narrative: own.narrative }),
    };
    const base = weights === undefined ? r.score : blendScore(r.score, signals, weights);
    return { id: r.id, score: base + (adaptive === undefined ? 0 : adaptiveBoost(own, adaptive)), scores };
  });
  if (req.threshold !== undefined) blended = blended.filter((h) => h.score >= req.threshold!);
  return blended.sort(byScore).slice(0, req.limit);
}

/** Memories no newer memory supersedes (consolidation). */
export function notSuperseded(): FilterNode {
  return columnCondition('supersededBy', 'exists', false);
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
