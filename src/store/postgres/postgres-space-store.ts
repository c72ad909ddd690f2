import type pg from 'pg';
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
  WriteContext,
} from '../../core/types.js';
import { AccessCounter } from '../common/access-counter.js';
import { MutationRecorder, type Removal } from '../common/mutation-recorder.js';
import { filterCondition, NumberedParams } from './postgres-filter-dialect.js';
import { prepareContexts } from '../common/context-codec.js';
import { listAfter, memoryPage } from '../common/pages.js';
import { memoryPayloadBytes } from '../common/payload-bytes.js';
import { CONTEXT_COLUMNS, type ContextRow, fromRow, type HistoryRow, INSERT_MEMORIES_SQL, MEMORY_COLUMNS, memoryJson, type MemoryRow, type RelationRow, vectorText } from './space-rows.js';
import { readDumpPage, writeContextRow, writeDumpChunk } from './space-dump.js';
import { enforceLimits } from '../../core/storage-limits.js';
import { keywordSearch, prepareVectorSearch, vectorScores, vectorSearch } from './space-search.js';
import { type Db, inSpace, type SpaceState, SpaceWrite, STATE_SQL } from './space-tx.js';
import { MAX_HNSW_DIMENSION, type VectorIndexes } from './vector-index.js';

/** How a space store searches vectors. */
export interface VectorSearchSettings {
  /**
   * Spaces with fewer memories are scanned exactly (as fast there, and always exact); larger
   * ones walk the HNSW index of their dimension. `Infinity` keeps every search exact.
   */
  annThreshold: number;
  /** The database's HNSW indexes, built on the first search of a large space. */
  indexes: VectorIndexes;
}

/** The `space_id` of a space: its name lower-cased, since names are unique whatever their case. */
export function spaceIdOf(name: string): string {
  return name.toLowerCase();
}

/** A memory being deleted, as `DELETE ... RETURNING` gives it. */
interface Victim {
  id: string;
  seq: number;
  content: string;
  metadata: JsonObject;
  payload_bytes: number;
}

/**
 * The storage of one space in PostgreSQL: a light handle (the backend's pool, the space's id
 * and dimension) with nothing to open or load. Every call is one transaction scoped to the
 * space (see space-tx.ts); writers lock the space's state row, so writes to one space are
 * serialised and its sequences have no gaps, while other spaces write in parallel.
 */
export class PostgresSpaceStore implements SpaceStore {
  /** Lower-cased name: the `space_id` of every row of this space. */
  readonly spaceId: string;
  private readonly access = new AccessCounter();
  private readonly recorder = new MutationRecorder(this.access);
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    name: string,
    /** Length of the space's vectors. */
    readonly dimension: number,
    private readonly vectors?: VectorSearchSettings,
    /** Called after each committed write that added change-feed events. */
    private readonly onChanged?: () => void,
  ) {
    this.spaceId = spaceIdOf(name);
  }

  async insertMemories(rows: readonly MemoryRecord[], ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    const ids = rows.map((r) => r.id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice !== undefined) throw new MemspaceError('CONFLICT', `memory ${twice} appears twice in this batch`, { id: twice });
    await this.write(ctx, async (w) => {
      const taken = await w.db.query<{ id: string }>('SELECT id FROM memories WHERE space_id = $1 AND id = ANY($2::text[]) LIMIT 1', [this.spaceId, ids]);
      const id = taken.rows[0]?.id;
      if (id !== undefined) throw new MemspaceError('CONFLICT', `memory ${id} already exists in this space`, { id });
      const s = w.state;
      const before = { memories: s.memories, payloadBytes: s.payloadBytes };
      const json = rows.map((r) => memoryJson(r, (s.memorySeq += 1)));
      s.memories += rows.length;
      s.payloadBytes += json.reduce((sum, r) => sum + (r['payload_bytes'] as number), 0);
      // Checked before anything is written; the locked state row makes the figures exact.
      enforceLimits(before, s, limits);
      if (rows.length > 0) await w.db.query(INSERT_MEMORIES_SQL, [this.spaceId, JSON.stringify(json)]);
      this.recorder.memoriesCreated(w, rows);
    });
  }

  async updateMemory(next: MemoryRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    await this.write(ctx, async (w) => {
      const found = await w.db.query<MemoryRow>(`SELECT ${MEMORY_COLUMNS}, m.embedding::text AS embedding FROM memories m WHERE m.space_id = $1 AND m.id = $2`, [
        this.spaceId,
        next.id,
      ]);
      const old = found.rows[0];
      if (old === undefined) throw new MemspaceError('NOT_FOUND', `memory ${next.id} not found in this space`, { id: next.id });
      const s = w.state;
      const before = { memories: s.memories, payloadBytes: s.payloadBytes };
      const bytes = memoryPayloadBytes(next);
      s.payloadBytes += bytes - old.payload_bytes;
      enforceLimits(before, s, limits);
      // Scopes (user, agent, run) and creation time are fixed at creation, as in the embedded store.
      await w.db.query(
        `UPDATE memories SET content = $3, metadata = $4, tags = $5, kind = $6, importance = $7, updated_at = $8, expires_at = $9,
           dimension = $10, embedding = $11::vector, payload_bytes = $12 WHERE space_id = $1 AND id = $2`,
        [this.spaceId, next.id, next.content, JSON.stringify(next.metadata), JSON.stringify(next.tags), next.kind, next.importance, next.updatedAt, next.expiresAt, next.embedding.length, vectorText(next.embedding), bytes],
      );
      this.recorder.memoryUpdated(w, fromRow.memory(old), next);
    });
  }

  async deleteMemories(filter: FilterNode, ctx: WriteContext): Promise<number> {
    return this.write(ctx, async (w) => {
      const params = new NumberedParams([this.spaceId]);
      const where = filterCondition(filter, params);
      const ids = (await w.db.query<{ id: string }>(`SELECT m.id FROM memories m WHERE m.space_id = $1 AND ${where} ORDER BY m.seq`, params.values)).rows.map((r) => r.id);
      if (ids.length === 0) return 0; // nothing deleted is no mutation, so no entry
      const removal = await this.deleteRows(w, ids);
      this.recorder.memoriesDeleted(w, removal);
      return removal.memories.length;
    });
  }

  async getMemories(ids: readonly string[], options: { embeddings?: boolean } = {}): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    const vector = options.embeddings === false ? 'NULL' : 'm.embedding::text';
    const rows = await this.read(
      async (db) =>
        (await db.query<MemoryRow>(`SELECT ${MEMORY_COLUMNS}, ${vector} AS embedding FROM memories m WHERE m.space_id = $1 AND m.id = ANY($2::text[])`, [this.spaceId, [...ids]])).rows,
    );
    const byId = new Map(rows.map((r) => [r.id, fromRow.memory(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async listMemories(options: ListOptions): Promise<Page<MemoryRecord>> {
    const after = listAfter(options);
    const params = new NumberedParams([this.spaceId]);
    const where = filterCondition(options.filter, params);
    const cursor = after === undefined ? 'TRUE' : `m.seq ${options.order === 'asc' ? '>' : '<'} ${params.add(after)}`;
    const limit = params.add(options.limit + 1);
    const rows = await this.read(
      async (db) =>
        (
          await db.query<MemoryRow>(
            `SELECT ${MEMORY_COLUMNS}, m.embedding::text AS embedding FROM memories m WHERE m.space_id = $1 AND ${where} AND ${cursor}
             ORDER BY m.seq ${options.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${limit}`,
            params.values,
          )
        ).rows,
    );
    return memoryPage(rows, options.limit, fromRow.memory);
  }

  async countMemories(filter: FilterNode): Promise<number> {
    const params = new NumberedParams([this.spaceId]);
    const where = filterCondition(filter, params);
    return this.read(async (db) => (await db.query<{ n: number }>(`SELECT count(*) AS n FROM memories m WHERE m.space_id = $1 AND ${where}`, params.values)).rows[0]!.n);
  }

  /** Kept in memory and applied with the next write transaction of this handle: advisory, not durable. */
  recordAccess(ids: readonly string[], at: number): void {
    this.access.note(ids, at);
  }

  async history(memoryId: string): Promise<HistoryRecord[]> {
    const rows = await this.read(async (db) => (await db.query<HistoryRow>('SELECT * FROM history WHERE space_id = $1 AND memory_id = $2 ORDER BY seq', [this.spaceId, memoryId])).rows);
    return rows.map(fromRow.history);
  }

  async sweepExpired(now: number, createdBefore: number | null, limit: number, ctx: WriteContext): Promise<number> {
    if (limit <= 0) return 0;
    return this.write(ctx, async (w) => {
      const expired = (
        await w.db.query<{ id: string }>('SELECT id FROM memories WHERE space_id = $1 AND expires_at <= $2 ORDER BY expires_at, seq LIMIT $3', [this.spaceId, now, limit])
      ).rows.map((r) => r.id);
      const retained =
        createdBefore === null || expired.length >= limit
          ? []
          : (
              await w.db.query<{ id: string }>(
                `SELECT id FROM memories WHERE space_id = $1 AND created_at < $2 AND (expires_at IS NULL OR expires_at > $3) ORDER BY created_at, seq LIMIT $4`,
                [this.spaceId, createdBefore, now, limit - expired.length],
              )
            ).rows.map((r) => r.id);
      if (expired.length + retained.length === 0) return 0;
      const removal = await this.deleteRows(w, [...expired, ...retained]);
      this.recorder.memoriesExpired(w, removal, expired.length);
      return removal.memories.length;
    });
  }

  async insertContext(context: ContextRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    this.assertOpen();
    // Compressed before the transaction opens: the state row is not held locked while brotli runs.
    const [prepared] = await prepareContexts([context]);
    await this.write(ctx, async (w) => {
      const before = { memories: w.state.memories, payloadBytes: w.state.payloadBytes };
      enforceLimits(before, { memories: before.memories, payloadBytes: before.payloadBytes + prepared!.payloadBytes }, limits);
      await writeContextRow(w, prepared!);
      this.recorder.contextCreated(w, context.id, prepared!.encoded);
    });
  }

  async getContext(id: string): Promise<ContextRecord | undefined> {
    const row = await this.read(
      async (db) =>
        (
          await db.query<ContextRow>(
            `SELECT ${CONTEXT_COLUMNS} FROM contexts WHERE space_id = $1 AND id = $2`,
            [this.spaceId, id],
          )
        ).rows[0],
    );
    return row === undefined ? undefined : fromRow.context(row);
  }

  async deleteContext(id: string, ctx: WriteContext): Promise<boolean> {
    return this.write(ctx, async (w) => {
      const gone = await w.db.query<{ original_bytes: number; stored_bytes: number; payload_bytes: number }>(
        'DELETE FROM contexts WHERE space_id = $1 AND id = $2 RETURNING original_bytes, stored_bytes, payload_bytes',
        [this.spaceId, id],
      );
      const row = gone.rows[0];
      if (row === undefined) return false;
      w.state.contexts -= 1;
      w.state.payloadBytes -= row.payload_bytes;
      this.recorder.contextDeleted(w, id, { originalBytes: row.original_bytes, storedBytes: row.stored_bytes });
      return true;
    });
  }

  async dump(part: keyof DumpChunk, after: number, limit: number): Promise<{ chunk: DumpChunk; next: number | null }> {
    // An empty write saves the access counts, so the dump carries them; it records nothing, so no time is needed.
    if (part === 'memories') await this.access.saveQuietly(() => this.write({ actor: null, now: 0, requestId: null }, async () => undefined));
    return this.read((db) => readDumpPage(db, this.spaceId, part, after, limit));
  }

  async restore(chunk: DumpChunk, now: number): Promise<void> {
    this.assertOpen();
    const contexts = await prepareContexts(chunk.contexts);
    await this.write({ actor: null, now, requestId: null }, async (w) => {
      await writeDumpChunk(w, chunk, contexts);
      this.recorder.restored(w, chunk);
    });
  }

  async keywordSearch(query: string, filter: FilterNode | undefined, limit: number, now: number): Promise<ScoredId[]> {
    return this.read((db) => keywordSearch(db, this.spaceId, query, filter, limit, now));
  }

  /**
   * Exact scan below the ANN threshold or when `exact` is asked; otherwise a walk of the
   * dimension's HNSW index (started here if it does not exist yet: until it is built the same
   * query is answered by a scan), re-ranked by exact distance. The space's size comes from its
   * counters row, read in the same transaction (with the HNSW settings, in one round trip).
   */
  async vectorSearch(vector: Float32Array, filter: FilterNode | undefined, limit: number, now: number, options: { exact?: boolean } = {}): Promise<ScoredId[]> {
    this.checkDimension(vector);
    const indexable = options.exact !== true && this.vectors !== undefined && this.dimension <= MAX_HNSW_DIMENSION;
    let large = false;
    const result = await this.read(async (db) => {
      large = indexable && (await prepareVectorSearch(db, this.spaceId, limit)) >= this.vectors!.annThreshold;
      return vectorSearch(db, this.spaceId, vector, filter, limit, now, { approximate: large });
    });
    // After the transaction: the build runs on a connection of its own and must not wait for this one.
    if (large) this.vectors!.indexes.start(this.dimension);
    return result;
  }

  /** Builds the HNSW index of this space's dimension if the space is past the ANN threshold, and waits for it. */
  async settleIndex(): Promise<void> {
    const vectors = this.vectors;
    if (vectors === undefined || this.dimension > MAX_HNSW_DIMENSION) return;
    const count = await this.read((db) => this.memoryCount(db));
    if (count >= vectors.annThreshold) await vectors.indexes.ensure(this.dimension);
  }

  async vectorScores(vector: Float32Array, ids: readonly string[]): Promise<Map<string, number>> {
    this.checkDimension(vector);
    return this.read((db) => vectorScores(db, this.spaceId, vector, ids));
  }

  async insertRelation(relation: RelationRecord, ctx: WriteContext): Promise<void> {
    await this.write(ctx, async (w) => {
      const ends = await w.db.query<{ id: string }>('SELECT id FROM memories WHERE space_id = $1 AND id = ANY($2::text[])', [this.spaceId, [relation.from, relation.to]]);
      const found = new Set(ends.rows.map((r) => r.id));
      for (const end of [relation.from, relation.to]) {
        if (!found.has(end)) throw new MemspaceError('NOT_FOUND', `memory ${end} not found in this space`, { id: end });
      }
      const inserted = await w.db.query(
        `INSERT INTO relations (space_id, id, seq, from_id, to_id, type, weight, metadata, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
        [this.spaceId, relation.id, w.state.relationSeq + 1, relation.from, relation.to, relation.type, relation.weight, JSON.stringify(relation.metadata), relation.createdAt],
      );
      if (inserted.rowCount === 0) throw new MemspaceError('CONFLICT', `relation ${relation.id} already exists in this space`, { id: relation.id });
      w.state.relationSeq += 1;
      w.state.relations += 1;
      this.recorder.relationCreated(w, relation);
    });
  }

  async listRelations(memoryIds: readonly string[], direction: 'out' | 'in' | 'both', type: string | undefined): Promise<RelationRecord[]> {
    if (memoryIds.length === 0) return [];
    const ends = direction === 'out' ? ['from_id'] : direction === 'in' ? ['to_id'] : ['from_id', 'to_id'];
    const touching = ends.map((end) => `r.${end} = ANY($2::text[])`).join(' OR ');
    const rows = await this.read(
      async (db) =>
        (
          await db.query<RelationRow>(
            `SELECT r.* FROM relations r WHERE r.space_id = $1 AND (${touching}) AND ($3::text IS NULL OR r.type = $3) ORDER BY r.created_at, r.id`,
            [this.spaceId, [...memoryIds], type ?? null],
          )
        ).rows,
    );
    return rows.map(fromRow.relation);
  }

  async deleteRelation(id: string, ctx: WriteContext): Promise<boolean> {
    return this.write(ctx, async (w) => {
      const gone = await w.db.query<{ from_id: string; to_id: string; type: string }>('DELETE FROM relations WHERE space_id = $1 AND id = $2 RETURNING from_id, to_id, type', [
        this.spaceId,
        id,
      ]);
      const rel = gone.rows[0];
      if (rel === undefined) return false;
      w.state.relations -= 1;
      this.recorder.relationDeleted(w, { id, from: rel.from_id, to: rel.to_id, type: rel.type });
      return true;
    });
  }

  async appendAudit(entry: AuditEvent, ctx: WriteContext): Promise<void> {
    await this.write(ctx, async (w) => this.recorder.event(w, entry));
  }

  async auditEntries(query: AuditQuery): Promise<AuditRecord[]> {
    const params = new NumberedParams([this.spaceId, query.afterSeq ?? 0]);
    const where = ['space_id = $1', 'seq > $2'];
    if (query.since !== undefined) where.push(`at >= ${params.add(query.since)}`);
    if (query.action !== undefined) where.push(`action = ${params.add(query.action)}`);
    const limit = params.add(query.limit);
    const rows = await this.read(async (db) => (await db.query<AuditTextRow>(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${limit}`, params.values)).rows);
    return rows.map(auditFromTextRow);
  }

  async verifyAudit(): Promise<AuditVerification> {
    const verifier = new AuditChainVerifier();
    // One statement reads one snapshot, so writers appending meanwhile cannot confuse the check.
    const rows = await this.read(async (db) => (await db.query<AuditTextRow>('SELECT * FROM audit WHERE space_id = $1 ORDER BY seq', [this.spaceId])).rows);
    for (const r of rows) {
      verifier.push(storedAuditRow(r));
    }
    return verifier.result();
  }

  async changes(afterSeq: number, limit: number): Promise<ChangeRecord[]> {
    return this.read(
      async (db) => (await db.query<ChangeRecord>('SELECT seq, at, op, id FROM changes WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [this.spaceId, afterSeq, limit])).rows,
    );
  }

  /** Figures from the space's state row. `bytes` is the payload: table pages are shared by every space. */
  async stats(): Promise<SpaceStats> {
    const s = await this.read(async (db) => (await db.query<SpaceState>(STATE_SQL, [this.spaceId])).rows[0]);
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
    if (this.closed) return;
    // An empty write applies them; it records nothing, so no time is needed.
    await this.access.saveQuietly(() => this.write({ actor: null, now: 0, requestId: null }, async () => undefined));
    this.closed = true;
  }

  /**
   * The one delete path of memories, inside the caller's write: the relations touching them,
   * the rows, and the usage figures. Returns what went, each kind in insertion order.
   */
  private async deleteRows(w: SpaceWrite, ids: readonly string[]): Promise<Removal> {
    const rels = (
      await w.db.query<{ id: string; seq: number }>('DELETE FROM relations WHERE space_id = $1 AND (from_id = ANY($2::text[]) OR to_id = ANY($2::text[])) RETURNING id, seq', [
        this.spaceId,
        [...ids],
      ])
    ).rows.sort((a, b) => a.seq - b.seq);
    w.state.relations -= rels.length;
    const victims = (
      await w.db.query<Victim>('DELETE FROM memories WHERE space_id = $1 AND id = ANY($2::text[]) RETURNING id, seq, content, metadata, payload_bytes', [this.spaceId, [...ids]])
    ).rows.sort((a, b) => a.seq - b.seq);
    for (const v of victims) {
      w.state.memories -= 1;
      w.state.payloadBytes -= v.payload_bytes;
    }
    return { memories: victims, relations: rels.map((r) => r.id) };
  }

  /** A write transaction: state row locked, pending access counts applied, queued rows written at the end. */
  private async write<T>(ctx: WriteContext, fn: (w: SpaceWrite) => Promise<T>): Promise<T> {
    this.assertOpen();
    let changed = false;
    const result = await inSpace(this.pool, this.spaceId, async (db) => {
      const w = await SpaceWrite.begin(db, this.spaceId, ctx);
      await this.applyAccess(db);
      const result = await fn(w);
      await w.finish();
      changed = w.changed;
      return result;
    });
    // Committed: wake this server's readers at once (other servers hear the notification).
    if (changed) this.onChanged?.();
    return result;
  }

  private async read<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    this.assertOpen();
    return inSpace(this.pool, this.spaceId, fn);
  }

  private async applyAccess(db: Db): Promise<void> {
    if (!this.access.hasPending) return;
    const updates = this.access.drain();
    await db.query(
      `UPDATE memories m SET access_count = m.access_count + a.count, last_accessed_at = greatest(coalesce(m.last_accessed_at, 0), a.at)
       FROM jsonb_to_recordset($2::jsonb) AS a(id text, count bigint, at bigint) WHERE m.space_id = $1 AND m.id = a.id`,
      [this.spaceId, JSON.stringify(updates)],
    );
  }

  /** Memories of the space, from its counters row (no scan). */
  private async memoryCount(db: Db): Promise<number> {
    const row = (await db.query<{ memories: number }>('SELECT memories FROM space_state WHERE space_id = $1', [this.spaceId])).rows[0];
    return row?.memories ?? 0;
  }

  private checkDimension(vector: Float32Array): void {
    if (vector.length !== this.dimension) {
      throw new MemspaceError('DIMENSION_MISMATCH', `this space's vectors have ${this.dimension} dimensions, not ${vector.length}`, {
        expected: this.dimension,
        actual: vector.length,
      });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new MemspaceError('BACKEND_UNAVAILABLE', 'space is closed');
  }
}
