import { z } from 'zod';
import { MemspaceError } from '../core/errors.js';
import { MATCH_ALL } from '../core/filter.js';
import { validateId } from '../core/ids.js';
import { normalize } from '../core/ranking.js';
import { MAX_CONTENT_CHARS, VectorSchema } from '../core/schemas.js';
import type { JsonObject, MemoryRecord, RelationRecord } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import { memoryView, relationView, spaceView, type Memory, type Relation, type Space } from '../core/views.js';
import type { CallContext, MemoryService } from './memory-service.js';
import type { SpaceRegistry } from './space-registry.js';

/**
 * One line of a space export (JSON Lines): the space first, then memories, then relations.
 * `type` tells the line's kind, so a relation's own type travels as `relationType`.
 */
export type ExportLine =
  | ({ type: 'space' } & Space)
  | ({ type: 'memory' } & Memory)
  | ({ type: 'relation'; relationType: string } & Omit<Relation, 'type'>);

/** Called as work proceeds; `total` is known for exports, unknown (null) for imports. */
export type ProgressFn = (done: number, total: number | null) => void;

/** What an import did. Existing ids are left as they are, so importing twice changes nothing. */
export interface ImportSummary {
  memories: { imported: number; skipped: number };
  relations: { imported: number; skipped: number };
}

const PAGE = 500;
const time = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

const MemoryLineSchema = z.object({
  type: z.literal('memory'),
  id: z.string(),
  content: z.string().min(1).max(MAX_CONTENT_CHARS),
  metadata: z.record(z.string(), z.unknown()).default({}),
  tags: z.array(z.string().min(1).max(128)).max(64).default([]),
  userId: z.string().min(1).max(256).nullable().default(null),
  agentId: z.string().min(1).max(256).nullable().default(null),
  runId: z.string().min(1).max(256).nullable().default(null),
  kind: z.string().min(1).max(64).default('fact'),
  importance: z.number().min(0).max(1).default(0.5),
  createdAt: time.optional(),
  updatedAt: time.optional(),
  expiresAt: time.nullable().default(null),
  accessCount: z.number().int().min(0).default(0),
  lastAccessedAt: time.nullable().default(null),
  embedding: VectorSchema.optional(),
});

const RelationLineSchema = z.object({
  type: z.literal('relation'),
  id: z.string(),
  from: z.string(),
  to: z.string(),
  relationType: z.string().optional(),
  weight: z.number().finite().default(1),
  metadata: z.record(z.string(), z.unknown()).default({}),
  createdAt: time.optional(),
});

/** Exports and imports whole spaces as JSON Lines, embeddings included. */
export class SpaceTransfer {
  constructor(
    private readonly registry: SpaceRegistry,
    private readonly service: MemoryService,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every memory (with its embedding) and relation of a space, oldest first. */
  async *exportSpace(space: string, onProgress?: ProgressFn): AsyncGenerator<ExportLine> {
    const record = await this.registry.record(space);
    yield { type: 'space', ...spaceView(record) };
    // Each page is read in its own short visit so a long export never pins the space open.
    const total = await this.registry.use(space, ({ store }) => store.countMemories(MATCH_ALL));
    let cursor: string | undefined;
    let done = 0;
    const relationIds = new Set<string>();
    const pendingRelations: RelationRecord[] = [];
    do {
      const page = await this.registry.use(space, async ({ store }) => {
        const p = await store.listMemories({ filter: MATCH_ALL, limit: PAGE, cursor, order: 'asc' });
        const rels = await store.listRelations(p.items.map((m) => m.id), 'out', undefined);
        return { ...p, rels };
      });
      for (const m of page.items) yield { type: 'memory', ...memoryView(m, true) };
      for (const r of page.rels) {
        if (relationIds.has(r.id)) continue;
        relationIds.add(r.id);
        pendingRelations.push(r);
      }
      done += page.items.length;
      onProgress?.(done, total);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    // Relations come after all memories, so an import can insert them once both ends exist.
    for (const r of pendingRelations) {
      const { type: relationType, ...rest } = relationView(r);
      yield { ...rest, type: 'relation', relationType };
    }
  }

  /**
   * Imports lines of an export into a space, creating it from the export's header when missing
   * (so its embedder and dimension carry over). Memories and relations whose id already
   * exists are skipped; vectors are kept when their length fits the space, else the import fails
   * with `DIMENSION_MISMATCH` before writing that batch.
   *
   * Audit: each batch of memories and each relation writes its own `memory.create` or
   * `relation.create` entry (actor `import` unless `ctx` names one), and the import as a whole
   * ends with one `import` entry holding the counts, also when it fails part way.
   */
  async importSpace(space: string, lines: AsyncIterable<string>, onProgress?: ProgressFn, ctx: CallContext = {}): Promise<ImportSummary> {
    const summary: ImportSummary = { memories: { imported: 0, skipped: 0 }, relations: { imported: 0, skipped: 0 } };
    const call: CallContext = { actor: ctx.actor ?? 'import', ...(ctx.requestId !== undefined && { requestId: ctx.requestId }) };
    try {
      await this.importLines(space, lines, summary, call, onProgress);
    } catch (error) {
      if (summary.memories.imported + summary.relations.imported > 0) {
        const code = error instanceof MemspaceError ? error.code : 'INTERNAL';
        await this.recordImport(space, summary, call, code).catch(() => {}); // the import's own error is the one to report
      }
      throw error;
    }
    await this.recordImport(space, summary, call, null);
    return summary;
  }

  private async recordImport(space: string, summary: ImportSummary, ctx: CallContext, error: string | null): Promise<void> {
    const details = { memories: { ...summary.memories }, relations: { ...summary.relations }, ...(error !== null && { error }) };
    await this.registry.use(space, ({ store }) =>
      store.appendAudit({ action: 'import', ids: [], details }, { actor: ctx.actor ?? null, now: this.now(), requestId: ctx.requestId ?? null }),
    );
  }

  private async importLines(space: string, lines: AsyncIterable<string>, summary: ImportSummary, ctx: CallContext, onProgress: ProgressFn | undefined): Promise<void> {
    let batch: z.output<typeof MemoryLineSchema>[] = [];
    let lineNo = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const items = batch;
      batch = [];
      await this.insertMemories(space, items, summary, ctx);
      onProgress?.(summary.memories.imported + summary.memories.skipped, null);
    };
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
        await this.ensureSpace(space, value as Record<string, unknown>);
        continue;
      }
      if (type === 'memory') {
        batch.push(parseWith(MemoryLineSchema, value, `line ${lineNo}`));
        if (batch.length >= PAGE) await flush();
      } else if (type === 'relation') {
        await flush();
        await this.insertRelation(space, parseWith(RelationLineSchema, value, `line ${lineNo}`), summary, ctx);
      } else {
        throw new MemspaceError('VALIDATION_FAILED', `line ${lineNo} has an unknown type`, { issues: [{ path: `line ${lineNo}.type`, message: 'expected space, memory or relation' }] });
      }
    }
    await flush();
  }

  /** Creates the target space from an export's header when it does not exist yet. */
  private async ensureSpace(space: string, header: Record<string, unknown>): Promise<void> {
    try {
      await this.registry.record(space);
    } catch (error) {
      if (!(error instanceof MemspaceError && error.code === 'SPACE_NOT_FOUND')) throw error;
      const keep = ['description', 'isolation', 'sensitivity', 'retentionDays', 'labels', 'embedder', 'dimension'];
      const settings = Object.fromEntries(Object.entries(header).filter(([k]) => keep.includes(k)));
      await this.service.createSpace({ ...settings, name: space });
    }
  }

  private async insertMemories(space: string, items: z.output<typeof MemoryLineSchema>[], summary: ImportSummary, ctx: CallContext): Promise<void> {
    await this.registry.use(space, async (handle) => {
      const existing = new Set((await handle.store.getMemories(items.map((i) => i.id))).map((m) => m.id));
      const seen = new Set<string>();
      const fresh = items.filter((i) => {
        const keep = !existing.has(validateId(i.id)) && !seen.has(i.id);
        seen.add(i.id);
        return keep;
      });
      summary.memories.skipped += items.length - fresh.length;
      if (fresh.length === 0) return;
      const vectors = await this.service.vectorsFor(handle, fresh.map((i) => ({ text: i.content, given: i.embedding })));
      const now = this.now();
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
        createdAt: i.createdAt ?? now,
        updatedAt: i.updatedAt ?? i.createdAt ?? now,
        expiresAt: i.expiresAt,
        embedding: normalize(vectors[n]!),
        accessCount: i.accessCount,
        lastAccessedAt: i.lastAccessedAt,
      }));
      await handle.store.insertMemories(rows, { actor: ctx.actor ?? null, now, requestId: ctx.requestId ?? null });
      summary.memories.imported += rows.length;
    });
  }

  private async insertRelation(space: string, line: z.output<typeof RelationLineSchema>, summary: ImportSummary, ctx: CallContext): Promise<void> {
    try {
      await this.service.addRelation(
        space,
        { id: line.id, from: line.from, to: line.to, type: line.relationType ?? 'related_to', weight: line.weight, metadata: line.metadata },
        ctx,
      );
      summary.relations.imported += 1;
    } catch (error) {
      if (error instanceof MemspaceError && error.code === 'CONFLICT') summary.relations.skipped += 1;
      else throw error;
    }
  }
}
