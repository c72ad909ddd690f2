import type { FeedbackStats } from '../../core/feedback.js';
import { readFeedbackStats } from './feedback-state.js';
import type Database from 'better-sqlite3-multiple-ciphers';
import type { ConsolidationStats, SpaceReads, UnfinishedConsolidationRun } from '../../core/ports/space-store.js';
import type { SearchPlan } from '../../core/search-plan.js';
import type { AuditVerification, DumpChunk, SpaceStats } from '../../core/types.js';
import type { SearchHit } from '../../core/views.js';
import type { DumpPart } from '../common/pages.js';
import { SpaceStoreBase } from '../common/space-store-base.js';
import { readConsolidationStats, readUnfinishedRuns } from './consolidation-stats.js';
import { readDecayed } from './decay-sweep.js';
import { databaseUid, openSpaceDatabase, setMaxPageCount, spaceFileBytes, type SpaceDatabaseOptions } from './space-database.js';
import type { ReplicaSpace } from './search-replica.js';
import type { SpaceFileKeys } from './space-keys.js';
import type { ProjectUsageLink } from './project-usage.js';
import type { SearchThreads } from './search-threads.js';
import { SqliteSpaceReads } from './space-reads.js';
import { prepareSpaceStatements } from './space-rows.js';
import { type IndexDir, indexPlace } from './index-dir.js';
import { type AnnOptions, SpaceSearch, type SpaceAnnOptions } from './space-search.js';
import { SpaceTx } from './space-tx.js';
import { SqliteSpaceWrites } from './space-writes.js';
import { sqlite } from './sqlite-errors.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/** Options of a space database. */
export interface SqliteSpaceOptions extends SpaceDatabaseOptions {
  /**
   * The HNSW index; without it every search is exact. Where its files go, beside the database
   * or in RAM for an encrypted space, is index-dir.ts's decision.
   */
  ann?: AnnOptions;
  /** Clock of the store's own bookkeeping (when the WAL was last checkpointed). @default Date.now */
  now?: () => number;
  /**
   * Disk budget of the database, in pages (4 KiB each by default): SQLite's `max_page_count`
   * on this connection. A write that would grow the database past it fails as a full disk
   * would (`SQLITE_FULL`, so `BACKEND_UNAVAILABLE`) and writes nothing; see
   * {@link SqliteSpaceStore.setMaxPageCount}. Internal: tests use it to exercise a full disk.
   * @default SQLite's own limit (no budget)
   */
  maxPageCount?: number;
  /** Called after each committed transaction that changed rows (the change feed may have grown). */
  onWrite?: () => void;
  /** Search threads to run searches in (search-threads.ts); without them searches run here. */
  threads?: SearchThreads;
  /**
   * The keys of an encrypted space (space-keys.ts): its database and WAL are encrypted with
   * SQLite3 Multiple Ciphers and its vector snapshot with AES-256-GCM; its HNSW index is kept in
   * RAM only (`ann.ram`), or not at all. Undefined for a plain space.
   */
  keys?: SpaceFileKeys | undefined;
  /** For a space of a project: the ledger its writes check the project's quotas against. */
  projectUsage?: ProjectUsageLink;
}

/**
 * The embedded storage of one space: one SQLite database in WAL mode. A façade over its
 * parts: transactions and group commit (space-tx.ts), reads (space-reads.ts), mutations
 * (space-writes.ts), search and the vector indexes (space-search.ts), and the WAL
 * checkpointer; it owns their order of closing.
 */
export class SqliteSpaceStore extends SpaceStoreBase {
  private readonly db: Database.Database;
  private readonly wal: WalCheckpointer;
  private readonly tx: SpaceTx;
  private readonly vectors: SpaceSearch;
  private readonly reads: SqliteSpaceReads;
  protected readonly writes: SqliteSpaceWrites;
  /** How search threads open this space, but for the generation, named at each search. */
  private readonly replica: Omit<ReplicaSpace, 'generation'>;
  private readonly threads: SearchThreads | undefined;
  /** Where the HNSW files are; removed on close when in RAM. */
  private readonly indexDir: IndexDir | undefined;

  constructor(
    private readonly file: string,
    dimension: number,
    options: SqliteSpaceOptions = {},
  ) {
    super();
    this.threads = options.threads;
    const db = sqlite(() => openSpaceDatabase(file, { ...options, key: options.keys?.database }));
    this.db = db;
    if (options.maxPageCount !== undefined) this.setMaxPageCount(options.maxPageCount);
    this.wal = new WalCheckpointer(db, `${file}-wal`, options.now ?? Date.now);
    const stmt = prepareSpaceStatements(db);
    this.tx = new SpaceTx({ db, stmt, access: this.access, wal: this.wal, onWrite: options.onWrite, projectUsage: options.projectUsage });
    const uid = databaseUid(db);
    const place = options.ann && indexPlace({ file, uid, encrypted: options.keys !== undefined }, options.ann.ram);
    const dir = place?.dir;
    this.indexDir = dir;
    let ann: SpaceAnnOptions | undefined;
    if (options.ann !== undefined && dir !== undefined) {
      const { threshold, params, runner } = options.ann;
      ann = { threshold, params, runner, dir: dir.path, prepareDir: () => dir.prepare(), inRam: dir.inRam, dbKey: options.keys?.database };
    }
    this.vectors = new SpaceSearch({ db, stmt, tx: this.tx, file, uid, dimension, ann, annUnavailable: place?.reason, snapshotKey: options.keys?.snapshot });
    // The search threads map the generations built here, from the same directory.
    this.replica = { file, uid, dimension, ann: ann && { threshold: ann.threshold, params: ann.params, dir: ann.dir, inRam: ann.inRam }, keys: options.keys };
    this.reads = new SqliteSpaceReads({ db, stmt, tx: this.tx, search: this.vectors });
    this.writes = new SqliteSpaceWrites({ db, stmt, tx: this.tx, recorder: this.recorder, projectUsage: options.projectUsage });
  }

  /**
   * Raises (or lowers, down to the pages in use) the disk budget set by
   * {@link SqliteSpaceOptions.maxPageCount}; returns the budget now in force, in pages.
   */
  setMaxPageCount(pages: number): number {
    return setMaxPageCount(this.db, pages);
  }

  read<T>(fn: (reads: SpaceReads) => Promise<T>): Promise<T> {
    return this.tx.session(() => fn(this.reads));
  }

  /** In a search thread when there are some: the plan crosses, the hits come back; index upkeep stays here. */
  override async search(plan: SearchPlan): Promise<SearchHit[]> {
    if (this.threads === undefined) return super.search(plan);
    this.tx.assertOpen();
    const generation = await this.vectors.indexGeneration();
    return this.threads.search({ ...this.replica, generation }, plan);
  }

  /** Each read is one synchronous statement (or transaction), atomic on its own. */
  protected readOnce<T>(fn: (reads: SpaceReads) => Promise<T>): Promise<T> {
    return fn(this.reads);
  }

  protected dumpPage(part: DumpPart, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }> {
    return this.reads.dump(part, after, limit);
  }

  settleIndex(): Promise<void> {
    return this.vectors.settle();
  }

  async verifyAudit(): Promise<AuditVerification> {
    return this.reads.verifyAudit();
  }

  async stats(): Promise<SpaceStats> {
    const { usage, last } = this.reads.figures();
    const { bytes, walBytes } = spaceFileBytes(this.file);
    return {
      memories: usage.memories,
      relations: usage.relations,
      contexts: usage.contexts,
      bytes,
      payloadBytes: usage.payloadBytes,
      walBytes,
      uncheckpointedSince: this.wal.uncheckpointedSince,
      lastWriteAt: last?.at ?? null,
      lastSeq: last?.seq ?? 0,
      vectorIndex: this.vectors.status(),
    };
  }

  async consolidationStats(now: number): Promise<ConsolidationStats> {
    return this.tx.read(() => readConsolidationStats(this.db, now));
  }

  async unfinishedConsolidationRuns(): Promise<UnfinishedConsolidationRun[]> {
    return this.tx.read(() => readUnfinishedRuns(this.db));
  }

  async decayedCount(): Promise<number> {
    this.tx.assertOpen();
    return readDecayed(this.db);
  }

  async feedbackStats(): Promise<FeedbackStats> {
    return this.tx.read(() => readFeedbackStats(this.db));
  }

  async integrityCheck(): Promise<string[]> {
    return this.reads.integrityCheck();
  }

  /**
   * Closes in the order that loses nothing: pending inserts and access counts are written,
   * the vector snapshot saved and the HNSW index stopped, the WAL checkpointed, the database
   * closed. Returns once no index worker writes into the space's files; an index kept in RAM
   * (an encrypted space's) is removed then. Idempotent.
   */
  async close(): Promise<void> {
    if (this.tx.isClosed) return;
    this.tx.close();
    await this.threads?.drop(this.file); // before the files may go (archive, delete)
    this.vectors.close();
    this.wal.close();
    this.db.close();
    await this.vectors.stopped(); // before the files may go, too
    this.indexDir?.release();
  }
}
