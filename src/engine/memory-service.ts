import { MemspaceError } from '../core/errors.js';
import { andFilters, columnCondition, MATCH_ALL, type FilterNode } from '../core/filter.js';
import { uuidv7, validateId } from '../core/ids.js';
import type { EmbedderProvider } from '../core/ports/embedder.js';
import { fuseRanks, keywordScore, normalize } from '../core/ranking.js';
import {
  AuditEventSchema,
  AuditQuerySchema,
  ListQuerySchema,
  MAX_CONTENT_CHARS,
  MAX_METADATA_BYTES,
  MemoryInputSchema,
  MemoryPatchSchema,
  ContextInputSchema,
  RelationInputSchema,
  RelationQuerySchema,
  SearchRequestSchema,
  SpaceCreateSchema,
  SpacePatchSchema,
  FilterSchema,
  type MemoryInput,
} from '../core/schemas.js';
import { DEFAULT_SPACE, validateSpaceName } from '../core/space-name.js';
import { canonicalJson } from '../core/audit.js';
import type { AuditVerification, ContextRecord, JsonObject, MemoryRecord, ScoredId, SpaceRecord, StorageLimits, WriteContext } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import { TokenBuckets } from '../core/token-bucket.js';
import { decodeCursor, encodeCursor } from '../core/cursor.js';
import {
  auditView,
  contextView,
  historyView,
  iso,
  memoryView,
  relationView,
  spaceView,
  type AuditEntry,
  type Context,
  type HistoryEntry,
  type Memory,
  type Relation,
  type SearchHit,
  type Space,
  type SpaceInfo,
} from '../core/views.js';
import type { SpaceHandle, SpaceRegistry } from './space-registry.js';

/** Dependencies of the service; the clock is injected so tests need no sleeps. */
export interface MemoryServiceDeps {
  registry: SpaceRegistry;
  embedders: EmbedderProvider;
  /** @default Date.now */
  now?: () => number;
  /** Called after a space's retention was shortened or set, so that it applies at once (the sweeper). */
  onRetentionChange?: (space: string) => Promise<unknown>;
}

/** Who performs a call and for which request; recorded in history and the audit trail. */
export interface CallContext {
  /** Key id or name of the caller. */
  actor?: string | null;
  /** The request being served (HTTP request id), so audit entries can be traced to it. */
  requestId?: string;
}

/** A page of a listing. */
export interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
}

/** How many candidates each ranking contributes to hybrid fusion, per result asked for. */
const HYBRID_OVERFETCH = 4;
const MIN_HYBRID_CANDIDATES = 50;
/** Without a summary, this much of a context's start stands in for it (and is what gets embedded). */
const SUMMARY_FROM_CONTENT_CHARS = 2000;

/**
 * The engine: every operation on spaces and memories, validated once here for every backend
 * and interface. Inputs are unknown values parsed with the core schemas; outputs are views.
 */
export class MemoryService {
  private readonly registry: SpaceRegistry;
  private readonly embedders: EmbedderProvider;
  private readonly now: () => number;
  private readonly onRetentionChange: ((space: string) => Promise<unknown>) | undefined;
  /** Per-space request budgets (`quotas.maxRequestsPerSecond`). */
  private readonly requestBudgets = new TokenBuckets();

  constructor(deps: MemoryServiceDeps) {
    this.registry = deps.registry;
    this.embedders = deps.embedders;
    this.now = deps.now ?? Date.now;
    this.onRetentionChange = deps.onRetentionChange;
  }

  /**
   * Counts one request against a space's `maxRequestsPerSecond`; over it is `QUOTA_EXCEEDED`
   * naming the quota. Every call of this service on a space is one request; export and import
   * count once each.
   */
  admit(record: SpaceRecord): void {
    const rate = record.quotas.maxRequestsPerSecond;
    if (rate === null) return;
    const retryAfterMs = this.requestBudgets.take(record.name.toLowerCase(), rate, this.now());
    if (retryAfterMs > 0) {
      throw new MemspaceError('QUOTA_EXCEEDED', `space "${record.name}" is limited to ${rate} requests per second`, {
        quota: 'maxRequestsPerSecond',
        limit: rate,
        retryAfterMs,
      });
    }
  }

  /** Opens the space through the registry and admits the request against its rate quota. */
  private use<T>(space: string, fn: (handle: SpaceHandle) => Promise<T>): Promise<T> {
    return this.registry.use(space, (handle) => {
      this.admit(handle.record);
      return fn(handle);
    });
  }

  /** Creates the `default` space if it does not exist yet; opens nothing. */
  async ensureDefaultSpace(): Promise<void> {
    if ((await this.registry.backend.spaces.get(DEFAULT_SPACE)) !== undefined) return;
    try {
      await this.createSpace({ name: DEFAULT_SPACE, description: 'The space used when a request names none.' });
    } catch (error) {
      if (!(error instanceof MemspaceError && error.code === 'CONFLICT')) throw error;
    }
  }

  // ---- spaces -------------------------------------------------------------------------

  /** Creates a space; its embedder and dimension are fixed from then on. */
  async createSpace(input: unknown): Promise<Space> {
    const spec = parseWith(SpaceCreateSchema, input, 'space');
    validateSpaceName(spec.name);
    const known = this.embedders.dimensionOf(spec.embedder);
    if (known !== undefined && spec.dimension !== undefined && spec.dimension !== known) {
      throw new MemspaceError('DIMENSION_MISMATCH', `embedder ${spec.embedder} produces ${known}-dimensional vectors, not ${spec.dimension}`, {
        expected: known,
        actual: spec.dimension,
      });
    }
    const dimension = known ?? spec.dimension;
    if (dimension === undefined) {
      throw new MemspaceError('VALIDATION_FAILED', `embedder ${spec.embedder} needs a dimension`, {
        issues: [{ path: 'dimension', message: 'required for this embedder' }],
      });
    }
    const now = this.now();
    const record: SpaceRecord = {
      name: spec.name,
      description: spec.description,
      isolation: spec.isolation,
      sensitivity: spec.sensitivity,
      retentionDays: spec.retentionDays,
      quotas: spec.quotas,
      labels: spec.labels,
      embedder: spec.embedder,
      dimension,
      createdAt: now,
      updatedAt: now,
      state: 'idle',
    };
    await this.registry.backend.spaces.create(record);
    return spaceView(record);
  }

  /** Spaces by name, optionally under a prefix; `cursor` is the last name of the previous page. */
  async listSpaces(options: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<PageOf<Space>> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const rows = await this.registry.backend.spaces.list({ prefix: options.prefix, after: options.cursor, limit: limit + 1 });
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return { items: page.map((r) => this.withState(r)), nextCursor: more ? page[page.length - 1]!.name : null };
  }

  /** A space's record with its storage figures. */
  async getSpace(name: string): Promise<SpaceInfo> {
    return this.use(name, async ({ record, store }) => {
      const stats = await store.stats();
      return { ...this.withState(record), stats: { ...stats, lastWriteAt: stats.lastWriteAt === null ? null : iso(stats.lastWriteAt) } };
    });
  }

  /**
   * Changes a space's description, isolation, sensitivity, retention, quotas or labels, and
   * records a `space.update` audit entry in that space naming the fields that changed.
   */
  async updateSpace(name: string, input: unknown, ctx: CallContext = {}): Promise<Space> {
    const patch = parseWith(SpacePatchSchema, input, 'space update');
    const current = await this.registry.record(name);
    const next: SpaceRecord = {
      ...current,
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.isolation !== undefined && { isolation: patch.isolation }),
      ...(patch.sensitivity !== undefined && { sensitivity: patch.sensitivity }),
      ...(patch.retentionDays !== undefined && { retentionDays: patch.retentionDays }),
      ...(patch.labels !== undefined && { labels: patch.labels }),
      quotas: { ...current.quotas, ...patch.quotas },
      updatedAt: this.now(),
    };
    const fields: string[] = [
      ...(['description', 'isolation', 'sensitivity', 'retentionDays', 'labels'] as const).filter((f) => canonicalJson(current[f]) !== canonicalJson(next[f])),
      ...(['maxMemories', 'maxBytes', 'maxRequestsPerSecond'] as const).filter((q) => current.quotas[q] !== next.quotas[q]).map((q) => `quotas.${q}`),
    ];
    // The catalogue and the space are two databases, so the entry cannot share the change's
    // transaction. It is written first: a crash in between leaves an entry for a change that did
    // not land, never a change without its entry.
    await this.use(name, ({ store }) =>
      store.appendAudit({ action: 'space.update', ids: [], details: { fields } }, this.writeContext(ctx, next.updatedAt)),
    );
    await this.registry.backend.spaces.update(next);
    this.registry.refresh(next);
    const shorter = next.retentionDays !== null && (current.retentionDays === null || next.retentionDays < current.retentionDays);
    if (shorter) await this.onRetentionChange?.(next.name);
    return this.withState(next);
  }

  /** Deletes a space and every byte of its storage. The `default` space cannot be deleted. */
  async deleteSpace(name: string): Promise<void> {
    const record = await this.registry.record(name);
    if (record.name.toLowerCase() === DEFAULT_SPACE) {
      throw new MemspaceError('VALIDATION_FAILED', 'the default space cannot be deleted', { issues: [{ path: 'space', message: 'default space' }] });
    }
    await this.registry.closeSpace(record.name);
    if (!(await this.registry.backend.spaces.delete(record.name))) {
      throw new MemspaceError('SPACE_NOT_FOUND', `space "${name}" not found`, { space: name });
    }
  }

  // ---- memories -----------------------------------------------------------------------

  /** Adds one memory. */
  async addMemory(space: string, input: unknown, ctx: CallContext = {}): Promise<Memory> {
    const [memory] = await this.addMemories(space, [input], ctx);
    return memory!;
  }

  /** Adds memories all together or not at all; returns them in input order. */
  async addMemories(space: string, inputs: readonly unknown[], ctx: CallContext = {}): Promise<Memory[]> {
    const parsed = inputs.map((input, i) => parseWith(MemoryInputSchema, input, inputs.length > 1 ? `memories[${i}]` : 'memory'));
    return this.use(space, async (handle) => {
      const now = this.now();
      const seen = new Set<string>();
      const rows: MemoryRecord[] = [];
      for (const input of parsed) {
        checkSizes(input.content, input.metadata);
        const id = input.id === undefined ? uuidv7(now) : validateId(input.id);
        if (seen.has(id)) throw new MemspaceError('CONFLICT', `memory ${id} appears twice in the batch`, { id });
        seen.add(id);
        rows.push(newRecord(id, input, now));
      }
      const vectors = await this.vectorsFor(
        handle,
        parsed.map((p) => ({ text: p.content, given: p.embedding })),
      );
      rows.forEach((row, i) => (row.embedding = vectors[i]!));
      await handle.store.insertMemories(rows, this.writeContext(ctx, now), storageLimits(handle.record));
      return rows.map((r) => memoryView(r));
    });
  }

  /** One memory by id; `NOT_FOUND` when it is not in this space. */
  async getMemory(space: string, id: string, options: { includeEmbedding?: boolean } = {}): Promise<Memory> {
    return this.use(space, async ({ store }) => {
      const [memory] = await store.getMemories([id]);
      if (memory === undefined || this.isExpired(memory)) throw notFound(id);
      store.recordAccess([id], this.now());
      return memoryView(memory, options.includeEmbedding === true);
    });
  }

  /** A page of memories, newest first unless `order: "asc"`, filtered by scopes, tags, kind and filter. */
  async listMemories(space: string, query: unknown = {}): Promise<PageOf<Memory>> {
    const q = parseWith(ListQuerySchema, query, 'list query');
    const filter = andFilters(q.filter, scopeFilter(q), tagsFilter(q.tags, 'any'), q.kind === undefined ? undefined : columnCondition('kind', 'eq', q.kind), this.notExpired());
    return this.use(space, async ({ store }) => {
      const page = await store.listMemories({ filter, limit: q.limit, cursor: q.cursor, order: q.order });
      return { items: page.items.map((m) => memoryView(m)), nextCursor: page.nextCursor };
    });
  }

  /** Changes a memory; new content is embedded again unless a vector is given. */
  async updateMemory(space: string, id: string, input: unknown, ctx: CallContext = {}): Promise<Memory> {
    const patch = parseWith(MemoryPatchSchema, input, 'memory update');
    return this.use(space, async (handle) => {
      const [current] = await handle.store.getMemories([id]);
      if (current === undefined || this.isExpired(current)) throw notFound(id);
      const content = patch.content ?? current.content;
      const metadata = (patch.metadata as JsonObject | undefined) ?? current.metadata;
      checkSizes(content, metadata);
      const now = this.now();
      const next: MemoryRecord = {
        ...current,
        content,
        metadata,
        tags: patch.tags === undefined ? current.tags : [...new Set(patch.tags)],
        kind: patch.kind ?? current.kind,
        importance: patch.importance ?? current.importance,
        expiresAt: patch.expiresAt === undefined ? current.expiresAt : patch.expiresAt,
        updatedAt: now,
      };
      if (patch.embedding !== undefined || content !== current.content) {
        next.embedding = (await this.vectorsFor(handle, [{ text: content, given: patch.embedding }]))[0]!;
      }
      await handle.store.updateMemory(next, this.writeContext(ctx, now), storageLimits(handle.record));
      return memoryView(next);
    });
  }

  /** Deletes one memory and its relations; `NOT_FOUND` when it is not in this space. */
  async deleteMemory(space: string, id: string, ctx: CallContext = {}): Promise<void> {
    await this.use(space, async ({ store }) => {
      const deleted = await store.deleteMemories(columnCondition('id', 'eq', id), this.writeContext(ctx, this.now()));
      if (deleted === 0) throw notFound(id);
    });
  }

  /** Deletes every memory matching the filter (no cap) and returns the exact count. */
  async deleteMemories(space: string, filter: unknown, ctx: CallContext = {}): Promise<{ deleted: number }> {
    const parsed = parseWith(FilterSchema, filter, 'filter');
    return this.use(space, async ({ store }) => ({ deleted: await store.deleteMemories(parsed, this.writeContext(ctx, this.now())) }));
  }

  /** Every create, update and delete of a memory, oldest first; kept after the memory is deleted. */
  async history(space: string, id: string): Promise<HistoryEntry[]> {
    return this.use(space, async ({ store }) => {
      const entries = await store.history(id);
      if (entries.length === 0) throw notFound(id);
      return entries.map(historyView);
    });
  }

  // ---- relations ----------------------------------------------------------------------

  /** Adds a typed, directed edge between two memories of this space. */
  async addRelation(space: string, input: unknown, ctx: CallContext = {}): Promise<Relation> {
    const r = parseWith(RelationInputSchema, input, 'relation');
    const id = r.id === undefined ? uuidv7() : validateId(r.id);
    return this.use(space, async ({ store }) => {
      const now = this.now();
      const relation = { id, from: r.from, to: r.to, type: r.type, weight: r.weight, metadata: r.metadata as JsonObject, createdAt: now };
      await store.insertRelation(relation, this.writeContext(ctx, now));
      return relationView(relation);
    });
  }

  /** Edges of a memory, outgoing, incoming or both, optionally of one type. */
  async listRelations(space: string, memoryId: string, query: unknown = {}): Promise<Relation[]> {
    const q = parseWith(RelationQuerySchema, query, 'relation query');
    return this.use(space, async ({ store }) => {
      if ((await store.getMemories([memoryId])).length === 0) throw notFound(memoryId);
      return (await store.listRelations([memoryId], q.direction, q.type)).map(relationView);
    });
  }

  /** Deletes an edge; `NOT_FOUND` when it is not in this space. */
  async deleteRelation(space: string, relationId: string, ctx: CallContext = {}): Promise<void> {
    await this.use(space, async ({ store }) => {
      if (!(await store.deleteRelation(relationId, this.writeContext(ctx, this.now())))) {
        throw new MemspaceError('NOT_FOUND', `relation ${relationId} not found in this space`, { id: relationId });
      }
    });
  }

  // ---- contexts ----------------------------------------------------------------------

  /**
   * Stores a large blob compressed, with a summary (the content's start when none is given)
   * and the summary's embedding; returns it without its content.
   */
  async addContext(space: string, input: unknown, ctx: CallContext = {}): Promise<Context> {
    const c = parseWith(ContextInputSchema, input, 'context');
    checkSizes('', c.metadata);
    const id = c.id === undefined ? uuidv7(this.now()) : validateId(c.id);
    return this.use(space, async (handle) => {
      const now = this.now();
      const summary = c.summary ?? c.content.slice(0, SUMMARY_FROM_CONTENT_CHARS);
      const [embedding] = await this.vectorsFor(handle, [{ text: summary, given: c.embedding }]);
      const record: ContextRecord = {
        id,
        content: c.content,
        summary,
        metadata: c.metadata as JsonObject,
        embedding: embedding!,
        createdAt: now,
        originalBytes: Buffer.byteLength(c.content),
        storedBytes: 0, // the store compresses and fills it in
      };
      await handle.store.insertContext(record, this.writeContext(ctx, now), storageLimits(handle.record));
      const stored = await handle.store.getContext(id);
      return contextView(stored ?? record, { content: false });
    });
  }

  /** A context with its content; `NOT_FOUND` when it is not in this space. */
  async getContext(space: string, id: string): Promise<Context> {
    return this.use(space, async ({ store }) => {
      const context = await store.getContext(id);
      if (context === undefined) throw new MemspaceError('NOT_FOUND', `context ${id} not found in this space`, { id });
      return contextView(context);
    });
  }

  /** Deletes a context; `NOT_FOUND` when it is not in this space. */
  async deleteContext(space: string, id: string, ctx: CallContext = {}): Promise<void> {
    await this.use(space, async ({ store }) => {
      if (!(await store.deleteContext(id, this.writeContext(ctx, this.now())))) {
        throw new MemspaceError('NOT_FOUND', `context ${id} not found in this space`, { id });
      }
    });
  }

  // ---- audit --------------------------------------------------------------------------

  /**
   * A page of a space's audit trail, oldest first, filtered by `since` (ISO time, inclusive)
   * and `action`; `cursor` continues after the last entry of the previous page.
   */
  async audit(space: string, query: unknown = {}): Promise<PageOf<AuditEntry>> {
    const q = parseWith(AuditQuerySchema, query, 'audit query');
    const afterSeq = q.cursor === undefined ? undefined : decodeCursor('a', q.cursor);
    return this.use(space, async ({ store }) => {
      const rows = await store.auditEntries({
        ...(afterSeq !== undefined && { afterSeq }),
        ...(q.since !== undefined && { since: q.since }),
        ...(q.action !== undefined && { action: q.action }),
        limit: q.limit + 1,
      });
      const more = rows.length > q.limit;
      const page = more ? rows.slice(0, q.limit) : rows;
      return { items: page.map(auditView), nextCursor: more ? encodeCursor('a', page[page.length - 1]!.seq) : null };
    });
  }

  /** Recomputes a space's whole audit hash chain; a broken chain is a result, not an error. */
  async verifyAudit(space: string): Promise<AuditVerification> {
    return this.use(space, ({ store }) => store.verifyAudit());
  }

  /**
   * Records an event that is not a mutation in a space's audit trail: a denied request, a
   * cross-space read, a share change. `event` is `{action, ids?, details?}`; the actions the
   * engine writes itself (`memory.*`, `relation.*`, `space.update`, `import`) are refused, so
   * no caller can forge a mutation's entry.
   */
  async recordAudit(space: string, event: unknown, ctx: CallContext = {}): Promise<void> {
    const e = parseWith(AuditEventSchema, event, 'audit event');
    await this.registry.use(space, ({ store }) =>
      store.appendAudit({ action: e.action, ids: e.ids, details: e.details as JsonObject | null }, this.writeContext(ctx, this.now())),
    );
  }

  // ---- search -------------------------------------------------------------------------

  /**
   * Waits until the space's approximate vector index reflects every change so far, building it
   * if the space is past the threshold. Searches never wait for this; it is for operators,
   * tests and benchmarks that want the index settled.
   */
  async settleIndex(space: string): Promise<void> {
    await this.registry.use(space, ({ store }) => store.settleIndex());
  }

  /**
   * Searches one space. `vector` ranks by cosine similarity, `keyword` by BM25, `hybrid` by
   * `vectorWeight * cosine + (1 - vectorWeight) * keyword` over the union of both candidate
   * lists (or by weighted reciprocal rank fusion with `fusion: "rrf"`). Keyword scores are
   * BM25 mapped to [0, 1) by `s / (1 + s)`. `threshold` applies to `score`.
   */
  async search(space: string, request: unknown): Promise<{ results: SearchHit[] }> {
    const req = parseWith(SearchRequestSchema, request, 'search request');
    const combined = andFilters(req.filter, scopeFilter(req), tagsFilter(req.tags, req.tagsMatch));
    // Expiry is left to the store, which checks it without scanning every row.
    const filter = combined === MATCH_ALL || (combined.kind === 'and' && combined.nodes.length === 0) ? undefined : combined;
    const now = this.now();
    return this.use(space, async (handle) => {
      const { store } = handle;
      const useVector = req.mode !== 'keyword';
      const useKeyword = req.mode !== 'vector' && req.query !== undefined;
      const candidates = req.mode === 'hybrid' ? Math.max(req.limit * HYBRID_OVERFETCH, MIN_HYBRID_CANDIDATES) : req.limit;
      const queryVector = useVector ? (await this.vectorsFor(handle, [{ text: req.query ?? '', given: req.embedding }]))[0]! : undefined;
      const [vectorHits, keywordHits] = await Promise.all([
        queryVector ? store.vectorSearch(queryVector, filter, candidates, now, { exact: req.exact }) : [],
        useKeyword ? store.keywordSearch(req.query!, filter, candidates, now) : [],
      ]);
      const keywordById = new Map(keywordHits.map((h) => [h.id, keywordScore(h.score)]));
      const vectorById = new Map(vectorHits.map((h) => [h.id, h.score]));
      // Keyword-only candidates get their true cosine too, so the union is scored exactly.
      const unscored = keywordHits.filter((h) => !vectorById.has(h.id)).map((h) => h.id);
      if (queryVector && unscored.length > 0) {
        for (const [id, score] of await store.vectorScores(queryVector, unscored)) vectorById.set(id, score);
      }
      const fused = req.mode === 'hybrid' && useKeyword;
      const rrf = fused && req.fusion === 'rrf' ? rrfScores(vectorHits, keywordHits, req.vectorWeight) : undefined;
      let ranked = [...new Set([...vectorHits.map((h) => h.id), ...keywordHits.map((h) => h.id)])].map((id) => {
        const vector = vectorById.get(id);
        const keyword = keywordById.get(id);
        const score =
          req.mode === 'keyword' ? (keyword ?? 0)
          : !fused ? (vector ?? 0)
          : rrf ? (rrf.get(id) ?? 0)
          : req.vectorWeight * Math.max(vector ?? 0, 0) + (1 - req.vectorWeight) * (keyword ?? 0);
        return { id, score, vector, keyword };
      });
      if (req.threshold !== undefined) ranked = ranked.filter((r) => r.score >= req.threshold!);
      ranked.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
      ranked = ranked.slice(0, req.limit);
      // Only the hits returned are read in full.
      const byId = new Map((await store.getMemories(ranked.map((r) => r.id), { embeddings: false })).map((m) => [m.id, m]));
      const results: SearchHit[] = ranked.flatMap((r) => {
        const memory = byId.get(r.id);
        if (memory === undefined) return []; // deleted between ranking and reading
        const scores: SearchHit['scores'] = {};
        if (r.vector !== undefined) scores.vector = r.vector;
        if (r.keyword !== undefined) scores.keyword = r.keyword;
        return [{ memory: memoryView(memory), score: r.score, scores }];
      });
      store.recordAccess(results.map((r) => r.memory.id), now);
      if (req.expand) await this.expand(handle, results);
      return { results };
    });
  }

  /** Closes every open space. Embedders belong to whoever created them. */
  async close(): Promise<void> {
    await this.registry.close();
  }

  // ---- internals ----------------------------------------------------------------------

  /** Attaches to each hit the memories one relation away, in either direction. */
  private async expand({ store }: SpaceHandle, results: SearchHit[]): Promise<void> {
    const ids = results.map((r) => r.memory.id);
    const relations = await store.listRelations(ids, 'both', undefined);
    const others = new Set(relations.flatMap((r) => [r.from, r.to]));
    const byId = new Map((await store.getMemories([...others], { embeddings: false })).map((m) => [m.id, m]));
    for (const hit of results) {
      hit.related = relations.flatMap((r) => {
        if (r.from !== hit.memory.id && r.to !== hit.memory.id) return [];
        const other = byId.get(r.from === hit.memory.id ? r.to : r.from);
        return other ? [{ relation: relationView(r), memory: memoryView(other) }] : [];
      });
    }
  }

  /** Unit vectors for texts, using given vectors where present and the space's embedder for the rest. */
  async vectorsFor({ record }: SpaceHandle, items: readonly { text: string; given: number[] | undefined }[]): Promise<Float32Array[]> {
    const out: (Float32Array | undefined)[] = items.map((item) => {
      if (item.given === undefined) return undefined;
      checkDimension(record, item.given.length);
      return normalize(Float32Array.from(item.given)); // the schemas checked every value is finite
    });
    const missing = items.flatMap((item, i) => (out[i] === undefined ? [i] : []));
    if (missing.length > 0) {
      const embedder = this.embedders.get(record.embedder, record.dimension);
      if (embedder === undefined) {
        throw new MemspaceError(
          record.embedder === 'none' ? 'VALIDATION_FAILED' : 'BACKEND_UNAVAILABLE',
          record.embedder === 'none'
            ? `space "${record.name}" has no embedder: give an embedding of ${record.dimension} numbers`
            : `embedder ${record.embedder} of space "${record.name}" is not configured on this server`,
          { embedder: record.embedder },
        );
      }
      const vectors = await embedder.embed(missing.map((i) => items[i]!.text));
      missing.forEach((index, j) => {
        const v = vectors[j]!;
        checkDimension(record, v.length);
        out[index] = normalize(v);
      });
    }
    return out as Float32Array[];
  }

  private writeContext(ctx: CallContext, now: number): WriteContext {
    return { actor: ctx.actor ?? null, now, requestId: ctx.requestId ?? null };
  }

  private isExpired(m: MemoryRecord): boolean {
    return m.expiresAt !== null && m.expiresAt <= this.now();
  }

  /** Expired memories are invisible until the sweeper deletes them. */
  private notExpired(): FilterNode {
    return { kind: 'or', nodes: [columnCondition('expiresAt', 'exists', false), columnCondition('expiresAt', 'gt', this.now())] };
  }

  /** The catalogue says idle or archived; whether a space is open right now only the registry knows. */
  private withState(record: SpaceRecord): Space {
    const view = spaceView(record);
    return record.state === 'idle' && this.registry.isOpen(record.name) ? { ...view, state: 'active' } : view;
  }
}

function newRecord(id: string, input: MemoryInput, now: number): MemoryRecord {
  return {
    id,
    content: input.content,
    metadata: input.metadata as JsonObject,
    tags: [...new Set(input.tags)],
    userId: input.userId ?? null,
    agentId: input.agentId ?? null,
    runId: input.runId ?? null,
    kind: input.kind,
    importance: input.importance,
    createdAt: now,
    updatedAt: now,
    expiresAt: input.expiresAt ?? null,
    embedding: new Float32Array(0),
    accessCount: 0,
    lastAccessedAt: null,
  };
}

function storageLimits(record: SpaceRecord): StorageLimits {
  return { maxMemories: record.quotas.maxMemories, maxBytes: record.quotas.maxBytes };
}

function scopeFilter(q: { userId?: string | undefined; agentId?: string | undefined; runId?: string | undefined }): FilterNode {
  return andFilters(
    q.userId === undefined ? undefined : columnCondition('userId', 'eq', q.userId),
    q.agentId === undefined ? undefined : columnCondition('agentId', 'eq', q.agentId),
    q.runId === undefined ? undefined : columnCondition('runId', 'eq', q.runId),
  );
}

function tagsFilter(tags: string[] | undefined, match: 'any' | 'all'): FilterNode {
  if (tags === undefined || tags.length === 0) return MATCH_ALL;
  if (match === 'any') return columnCondition('tags', 'in', tags);
  return andFilters(...tags.map((t) => columnCondition('tags', 'eq', t)));
}

function checkSizes(content: string, metadata: unknown): void {
  if (content.length > MAX_CONTENT_CHARS) {
    throw new MemspaceError('PAYLOAD_TOO_LARGE', `content is longer than ${MAX_CONTENT_CHARS} characters`, { field: 'content', limit: MAX_CONTENT_CHARS });
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > MAX_METADATA_BYTES) {
    throw new MemspaceError('PAYLOAD_TOO_LARGE', `metadata is larger than ${MAX_METADATA_BYTES} bytes`, { field: 'metadata', limit: MAX_METADATA_BYTES });
  }
}

function checkDimension(record: SpaceRecord, length: number): void {
  if (length !== record.dimension) {
    throw new MemspaceError('DIMENSION_MISMATCH', `space "${record.name}" holds ${record.dimension}-dimensional vectors, got ${length}`, {
      expected: record.dimension,
      actual: length,
    });
  }
}

function notFound(id: string): MemspaceError {
  return new MemspaceError('NOT_FOUND', `memory ${id} not found in this space`, { id });
}

function rrfScores(vectorHits: ScoredId[], keywordHits: ScoredId[], vectorWeight: number): Map<string, number> {
  const fused = fuseRanks([
    { hits: vectorHits, weight: vectorWeight },
    { hits: keywordHits, weight: 1 - vectorWeight },
  ]);
  return new Map(fused.map((h) => [h.id, h.score]));
}
