/**
 * The reads of one space database. Each is synchronous (one statement, or one short
 * transaction), so it sees one snapshot without holding anything across an await; a read
 * session (`SpaceStore.read`) is these same reads while the store's writes wait (space-tx.ts).
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { AuditChainVerifier, type AuditTextRow, auditFromTextRow, storedAuditRow } from '../../core/audit.js';
import type { NarrativeRecord, PheromoneRecord } from '../../core/feedback.js';
import type { FeedBounds } from '../../core/feed-horizon.js';
import type { FilterNode } from '../../core/filter.js';
import type { ListOptions, Page, RunNeighbors, SpaceReads } from '../../core/ports/space-store.js';
import type { AuditQuery, AuditRecord, AuditVerification, ChangeRecord, ContextRecord, DumpChunk, HistoryRecord, MemoryRecord, RelationRecord, ScoredId } from '../../core/types.js';
import { decodeDumpRows, type DumpPart, listAfter, memoryPage } from '../common/pages.js';
import { readNarrative, readPheromones } from './feedback-state.js';
import { readDumpPage } from './space-dump.js';
import { type ContextRow, feedBounds, fromRow, type HistoryRow, type MemoryRow, type RelationRow, type SpaceStatements } from './space-rows.js';
import type { SpaceSearch } from './space-search.js';
import type { SpaceReader } from './space-tx.js';
import { readUsage, type Usage } from './space-usage.js';
import { filterCondition } from './sqlite-filter-dialect.js';

/** What {@link SqliteSpaceReads} reads through. */
export interface SqliteSpaceReadsOptions {
  db: Database.Database;
  stmt: SpaceStatements;
  tx: SpaceReader;
  search: SpaceSearch;
}

/** The read SQL of one space database. */
export class SqliteSpaceReads implements SpaceReads {
  constructor(private readonly o: SqliteSpaceReadsOptions) {}

  async getMemories(ids: readonly string[], options: { embeddings?: boolean } = {}): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    const { stmt, tx } = this.o;
    if (ids.length === 1 && options.embeddings !== false) {
      const row = tx.read(() => stmt.byId.get(ids[0]) as MemoryRow | undefined);
      return row ? [fromRow.memory(row)] : [];
    }
    const statement = options.embeddings === false ? stmt.byIdsWithoutEmbedding : stmt.byIds;
    const rows = tx.read(() => statement.all(JSON.stringify(ids)) as MemoryRow[]);
    const byId = new Map(rows.map((r) => [r.id, fromRow.memory(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async listMemories(options: ListOptions): Promise<Page<MemoryRecord>> {
    const where = filterCondition(options.filter);
    const after = listAfter(options);
    const cursorSql = after === undefined ? '1' : `m.seq ${options.order === 'asc' ? '>' : '<'} ?`;
    const rows = this.o.tx.read(
      () =>
        this.o.db
          .prepare(`SELECT * FROM memories m WHERE ${where.sql} AND ${cursorSql} ORDER BY m.seq ${options.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`)
          .all(...where.params, ...(after === undefined ? [] : [after]), options.limit + 1) as MemoryRow[],
    );
    return memoryPage(rows, options.limit, fromRow.memory);
  }

  async countMemories(filter: FilterNode): Promise<number> {
    const where = filterCondition(filter);
    return this.o.tx.read(() => (this.o.db.prepare(`SELECT count(*) AS n FROM memories m WHERE ${where.sql}`).get(...where.params) as { n: number }).n);
  }

  async history(memoryId: string): Promise<HistoryRecord[]> {
    return this.o.tx.read(() => this.o.stmt.historyOf.all(memoryId) as HistoryRow[]).map(fromRow.history);
  }

  async keywordSearch(query: string, filter: FilterNode | undefined, limit: number, now: number): Promise<ScoredId[]> {
    return this.o.search.keywordSearch(query, filter, limit, now);
  }

  async vectorSearch(vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number, options: { exact?: boolean } = {}): Promise<ScoredId[]> {
    return this.o.search.vectorSearch(vector, filter, limit, now, options);
  }

  async vectorScores(vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>> {
    return this.o.search.vectorScores(vector, ids);
  }

  async runNeighbors(ids: readonly string[], filter: FilterNode | undefined, now: number): Promise<RunNeighbors[]> {
    if (ids.length === 0) return [];
    const where = filter === undefined ? { sql: '1', params: [] } : filterCondition(filter);
    // memories_run indexes run_id, and with it the rowid (seq): each side is one step of that index.
    const side = (op: '<' | '>', order: 'DESC' | 'ASC'): string =>
      `(SELECT m.id FROM memories m WHERE m.run_id = s.run_id AND m.seq ${op} s.seq AND (m.expires_at IS NULL OR m.expires_at > ?) AND ${where.sql} ORDER BY m.seq ${order} LIMIT 1)`;
    const sql = `SELECT s.id AS id, ${side('<', 'DESC')} AS "before", ${side('>', 'ASC')} AS "after"
      FROM memories s WHERE s.id IN (SELECT value FROM json_each(?)) AND s.run_id IS NOT NULL`;
    return this.o.tx.read(() => this.o.db.prepare(sql).all(now, ...where.params, now, ...where.params, JSON.stringify(ids)) as RunNeighbors[]);
  }

  async listRelations(memoryIds: readonly string[], direction: 'out' | 'in' | 'both', type: string | undefined): Promise<RelationRecord[]> {
    if (memoryIds.length === 0) return [];
    const ends = direction === 'out' ? ['from_id'] : direction === 'in' ? ['to_id'] : ['from_id', 'to_id'];
    const sql = ends
      .map((end) => `SELECT r.* FROM relations r WHERE r.${end} IN (SELECT value FROM json_each(@ids))${type === undefined ? '' : ' AND r.type = @type'}`)
      .join(' UNION ');
    const params = type === undefined ? { ids: JSON.stringify(memoryIds) } : { ids: JSON.stringify(memoryIds), type };
    return this.o.tx.read(() => this.o.db.prepare(`${sql} ORDER BY created_at, id`).all(params) as RelationRow[]).map(fromRow.relation);
  }

  async getContext(id: string): Promise<ContextRecord | undefined> {
    const row = this.o.tx.read(() => this.o.stmt.contextById.get(id) as ContextRow | undefined);
    return row === undefined ? undefined : fromRow.context(row);
  }

  async auditEntries(query: AuditQuery): Promise<AuditRecord[]> {
    const where = ['seq > ?'];
    const params: (string | number)[] = [query.afterSeq ?? 0];
    const filters: [string, string | number | undefined][] = [
      ['seq < ?', query.beforeSeq],
      ['at >= ?', query.since],
      ['action = ?', query.action],
      ['actor = ?', query.actor],
    ];
    for (const [clause, value] of filters) {
      if (value === undefined) continue;
      where.push(clause);
      params.push(value);
    }
    const order = query.newestFirst === true ? 'DESC' : '';
    const sql = `SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT ?`;
    const rows = this.o.tx.read(() => this.o.db.prepare(sql).all(...params, query.limit) as AuditTextRow[]);
    return rows.map(auditFromTextRow);
  }

  async changes(afterSeq: number, limit: number): Promise<ChangeRecord[]> {
    return this.o.tx.read(() => this.o.stmt.changesAfter.all(afterSeq, limit) as ChangeRecord[]);
  }

  async feedBounds(): Promise<FeedBounds> {
    return this.o.tx.read(() => feedBounds(this.o.stmt));
  }

  async firstChangeSince(at: number): Promise<number | undefined> {
    return this.o.tx.read(() => this.o.stmt.firstChangeSince.get(at) as number | undefined);
  }

  async hasSuperseded(): Promise<boolean> {
    return this.o.tx.read(() => this.o.stmt.hasSuperseded.get() === 1);
  }

  async pheromones(ids: readonly string[]): Promise<PheromoneRecord[]> {
    return this.o.tx.read(() => readPheromones(this.o.db, ids));
  }

  async narrative(): Promise<NarrativeRecord | undefined> {
    return this.o.tx.read(() => readNarrative(this.o.db));
  }

  /** Recomputes the whole audit chain. One statement reads one snapshot, so writers appending meanwhile cannot confuse the check. */
  verifyAudit(): AuditVerification {
    const verifier = new AuditChainVerifier();
    this.o.tx.read(() => {
      for (const r of this.o.stmt.auditAll.iterate() as Iterable<AuditTextRow>) verifier.push(storedAuditRow(r));
    });
    return verifier.result();
  }

  /** A page of the dump; decoding (contexts decompress off the event loop) follows the read. */
  async dump(part: DumpPart, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }> {
    const page = this.o.tx.read(() => readDumpPage(this.o.db, part, after, limit));
    return { chunk: await decodeDumpRows(part, page.rows, fromRow), next: page.next };
  }

  /** The usage counters and the newest change-feed event, read together. */
  figures(): { usage: Usage; last: { seq: number; at: number } | undefined } {
    return this.o.tx.read(() => ({
      usage: readUsage(this.o.stmt.usage),
      last: this.o.stmt.lastChange.get() as { seq: number; at: number } | undefined,
    }));
  }

  /** `PRAGMA integrity_check`: the problems SQLite finds, none when healthy. */
  integrityCheck(): string[] {
    const rows = this.o.tx.read(() => this.o.db.pragma('integrity_check') as { integrity_check: string }[]);
    return rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
  }
}
