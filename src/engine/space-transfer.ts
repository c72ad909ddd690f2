import type { z } from 'zod';
import { MemspaceError } from '../core/errors.js';
import { validateId } from '../core/ids.js';
import { normalize } from '../core/ranking.js';
import type { AuditRecord, ContextRecord, DumpChunk, HistoryRecord, JsonObject, MemoryRecord, SpaceRecord, StorageLimits, WriteContext } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import { spaceView, type ExportLine, type ImportCounts, type ImportSummary } from '../core/views.js';
import {
  LINE_SCHEMAS,
  linesOf,
  PART_OF,
  PARTS,
  type AuditLineSchema,
  type ContextLine,
  type HistoryLineSchema,
  type MemoryLine,
  type NarrativeLineSchema,
  type Part,
  type PheromoneLineSchema,
  type RelationLineSchema,
} from './export-lines.js';
import { principalOf, type CallContext } from './access-guard.js';
import type { MemoryService } from './memory-service.js';
import type { SpaceEmbeddings, VectorSource } from './space-embeddings.js';
import { storageLimits } from '../core/storage-limits.js';
import { actorOf, type SpaceGate } from './space-gate.js';
import type { SpaceHandle, SpaceRegistry } from './space-registry.js';
import type { SpaceService } from './space-service.js';

/** Called as work proceeds; `total` is known for exports (memories), unknown (null) for imports. */
export type ProgressFn = (done: number, total: number | null) => void;

/** Rows per store call, for export pages and import batches. */
const PAGE = 500;
/** Exports and imports whole spaces as JSON Lines: memories with vectors, relations, contexts, history, audit chain. */
export class SpaceTransfer {
  private readonly registry: SpaceRegistry;
  private readonly now: () => number;

  constructor(
    private readonly gate: SpaceGate,
    private readonly embeddings: SpaceEmbeddings,
    private readonly spaces: SpaceService,
    private readonly memories: MemoryService,
  ) {
    this.registry = gate.registry;
    this.now = gate.now;
  }

  /**
   * Every row of a space, oldest first in each kind. Each page is read in its own short visit so
   * a long export never pins the space open; a space written to meanwhile is exported as it
   * stands page by page, not as one snapshot (archive a space for an exact copy).
   */
  async *exportSpace(space: string, onProgress?: ProgressFn, call: CallContext = {}): AsyncGenerator<ExportLine> {
    await this.gate.authorize(space, 'read', call);
    const { record, total } = await this.gate.open(space, async (handle) => ({ record: handle.record, total: (await handle.store.stats()).memories }));
    yield { type: 'space', ...spaceView(record) };
    let done = 0;
    for (const part of PARTS) {
      let after: number | null = 0;
      while (after !== null) {
        const from: number = after;
        const page = await this.registry.use(space, ({ store }) => store.dump(part, from, PAGE));
        yield* linesOf(page.chunk);
        if (part === 'memories') {
          done += page.chunk.memories?.length ?? 0;
          onProgress?.(done, total);
        }
        after = page.next;
      }
    }
  }

  /**
   * Imports the lines of an export into a space, creating it from the export's header when
   * missing (so its embedder, dimension, retention and quotas carry over). See
   * {@link ImportSummary} for restore and merge. Vectors are kept when their length fits the
   * space, else `DIMENSION_MISMATCH` before that batch is written; memories without a vector are
   * embedded. The import as a whole ends with one `import` audit entry holding the counts, also
   * when it fails part way. Importing takes write in the space, and admin when it creates it.
   */
  async importSpace(space: string, lines: AsyncIterable<string>, onProgress?: ProgressFn, caller: CallContext = {}): Promise<ImportSummary> {
    await this.authorizeImport(space, caller);
    const counts = (): ImportCounts => ({ imported: 0, skipped: 0 });
    const summary: ImportSummary = { mode: 'merge', memories: counts(), relations: counts(), contexts: counts(), history: counts(), audit: counts(), pheromones: counts(), narrative: counts() };
    const call: CallContext = { ...caller, actor: actorOf(caller) ?? 'import' };
    let admitted = false;
    const admit = async (): Promise<void> => {
      if (admitted) return;
      admitted = true;
      summary.mode = await this.gate.open(space, async ({ store }) => {
        const stats = await store.stats();
        const audit = await store.auditEntries({ limit: 1 });
        return stats.memories + stats.relations + stats.contexts === 0 && audit.length === 0 && stats.lastSeq === 0 ? 'restore' : 'merge';
      });
    };
    try {
      await this.importLines(space, lines, summary, call, admit, onProgress);
      await admit(); // an export with no rows still creates and records
    } catch (error) {
      if (admitted && PARTS.some((p) => summary[p].imported > 0)) {
        const code = error instanceof MemspaceError ? error.code : 'INTERNAL';
        await this.recordImport(space, summary, call, code).catch(() => {}); // the import's own error is the one to report
      }
      throw error;
    }
    await this.recordImport(space, summary, call, null);
    return summary;
  }

  /** Write in an existing space; admin over the name of one the import would create. */
  private async authorizeImport(space: string, call: CallContext): Promise<void> {
    const principal = principalOf(call);
    await this.gate.guard.authorize(principal, space, 'write', call);
    const exists = await this.registry.record(space).then(
      () => true,
      (error: unknown) => {
        if (error instanceof MemspaceError && error.code === 'SPACE_NOT_FOUND') return false;
        throw error;
      },
    );
    if (!exists) await this.gate.guard.authorize(principal, space, 'admin', call);
  }

  private async recordImport(space: string, summary: ImportSummary, call: CallContext, error: string | null): Promise<void> {
    const details = {
      mode: summary.mode,
      ...Object.fromEntries(PARTS.map((p) => [p, { ...summary[p] }])),
      ...(error !== null && { error }),
    };
    await this.gate.record(space, { action: 'import', ids: [], details }, call);
  }

  private async importLines(
    space: string,
    lines: AsyncIterable<string>,
    summary: ImportSummary,
    ctx: CallContext,
    admit: () => Promise<void>,
    onProgress: ProgressFn | undefined,
  ): Promise<void> {
    let pending: { part: Part; rows: unknown[] } | undefined;
    const flush = async (): Promise<void> => {
      if (pending === undefined || pending.rows.length === 0) return;
      const { part, rows } = pending;
      pending = undefined;
      await this.writeBatch(space, part, rows, summary, ctx);
      onProgress?.(summary.memories.imported + summary.memories.skipped, null);
    };
    let lineNo = 0;
    for await (const raw of lines) {
      lineNo += 1;
      const text = raw.trim();
      if (text === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new MemspaceError('VALIDATION_FAILED', `line ${lineNo} is not JSON`, { issues: [{ path: `line ${lineNo}`, message: 'not JSON' }] });
      }
      const type = (value as { type?: unknown } | null)?.type;
      if (type === 'space') {
        await this.ensureSpace(space, value as Record<string, unknown>, ctx);
        continue;
      }
      const part = typeof type === 'string' ? PART_OF[type] : undefined;
      if (part === undefined) {
        throw new MemspaceError('VALIDATION_FAILED', `line ${lineNo} has an unknown type`, {
          issues: [{ path: `line ${lineNo}.type`, message: 'expected space, memory, relation, context, history or audit' }],
        });
      }
      const row = parseWith(LINE_SCHEMAS[part], value, `line ${lineNo}`);
      await admit();
      if (pending !== undefined && pending.part !== part) await flush();
      pending ??= { part, rows: [] };
      pending.rows.push(row);
      if (pending.rows.length >= PAGE) await flush();
    }
    await flush();
  }

  /** Writes one batch of lines of one kind, as a restore or a merge. */
  private async writeBatch(space: string, part: Part, rows: unknown[], summary: ImportSummary, ctx: CallContext): Promise<void> {
    await this.registry.use(space, async (handle) => {
      const writeCtx = this.gate.writeContext(ctx, this.now());
      if (part === 'memories') return this.writeMemories(handle, rows as MemoryLine[], summary, writeCtx);
      if (part === 'contexts') return this.writeContexts(handle, rows as ContextLine[], summary, writeCtx);
      if (part === 'relations') return this.writeRelations(handle, rows as z.output<typeof RelationLineSchema>[], summary, ctx);
      if (summary.mode === 'merge') {
        summary[part].skipped += rows.length;
        return;
      }
      // The narrative's vector is checked against the space's dimension and made unit length as a memory's is.
      const vectors = part === 'narrative' ? await this.embeddings.vectorsFor(handle.record, (rows as z.output<typeof NarrativeLineSchema>[]).map((n) => ({ text: '', given: n.vector }))) : [];
      await handle.store.restore(restoredChunk(part, rows, vectors), this.now());
      summary[part].imported += rows.length;
    });
  }

  private async writeMemories(handle: SpaceHandle, items: MemoryLine[], summary: ImportSummary, ctx: WriteContext): Promise<void> {
    const existing = async (ids: string[]): Promise<string[]> => (await handle.store.getMemories(ids, { embeddings: false })).map((m) => m.id);
    const { fresh, vectors } = await this.freshWithVectors(handle, items, existing, (i) => ({ text: i.content, given: i.embedding }), summary.memories);
    if (fresh.length === 0) return;
    const rows: MemoryRecord[] = fresh.map((i, n) => ({
      id: i.id,
      content: i.content,
      metadata: i.metadata as JsonObject,
      tags: i.tags,
      userId: i.userId,
      agentId: i.agentId,
      runId: i.runId,
      kind: i.kind,
      importance: i.importance,
      createdAt: i.createdAt ?? ctx.now,
      updatedAt: i.updatedAt ?? i.createdAt ?? ctx.now,
      expiresAt: i.expiresAt,
      embedding: normalize(vectors[n]!),
      accessCount: i.accessCount,
      lastAccessedAt: i.lastAccessedAt,
      supersededBy: i.supersededBy,
    }));
    if (summary.mode === 'restore') {
      checkRoom(handle.record, (await handle.store.stats()).memories, rows.length);
      await handle.store.restore({ memories: rows }, ctx.now, projectLimits(handle.record));
    } else {
      await handle.store.insertMemories(rows, ctx, storageLimits(handle.record));
    }
    summary.memories.imported += rows.length;
  }

  private async writeContexts(handle: SpaceHandle, items: ContextLine[], summary: ImportSummary, ctx: WriteContext): Promise<void> {
    const existing = async (ids: string[]): Promise<string[]> => {
      const found: string[] = [];
      for (const id of ids) if ((await handle.store.getContext(id)) !== undefined) found.push(id);
      return found;
    };
    const { fresh, vectors } = await this.freshWithVectors(handle, items, existing, (c) => ({ text: c.summary, given: c.embedding }), summary.contexts);
    if (fresh.length === 0) return;
    const rows: ContextRecord[] = fresh.map((c, n) => ({
      id: c.id,
      content: c.content,
      summary: c.summary,
      metadata: c.metadata as JsonObject,
      embedding: normalize(vectors[n]!),
      createdAt: c.createdAt ?? ctx.now,
      originalBytes: Buffer.byteLength(c.content),
      storedBytes: 0,
    }));
    if (summary.mode === 'restore') await handle.store.restore({ contexts: rows }, ctx.now, projectLimits(handle.record));
    else for (const row of rows) await handle.store.insertContext(row, ctx, { maxMemories: null, maxBytes: handle.record.quotas.maxBytes, project: handle.record.project });
    summary.contexts.imported += rows.length;
  }

  private async writeRelations(handle: SpaceHandle, items: z.output<typeof RelationLineSchema>[], summary: ImportSummary, ctx: CallContext): Promise<void> {
    if (summary.mode === 'restore') {
      const now = this.now();
      const rows = items.map((r) => ({ id: validateId(r.id), from: r.from, to: r.to, type: r.relationType, weight: r.weight, metadata: r.metadata as JsonObject, createdAt: r.createdAt ?? now }));
      await handle.store.restore({ relations: rows }, now);
      summary.relations.imported += rows.length;
      return;
    }
    for (const r of items) {
      try {
        await this.memories.relate(handle.record.name, { id: r.id, from: r.from, to: r.to, type: r.relationType, weight: r.weight, metadata: r.metadata }, ctx);
        summary.relations.imported += 1;
      } catch (error) {
        if (error instanceof MemspaceError && error.code === 'CONFLICT') summary.relations.skipped += 1;
        else throw error;
      }
    }
  }

  /**
   * The items of a batch to write (id valid, not yet stored, not repeated in the batch; the
   * rest count as skipped) and their vectors: given ones, else made by the space's embedder.
   */
  private async freshWithVectors<T extends { id: string }>(
    handle: SpaceHandle,
    items: T[],
    existingIds: (ids: string[]) => Promise<string[]>,
    source: (item: T) => VectorSource,
    counts: ImportCounts,
  ): Promise<{ fresh: T[]; vectors: Float32Array[] }> {
    const existing = new Set(await existingIds(items.map((i) => validateId(i.id))));
    const seen = new Set<string>();
    const fresh = items.filter((i) => {
      const keep = !existing.has(i.id) && !seen.has(i.id);
      seen.add(i.id);
      return keep;
    });
    counts.skipped += items.length - fresh.length;
    return { fresh, vectors: fresh.length === 0 ? [] : await this.embeddings.vectorsFor(handle.record, fresh.map(source)) };
  }

  /** Creates the target space from an export's header when it does not exist yet. */
  private async ensureSpace(space: string, header: Record<string, unknown>, call: CallContext): Promise<void> {
    try {
      await this.registry.record(space);
    } catch (error) {
      if (!(error instanceof MemspaceError && error.code === 'SPACE_NOT_FOUND')) throw error;
      const keep = ['description', 'isolation', 'sensitivity', 'retentionDays', 'quotas', 'consolidation', 'labels', 'embedder', 'dimension', 'encryption'];
      const settings = Object.fromEntries(Object.entries(header).filter(([k]) => keep.includes(k)));
      await this.spaces.create({ ...settings, name: space }, call);
    }
  }
}

/**
 * The limits a restore's batch is written under: its project's quotas only, checked in the
 * transaction (the space's own memory quota is {@link checkRoom}'s, as it always was).
 */
function projectLimits(record: SpaceRecord): StorageLimits {
  return { maxMemories: null, maxBytes: null, project: record.project };
}

/** A restore writes rows directly, so the memory quota is checked here, before the batch. */
function checkRoom(record: SpaceRecord, current: number, requested: number): void {
  const limit = record.quotas.maxMemories;
  if (limit !== null && current + requested > limit) {
    throw new MemspaceError('QUOTA_EXCEEDED', `space "${record.name}" may hold at most ${limit} memories`, { quota: 'maxMemories', limit, current, requested });
  }
}

/** The dump chunk of a batch of lines a restore keeps as they are: history, audit, or the feedback state. */
function restoredChunk(part: 'history' | 'audit' | 'pheromones' | 'narrative', rows: unknown[], vectors: readonly Float32Array[]): DumpChunk {
  switch (part) {
    case 'history':
      return { history: (rows as z.output<typeof HistoryLineSchema>[]).map(({ type: _type, ...h }) => ({ ...h, seq: 0 }) as HistoryRecord) };
    case 'audit':
      return { audit: (rows as z.output<typeof AuditLineSchema>[]).map(({ type: _type, ...a }) => a as AuditRecord) };
    case 'pheromones':
      return { pheromones: (rows as z.output<typeof PheromoneLineSchema>[]).map(({ id, level, updatedAt }) => ({ id, level, updatedAt })) };
    case 'narrative':
      return {
        narrative: (rows as z.output<typeof NarrativeLineSchema>[]).map((n, i) => ({ vector: vectors[i]!, updatedAt: n.updatedAt, updates: n.updates })),
      };
  }
}
