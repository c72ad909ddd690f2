import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditChainVerifier, type AuditTextRow, auditFromTextRow, storedAuditRow } from '../../core/audit.js';
import { MemspaceError } from '../../core/errors.js';
import type { FilterNode } from '../../core/filter.js';
import type { ListOptions, Page, SpaceStore } from '../../core/ports/space-store.js';
import type {
  AuditEvent,
  AuditQuery,
  AuditRecord,
  AuditVerification,
  ChangeRecord,
  ContextRecord,
  DumpChunk,
  HistoryRecord,
  JsonObject,
  MemoryRecord,
  RelationRecord,
  ScoredId,
  SpaceStats,
  StorageLimits,
  VectorIndexStatus,
  WriteContext,
} from '../../core/types.js';
import { filterCondition } from './sqlite-filter-dialect.js';
import type { HnswJobRunner, HnswParams } from './ann-jobs.js';
import { FlatVectorIndex } from './flat-vector-index.js';
import { toFtsQuery } from './fts-query.js';
import { HnswIndex, type HnswStatus } from './hnsw-index.js';
import { prepareContexts } from '../common/context-codec.js';
import { decodeDumpRows, type DumpPart, listAfter, memoryPage } from '../common/pages.js';
import { conflictOr, readDumpPage, writeContext, writeDumpChunk } from './space-dump.js';
import { AccessCounter } from '../common/access-counter.js';
import { MutationRecorder, type Removal } from '../common/mutation-recorder.js';
import {
  type ContextRow,
  fromRow,
  type HistoryRow,
  INSERT_CONTEXT_SQL,
  INSERT_MEMORY_SQL,
  INSERT_RELATION_SQL,
  type MemoryRow,
  type RelationRow,
  SWEEP_EXPIRED_SQL,
  SWEEP_RETENTION_SQL,
  toRow,
  toVector,
} from './space-rows.js';
import { migrateSpace } from './space-schema.js';
import { enforceLimits } from '../../core/storage-limits.js';
import { directoryBytes, fileBytes, readUsage, USAGE_SQL } from './space-usage.js';
import { sqlite, translateSqliteError } from './sqlite-errors.js';
import { prepareSinkStatements, type SinkStatements, SpaceWrite } from './space-tx.js';
import { loadVectorSnapshot, removeVectorSnapshot, saveVectorSnapshot } from './vector-snapshot.js';
import { CHECKPOINT_WAL_BYTES, WalCheckpointer } from './wal-checkpointer.js';

/** How an acknowledged write reaches the disk. */
export type SyncMode = 'full' | 'normal';

/** Options of a space database. */
export interface SqliteSpaceOptions {
  /**
   * `full` fsyncs the WAL at every commit, so an acknowledged write survives power loss;
   * `normal` survives `kill -9` but may lose the last commits on power loss.
   * @default 'full'
   */
  sync?: SyncMode;
  /** Create the database if missing (only when a space is created). @default false */
  create?: boolean;
  /** The HNSW index; without it every search is exact. */
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
}

/** When and how a space searches through its HNSW index. */
export interface AnnOptions {
  /** Spaces with fewer memories are searched exactly (a scan is as fast there and always exact). */
  threshold: number;
  params: HnswParams;
  runner: HnswJobRunner;
}

/** Default HNSW parameters (measured in bench/RESULTS.md). */
export const DEFAULT_HNSW_PARAMS: HnswParams = { quantization: 'f16', connectivity: 16, expansionAdd: 128, expansionSearch: 64 };

/** ANN candidates fetched per result asked for; they are rescored exactly. */
const ANN_OVERFETCH = 2;
const ANN_MIN_CANDIDATES = 32;
/** A filter matching fewer rows than this share of the space is searched exactly over those rows. */
const ANN_FILTER_EXACT_SHARE = 0.05;
/** Past this share of the space fetched from the index, an exact scan is cheaper. */
const ANN_MAX_FETCH_SHARE = 0.1;

/** Extra keyword candidates fetched so that a few expired ones do not shorten the list. */
const KEYWORD_MARGIN = 16;

/** Opens (and migrates) a space database with the pragmas every connection needs. */
export function openSpaceDatabase(file: string, options: SqliteSpaceOptions = {}): Database.Database {
  const db = new Database(file, { fileMustExist: options.create !== true });
  try {
    db.pragma('busy_timeout = 5000'); // before anything that may wait for another process's lock
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.sync === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    // The store checkpoints after the acknowledgement (WalCheckpointer), not inside a commit.
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${CHECKPOINT_WAL_BYTES}`);
    migrateSpace(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A memory about to be deleted: what its `delete` history entry keeps. */
interface Victim {
  id: string;
  content: string;
  metadata: string;
}

/** The embedded storage of one space: one SQLite database in WAL mode. */
export class SqliteSpaceStore implements SpaceStore {
  private readonly db: Database.Database;
  private readonly index: FlatVectorIndex;
  private indexLoaded = false;
  private readonly hnsw: HnswIndex | undefined;
  private readonly annThreshold: number;
  /** Inserts waiting for the next group commit. */
  private readonly pendingInserts: {
    rows: readonly MemoryRecord[];
    ctx: WriteContext;
    limits: StorageLimits | undefined;
    resolve: () => void;
    reject: (error: unknown) => void;
  }[] = [];
  /** Change-feed sequence of the snapshot on disk, so an unchanged index is not written again. */
  private savedSeq = -1;
  private readonly snapshotFile: string;
  private readonly uid: string;
  private readonly access = new AccessCounter();
  private readonly recorder = new MutationRecorder(this.access);
  private readonly sinkStmt: SinkStatements;
  private closed = false;
  private readonly stmt;
  private readonly wal: WalCheckpointer;
  private readonly onWrite: (() => void) | undefined;
  /** Rows this connection has changed so far (SQLite's `total_changes()`), to tell a write from a no-op. */
  private changesSeen = 0;

  constructor(
    private readonly file: string,
    dimension: number,
    options: SqliteSpaceOptions = {},
  ) {
    this.db = sqlite(() => openSpaceDatabase(file, options));
    if (options.maxPageCount !== undefined) this.setMaxPageCount(options.maxPageCount);
    this.wal = new WalCheckpointer(this.db, `${file}-wal`, options.now ?? Date.now);
    this.onWrite = options.onWrite;
    this.index = new FlatVectorIndex(dimension);
    this.snapshotFile = join(dirname(file), 'vectors.bin');
    this.uid = (this.db.prepare(`SELECT value FROM meta WHERE key = 'uid'`).pluck().get() as string | undefined) ?? '';
    this.annThreshold = options.ann?.threshold ?? Number.POSITIVE_INFINITY;
    this.hnsw =
      options.ann === undefined
        ? undefined
        : new HnswIndex({
            dir: dirname(file),
            dbFile: file,
            uid: this.uid,
            dimension,
            params: options.ann.params,
            runner: options.ann.runner,
            lastSeq: () => (this.stmt.lastSeq.get() as { seq: number }).seq,
            changedSince: (seq) => this.stmt.memoryIdsChangedAfter.all(seq) as string[],
          });
    const db = this.db;
    this.stmt = {
      insert: db.prepare(INSERT_MEMORY_SQL),
      update: db.prepare(`UPDATE memories SET content = @content, metadata = @metadata, tags = @tags, kind = @kind,
        importance = @importance, updated_at = @updated_at, expires_at = @expires_at, embedding = @embedding WHERE id = @id`),
      byId: db.prepare('SELECT * FROM memories WHERE id = ?'),
      byIds: db.prepare('SELECT m.* FROM json_each(?) j JOIN memories m ON m.id = j.value'),
      byIdsWithoutEmbedding: db.prepare(`SELECT m.seq, m.id, m.content, m.metadata, m.tags, m.user_id, m.agent_id, m.run_id, m.kind,
        m.importance, m.created_at, m.updated_at, m.expires_at, NULL AS embedding, m.access_count, m.last_accessed_at
        FROM json_each(?) j JOIN memories m ON m.id = j.value`),
      deleteById: db.prepare('DELETE FROM memories WHERE id = ?'),
      historyOf: db.prepare('SELECT * FROM history WHERE memory_id = ? ORDER BY seq'),
      changesAfter: db.prepare('SELECT seq, at, op, id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?'),
      lastSeq: db.prepare(`SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0) AS seq`),
      memoryChangesAfter: db.prepare(`SELECT c.seq AS cseq, c.id AS id, m.seq AS seq, m.expires_at AS expires_at, m.embedding AS embedding
        FROM changes c LEFT JOIN memories m ON m.id = c.id
        WHERE c.seq > ? AND c.op IN ('memory.created', 'memory.updated', 'memory.deleted') ORDER BY c.seq`),
      allVectors: db.prepare('SELECT id, seq, expires_at, embedding FROM memories'),
      memoryIdsChangedAfter: db
        .prepare(`SELECT DISTINCT id FROM changes WHERE seq > ? AND op IN ('memory.created', 'memory.updated', 'memory.deleted')`)
        .pluck(),
      keywordTop: db.prepare(`SELECT m.id AS id, f.rank AS rank FROM
        (SELECT rowid, bm25(memories_fts, 1.0, 0.5) AS rank FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank LIMIT ?) f
        JOIN memories m ON m.seq = f.rowid WHERE m.expires_at IS NULL OR m.expires_at > ? ORDER BY f.rank`),
      access: db.prepare('UPDATE memories SET access_count = access_count + ?, last_accessed_at = max(coalesce(last_accessed_at, 0), ?) WHERE id = ?'),
      insertRelation: db.prepare(INSERT_RELATION_SQL),
      relationIdsTouching: db.prepare('SELECT id FROM relations WHERE from_id = @id OR to_id = @id'),
      deleteRelation: db.prepare('DELETE FROM relations WHERE id = ?'),
      memoryExists: db.prepare('SELECT 1 FROM memories WHERE id = ?'),
      relationById: db.prepare('SELECT from_id, to_id, type FROM relations WHERE id = ?'),
      auditAll: db.prepare('SELECT * FROM audit ORDER BY seq'),
      usage: db.prepare(USAGE_SQL),
      lastChange: db.prepare('SELECT seq, at FROM changes ORDER BY seq DESC LIMIT 1'),
      // Two indexed scans rather than one OR, each able to stop at its limit.
      expired: db.prepare(SWEEP_EXPIRED_SQL),
      retained: db.prepare(SWEEP_RETENTION_SQL),
      insertContext: db.prepare(INSERT_CONTEXT_SQL),
      contextById: db.prepare('SELECT * FROM contexts WHERE id = ?'),
      contextSizes: db.prepare('SELECT original_bytes AS originalBytes, stored_bytes AS storedBytes FROM contexts WHERE id = ?'),
      deleteContext: db.prepare('DELETE FROM contexts WHERE id = ?'),
      totalChanges: db.prepare('SELECT total_changes()').pluck(),
    };
    this.sinkStmt = prepareSinkStatements(db);
    this.changesSeen = this.stmt.totalChanges.get() as number; // what migrations wrote, the checkpointer found in the WAL
  }

  /**
   * Group commit: inserts that arrive while the event loop is busy are written together in one
   * transaction (one fsync), each inside its own savepoint so that one caller's conflict fails
   * only that caller. Every caller is acknowledged only after the shared commit is durable.
   * The quota check runs in the caller's savepoint after its rows are in, against the usage
   * row the triggers keep, so callers of one group see each other's rows and a caller that
   * crosses a quota fails alone.
   */
  insertMemories(rows: readonly MemoryRecord[], ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.pendingInserts.push({ rows, ctx, limits, resolve, reject });
      if (this.pendingInserts.length === 1) setImmediate(() => this.flushInserts());
    });
  }

  private flushInserts(): void {
    const group = this.pendingInserts.splice(0);
    if (group.length === 0) return;
    const failures: (MemspaceError | undefined)[] = [];
    try {
      this.write(() => {
        for (const item of group) {
          try {
            // Nested: a savepoint.
            this.db.transaction(() => {
              const before = readUsage(this.stmt.usage);
              this.insertRows(item.rows, item.ctx);
              enforceLimits(before, readUsage(this.stmt.usage), item.limits);
            })();
            failures.push(undefined);
          } catch (error) {
            const e = translateSqliteError(error);
            // A storage failure (disk full, I/O error) is not this caller's: SQLite may already
            // have rolled the whole transaction back, so the group fails as one and nothing of
            // it is written. Only the caller's own errors (conflict, quota) stay in its savepoint.
            if (e.code === 'BACKEND_UNAVAILABLE' || !this.db.inTransaction) throw e;
            failures.push(e);
          }
        }
      });
    } catch (error) {
      const e = translateSqliteError(error); // the commit itself failed: nothing of the group was written
      for (const item of group) item.reject(e);
      return;
    }
    group.forEach((item, i) => (failures[i] === undefined ? item.resolve() : item.reject(failures[i])));
  }

  private insertRows(rows: readonly MemoryRecord[], ctx: WriteContext): void {
    for (const row of rows) {
      try {
        this.stmt.insert.run(toRow(row));
      } catch (error) {
        throw conflictOr(error, `memory ${row.id} already exists in this space`, row.id);
      }
    }
    this.recorder.memoriesCreated(this.sink(ctx), rows);
  }

  async updateMemory(next: MemoryRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    this.write(() => {
      const old = this.stmt.byId.get(next.id) as MemoryRow | undefined;
      if (old === undefined) throw new MemspaceError('NOT_FOUND', `memory ${next.id} not found in this space`, { id: next.id });
      const before = readUsage(this.stmt.usage);
      this.stmt.update.run(toRow(next));
      enforceLimits(before, readUsage(this.stmt.usage), limits);
      this.recorder.memoryUpdated(this.sink(ctx), fromRow.memory(old), next);
    });
  }

  async deleteMemories(filter: FilterNode, ctx: WriteContext): Promise<number> {
    const where = filterCondition(filter);
    return this.write(() => {
      // Collect first, then delete: deleting while iterating the same table is undefined in SQLite.
      const victims = this.db.prepare(`SELECT id, content, metadata FROM memories m WHERE ${where.sql}`).all(...where.params) as Victim[];
      this.recorder.memoriesDeleted(this.sink(ctx), this.deleteRows(victims));
      return victims.length;
    });
  }

  /**
   * The one delete path of memories, inside the caller's write transaction: each memory's
   * relations, then its row. Returns what went, for the recorder.
   */
  private deleteRows(victims: readonly Victim[]): Removal {
    const relations: string[] = [];
    for (const v of victims) {
      for (const rel of this.stmt.relationIdsTouching.all({ id: v.id }) as { id: string }[]) {
        relations.push(rel.id);
        this.stmt.deleteRelation.run(rel.id);
      }
      this.stmt.deleteById.run(v.id);
    }
    return { memories: victims.map((v) => ({ id: v.id, content: v.content, metadata: JSON.parse(v.metadata) as JsonObject })), relations };
  }

  async sweepExpired(now: number, createdBefore: number | null, limit: number, ctx: WriteContext): Promise<number> {
    if (limit <= 0) return 0;
    return this.write(() => {
      const expired = this.stmt.expired.all(now, limit) as Victim[];
      const retained = createdBefore === null || expired.length >= limit ? [] : (this.stmt.retained.all(createdBefore, now, limit - expired.length) as Victim[]);
      const victims = [...expired, ...retained];
      this.recorder.memoriesExpired(this.sink(ctx), this.deleteRows(victims), expired.length);
      return victims.length;
    });
  }

  async insertContext(context: ContextRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    this.assertOpen();
    // Compressed before the transaction opens: the write lock is not held while brotli runs.
    const [prepared] = await prepareContexts([context]);
    this.write(() => {
      const before = readUsage(this.stmt.usage);
      writeContext(this.stmt.insertContext, prepared!);
      enforceLimits(before, readUsage(this.stmt.usage), limits);
      this.recorder.contextCreated(this.sink(ctx), context.id, prepared!.encoded);
    });
  }

  async getContext(id: string): Promise<ContextRecord | undefined> {
    const row = this.read(() => this.stmt.contextById.get(id) as ContextRow | undefined);
    return row === undefined ? undefined : fromRow.context(row);
  }

  async deleteContext(id: string, ctx: WriteContext): Promise<boolean> {
    return this.write(() => {
      const sizes = this.stmt.contextSizes.get(id) as { originalBytes: number; storedBytes: number } | undefined;
      if (sizes === undefined) return false;
      this.stmt.deleteContext.run(id);
      this.recorder.contextDeleted(this.sink(ctx), id, sizes);
      return true;
    });
  }

  async dump(part: DumpPart, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }> {
    // An empty write saves the access counts, so the dump carries them.
    if (part === 'memories') await this.access.saveQuietly(() => this.write(() => undefined));
    const page = this.read(() => readDumpPage(this.db, part, after, limit));
    return { chunk: await decodeDumpRows(part, page.rows, fromRow), next: page.next };
  }

  async restore(chunk: DumpChunk, now: number): Promise<void> {
    this.assertOpen();
    const contexts = await prepareContexts(chunk.contexts);
    this.write(() => {
      writeDumpChunk(this.db, chunk, contexts);
      this.recorder.restored(this.sink({ actor: null, now, requestId: null }), chunk);
    });
  }

  /**
   * Raises (or lowers, down to the pages in use) the disk budget set by
   * {@link SqliteSpaceOptions.maxPageCount}; returns the budget now in force, in pages.
   */
  setMaxPageCount(pages: number): number {
    if (!Number.isSafeInteger(pages) || pages <= 0) throw new MemspaceError('VALIDATION_FAILED', 'maxPageCount must be a positive integer');
    return sqlite(() => this.db.pragma(`max_page_count = ${pages}`, { simple: true }) as number);
  }

  async getMemories(ids: readonly string[], options: { embeddings?: boolean } = {}): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    if (ids.length === 1 && options.embeddings !== false) {
      const row = this.read(() => this.stmt.byId.get(ids[0]) as MemoryRow | undefined);
      return row ? [fromRow.memory(row)] : [];
    }
    const statement = options.embeddings === false ? this.stmt.byIdsWithoutEmbedding : this.stmt.byIds;
    const rows = this.read(() => statement.all(JSON.stringify(ids)) as MemoryRow[]);
    const byId = new Map(rows.map((r) => [r.id, fromRow.memory(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async listMemories(options: ListOptions): Promise<Page<MemoryRecord>> {
    const where = filterCondition(options.filter);
    const after = listAfter(options);
    const cmp = options.order === 'asc' ? '>' : '<';
    const cursorSql = after === undefined ? '1' : `m.seq ${cmp} ?`;
    const rows = this.read(
      () =>
        this.db
          .prepare(`SELECT * FROM memories m WHERE ${where.sql} AND ${cursorSql} ORDER BY m.seq ${options.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`)
          .all(...where.params, ...(after === undefined ? [] : [after]), options.limit + 1) as MemoryRow[],
    );
    return memoryPage(rows, options.limit, fromRow.memory);
  }

  async countMemories(filter: FilterNode): Promise<number> {
    const where = filterCondition(filter);
    return this.read(() => (this.db.prepare(`SELECT count(*) AS n FROM memories m WHERE ${where.sql}`).get(...where.params) as { n: number }).n);
  }

  recordAccess(ids: readonly string[], at: number): void {
    this.access.note(ids, at);
  }

  async history(memoryId: string): Promise<HistoryRecord[]> {
    return this.read(() => this.stmt.historyOf.all(memoryId) as HistoryRow[]).map(fromRow.history);
  }

  async keywordSearch(query: string, filter: FilterNode | undefined, limit: number, now: number): Promise<ScoredId[]> {
    const match = toFtsQuery(query);
    if (match === undefined) return [];
    // Content counts twice as much as tags in BM25.
    const rank = 'bm25(memories_fts, 1.0, 0.5)';
    const notExpired = '(m.expires_at IS NULL OR m.expires_at > ?)';
    let rows: { id: string; rank: number }[];
    if (filter === undefined) {
      // Rank inside FTS5 first and join only the best rows; a small margin covers expired ones.
      rows = this.read(
        () =>
          this.stmt.keywordTop.all(match, limit + KEYWORD_MARGIN, now) as { id: string; rank: number }[],
      ).slice(0, limit);
    } else {
      const where = filterCondition(filter);
      rows = this.read(
        () =>
          this.db
            .prepare(`SELECT m.id AS id, ${rank} AS rank FROM memories_fts
              JOIN memories m ON m.seq = memories_fts.rowid
              WHERE memories_fts MATCH ? AND ${notExpired} AND ${where.sql} ORDER BY rank LIMIT ?`)
            .all(match, now, ...where.params, limit) as { id: string; rank: number }[],
      );
    }
    return rows.map((r) => ({ id: r.id, score: -r.rank }));
  }

  async vectorSearch(vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number, options: { exact?: boolean } = {}): Promise<ScoredId[]> {
    this.catchUpIndex();
    let allowed: Set<number> | undefined;
    if (filter !== undefined) {
      const where = filterCondition(filter);
      allowed = new Set(this.read(() => this.db.prepare(`SELECT m.seq FROM memories m WHERE ${where.sql}`).pluck().all(...where.params) as number[]));
      if (allowed.size === 0) return [];
    }
    const n = this.index.size;
    if (this.hnsw !== undefined && n >= this.annThreshold) this.hnsw.maintain(n);
    const hnsw = this.hnsw;
    const useAnn =
      options.exact !== true &&
      hnsw?.ready === true &&
      n >= this.annThreshold &&
      hnsw.changed.size <= n * ANN_MAX_FETCH_SHARE &&
      (allowed === undefined || allowed.size >= n * ANN_FILTER_EXACT_SHARE);
    if (!useAnn) return this.index.search(vector, limit, now, allowed);
    return this.annSearch(hnsw, vector, limit, now, allowed);
  }

  /**
   * Approximate search: candidates from the HNSW index, over-fetched in proportion to how
   * selective the filter is and fetched again with a larger list until `limit` of them pass,
   * then rescored exactly together with every memory changed since the index was built. Falls
   * back to the exact scan when the index would have to return too large a share of the space.
   */
  private annSearch(hnsw: HnswIndex, vector: Float32Array, limit: number, now: number, allowed: ReadonlySet<number> | undefined): ScoredId[] {
    const n = this.index.size;
    const share = allowed === undefined ? 1 : allowed.size / n;
    let fetch = Math.max(ANN_MIN_CANDIDATES, Math.ceil((limit * ANN_OVERFETCH) / share));
    for (;;) {
      const candidates = hnsw.search(vector, Math.min(fetch, n));
      const hits = this.index.rescore(vector, limit, now, candidates, hnsw.changed, hnsw.changed, allowed);
      // Fewer hits than asked while the index had more to give: filters or expiry ate them.
      if (hits.length >= limit || candidates.length < Math.min(fetch, n)) return hits;
      fetch *= 4;
      if (fetch > n * ANN_MAX_FETCH_SHARE) return this.index.search(vector, limit, now, allowed);
    }
  }

  /** Where the HNSW index of this space stands. */
  private indexStatus(): VectorIndexStatus {
    const status: HnswStatus = this.hnsw?.status() ?? { state: 'none', indexed: 0, lag: 0 };
    return { ...status, threshold: Number.isFinite(this.annThreshold) ? this.annThreshold : null };
  }

  /** Starts the HNSW work a search would start now, and waits for all of it (tests, benchmarks). */
  async settleIndex(): Promise<void> {
    this.catchUpIndex();
    if (this.hnsw === undefined) return;
    if (this.index.size >= this.annThreshold) this.hnsw.maintain(this.index.size);
    await this.hnsw.settle();
    if (this.index.size >= this.annThreshold) this.hnsw.maintain(this.index.size); // a merge the last build made due
    await this.hnsw.settle();
  }

  async vectorScores(vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>> {
    this.catchUpIndex();
    return this.index.scores(vector, ids);
  }

  async insertRelation(relation: RelationRecord, ctx: WriteContext): Promise<void> {
    this.write(() => {
      for (const end of [relation.from, relation.to]) {
        if (this.stmt.memoryExists.get(end) === undefined) throw new MemspaceError('NOT_FOUND', `memory ${end} not found in this space`, { id: end });
      }
      try {
        this.stmt.insertRelation.run(relation.id, relation.from, relation.to, relation.type, relation.weight, JSON.stringify(relation.metadata), relation.createdAt);
      } catch (error) {
        throw conflictOr(error, `relation ${relation.id} already exists in this space`, relation.id);
      }
      this.recorder.relationCreated(this.sink(ctx), relation);
    });
  }

  async listRelations(memoryIds: readonly string[], direction: 'out' | 'in' | 'both', type: string | undefined): Promise<RelationRecord[]> {
    if (memoryIds.length === 0) return [];
    const ends = direction === 'out' ? ['from_id'] : direction === 'in' ? ['to_id'] : ['from_id', 'to_id'];
    const sql = ends
      .map((end) => `SELECT r.* FROM relations r WHERE r.${end} IN (SELECT value FROM json_each(@ids))${type === undefined ? '' : ' AND r.type = @type'}`)
      .join(' UNION ');
    const params = type === undefined ? { ids: JSON.stringify(memoryIds) } : { ids: JSON.stringify(memoryIds), type };
    return this.read(() => this.db.prepare(`${sql} ORDER BY created_at, id`).all(params) as RelationRow[]).map(fromRow.relation);
  }

  async deleteRelation(id: string, ctx: WriteContext): Promise<boolean> {
    return this.write(() => {
      const rel = this.stmt.relationById.get(id) as { from_id: string; to_id: string; type: string } | undefined;
      if (rel === undefined) return false;
      this.stmt.deleteRelation.run(id);
      this.recorder.relationDeleted(this.sink(ctx), { id, from: rel.from_id, to: rel.to_id, type: rel.type });
      return true;
    });
  }

  async appendAudit(entry: AuditEvent, ctx: WriteContext): Promise<void> {
    this.write(() => this.recorder.event(this.sink(ctx), entry));
  }

  async auditEntries(query: AuditQuery): Promise<AuditRecord[]> {
    const where = ['seq > ?'];
    const params: (string | number)[] = [query.afterSeq ?? 0];
    if (query.since !== undefined) {
      where.push('at >= ?');
      params.push(query.since);
    }
    if (query.action !== undefined) {
      where.push('action = ?');
      params.push(query.action);
    }
    const rows = this.read(
      () => this.db.prepare(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...params, query.limit) as AuditTextRow[],
    );
    return rows.map(auditFromTextRow);
  }

  async verifyAudit(): Promise<AuditVerification> {
    const verifier = new AuditChainVerifier();
    // One statement reads one snapshot, so writers appending meanwhile cannot confuse the check.
    this.read(() => {
      for (const r of this.stmt.auditAll.iterate() as Iterable<AuditTextRow>) {
        verifier.push(storedAuditRow(r));
      }
    });
    return verifier.result();
  }

  async changes(afterSeq: number, limit: number): Promise<ChangeRecord[]> {
    return this.read(() => this.stmt.changesAfter.all(afterSeq, limit) as ChangeRecord[]);
  }

  async stats(): Promise<SpaceStats> {
    const { usage, last } = this.read(() => ({
      usage: readUsage(this.stmt.usage),
      last: this.stmt.lastChange.get() as { seq: number; at: number } | undefined,
    }));
    return {
      memories: usage.memories,
      relations: usage.relations,
      contexts: usage.contexts,
      bytes: directoryBytes(dirname(this.file)),
      payloadBytes: usage.payloadBytes,
      walBytes: fileBytes(`${this.file}-wal`),
      uncheckpointedSince: this.wal.uncheckpointedSince,
      lastWriteAt: last?.at ?? null,
      lastSeq: last?.seq ?? 0,
      vectorIndex: this.indexStatus(),
    };
  }

  async integrityCheck(): Promise<string[]> {
    const rows = this.read(() => this.db.pragma('integrity_check') as { integrity_check: string }[]);
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    return problems;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushInserts(); // a space never closes on writes it has accepted
    try {
      this.flushAccess();
    } catch {
      // Access counts are advisory; a failure to save them must not keep a space from closing.
    }
    if (this.indexLoaded && this.index.appliedSeq !== this.savedSeq) {
      try {
        saveVectorSnapshot(this.snapshotFile, this.index.snapshot(this.uid));
      } catch {
        // The snapshot only speeds up the next open; without it the index is rebuilt from the database.
      }
    }
    this.hnsw?.close();
    this.closed = true;
    this.wal.close();
    this.db.close();
  }

  /** What the recorder writes through for `ctx`; only inside a write transaction, which holds the write lock. */
  private sink(ctx: WriteContext): SpaceWrite {
    return new SpaceWrite(this.sinkStmt, ctx);
  }

  /** Runs `fn` in an immediate write transaction; pending access counts ride along for free. */
  private write<T>(fn: () => T): T {
    this.assertOpen();
    const result = sqlite(() =>
      this.db
        .transaction(() => {
          this.applyAccess();
          return fn();
        })
        .immediate(),
    );
    const changed = this.stmt.totalChanges.get() as number;
    if (changed !== this.changesSeen) {
      this.changesSeen = changed;
      this.wal.noteWrite();
      this.onWrite?.();
    }
    return result;
  }

  private read<T>(fn: () => T): T {
    this.assertOpen();
    return sqlite(fn);
  }

  private flushAccess(): void {
    if (!this.access.hasPending || this.closed) return;
    this.db.transaction(() => this.applyAccess()).immediate();
  }

  private applyAccess(): void {
    for (const p of this.access.drain()) this.stmt.access.run(p.count, p.at, p.id);
  }

  /**
   * Brings the vector index up to the newest change. On first use it starts from the snapshot
   * file when one matches this database, else from every row; then it replays the change feed.
   */
  private catchUpIndex(): void {
    // The common case, nothing new: one indexed read, no transaction.
    if (this.indexLoaded && this.read(() => (this.stmt.lastSeq.get() as { seq: number }).seq) <= this.index.appliedSeq) return;
    this.read(() =>
      this.db.transaction(() => {
        const last = (this.stmt.lastSeq.get() as { seq: number }).seq;
        if (!this.indexLoaded) {
          const snap = loadVectorSnapshot(this.snapshotFile, this.uid, this.index.dimension, this.index);
          if (snap !== undefined && snap.appliedSeq <= last) {
            this.index.adopt(snap);
            this.savedSeq = snap.appliedSeq;
          } else {
            if (snap !== undefined) removeVectorSnapshot(this.snapshotFile); // from the future: not ours
            this.loadAllVectors(last);
          }
          this.indexLoaded = true;
        }
        if (last <= this.index.appliedSeq) return;
        for (const row of this.stmt.memoryChangesAfter.iterate(this.index.appliedSeq) as Iterable<{
          id: string;
          seq: number | null;
          expires_at: number | null;
          embedding: Buffer | null;
        }>) {
          if (row.seq === null || row.embedding === null) this.index.remove(row.id);
          else this.index.upsert(row.id, row.seq, toVector(row.embedding), row.expires_at);
          this.hnsw?.noteChanged(row.id);
        }
        this.index.appliedSeq = last;
      })(),
    );
  }

  private loadAllVectors(lastSeq: number): void {
    this.index.reserve(readUsage(this.stmt.usage).memories + 1);
    for (const row of this.stmt.allVectors.iterate() as Iterable<{ id: string; seq: number; expires_at: number | null; embedding: Buffer }>) {
      this.index.upsert(row.id, row.seq, toVector(row.embedding), row.expires_at);
    }
    this.index.appliedSeq = lastSeq;
  }

  private assertOpen(): void {
    if (this.closed) throw new MemspaceError('BACKEND_UNAVAILABLE', 'space is closed');
  }
}

