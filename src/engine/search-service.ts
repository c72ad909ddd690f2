import { andFilters, MATCH_ALL, type FilterNode } from '../core/filter.js';
import { SearchRequestSchema, type SearchRequest } from '../core/schemas.js';
import { spaceKey, validateSpaceName } from '../core/space-name.js';
import { parseWith } from '../core/validate.js';
import type { CrossSearchHit, SearchHit } from '../core/views.js';
import { principalOf, type CallContext } from './access-guard.js';
import { scopeFilter, tagsFilter } from './memory-filters.js';
import { RerankStage } from './rerank-stage.js';
import type { SpaceEmbeddings } from './space-embeddings.js';
import type { SpaceGate } from './space-gate.js';
import type { SpaceHandle } from './space-registry.js';
import type { ShareService } from './share-service.js';

/**
 * Search: one space by meaning, keywords or both, or several spaces at once, each readable by
 * a grant or a share. The ranking rule itself is {@link rankHits} in core; this service fetches
 * the candidates it ranks.
 */
export class SearchService {
  constructor(
    private readonly gate: SpaceGate,
    private readonly embeddings: SpaceEmbeddings,
    private readonly shares: ShareService,
    private readonly rerank: RerankStage = new RerankStage(undefined),
  ) {}

  /**
   * Searches one space. `vector` ranks by cosine similarity, `keyword` by BM25, `hybrid` by
   * `vectorWeight * cosine + (1 - vectorWeight) * keyword` over the union of both candidate
   * lists (or by weighted reciprocal rank fusion with `fusion: "rrf"`). Keyword scores are
   * BM25 mapped to [0, 1) by `s / (1 + s)`. With `rank` weights the score blends that relevance
   * with the memory's recency and decayed importance (core/ranking.ts `blendScore`, over the
   * space's `consolidation.halfLifeDays`). With `rerank` the configured reranker orders the
   * candidates instead ({@link RerankStage}). `threshold` applies to `score`.
   */
  async run(space: string, request: unknown, call: CallContext = {}): Promise<{ results: SearchHit[] }> {
    const req = parseWith(SearchRequestSchema, request, 'search request');
    return this.gate.use(space, 'read', call, async (handle) => ({ results: await this.searchOpen(handle, req) }));
  }

  /**
   * Searches several spaces with one request; every space must be readable by the caller, by
   * grant or through a share (one neither is `SPACE_NOT_FOUND`, as a missing one). Hits carry
   * their space and are merged by score. Reads through shares are audited in the shared space.
   */
  async across(spaces: readonly string[], request: Record<string, unknown>, call: CallContext = {}): Promise<{ results: CrossSearchHit[] }> {
    const principal = principalOf(call);
    const names = [...new Map(spaces.map((s) => [spaceKey(validateSpaceName(s)), s])).values()];
    const access = await Promise.all(names.map((name) => this.shares.readAccess(principal, name)));
    const limit = typeof request['limit'] === 'number' ? request['limit'] : 10;
    const perSpace = await Promise.all(
      names.map(async (name, i) => {
        const { tags } = access[i]!;
        const filter = tags === null ? request['filter'] : request['filter'] === undefined ? { tags: { in: tags } } : { and: [request['filter'], { tags: { in: tags } }] };
        const req = parseWith(SearchRequestSchema, { ...request, ...(filter !== undefined && { filter }) }, 'search request');
        // Access was decided above, by grant or share: the space is entered without a role check.
        const results = await this.gate.open(name, (handle) => this.searchOpen(handle, req));
        return results.map((hit) => ({ ...hit, space: name }));
      }),
    );
    for (const [i, name] of names.entries()) {
      const via = access[i]!.via;
      if (via === null) continue;
      const ids = perSpace[i]!.map((h) => h.memory.id);
      await this.gate.record(name, { action: 'read.cross_space', ids, details: { share: via.id, results: ids.length } }, call);
    }
    return { results: perSpace.flat().sort((a, b) => b.score - a.score).slice(0, limit) };
  }

  /**
   * Waits until the space's approximate vector index reflects every change so far, building it
   * if the space is past the threshold. Searches never wait for this; it is for operators,
   * tests and benchmarks that want the index settled.
   */
  async settleIndex(space: string, call: CallContext = {}): Promise<void> {
    await this.gate.use(space, 'read', call, ({ store }) => store.settleIndex());
  }

  /**
   * One search of an open space: embed the query (here, where the embedders and their cache
   * live), then let the store run the plan in one read session (see `SpaceStore.search`), and
   * rerank its candidates when asked (here, outside the read session: the reranker is a remote call).
   */
  private async searchOpen({ record, store }: SpaceHandle, req: SearchRequest): Promise<SearchHit[]> {
    const firstStage = this.rerank.firstStage(req); // refuses an unconfigured rerank before any embedding work
    const combined = andFilters(req.filter, scopeFilter(req), tagsFilter(req.tags, req.tagsMatch));
    // Expiry is left to the store, which checks it without scanning every row.
    const filter: FilterNode | undefined = combined === MATCH_ALL || (combined.kind === 'and' && combined.nodes.length === 0) ? undefined : combined;
    const now = this.gate.now();
    const vector = req.mode === 'keyword' ? undefined : (await this.embeddings.vectorsFor(record, [{ text: req.query ?? '', given: req.embedding }]))[0]!;
    const feedback = { halfLifeDays: record.feedback.halfLifeDays, rank: record.feedback.rank };
    const candidates = await store.search({ request: firstStage, vector, filter, now, halfLifeDays: record.consolidation.halfLifeDays, feedback });
    const results = await this.rerank.reorder(req, candidates);
    store.recordAccess(results.map((r) => r.memory.id), now);
    return results;
  }
}
