/**
 * What every backend's space store does the same way, so a backend's store is only its
 * constructor, its sessions and its figures: the port's mutations go to the backend's writes,
 * its single reads to the backend's reads, access counts are noted in memory and saved before
 * a dump of memories, and the empty look-ups answer without touching the database.
 */
import type { DecayFloor } from '../../core/decay.js';
import type { FeedbackOutcome, FeedbackStats, FeedbackWrite, NarrativeRecord, PheromoneRecord } from '../../core/feedback.js';
import type { FeedBounds } from '../../core/feed-horizon.js';
import type { FilterNode } from '../../core/filter.js';
import type { ConsolidationBatch, ConsolidationBatchResult, ConsolidationUndone, ConsolidationStats, ListOptions, UnfinishedConsolidationRun, Page, RunNeighbors, SpaceReads, SpaceStore } from '../../core/ports/space-store.js';
import { runSearchPlan, type SearchPlan } from '../../core/search-plan.js';
import type * as types from '../../core/types.js';
import type { SearchHit } from '../../core/views.js';
import { AccessCounter } from './access-counter.js';
import { MutationRecorder } from './mutation-recorder.js';
import type { DumpPart } from './pages.js';

/** The mutations of the port, as a backend's writes implement them. */
export interface SpaceWrites
  extends Pick<
    SpaceStore,
    | 'insertMemories'
    | 'updateMemory'
    | 'deleteMemories'
    | 'sweepExpired'
    | 'sweepDecayed'
    | 'compactChanges'
    | 'insertContext'
    | 'deleteContext'
    | 'insertRelation'
    | 'deleteRelation'
    | 'appendAudit'
    | 'restore'
    | 'consolidate'
    | 'undoConsolidation'
    | 'recordFeedback'
    | 'resetFeedback'
    | 'sweepFeedback'
  > {
  /** An empty write, which applies the pending access counts. */
  saveAccess(): Promise<void>;
}

/** A space store whose backend supplies its writes, its reads and its figures. */
export abstract class SpaceStoreBase implements SpaceStore {
  /** Reads noted for access counts, applied by the next write. */
  protected readonly access = new AccessCounter();
  /** What the backend's writes record, with this store's access counts. */
  protected readonly recorder = new MutationRecorder(this.access);
  /** The backend's mutations. */
  protected abstract readonly writes: SpaceWrites;

  abstract read<T>(fn: (reads: SpaceReads) => Promise<T>): Promise<T>;

  search(plan: SearchPlan): Promise<SearchHit[]> {
    return this.read((reads) => runSearchPlan(reads, plan));
  }
  /** Runs one read of a single call (`getMemories`, `changes`, ...): a session of one, or the read itself where each is atomic. */
  protected abstract readOnce<T>(fn: (reads: SpaceReads) => Promise<T>): Promise<T>;
  /** A page of the dump, read after pending access counts were saved. */
  protected abstract dumpPage(part: DumpPart, after: number, limit: number): Promise<{ chunk: types.DumpChunk; next: number | null }>;
  abstract settleIndex(): Promise<void>;
  abstract verifyAudit(): Promise<types.AuditVerification>;
  abstract stats(): Promise<types.SpaceStats>;
  abstract decayedCount(): Promise<number>;
  abstract feedbackStats(): Promise<FeedbackStats>;
  abstract consolidationStats(now: number): Promise<ConsolidationStats>;
  abstract unfinishedConsolidationRuns(): Promise<UnfinishedConsolidationRun[]>;
  abstract integrityCheck(): Promise<string[]>;
  abstract close(): Promise<void>;

  insertMemories(rows: readonly types.MemoryRecord[], ctx: types.WriteContext, limits?: types.StorageLimits): Promise<void> {
    return this.writes.insertMemories(rows, ctx, limits);
  }

  updateMemory(next: types.MemoryRecord, ctx: types.WriteContext, limits?: types.StorageLimits): Promise<void> {
    return this.writes.updateMemory(next, ctx, limits);
  }

  deleteMemories(filter: FilterNode, ctx: types.WriteContext): Promise<number> {
    return this.writes.deleteMemories(filter, ctx);
  }

  sweepExpired(now: number, createdBefore: number | null, limit: number, ctx: types.WriteContext): Promise<number> {
    return this.writes.sweepExpired(now, createdBefore, limit, ctx);
  }

  sweepDecayed(now: number, rule: DecayFloor, limit: number, ctx: types.WriteContext): Promise<number> {
    return this.writes.sweepDecayed(now, rule, limit, ctx);
  }

  compactChanges(before: number, limit: number): Promise<number> {
    return this.writes.compactChanges(before, limit);
  }

  insertContext(context: types.ContextRecord, ctx: types.WriteContext, limits?: types.StorageLimits): Promise<void> {
    return this.writes.insertContext(context, ctx, limits);
  }

  deleteContext(id: string, ctx: types.WriteContext): Promise<boolean> {
    return this.writes.deleteContext(id, ctx);
  }

  insertRelation(relation: types.RelationRecord, ctx: types.WriteContext): Promise<void> {
    return this.writes.insertRelation(relation, ctx);
  }

  deleteRelation(id: string, ctx: types.WriteContext): Promise<boolean> {
    return this.writes.deleteRelation(id, ctx);
  }

  appendAudit(entry: types.AuditEvent, ctx: types.WriteContext): Promise<void> {
    return this.writes.appendAudit(entry, ctx);
  }

  restore(chunk: types.DumpChunk, now: number, limits?: types.StorageLimits): Promise<void> {
    return this.writes.restore(chunk, now, limits);
  }

  consolidate(batch: ConsolidationBatch, ctx: types.WriteContext): Promise<ConsolidationBatchResult> {
    return this.writes.consolidate(batch, ctx);
  }

  undoConsolidation(runId: string, ctx: types.WriteContext): Promise<ConsolidationUndone> {
    return this.writes.undoConsolidation(runId, ctx);
  }

  recordFeedback(write: FeedbackWrite, ctx: types.WriteContext): Promise<FeedbackOutcome> {
    return this.writes.recordFeedback(write, ctx);
  }

  resetFeedback(ctx: types.WriteContext): Promise<{ pheromones: number; narrative: boolean }> {
    return this.writes.resetFeedback(ctx);
  }

  sweepFeedback(now: number, halfLifeDays: number, limit: number, ctx: types.WriteContext): Promise<number> {
    return this.writes.sweepFeedback(now, halfLifeDays, limit, ctx);
  }

  /** Kept in memory and applied with the next write of this store: advisory, not durable. */
  recordAccess(ids: readonly string[], at: number): void {
    this.access.note(ids, at);
  }

  async dump(part: DumpPart, after: number, limit: number): Promise<{ chunk: types.DumpChunk; next: number | null }> {
    // An empty write saves the access counts, so the dump carries them.
    if (part === 'memories') await this.access.saveQuietly(() => this.writes.saveAccess());
    return this.dumpPage(part, after, limit);
  }

  async getMemories(ids: readonly string[], options?: { embeddings?: boolean }): Promise<types.MemoryRecord[]> {
    if (ids.length === 0) return [];
    return this.readOnce((r) => r.getMemories(ids, options));
  }

  listMemories(options: ListOptions): Promise<Page<types.MemoryRecord>> {
    return this.readOnce((r) => r.listMemories(options));
  }

  countMemories(filter: FilterNode): Promise<number> {
    return this.readOnce((r) => r.countMemories(filter));
  }

  history(memoryId: string): Promise<types.HistoryRecord[]> {
    return this.readOnce((r) => r.history(memoryId));
  }

  getContext(id: string): Promise<types.ContextRecord | undefined> {
    return this.readOnce((r) => r.getContext(id));
  }

  keywordSearch(query: string, filter: FilterNode | undefined, limit: number, now: number): Promise<types.ScoredId[]> {
    return this.readOnce((r) => r.keywordSearch(query, filter, limit, now));
  }

  vectorSearch(vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number, options?: { exact?: boolean }): Promise<types.ScoredId[]> {
    return this.readOnce((r) => r.vectorSearch(vector, filter, limit, now, options));
  }

  vectorScores(vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>> {
    return this.readOnce((r) => r.vectorScores(vector, ids));
  }

  runNeighbors(ids: readonly string[], filter: FilterNode | undefined, now: number): Promise<RunNeighbors[]> {
    return this.readOnce((r) => r.runNeighbors(ids, filter, now));
  }

  async listRelations(memoryIds: readonly string[], direction: 'out' | 'in' | 'both', type: string | undefined): Promise<types.RelationRecord[]> {
    if (memoryIds.length === 0) return [];
    return this.readOnce((r) => r.listRelations(memoryIds, direction, type));
  }

  auditEntries(query: types.AuditQuery): Promise<types.AuditRecord[]> {
    return this.readOnce((r) => r.auditEntries(query));
  }

  changes(afterSeq: number, limit: number): Promise<types.ChangeRecord[]> {
    return this.readOnce((r) => r.changes(afterSeq, limit));
  }

  feedBounds(): Promise<FeedBounds> {
    return this.readOnce((r) => r.feedBounds());
  }

  firstChangeSince(at: number): Promise<number | undefined> {
    return this.readOnce((r) => r.firstChangeSince(at));
  }

  hasSuperseded(): Promise<boolean> {
    return this.readOnce((r) => r.hasSuperseded());
  }

  async pheromones(ids: readonly string[]): Promise<PheromoneRecord[]> {
    if (ids.length === 0) return [];
    return this.readOnce((r) => r.pheromones(ids));
  }

  narrative(): Promise<NarrativeRecord | undefined> {
    return this.readOnce((r) => r.narrative());
  }
}
