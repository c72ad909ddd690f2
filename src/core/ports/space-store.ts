import type { DecayFloor } from '../decay.js';
import type { FeedbackOutcome, FeedbackStats, FeedbackWrite, NarrativeRecord, PheromoneRecord } from '../feedback.js';
import type { FeedBounds } from '../feed-horizon.js';
import type { FilterNode } from '../filter.js';
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
} from '../types.js';
import type { SearchPlan } from '../search-plan.js';
import type { Page, SearchHit } from '../views.js';

export type { Page };

/**
 * One batch of a consolidation pass (core/consolidation.ts), applied in one transaction: the
 * memories as the pass read them, so the store can skip a merge whose memories changed since.
 */
export interface ConsolidationBatch {
  runId: string;
  /** 0, 1, ... in the order the pass writes them. */
  batch: number;
  merges: { survivor: MemoryRecord; merged: MemoryRecord[] }[];
  /** Older memory `id` superseded by the newer `by`. */
  supersessions: { id: string; by: string }[];
  /**
   * Summaries to add (a chat model wrote them): each a new memory of kind `summary` and its
   * `summarizes` edges to `sources`. Skipped whole when a source is gone or was summarised since.
   */
  summaries?: { memory: MemoryRecord; sources: string[]; relations: RelationRecord[] }[] | undefined;
  /** The pass's one audit entry, written with its last batch. */
  audit?: AuditEvent | undefined;
  /**
   * The pass's totals, given with its last batch only: the store keeps them as the record of a
   * completed pass ({@link SpaceStore.consolidationStats}), finished at the batch's time.
   */
  pass?: ConsolidationPassSummary | undefined;
}

/** The totals of one completed consolidation pass, as its last batch hands them to the store. */
export interface ConsolidationPassSummary {
  /** When the pass started (its first read), epoch milliseconds. */
  startedAt: number;
  examined: number;
  merged: number;
  superseded: number;
}

/**
 * A space's consolidation record (core/consolidation-health.ts turns it into the health view).
 * A pass counts once it completed: an interrupted pass (killed before its last batch) is no
 * run, though its batches stay undoable. Dry runs write nothing and so are never counted.
 */
export interface ConsolidationStats {
  /** When the last completed pass finished (undone or not), epoch milliseconds; null when none did. */
  lastRunAt: number | null;
  /** Completed passes, undone ones included: an undo puts memories back, it does not unmake the pass. */
  runs: number;
  /** Memories merged away by completed passes that were not undone. */
  merged: number;
  /** Memories superseded by completed passes that were not undone. */
  superseded: number;
  /**
   * Memories consolidated in the rate's window before `now` (`CONSOLIDATION_RATE_WINDOW_MS` of
   * core/consolidation-health.ts), the numerator of the health's `ratePerMinute`: those merged or
   * superseded by passes not undone that finished in it, and those {@link SpaceStore.sweepDecayed}
   * dropped in it (the `count` of its `memory.decay` audit entries).
   */
  recent: number;
  /**
   * Memories not expired at `now` that were created or updated after the last completed pass
   * finished (work the next pass has not seen), or every one not expired when no pass completed.
   */
  pending: number;
}

/**
 * A pass that wrote batches but never its last one (its process was killed half-way), as its
 * batches tell: what it changed is in the space with its history, and undoable.
 */
export interface UnfinishedConsolidationRun {
  runId: string;
  /** Times of its first and last batch, epoch milliseconds. */
  startedAt: number;
  lastAt: number;
  batches: number;
  /** Whether it was undone since. */
  undone: boolean;
  merged: number;
  superseded: number;
  summarized: number;
}

/** What a batch did: memories merged away, memories superseded, summaries added, merges, supersessions and summaries skipped. */
export interface ConsolidationBatchResult {
  merged: number;
  superseded: number;
  summarized: number;
  skipped: number;
}

/** What an undo put back: memories re-created, supersessions cleared, and (when the run made any) summaries deleted. */
export interface ConsolidationUndone {
  restored: number;
  unsuperseded: number;
  summariesDeleted?: number;
}

/** What a listing asks a store for; filters are already parsed and include scopes and tags. */
/** One memory's neighbours in its run ({@link SpaceReads.runNeighbors}). */
export interface RunNeighbors {
  id: string;
  before: string | null;
  after: string | null;
}

export interface ListOptions {
  filter: FilterNode;
  limit: number;
  cursor: string | undefined;
  order: 'asc' | 'desc';
}

/**
 * The reads of one space: every read-only primitive of {@link SpaceStore} but the dump, the
 * audit check and the figures. A store offers them one call at a time, and together in a
 * read session ({@link SpaceStore.read}).
 */
export interface SpaceReads {
  /**
   * Memories by id, in the order asked, skipping ids that do not exist. With
   * `embeddings: false` the records carry an empty `embedding` (search results, which never
   * show it, skip reading the vectors).
   */
  getMemories(ids: readonly string[], options?: { embeddings?: boolean }): Promise<MemoryRecord[]>;
  /** A page of memories matching the filter, ordered by insertion. */
  listMemories(options: ListOptions): Promise<Page<MemoryRecord>>;
  /** Counts memories matching the filter. */
  countMemories(filter: FilterNode): Promise<number>;
  /** History of one memory, oldest first; empty when the id never existed here. */
  history(memoryId: string): Promise<HistoryRecord[]>;
  /**
   * Best `limit` memories by BM25 for `query` among those matching `filter` (all when undefined)
   * and not expired at `now`; scores are BM25 relevance, higher is better.
   */
  keywordSearch(query: string, filter: FilterNode | undefined, limit: number, now: number): Promise<ScoredId[]>;
  /**
   * Best `limit` memories by cosine similarity to the unit vector `vector` among those matching
   * `filter` (all when undefined) and not expired at `now`. A store may answer from an
   * approximate index unless `exact` is set; scores are exact cosines either way.
   */
  vectorSearch(vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number, options?: { exact?: boolean }): Promise<ScoredId[]>;
  /**
   * The memories written just before and just after each of `ids` in its run (same `runId`, by
   * insertion order), among those matching `filter` (all when undefined) and not expired at
   * `now`: a turn's neighbours in a conversation. Ids without a run are left out; a side without
   * such a memory is null.
   */
  runNeighbors(ids: readonly string[], filter: FilterNode | undefined, now: number): Promise<RunNeighbors[]>;
  /** Cosine similarity of the unit vector `vector` with each of these memories; ids not found are left out. */
  vectorScores(vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>>;
  /** Edges touching any of `memoryIds` in the given direction, optionally of one type. */
  listRelations(memoryIds: readonly string[], direction: 'out' | 'in' | 'both', type: string | undefined): Promise<RelationRecord[]>;
  /** A context by id, content decompressed, or undefined. */
  getContext(id: string): Promise<ContextRecord | undefined>;
  /** Audit entries matching the query, oldest first. */
  auditEntries(query: AuditQuery): Promise<AuditRecord[]>;
  /** Change-feed events after `afterSeq`, oldest first. */
  changes(afterSeq: number, limit: number): Promise<ChangeRecord[]>;
  /** Where the change feed stands: the oldest event it still holds and the newest ever written. */
  feedBounds(): Promise<FeedBounds>;
  /**
   * Seq of the first event the feed holds, in seq order, committed at or after `at`; undefined
   * when none was. Reads from the oldest event on, which compaction keeps few of.
   */
  firstChangeSince(at: number): Promise<number | undefined>;
  /** True when some memory of the space is superseded (an indexed look-up): searches filter them out only then. */
  hasSuperseded(): Promise<boolean>;
  /** The stored pheromones of these targets (memory or document ids), undecayed; ids without one are left out. */
  pheromones(ids: readonly string[]): Promise<PheromoneRecord[]>;
  /** The space's narrative, or undefined when feedback never gave it a vector (or it was reset or swept). */
  narrative(): Promise<NarrativeRecord | undefined>;
}

/**
 * The storage of one space. A backend implements these primitives; validation, embedding,
 * tenancy and ranking live once in the engine. Every mutation writes its history rows,
 * change-feed events and its one audit entry (sealed with `sealAuditEntry` of core/audit) in
 * the same transaction, so a write is acknowledged only as a whole and only once it is
 * durable, and a write that fails leaves no entry.
 */
export interface SpaceStore extends SpaceReads {
  /**
   * Runs `fn` with reads that see one snapshot of the space, so that a search made of several
   * reads (candidates, records, relations) is one consistent answer; returns what `fn` returns.
   * `fn` should only read, and only await its reads.
   *
   * On PostgreSQL the session is one transaction (one connection, scoped to the space by
   * row-level security, repeatable read); work a read starts for later, such as building the
   * HNSW index a vector search found missing, starts once that transaction has committed.
   * On SQLite each read is synchronous and no transaction is held across an await (the
   * connection is shared by concurrent requests): while a session is open this store's writes
   * wait for the next turn of the event loop, so a session that awaits only its own reads sees
   * no write in between.
   */
  read<T>(fn: (reads: SpaceReads) => Promise<T>): Promise<T>;
  /**
   * Runs one search plan ({@link runSearchPlan}) in a read session and returns its hits. The
   * embedded backend may run it in a search thread over a read-only connection of its own
   * (`workers` > 1), which sees every write acknowledged before the call.
   */
  search(plan: SearchPlan): Promise<SearchHit[]>;

  /**
   * Inserts all rows or none, with one `memory.create` audit entry for the call; an id already
   * present is `CONFLICT`. With `limits`, a call that would leave the space above
   * `maxMemories` or `maxBytes` (see {@link SpaceStats.payloadBytes}) writes nothing and is
   * `QUOTA_EXCEEDED` with `details: {quota, limit, current, requested}`; the check runs inside
   * the write transaction, so concurrent writers cannot cross a quota together.
   */
  insertMemories(rows: readonly MemoryRecord[], ctx: WriteContext, limits?: StorageLimits): Promise<void>;
  /**
   * Replaces a memory's fields (audit: `memory.update` with the changed field names);
   * `NOT_FOUND` when it does not exist; `QUOTA_EXCEEDED` when it would grow the space past `limits.maxBytes`.
   */
  updateMemory(next: MemoryRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void>;
  /**
   * Deletes the memories matching `filter` (with their relations); returns the exact count.
   * Audit: one `memory.delete` entry listing the ids, none when nothing matched.
   */
  deleteMemories(filter: FilterNode, ctx: WriteContext): Promise<number>;
  /**
   * Applies one batch of a consolidation pass in one transaction (store/common/consolidation-writes.ts):
   * merged memories deleted with a `delete` history row naming their survivor, survivors
   * rewritten, edges re-pointed, supersessions set, and the batch's record kept under its run
   * so that {@link undoConsolidation} can put it back. A merge or supersession whose memories
   * changed since the pass read them is skipped. With `audit`, appends the pass's entry.
   */
  consolidate(batch: ConsolidationBatch, ctx: WriteContext): Promise<ConsolidationBatchResult>;
  /**
   * Undoes every batch of a run in one transaction and marks it undone, with a
   * `consolidation.undo` audit entry. `NOT_FOUND` for a run this space never had, `CONFLICT`
   * for one undone already or whose survivors changed since.
   */
  undoConsolidation(runId: string, ctx: WriteContext): Promise<ConsolidationUndone>;
  /**
   * The space's consolidation record at `now` ({@link ConsolidationStats}); cheap: an aggregate
   * over one row per completed pass and an indexed count of the memories changed since the last.
   * The record of a pass is kept by its last batch (`batch.pass`) and marked undone by
   * {@link undoConsolidation}.
   */
  consolidationStats(now: number): Promise<ConsolidationStats>;
  /**
   * The passes of this space that wrote batches and never completed ({@link UnfinishedConsolidationRun}),
   * oldest first. A pass running now is among them until its last batch: the caller decides
   * which are over. A pass completes an unfinished run by writing the run's last batch with `pass`.
   */
  unfinishedConsolidationRuns(): Promise<UnfinishedConsolidationRun[]>;
  /** Notes that memories were read, for access counts; may be applied lazily and is not durable. */
  recordAccess(ids: readonly string[], at: number): void;

  /**
   * Hard-deletes (not hides) every memory whose `expiresAt` is at or before `now`, or, when
   * `createdBefore` is given (retention), created before it; with their relations, a `delete`
   * history row and a `memory.deleted` change event each, and one `memory.expire` audit entry
   * per call listing the ids. Deletes at most `limit` memories per call; returns the count.
   */
  sweepExpired(now: number, createdBefore: number | null, limit: number, ctx: WriteContext): Promise<number>;
  /**
   * Hard-deletes the memories not expired at `now` that `dropsByDecay` (core/decay.ts) drops
   * under `rule`, at most `limit` per call, like {@link sweepExpired} (relations, a `delete`
   * history row and a `memory.deleted` change event each) but with one `memory.decay` audit entry
   * (`details: {count, floor, halfLifeDays}`) and adding the count to {@link decayedCount}, in
   * the same transaction. Returns the count.
   */
  sweepDecayed(now: number, rule: DecayFloor, limit: number, ctx: WriteContext): Promise<number>;
  /** How many memories {@link sweepDecayed} dropped in this space, ever (kept with the space's counters). */
  decayedCount(): Promise<number>;

  /**
   * Compacts the change feed: deletes its oldest events, those with a seq below `before`, at most
   * `limit` of them and never the newest, and returns how many went. Records nothing (no history,
   * audit entry or change event): an event only tells of a change whose rows, history and audit
   * stay. The engine decides `before` (core/feed-horizon.ts). Followers of the feed inside the
   * store (vector copies, index files) that find events they had not applied compacted away
   * start again from the rows.
   */
  compactChanges(before: number, limit: number): Promise<number>;

  /**
   * Applies one feedback call in one transaction ({@link FeedbackWrite}): each deposit lands on
   * its target's pheromone as core/feedback.ts `reinforce` says, the narrative takes in the
   * vectors (`blendNarrative`), with one `feedback.recorded` change event and the call's audit
   * entry. A `memory` target this space does not hold is `NOT_FOUND` and the call writes
   * nothing; so is a call that would leave more than `MAX_PHEROMONES` pheromones
   * (`QUOTA_EXCEEDED`, `details.quota: "pheromones"`).
   */
  recordFeedback(write: FeedbackWrite, ctx: WriteContext): Promise<FeedbackOutcome>;
  /**
   * Deletes every pheromone and the narrative, with a `feedback.reset` change event and audit
   * entry (`details: {pheromones, narrative}`); returns what went. Nothing to delete still records.
   */
  resetFeedback(ctx: WriteContext): Promise<{ pheromones: number; narrative: boolean }>;
  /**
   * Retention of the feedback state: deletes at most `limit` pheromones whose level, decayed with
   * `halfLifeDays`, is under `FEEDBACK_FLOOR` at `now`, and the narrative when its pull is, with
   * one `feedback.expire` audit entry (`details: {pheromones, narrative}`) when anything went.
   * Returns how many pheromones went.
   */
  sweepFeedback(now: number, halfLifeDays: number, limit: number, ctx: WriteContext): Promise<number>;
  /** The figures of the feedback state ({@link FeedbackStats}). */
  feedbackStats(): Promise<FeedbackStats>;

  /** Stores a context (compressed), with a `context.create` audit entry and change event; `CONFLICT` for an id present. */
  insertContext(context: ContextRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void>;
  /** Deletes a context (audit `context.delete`, change event); false, and no entry, when it does not exist. */
  deleteContext(id: string, ctx: WriteContext): Promise<boolean>;

  /**
   * A page of the space's full dump, for export: rows of `part` whose own sequence (insertion
   * seq for memories, seq for history and audit, creation order for relations and contexts)
   * comes after `after`, oldest first. `next` is the cursor of the following page, null at the end.
   */
  dump(part: keyof DumpChunk, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }>;
  /**
   * Writes rows of a dump into this space exactly as they were (ids, times, history, audit
   * entries with their hashes), in one transaction. Memories, relations and contexts get
   * change events so indexes and subscribers follow; no history or audit is generated. Audit
   * entries must continue the space's chain (seq = head + 1, prevHash = head hash), else
   * `CONFLICT` and nothing is written. With `limits`, a chunk that would leave the space (or
   * its project) above them writes nothing and is `QUOTA_EXCEEDED`, checked in the transaction.
   */
  restore(chunk: DumpChunk, now: number, limits?: StorageLimits): Promise<void>;

  /** Waits until the approximate index has caught up with every change so far (tests, benchmarks). */
  settleIndex(): Promise<void>;

  /** Adds an edge (audit: `relation.create`); `NOT_FOUND` if either end is missing, `CONFLICT` for a duplicate id. */
  insertRelation(relation: RelationRecord, ctx: WriteContext): Promise<void>;
  /** Deletes an edge (audit: `relation.delete`); false, and no entry, when it does not exist. */
  deleteRelation(id: string, ctx: WriteContext): Promise<boolean>;

  /**
   * Appends one entry to the audit trail, in its own transaction, for an event that is not a
   * mutation of this store (a denied request, a cross-space read, a share change).
   */
  appendAudit(entry: AuditEvent, ctx: WriteContext): Promise<void>;
  /** Recomputes the whole audit hash chain and reports the first entry at fault, if any. */
  verifyAudit(): Promise<AuditVerification>;

  /** Storage figures for health and status; cheap (counters, not scans). */
  stats(): Promise<SpaceStats>;
  /** Checks the storage's own integrity (for SQLite, `PRAGMA integrity_check`); returns problems found. */
  integrityCheck(): Promise<string[]>;
  /** Flushes and releases every resource of the space. Idempotent. */
  close(): Promise<void>;
}
