import type { FeedbackStats } from '../../core/feedback.js';
import type { ConsolidationStats, SpaceReads, UnfinishedConsolidationRun } from '../../core/ports/space-store.js';
import type { AuditVerification, DumpChunk, SpaceStats } from '../../core/types.js';
import type { DumpPart } from '../common/pages.js';
import { SpaceStoreBase } from '../common/space-store-base.js';
import { readConsolidationStats, readUnfinishedRuns } from './consolidation-stats.js';
import { readDecayed } from './decay-sweep.js';
import { readFeedbackStats } from './feedback-state.js';
import { indexDue, PostgresSpaceReads, type SessionSpace, type VectorSearchSettings } from './space-reads.js';
import { stateFigures } from './space-state.js';
import { type SpaceDatabase, SpaceTx } from './space-tx.js';
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
export class PostgresSpaceStore extends SpaceStoreBase {
  /** Lower-cased name: the `space_id` of every row of this space. */
  readonly spaceId: string;
  private readonly space: SessionSpace;
  private readonly tx: SpaceTx;
  protected readonly writes: PostgresSpaceWrites;

  constructor(
    database: SpaceDatabase,
    name: string,
    /** Length of the space's vectors. */
    readonly dimension: number,
    private readonly vectors?: VectorSearchSettings,
    /** Called after each committed write that added change-feed events. */
    onChanged?: () => void,
  ) {
    super();
    this.spaceId = spaceIdOf(name);
    this.space = { spaceId: this.spaceId, dimension, vectors };
    this.tx = new SpaceTx({ database, spaceId: this.spaceId, access: this.access, onChanged });
    this.writes = new PostgresSpaceWrites({ spaceId: this.spaceId, tx: this.tx, recorder: this.recorder });
  }

  read<T>(fn: (reads: SpaceReads) => Promise<T>): Promise<T> {
    return this.session(fn);
  }

  /** A single read is a session of one: a transaction scoped to the space. */
  protected readOnce<T>(fn: (reads: SpaceReads) => Promise<T>): Promise<T> {
    return this.session(fn);
  }

  protected dumpPage(part: DumpPart, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }> {
    return this.session((r) => r.dump(part, after, limit));
  }

  /** Builds the HNSW index of this space's dimension when its searches would have started it, and waits for it. */
  async settleIndex(): Promise<void> {
    const vectors = this.vectors;
    if (vectors === undefined || this.dimension > MAX_HNSW_DIMENSION) return;
    const count = (await this.session((r) => r.state()))?.memories ?? 0;
    if (indexDue(count, vectors)) await vectors.indexes.ensure(this.dimension);
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.session((r) => r.verifyAudit());
  }

  /** Figures from the space's state row; no vector index of its own to report. */
  async stats(): Promise<SpaceStats> {
    const figures = stateFigures(await this.session((r) => r.state()));
    return { ...figures, vectorIndex: { state: 'none', threshold: null, indexed: 0, lag: 0, resident: 0 } };
  }

  consolidationStats(now: number): Promise<ConsolidationStats> {
    return this.tx.read((db) => readConsolidationStats(db, this.spaceId, now));
  }

  unfinishedConsolidationRuns(): Promise<UnfinishedConsolidationRun[]> {
    return this.tx.read((db) => readUnfinishedRuns(db, this.spaceId));
  }

  decayedCount(): Promise<number> {
    return this.tx.read((db) => readDecayed(db, this.spaceId));
  }

  feedbackStats(): Promise<FeedbackStats> {
    return this.tx.read((db) => readFeedbackStats(db, this.spaceId));
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
    const result = await this.tx.read((db, state) => fn((reads = new PostgresSpaceReads(db, this.space, state))));
    // After the transaction: an index build runs on a connection of its own and must not wait for this one.
    for (const start of reads?.afterCommit ?? []) start();
    return result;
  }
}
