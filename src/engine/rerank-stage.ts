import { isMemspaceError, MemspaceError } from '../core/errors.js';
import type { Reranker } from '../core/ports/reranker.js';
import { DEFAULT_RERANK_TOP_N, type SearchRequest } from '../core/schemas.js';
import type { SearchHit } from '../core/views.js';

/**
 * The second stage of a search asking `rerank: true`: the configured {@link Reranker} reads the
 * query with each first-stage candidate's content and its scores decide the order. The first
 * stage is the ordinary search, made deeper and unthresholded ({@link RerankStage.firstStage}).
 * The reranker sees the candidates of one space per call, never another's: a search across
 * spaces reranks each space's candidates on their own, then merges by the reranker's score.
 */
export class RerankStage {
  constructor(
    private readonly reranker: Reranker | undefined,
    /** Least number of candidates a reranked search fetches and sends (more when `limit` is higher). */
    private readonly topN: number = DEFAULT_RERANK_TOP_N,
  ) {}

  /**
   * The request the first stage runs. For a reranked search: at least `topN` candidates, so the
   * reranker can lift one from below `limit`, and no threshold, because the threshold is on the
   * final (reranked) score. Other requests are returned as they are.
   * @throws MemspaceError `VALIDATION_FAILED` when reranking is asked and no reranker is configured.
   */
  firstStage(req: SearchRequest): SearchRequest {
    if (!req.rerank) return req;
    if (this.reranker === undefined) {
      throw new MemspaceError('VALIDATION_FAILED', 'rerank needs a reranker: configure MEMSPACE_RERANK_BASE_URL (and MEMSPACE_RERANK_MODEL)', {
        issues: [{ path: 'rerank', message: 'no reranker is configured on this server' }],
      });
    }
    return { ...req, limit: Math.max(req.limit, this.topN), threshold: undefined };
  }

  /**
   * Orders the first stage's `candidates` by the reranker's score of their content against the
   * query. Each hit's `score` becomes that score, `scores.rerank` shows it and `scores.relevance`
   * keeps the first-stage score; then the request's threshold and limit apply. Equal scores keep
   * the first stage's order. A failing or unreadable reranker is `BACKEND_UNAVAILABLE`.
   */
  async reorder(req: SearchRequest, candidates: SearchHit[]): Promise<SearchHit[]> {
    if (!req.rerank || candidates.length === 0) return candidates;
    // The schema refuses `rerank` without a query; firstStage refused it without a reranker.
    const reranker = this.reranker!;
    let scores: number[];
    try {
      scores = await reranker.rerank(req.query!, candidates.map((hit) => hit.memory.content));
    } catch (error) {
      // A reranker given to openMemspace may throw anything; its failure is still the dependency's, not ours.
      throw isMemspaceError(error) ? error : new MemspaceError('BACKEND_UNAVAILABLE', `reranker ${reranker.model} failed`, { model: reranker.model }, { cause: error });
    }
    // An injected reranker is held to the port's contract too: a missing score would sort as NaN.
    if (scores.length !== candidates.length) {
      throw new MemspaceError('BACKEND_UNAVAILABLE', `reranker ${reranker.model} gave ${scores.length} scores for ${candidates.length} documents`, { model: reranker.model });
    }
    if (!scores.every(Number.isFinite)) throw new MemspaceError('BACKEND_UNAVAILABLE', `reranker ${reranker.model} gave a score that is not a finite number`, { model: reranker.model });
    const reranked = candidates.map((hit, i): SearchHit => ({ ...hit, score: scores[i]!, scores: { ...hit.scores, relevance: hit.score, rerank: scores[i]! } }));
    const kept = req.threshold === undefined ? reranked : reranked.filter((hit) => hit.score >= req.threshold!);
    // Array.prototype.sort is stable: ties stay in first-stage order.
    return kept.sort((a, b) => b.score - a.score).slice(0, req.limit);
  }
}
