import { MemspaceError } from '../core/errors.js';
import { andFilters, columnCondition } from '../core/filter.js';
import { uuidv7, validateId } from '../core/ids.js';
import {
  ContextInputSchema,
  FilterSchema,
  ListQuerySchema,
  MAX_CONTENT_CHARS,
  MAX_METADATA_BYTES,
  MemoryInputSchema,
  MemoryPatchSchema,
  RelationInputSchema,
  RelationQuerySchema,
  type MemoryInput,
} from '../core/schemas.js';
import type { ContextRecord, JsonObject, MemoryRecord } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import { contextView, historyView, memoryView, relationView, type Context, type HistoryEntry, type Memory, type Page, type Relation } from '../core/views.js';
import type { CallContext } from './access-guard.js';
import { notSuperseded } from '../core/search-plan.js';
import { isExpired, notExpiredAt, scopeFilter, tagsFilter } from './memory-filters.js';
import type { SpaceEmbeddings } from './space-embeddings.js';
import { storageLimits } from '../core/storage-limits.js';
import type { SpaceGate } from './space-gate.js';

/** Without a summary, this much of a context's start stands in for it (and is what gets embedded). */
const SUMMARY_FROM_CONTENT_CHARS = 2000;

/**
 * What a space holds: memories (with their history), the relations between them, and
 * contexts. Inputs are unknown values parsed with the core schemas, validated here once for
 * every backend and interface; outputs are views. Reads need the caller's `read` role in the
 * space, changes `write`.
 */
export class MemoryService {
  constructor(
    private readonly gate: SpaceGate,
    private readonly embeddings: SpaceEmbeddings,
  ) {}

  // ---- memories -----------------------------------------------------------------------

  /** Adds one memory. */
  async add(space: string, input: unknown, call: CallContext = {}): Promise<Memory> {
    const [memory] = await this.addMany(space, [input], call);
    return memory!;
  }

  /** Adds memories all together or not at all; returns them in input order. */
  async addMany(space: string, inputs: readonly unknown[], call: CallContext = {}): Promise<Memory[]> {
    const parsed = inputs.map((input, i) => parseWith(MemoryInputSchema, input, inputs.length > 1 ? `memories[${i}]` : 'memory'));
    return this.gate.use(space, 'write', call, async ({ record, store }) => {
      const now = this.gate.now();
      const seen = new Set<string>();
      const rows: MemoryRecord[] = [];
      for (const input of parsed) {
        checkSizes(input.content, input.metadata);
        const id = input.id === undefined ? uuidv7(now) : validateId(input.id);
        if (seen.has(id)) throw new MemspaceError('CONFLICT', `memory ${id} appears twice in the batch`, { id });
        seen.add(id);
        rows.push(newRecord(id, input, now));
      }
      const vectors = await this.embeddings.vectorsFor(
        record,
        parsed.map((p) => ({ text: p.content, given: p.embedding })),
      );
      rows.forEach((row, i) => (row.embedding = vectors[i]!));
      await store.insertMemories(rows, this.gate.writeContext(call, now), storageLimits(record));
      return rows.map((r) => memoryView(r));
    });
  }

  /** One memory by id; `NOT_FOUND` when it is not in this space. */
  async get(space: string, id: string, options: { includeEmbedding?: boolean } = {}, call: CallContext = {}): Promise<Memory> {
    return this.gate.use(space, 'read', call, async ({ store }) => {
      const [memory] = await store.getMemories([id]);
      if (memory === undefined || isExpired(memory, this.gate.now())) throw notFound(id);
      store.recordAccess([id], this.gate.now());
      return memoryView(memory, options.includeEmbedding === true);
    });
  }

  /** A page of memories, newest first unless `order: "asc"`, filtered by scopes, tags, kind and filter. */
  async list(space: string, query: unknown = {}, call: CallContext = {}): Promise<Page<Memory>> {
    const q = parseWith(ListQuerySchema, query, 'list query');
    const kind = q.kind === undefined ? undefined : columnCondition('kind', 'eq', q.kind);
    const filter = andFilters(q.filter, scopeFilter(q), tagsFilter(q.tags, 'any'), kind, notExpiredAt(this.gate.now()), q.includeSuperseded ? undefined : notSuperseded());
    return this.gate.use(space, 'read', call, async ({ store }) => {
      const page = await store.listMemories({ filter, limit: q.limit, cursor: q.cursor, order: q.order });
      return { items: page.items.map((m) => memoryView(m)), nextCursor: page.nextCursor };
    });
  }

  /** Changes a memory; new content is embedded again unless a vector is given. */
  async update(space: string, id: string, input: unknown, call: CallContext = {}): Promise<Memory> {
    const patch = parseWith(MemoryPatchSchema, input, 'memory update');
    return this.gate.use(space, 'write', call, async ({ record, store }) => {
      const [current] = await store.getMemories([id]);
      if (current === undefined || isExpired(current, this.gate.now())) throw notFound(id);
      const content = patch.content ?? current.content;
      const metadata = (patch.metadata as JsonObject | undefined) ?? current.metadata;
      checkSizes(content, metadata);
      const now = this.gate.now();
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
        next.embedding = (await this.embeddings.vectorsFor(record, [{ text: content, given: patch.embedding }]))[0]!;
      }
      await store.updateMemory(next, this.gate.writeContext(call, now), storageLimits(record));
      return memoryView(next);
    });
  }

  /** Deletes one memory and its relations; `NOT_FOUND` when it is not in this space. */
  async delete(space: string, id: string, call: CallContext = {}): Promise<void> {
    await this.gate.use(space, 'write', call, async ({ store }) => {
      const deleted = await store.deleteMemories(columnCondition('id', 'eq', id), this.gate.writeContext(call, this.gate.now()));
      if (deleted === 0) throw notFound(id);
    });
  }

  /** Deletes every memory matching the filter (no cap) and returns the exact count. */
  async deleteMatching(space: string, filter: unknown, call: CallContext = {}): Promise<{ deleted: number }> {
    const parsed = parseWith(FilterSchema, filter, 'filter');
    return this.gate.use(space, 'write', call, async ({ store }) => ({ deleted: await store.deleteMemories(parsed, this.gate.writeContext(call, this.gate.now())) }));
  }

  /** Every create, update and delete of a memory, oldest first; kept after the memory is deleted. */
  async history(space: string, id: string, call: CallContext = {}): Promise<HistoryEntry[]> {
    return this.gate.use(space, 'read', call, async ({ store }) => {
      const entries = await store.history(id);
      if (entries.length === 0) throw notFound(id);
      return entries.map(historyView);
    });
  }

  // ---- relations ----------------------------------------------------------------------

  /** Adds a typed, directed edge between two memories of this space. */
  async relate(space: string, input: unknown, call: CallContext = {}): Promise<Relation> {
    const r = parseWith(RelationInputSchema, input, 'relation');
    const id = r.id === undefined ? uuidv7() : validateId(r.id);
    return this.gate.use(space, 'write', call, async ({ store }) => {
      const now = this.gate.now();
      const relation = { id, from: r.from, to: r.to, type: r.type, weight: r.weight, metadata: r.metadata as JsonObject, createdAt: now };
      await store.insertRelation(relation, this.gate.writeContext(call, now));
      return relationView(relation);
    });
  }

  /** Edges of a memory, outgoing, incoming or both, optionally of one type. */
  async relations(space: string, memoryId: string, query: unknown = {}, call: CallContext = {}): Promise<Relation[]> {
    const q = parseWith(RelationQuerySchema, query, 'relation query');
    return this.gate.use(space, 'read', call, async ({ store }) => {
      if ((await store.getMemories([memoryId])).length === 0) throw notFound(memoryId);
      return (await store.listRelations([memoryId], q.direction, q.type)).map(relationView);
    });
  }

  /** Deletes an edge; `NOT_FOUND` when it is not in this space. */
  async unrelate(space: string, relationId: string, call: CallContext = {}): Promise<void> {
    await this.gate.use(space, 'write', call, async ({ store }) => {
      if (!(await store.deleteRelation(relationId, this.gate.writeContext(call, this.gate.now())))) {
        throw new MemspaceError('NOT_FOUND', `relation ${relationId} not found in this space`, { id: relationId });
      }
    });
  }

  // ---- contexts ----------------------------------------------------------------------

  /**
   * Stores a large blob compressed, with a summary (the content's start when none is given)
   * and the summary's embedding; returns it without its content.
   */
  async addContext(space: string, input: unknown, call: CallContext = {}): Promise<Context> {
    const c = parseWith(ContextInputSchema, input, 'context');
    checkSizes('', c.metadata);
    const id = c.id === undefined ? uuidv7(this.gate.now()) : validateId(c.id);
    return this.gate.use(space, 'write', call, async ({ record, store }) => {
      const now = this.gate.now();
      const summary = c.summary ?? c.content.slice(0, SUMMARY_FROM_CONTENT_CHARS);
      const [embedding] = await this.embeddings.vectorsFor(record, [{ text: summary, given: c.embedding }]);
      const context: ContextRecord = {
        id,
        content: c.content,
        summary,
        metadata: c.metadata as JsonObject,
        embedding: embedding!,
        createdAt: now,
        originalBytes: Buffer.byteLength(c.content),
        storedBytes: 0, // the store compresses and fills it in
      };
      await store.insertContext(context, this.gate.writeContext(call, now), storageLimits(record));
      const stored = await store.getContext(id);
      return contextView(stored ?? context, { content: false });
    });
  }

  /** A context with its content; `NOT_FOUND` when it is not in this space. */
  async getContext(space: string, id: string, call: CallContext = {}): Promise<Context> {
    return this.gate.use(space, 'read', call, async ({ store }) => {
      const context = await store.getContext(id);
      if (context === undefined) throw new MemspaceError('NOT_FOUND', `context ${id} not found in this space`, { id });
      return contextView(context);
    });
  }

  /** Deletes a context; `NOT_FOUND` when it is not in this space. */
  async deleteContext(space: string, id: string, call: CallContext = {}): Promise<void> {
    await this.gate.use(space, 'write', call, async ({ store }) => {
      if (!(await store.deleteContext(id, this.gate.writeContext(call, this.gate.now())))) {
        throw new MemspaceError('NOT_FOUND', `context ${id} not found in this space`, { id });
      }
    });
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
    supersededBy: null,
  };
}

function checkSizes(content: string, metadata: unknown): void {
  if (content.length > MAX_CONTENT_CHARS) {
    throw new MemspaceError('PAYLOAD_TOO_LARGE', `content is ${content.length} characters, longer than the limit of ${MAX_CONTENT_CHARS}: split it into several memories, or store it as a context`, {
      field: 'content',
      limit: MAX_CONTENT_CHARS,
      actual: content.length,
      unit: 'characters',
    });
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > MAX_METADATA_BYTES) {
    throw new MemspaceError('PAYLOAD_TOO_LARGE', `metadata is larger than ${MAX_METADATA_BYTES} bytes`, { field: 'metadata', limit: MAX_METADATA_BYTES, unit: 'bytes' });
  }
}

function notFound(id: string): MemspaceError {
  return new MemspaceError('NOT_FOUND', `memory ${id} not found in this space`, { id });
}
