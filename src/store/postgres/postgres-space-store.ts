import type pg from 'pg';
import type { FilterNode } from '../../core/filter.js';
import type { ListOptions, Page, SpaceReads, SpaceStore } from '../../core/ports/space-store.js';
import type {
  AuditEvent,
  AuditQuery,
  AuditRecord,
  AuditVerification,
  ChangeRecord,
  ContextRecord,
  DumpChunk,
  HistoryRecord,
  MemoryRecord,
  RelationRecord,
  ScoredId,
  SpaceStats,
  StorageLimits,
  WriteContext,
} from '../../core/types.js';
import { AccessCounter } from '../common/access-counter.js';
import { MutationRecorder } from '../common/mutation-recorder.js';
import type { DumpPart } from '../common/pages.js';
import { PostgresSpaceReads, type SessionSpace, type VectorSearchSettings } from './space-reads.js';
import { SpaceTx } from './space-tx.js';
import { PostgresSpaceWrites } from './space-writes.js';
import { MAX_HNSW_DIMENSION } from './vector-index.js';

/** The `space_id` of a space: its name lower-cased, since names are unique whatever their case. */
export function spaceIdOf(name: string): string {
  return name.toLowerCase();
}

/**
 * The storage of one space in PostgreSQL: a light handle (the backend's pool, the space's id
 * and dimension) with nothing to open or load. A façade over its parts: every call is one
 * transaction scoped to the space (space-tx.ts), reads a session of space-reads.ts, mutations
 * those of space-writes.ts. Writers lock the space's state row, so writes to one space are
 * serialised and its sequences have no gaps, while other spaces write in parallel.
 */
export class PostgresSpaceStore implements SpaceStore {
  /** Lower-cased name: the `space_id` of every row of this space. */
  readonly spaceId: string;
  private readonly space: SessionSpace;
  private readonly access = new AccessCounter();
  private readonly tx: SpaceTx;
  private readonly writes: PostgresSpaceWrites;

  constructor(
    pool: pg.Pool,
    name: string,
    /** Length of the space's vectors. */
    readonly dimension: number,
    private readonly vectors?: VectorSearchSettings,
    /** Called after each committed write that added change-feed events. */
    onChanged?: () => void,
  ) {
    this.spaceId = spaceIdOf(name);
    this.space = { spaceId: this.spaceId, dimension, vectors };
    this.tx = new SpaceTx({ pool, spaceId: this.spaceId, access: this.access, onChanged });
    this.writes = new PostgresSpaceWrites({ spaceId: this.spaceId, tx: this.tx, recorder: new MutationRecorder(this.access) });
  }

  read<T>(fn: (reads: SpaceReads) => Promise<T>): Promise<T> {
    return this.session(fn);
  }

  insertMemories(rows: readonly MemoryRecord[], ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    return this.writes.insertMemories(rows, ctx, limits);
  }

  updateMemory(next: MemoryRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    return this.writes.updateMemory(next, ctx, limits);
  }

  deleteMemories(filter: FilterNode, ctx: WriteContext): Promise<number> {
    return this.writes.deleteMemories(filter, ctx);
  }

  async getMemories(ids: readonly string[], options?: { embeddings?: boolean }): Promise<MemoryRecord[]> {
    if (ids.length === 0) return []; // no transaction for nothing
    return this.session((r) => r.getMemories(ids, options));
  }

  listMemories(options: ListOptions): Promise<Page<MemoryRecord>> {
    return this.session((r) => r.listMemories(options));
  }

  countMemories(filter: FilterNode): Promise<number> {
    return this.session((r) => r.countMemories(filter));
  }

  /** Kept in memory and applied with the next write transaction of this handle: advisory, not durable. */
  recordAccess(ids: readonly string[], at: number): void {
    this.access.note(ids, at);
  }

  history(memoryId: string): Promise<HistoryRecord[]> {
    return this.session((r) => r.history(memoryId));
  }

  sweepExpired(now: number, createdBefore: number | null, limit: number, ctx: WriteContext): Promise<number> {
    return this.writes.sweepExpired(now, createdBefore, limit, ctx);
  }

  insertContext(context: ContextRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    return this.writes.insertContext(context, ctx, limits);
  }

  getContext(id: string): Promise<ContextRecord | undefined> {
    return this.session((r) => r.getContext(id));
  }

  deleteContext(id: string, ctx: WriteContext): Promise<boolean> {
    return this.writes.deleteContext(id, ctx);
  }

  async dump(part: DumpPart, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }> {
    // An empty write saves the access counts, so the dump carries them.
    if (part === 'memories') await this.access.saveQuietly(() => this.writes.saveAccess());
    return this.session((r) => r.dump(part, after, limit));
  }

  restore(chunk: DumpChunk, now: number): Promise<void> {
    return this.writes.restore(chunk, now);
  }

  keywordSearch(query: string, filter: FilterNode | undefined, limit: number, now: number): Promise<ScoredId[]> {
    return this.session((r) => r.keywordSearch(query, filter, limit, now));
  }

  vectorSearch(vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number, options?: { exact?: boolean }): Promise<ScoredId[]> {
    return this.session((r) => r.vectorSearch(vector, filter, limit, now, options));
  }

  /** Builds the HNSW index of this space's dimension if the space is past the ANN threshold, and waits for it. */
  async settleIndex(): Promise<void> {
    const vectors = this.vectors;
    if (vectors === undefined || this.dimension > MAX_HNSW_DIMENSION) return;
    const count = (await this.session((r) => r.state()))?.memories ?? 0;
    if (count >= vectors.annThreshold) await vectors.indexes.ensure(this.dimension);
  }

  vectorScores(vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>> {
    return this.session((r) => r.vectorScores(vector, ids));
  }

  insertRelation(relation: RelationRecord, ctx: WriteContext): Promise<void> {
    return this.writes.insertRelation(relation, ctx);
  }

  async listRelations(memoryIds: readonly string[], direction: 'out' | 'in' | 'both', type: string | undefined): Promise<RelationRecord[]> {
    if (memoryIds.length === 0) return []; // no transaction for nothing
    return this.session((r) => r.listRelations(memoryIds, direction, type));
  }

  deleteRelation(id: string, ctx: WriteContext): Promise<boolean> {
    return this.writes.deleteRelation(id, ctx);
  }

  appendAudit(entry: AuditEvent, ctx: WriteContext): Promise<void> {
    return this.writes.appendAudit(entry, ctx);
  }

  auditEntries(query: AuditQuery): Promise<AuditRecord[]> {
    return this.session((r) => r.auditEntries(query));
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.session((r) => r.verifyAudit());
  }

  changes(afterSeq: number, limit: number): Promise<ChangeRecord[]> {
    return this.session((r) => r.changes(afterSeq, limit));
  }

  /** Figures from the space's state row. `bytes` is the payload: table pages are shared by every space. */
  async stats(): Promise<SpaceStats> {
    const s = await this.session((r) => r.state());
    return {
      memories: s?.memories ?? 0,
      relations: s?.relations ?? 0,
      contexts: s?.contexts ?? 0,
      bytes: s?.payloadBytes ?? 0,
      payloadBytes: s?.payloadBytes ?? 0,
      walBytes: 0,
      uncheckpointedSince: null,
      lastWriteAt: s?.lastWriteAt ?? null,
      lastSeq: s?.changeSeq ?? 0,
      vectorIndex: { state: 'none', threshold: null, indexed: 0, lag: 0 },
    };
  }

  /** PostgreSQL checks its own pages; there is nothing per space to check. */
  async integrityCheck(): Promise<string[]> {
    return [];
  }

  /** Saves pending access counts (best effort) and stops the handle; the pool belongs to the backend. Idempotent. */
  async close(): Promise<void> {
    if (this.tx.isClosed) return;
    await this.access.saveQuietly(() => this.writes.saveAccess());
    this.tx.close();
  }

  /** Runs `fn` in one snapshot transaction of this space, then the work its reads left for after the commit. */
  private async session<T>(fn: (reads: PostgresSpaceReads) => Promise<T>): Promise<T> {
    let reads: PostgresSpaceReads | undefined;
    const result = await this.tx.read((db) => fn((reads = new PostgresSpaceReads(db, this.space))));
    // After the transaction: an index build runs on a connection of its own and must not wait for this one.
    for (const start of reads?.afterCommit ?? []) start();
    return result;
  }
}
