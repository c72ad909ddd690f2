/**
 * The reads of one space, inside one scoped transaction: a single call of the store is a
 * session of one read, `SpaceStore.read` a session of many, all on one snapshot.
 */
import { AuditChainVerifier, type AuditTextRow, auditFromTextRow, storedAuditRow } from '../../core/audit.js';
import { MemspaceError } from '../../core/errors.js';
import type { NarrativeRecord, PheromoneRecord } from '../../core/feedback.js';
import type { FeedBounds } from '../../core/feed-horizon.js';
import type { FilterNode } from '../../core/filter.js';
import type { ListOptions, Page, RunNeighbors, SpaceReads } from '../../core/ports/space-store.js';
import type { AuditQuery, AuditRecord, AuditVerification, ChangeRecord, ContextRecord, DumpChunk, HistoryRecord, MemoryRecord, RelationRecord, ScoredId } from '../../core/types.js';
import { type DumpPart, listAfter, memoryPage } from '../common/pages.js';
import { readNarrative, readPheromones } from './feedback-state.js';
import { filterCondition, NumberedParams } from './postgres-filter-dialect.js';
import { readDumpPage } from './space-dump.js';
import { CONTEXT_COLUMNS, type ContextRow, fromRow, type HistoryRow, MEMORY_COLUMNS, type MemoryRow, type RelationRow } from './space-rows.js';
import { type HitRows, keywordSearch, prepareVectorSearch, runNeighbors, vectorScores, vectorSearch } from './space-search.js';
import type { SpaceCounters } from './space-state.js';
import type { Db } from './space-tx.js';
import { MAX_HNSW_DIMENSION, type VectorIndexes } from './vector-index.js';

/** How a space store searches vectors. */
export interface VectorSearchSettings {
  /**
   * Spaces with fewer memories are scanned exactly (as fast there, and always exact); larger
   * ones walk the HNSW index of their dimension. `Infinity` keeps every search exact.
   */
  annThreshold: number;
  /** The database's HNSW indexes, built once a space of their dimension nears the threshold. */
  indexes: VectorIndexes;
}

/**
 * Share of the ANN threshold at which a space's search starts its dimension's HNSW build: a
 * build of a large table takes minutes, and a space crossing the threshold should find the index
 * ready rather than be scanned exactly meanwhile.
 */
const INDEX_AHEAD = 0.5;

/** True when a space of `memories` should have its dimension's HNSW index (built or building). */
export function indexDue(memories: number, vectors: VectorSearchSettings): boolean {
  return memories >= vectors.annThreshold * INDEX_AHEAD;
}

/** The space a session reads. */
export interface SessionSpace {
  /** The `space_id` of its rows. */
  spaceId: string;
  /** Length of its vectors. */
  dimension: number;
  vectors?: VectorSearchSettings | undefined;
}

/** The read SQL of one space, over the transaction of one session. */
export class PostgresSpaceReads implements SpaceReads {
  /** Work a read started for after the session's transaction: it must not wait for, nor hold up, that connection. */
  readonly afterCommit: (() => void)[] = [];
  /**
   * Memories the session's searches read with their hits (without vectors), by id: on the
   * session's one snapshot they are what reading them again would give, so returning a search's
   * hits takes no statement of its own.
   */
  private readonly searched = new Map<string, MemoryRecord>();

  constructor(
    private readonly db: Db,
    private readonly space: SessionSpace,
    /** The space's state row as the session's opening read it, on the session's snapshot. */
    private readonly counters: SpaceCounters | undefined,
  ) {}

  async getMemories(ids: readonly string[], options: { embeddings?: boolean } = {}): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    if (options.embeddings === false && ids.every((id) => this.searched.has(id))) return ids.map((id) => this.searched.get(id)!);
    const vector = options.embeddings === false ? 'NULL' : 'm.embedding::text';
    const sql = `SELECT ${MEMORY_COLUMNS}, ${vector} AS embedding FROM memories m WHERE m.space_id = $1 AND m.id = ANY($2::text[])`;
    const rows = (await this.db.query<MemoryRow>(sql, [this.space.spaceId, [...ids]])).rows;
    const byId = new Map(rows.map((r) => [r.id, fromRow.memory(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async listMemories(options: ListOptions): Promise<Page<MemoryRecord>> {
    const after = listAfter(options);
    const params = new NumberedParams([this.space.spaceId]);
    const where = filterCondition(options.filter, params);
    const cursor = after === undefined ? 'TRUE' : `m.seq ${options.order === 'asc' ? '>' : '<'} ${params.add(after)}`;
    const limit = params.add(options.limit + 1);
    const rows = await this.db.query<MemoryRow>(
      `SELECT ${MEMORY_COLUMNS}, m.embedding::text AS embedding FROM memories m WHERE m.space_id = $1 AND ${where} AND ${cursor}
       ORDER BY m.seq ${options.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${limit}`,
      params.values,
    );
    return memoryPage(rows.rows, options.limit, fromRow.memory);
  }

  async countMemories(filter: FilterNode): Promise<number> {
    const params = new NumberedParams([this.space.spaceId]);
    const where = filterCondition(filter, params);
    return (await this.db.query<{ n: number }>(`SELECT count(*) AS n FROM memories m WHERE m.space_id = $1 AND ${where}`, params.values)).rows[0]!.n;
  }

  async history(memoryId: string): Promise<HistoryRecord[]> {
    const rows = await this.db.query<HistoryRow>('SELECT * FROM history WHERE space_id = $1 AND memory_id = $2 ORDER BY seq', [this.space.spaceId, memoryId]);
    return rows.rows.map(fromRow.history);
  }

  async keywordSearch(query: string, filter: FilterNode | undefined, limit: number, now: number): Promise<ScoredId[]> {
    return this.keep(await keywordSearch(this.db, this.space.spaceId, query, filter, limit, now));
  }

  /**
   * Exact scan below the ANN threshold or when `exact` is asked; otherwise a walk of the
   * dimension's HNSW index, re-ranked by exact distance (until the index is built, the same
   * query is answered by a scan). A search from {@link INDEX_AHEAD} of the threshold starts the
   * build after its session if the index does not exist. The space's size comes from its
   * state row, which the session read as it opened.
   */
  async vectorSearch(vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number, options: { exact?: boolean } = {}): Promise<ScoredId[]> {
    this.checkDimension(vector);
    const { spaceId, dimension, vectors } = this.space;
    const indexable = options.exact !== true && vectors !== undefined && dimension <= MAX_HNSW_DIMENSION;
    const memories = this.counters?.memories ?? 0;
    if (indexable) await prepareVectorSearch(this.db, limit);
    const large = indexable && memories >= vectors.annThreshold;
    // Started ahead, so the index is built by the time the space crosses the threshold.
    if (indexable && indexDue(memories, vectors)) this.afterCommit.push(() => vectors.indexes.start(dimension));
    return this.keep(await vectorSearch(this.db, spaceId, vector, filter, limit, now, { approximate: large }));
  }

  async vectorScores(vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>> {
    this.checkDimension(vector);
    return vectorScores(this.db, this.space.spaceId, vector, ids);
  }

  async runNeighbors(ids: readonly string[], filter: FilterNode | undefined, now: number): Promise<RunNeighbors[]> {
    return runNeighbors(this.db, this.space.spaceId, ids, filter, now);
  }

  async listRelations(memoryIds: readonly string[], direction: 'out' | 'in' | 'both', type: string | undefined): Promise<RelationRecord[]> {
    if (memoryIds.length === 0) return [];
    const ends = direction === 'out' ? ['from_id'] : direction === 'in' ? ['to_id'] : ['from_id', 'to_id'];
    const touching = ends.map((end) => `r.${end} = ANY($2::text[])`).join(' OR ');
    const rows = await this.db.query<RelationRow>(
      `SELECT r.* FROM relations r WHERE r.space_id = $1 AND (${touching}) AND ($3::text IS NULL OR r.type = $3) ORDER BY r.created_at, r.id`,
      [this.space.spaceId, [...memoryIds], type ?? null],
    );
    return rows.rows.map(fromRow.relation);
  }

  async getContext(id: string): Promise<ContextRecord | undefined> {
    const row = (await this.db.query<ContextRow>(`SELECT ${CONTEXT_COLUMNS} FROM contexts WHERE space_id = $1 AND id = $2`, [this.space.spaceId, id])).rows[0];
    return row === undefined ? undefined : fromRow.context(row);
  }

  async auditEntries(query: AuditQuery): Promise<AuditRecord[]> {
    const params = new NumberedParams([this.space.spaceId, query.afterSeq ?? 0]);
    const where = ['space_id = $1', 'seq > $2'];
    if (query.beforeSeq !== undefined) where.push(`seq < ${params.add(query.beforeSeq)}`);
    if (query.since !== undefined) where.push(`at >= ${params.add(query.since)}`);
    if (query.action !== undefined) where.push(`action = ${params.add(query.action)}`);
    if (query.actor !== undefined) where.push(`actor = ${params.add(query.actor)}`);
    const limit = params.add(query.limit);
    const order = query.newestFirst === true ? 'DESC' : '';
    const rows = await this.db.query<AuditTextRow>(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT ${limit}`, params.values);
    return rows.rows.map(auditFromTextRow);
  }

  async changes(afterSeq: number, limit: number): Promise<ChangeRecord[]> {
    const sql = 'SELECT seq, at, op, id FROM changes WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3';
    return (await this.db.query<ChangeRecord>(sql, [this.space.spaceId, afterSeq, limit])).rows;
  }

  /** The newest seq from the state row the session opened with, the oldest from the events, on one snapshot. */
  async feedBounds(): Promise<FeedBounds> {
    const latest = this.counters?.changeSeq ?? 0;
    const oldest = (await this.db.query<{ oldest: number | null }>('SELECT min(seq) AS oldest FROM changes WHERE space_id = $1', [this.space.spaceId])).rows[0]?.oldest;
    return { oldest: oldest ?? latest + 1, latest };
  }

  async firstChangeSince(at: number): Promise<number | undefined> {
    const sql = 'SELECT seq FROM changes WHERE space_id = $1 AND at >= $2 ORDER BY seq LIMIT 1';
    return (await this.db.query<{ seq: number }>(sql, [this.space.spaceId, at])).rows[0]?.seq;
  }

  async hasSuperseded(): Promise<boolean> {
    const sql = 'SELECT EXISTS (SELECT 1 FROM memories WHERE space_id = $1 AND superseded_by IS NOT NULL) AS found';
    return (await this.db.query<{ found: boolean }>(sql, [this.space.spaceId])).rows[0]?.found === true;
  }

  async pheromones(ids: readonly string[]): Promise<PheromoneRecord[]> {
    return readPheromones(this.db, this.space.spaceId, ids);
  }

  async narrative(): Promise<NarrativeRecord | undefined> {
    return readNarrative(this.db, this.space.spaceId);
  }

  /** Recomputes the whole audit chain. One statement reads one snapshot, so writers appending meanwhile cannot confuse the check. */
  async verifyAudit(): Promise<AuditVerification> {
    const verifier = new AuditChainVerifier();
    const rows = await this.db.query<AuditTextRow>('SELECT * FROM audit WHERE space_id = $1 ORDER BY seq', [this.space.spaceId]);
    for (const r of rows.rows) verifier.push(storedAuditRow(r));
    return verifier.result();
  }

  /** A page of the dump (see `SpaceStore.dump`). */
  dump(part: DumpPart, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }> {
    return readDumpPage(this.db, this.space.spaceId, part, after, limit);
  }

  /** The space's state row (counters, sequences), undefined for a space that has none yet. */
  async state(): Promise<SpaceCounters | undefined> {
    return this.counters;
  }

  /** Keeps the rows of a search's hits for {@link getMemories}; returns the hits. */
  private keep({ hits, memories }: HitRows): ScoredId[] {
    for (const m of memories) this.searched.set(m.id, m);
    return hits;
  }

  private checkDimension(vector: Float32Array): void {
    const expected = this.space.dimension;
    if (vector.length !== expected) {
      throw new MemspaceError('DIMENSION_MISMATCH', `this space's vectors have ${expected} dimensions, not ${vector.length}`, { expected, actual: vector.length });
    }
  }
}
