/**
 * The mutations of one space: the SQL that changes rows and keeps the state row's counters,
 * then the mutation recorder for what each records (history, change events, audit), all in
 * one write transaction that holds the space's state row locked.
 */
import type { DecayFloor } from '../../core/decay.js';
import { MemspaceError } from '../../core/errors.js';
import type { FeedbackOutcome, FeedbackWrite } from '../../core/feedback.js';
import type { FilterNode } from '../../core/filter.js';
import { uuidv7 } from '../../core/ids.js';
import { enforceLimits } from '../../core/storage-limits.js';
import type { AuditEvent, ContextRecord, DumpChunk, JsonObject, MemoryRecord, RelationRecord, StorageLimits, WriteContext } from '../../core/types.js';
import { prepareContexts } from '../common/context-codec.js';
import type { ConsolidationBatch, ConsolidationBatchResult, ConsolidationUndone } from '../../core/ports/space-store.js';
import { batchTouches, type ConsolidationOps, decodeBatchRecord, encodeBatchRecord, planBatch, planUndo, summariesOf, undoTouches } from '../common/consolidation-writes.js';
import type { FeedbackCleared, MutationRecorder, Removal } from '../common/mutation-recorder.js';
import { insertPass, markPassUndone } from './consolidation-stats.js';
import type { SpaceWrites } from '../common/space-store-base.js';
import { memoryPayloadBytes } from '../common/payload-bytes.js';
import { countDecayed, decayVictims } from './decay-sweep.js';
import { clearFeedback, sweepSpentFeedback, writeFeedback } from './feedback-state.js';
import { enforceProjectQuota } from './project-quota.js';
import { filterCondition, NumberedParams } from './postgres-filter-dialect.js';
import { writeContextRow, writeDumpChunk, writeMemoryRows } from './space-dump.js';
import { fromRow, MEMORY_COLUMNS, type MemoryRow, type RelationRow, vectorParam } from './space-rows.js';
import type { SpaceTx, SpaceWrite } from './space-tx.js';

/** A memory being deleted, as `DELETE ... RETURNING` gives it. */
interface Victim {
  id: string;
  seq: number;
  content: string;
  metadata: JsonObject;
  payload_bytes: number;
}

/** Which space, and what its writes go through. */
export interface PostgresSpaceWritesOptions {
  spaceId: string;
  tx: SpaceTx;
  recorder: MutationRecorder;
}

/** The write SQL of one space. */
export class PostgresSpaceWrites implements SpaceWrites {
  private readonly spaceId: string;

  constructor(private readonly o: PostgresSpaceWritesOptions) {
    this.spaceId = o.spaceId;
  }

  async insertMemories(rows: readonly MemoryRecord[], ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    await this.o.tx.write(ctx, async (w) => {
      await writeMemoryRows(w, rows, limits);
      this.o.recorder.memoriesCreated(w, rows);
    });
  }

  async updateMemory(next: MemoryRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    await this.o.tx.write(ctx, async (w) => {
      const sql = `SELECT ${MEMORY_COLUMNS}, m.embedding::text AS embedding FROM memories m WHERE m.space_id = $1 AND m.id = $2`;
      const old = (await w.db.query<MemoryRow>(sql, [this.spaceId, next.id])).rows[0];
      if (old === undefined) throw new MemspaceError('NOT_FOUND', `memory ${next.id} not found in this space`, { id: next.id });
      const s = w.state;
      const before = { memories: s.memories, payloadBytes: s.payloadBytes };
      const bytes = memoryPayloadBytes(next);
      s.payloadBytes += bytes - old.payload_bytes;
      enforceLimits(before, s, limits);
      await enforceProjectQuota(w, limits?.project, before, s);
      // Scopes (user, agent, run) and creation time are fixed at creation, as in the embedded store.
      await w.db.query(
        `UPDATE memories SET content = $3, metadata = $4, tags = $5, kind = $6, importance = $7, updated_at = $8, expires_at = $9,
           dimension = $10, embedding = $11::vector, payload_bytes = $12 WHERE space_id = $1 AND id = $2`,
        [this.spaceId, next.id, next.content, JSON.stringify(next.metadata), JSON.stringify(next.tags), next.kind, next.importance, next.updatedAt, next.expiresAt, next.embedding.length, vectorParam(next.embedding), bytes],
      );
      this.o.recorder.memoryUpdated(w, fromRow.memory(old), next);
    });
  }

  async deleteMemories(filter: FilterNode, ctx: WriteContext): Promise<number> {
    return this.o.tx.write(ctx, async (w) => {
      const params = new NumberedParams([this.spaceId]);
      const where = filterCondition(filter, params);
      const ids = (await w.db.query<{ id: string }>(`SELECT m.id FROM memories m WHERE m.space_id = $1 AND ${where} ORDER BY m.seq`, params.values)).rows.map((r) => r.id);
      if (ids.length === 0) return 0; // nothing deleted is no mutation, so no entry
      const removal = await this.deleteRows(w, ids);
      this.o.recorder.memoriesDeleted(w, removal);
      return removal.memories.length;
    });
  }

  async sweepExpired(now: number, createdBefore: number | null, limit: number, ctx: WriteContext): Promise<number> {
    if (limit <= 0) return 0;
    return this.o.tx.write(ctx, async (w) => {
      const expiredSql = 'SELECT id FROM memories WHERE space_id = $1 AND expires_at <= $2 ORDER BY expires_at, seq LIMIT $3';
      const expired = (await w.db.query<{ id: string }>(expiredSql, [this.spaceId, now, limit])).rows.map((r) => r.id);
      const retainedSql = `SELECT id FROM memories WHERE space_id = $1 AND created_at < $2 AND (expires_at IS NULL OR expires_at > $3)
        ORDER BY created_at, seq LIMIT $4`;
      const retained =
        createdBefore === null || expired.length >= limit
          ? []
          : (await w.db.query<{ id: string }>(retainedSql, [this.spaceId, createdBefore, now, limit - expired.length])).rows.map((r) => r.id);
      if (expired.length + retained.length === 0) return 0;
      const removal = await this.deleteRows(w, [...expired, ...retained]);
      this.o.recorder.memoriesExpired(w, removal, expired.length);
      return removal.memories.length;
    });
  }

  async sweepDecayed(now: number, rule: DecayFloor, limit: number, ctx: WriteContext): Promise<number> {
    if (limit <= 0) return 0;
    return this.o.tx.write(ctx, async (w) => {
      const ids = await decayVictims(w.db, this.spaceId, now, rule, limit);
      if (ids.length === 0) return 0;
      const removal = await this.deleteRows(w, ids);
      this.o.recorder.memoriesDecayed(w, removal, rule);
      await countDecayed(w.db, this.spaceId, removal.memories.length);
      return removal.memories.length;
    });
  }

  /** In a write, whose locked state row names the newest event: the one that always stays. */
  async compactChanges(before: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return this.o.tx.write({ actor: null, now: 0, requestId: null }, async (w) => {
      const sql = `DELETE FROM changes WHERE space_id = $1 AND seq < least($2::bigint, $3::bigint,
        (SELECT min(seq) FROM changes WHERE space_id = $1) + $4::bigint)`;
      return (await w.db.query(sql, [this.spaceId, before, w.state.changeSeq, limit])).rowCount ?? 0;
    });
  }

  async insertContext(context: ContextRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    this.o.tx.assertOpen();
    // Compressed before the transaction opens: the state row is not held locked while brotli runs.
    const [prepared] = await prepareContexts([context]);
    await this.o.tx.write(ctx, async (w) => {
      const before = { memories: w.state.memories, payloadBytes: w.state.payloadBytes };
      const after = { memories: before.memories, payloadBytes: before.payloadBytes + prepared!.payloadBytes };
      enforceLimits(before, after, limits);
      await enforceProjectQuota(w, limits?.project, before, after);
      await writeContextRow(w, prepared!);
      this.o.recorder.contextCreated(w, context.id, prepared!.encoded);
    });
  }

  async deleteContext(id: string, ctx: WriteContext): Promise<boolean> {
    return this.o.tx.write(ctx, async (w) => {
      const gone = await w.db.query<{ original_bytes: number; stored_bytes: number; payload_bytes: number }>(
        'DELETE FROM contexts WHERE space_id = $1 AND id = $2 RETURNING original_bytes, stored_bytes, payload_bytes',
        [this.spaceId, id],
      );
      const row = gone.rows[0];
      if (row === undefined) return false;
      w.state.contexts -= 1;
      w.state.payloadBytes -= row.payload_bytes;
      this.o.recorder.contextDeleted(w, id, { originalBytes: row.original_bytes, storedBytes: row.stored_bytes });
      return true;
    });
  }

  async insertRelation(relation: RelationRecord, ctx: WriteContext): Promise<void> {
    await this.o.tx.write(ctx, async (w) => {
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
      this.o.recorder.relationCreated(w, relation);
    });
  }

  async deleteRelation(id: string, ctx: WriteContext): Promise<boolean> {
    return this.o.tx.write(ctx, async (w) => {
      const sql = 'DELETE FROM relations WHERE space_id = $1 AND id = $2 RETURNING from_id, to_id, type';
      const rel = (await w.db.query<{ from_id: string; to_id: string; type: string }>(sql, [this.spaceId, id])).rows[0];
      if (rel === undefined) return false;
      w.state.relations -= 1;
      this.o.recorder.relationDeleted(w, { id, from: rel.from_id, to: rel.to_id, type: rel.type });
      return true;
    });
  }

  async appendAudit(entry: AuditEvent, ctx: WriteContext): Promise<void> {
    await this.o.tx.write(ctx, async (w) => this.o.recorder.event(w, entry));
  }

  async restore(chunk: DumpChunk, now: number, limits?: StorageLimits): Promise<void> {
    this.o.tx.assertOpen();
    const contexts = await prepareContexts(chunk.contexts);
    await this.o.tx.write({ actor: null, now, requestId: null }, async (w) => {
      // Checked before anything is written: on Citus, a transaction that wrote to a shard cannot
      // read it again through the connection of another role (the project's usage function).
      const before = { memories: w.state.memories, payloadBytes: w.state.payloadBytes };
      const memories = chunk.memories ?? [];
      const after = {
        memories: before.memories + memories.length,
        payloadBytes: before.payloadBytes + memories.reduce((sum, m) => sum + memoryPayloadBytes(m), 0) + contexts.reduce((sum, c) => sum + c.payloadBytes, 0),
      };
      enforceLimits(before, after, limits);
      await enforceProjectQuota(w, limits?.project, before, after);
      await writeDumpChunk(w, chunk, contexts);
      this.o.recorder.restored(w, chunk);
    });
  }

  async consolidate(batch: ConsolidationBatch, ctx: WriteContext): Promise<ConsolidationBatchResult> {
    return this.o.tx.write(ctx, async (w) => {
      const ids = batchTouches(batch);
      const current = await this.memoriesById(w, ids);
      const relationSql = 'SELECT * FROM relations WHERE space_id = $1 AND (from_id = ANY($2::text[]) OR to_id = ANY($2::text[]))';
      const relations = (await w.db.query<RelationRow>(relationSql, [this.spaceId, ids])).rows.map(fromRow.relation);
      const plan = planBatch(batch, current, relations, ctx.now);
      await this.applyConsolidation(w, plan.ops);
      this.o.recorder.consolidated(w, plan.changes, batch.audit);
      // Kept even when the batch changed nothing, so the run is known (its undo restores nothing).
      await w.db.query('INSERT INTO consolidation_runs (space_id, run_id, batch, at, actor, data) VALUES ($1, $2, $3, $4, $5, $6)', [
        this.spaceId,
        batch.runId,
        batch.batch,
        ctx.now,
        ctx.actor,
        JSON.stringify(encodeBatchRecord(plan.record)),
      ]);
      if (batch.pass !== undefined) await insertPass(w.db, this.spaceId, batch.runId, batch.pass, ctx.now);
      return plan.result;
    });
  }

  async undoConsolidation(runId: string, ctx: WriteContext): Promise<ConsolidationUndone> {
    return this.o.tx.write(ctx, async (w) => {
      const sql = 'SELECT data, undone_at FROM consolidation_runs WHERE space_id = $1 AND run_id = $2 ORDER BY batch';
      const rows = (await w.db.query<{ data: unknown; undone_at: number | null }>(sql, [this.spaceId, runId])).rows;
      if (rows.length === 0) throw new MemspaceError('NOT_FOUND', `consolidation run ${runId} not found in this space`, { runId });
      if (rows.some((r) => r.undone_at !== null)) throw new MemspaceError('CONFLICT', `consolidation run ${runId} was undone already`, { runId });
      const records = rows.map((r) => decodeBatchRecord(r.data));
      const current = await this.memoriesById(w, undoTouches(records));
      // The edges of the summaries the run added go with them.
      const summaries = summariesOf(records);
      const relationSql = 'SELECT * FROM relations WHERE space_id = $1 AND (from_id = ANY($2::text[]) OR to_id = ANY($2::text[]))';
      const summaryRelations = summaries.length === 0 ? [] : (await w.db.query<RelationRow>(relationSql, [this.spaceId, summaries])).rows.map(fromRow.relation);
      const { ops, changes } = planUndo(runId, records, current, summaryRelations);
      await this.applyConsolidation(w, ops);
      await w.db.query('UPDATE consolidation_runs SET undone_at = $3 WHERE space_id = $1 AND run_id = $2', [this.spaceId, runId, ctx.now]);
      await markPassUndone(w.db, this.spaceId, runId, ctx.now);
      const result: ConsolidationUndone = { restored: changes.recreated.length, unsuperseded: changes.superseded.length, ...(changes.deleted.length > 0 && { summariesDeleted: changes.deleted.length }) };
      const ids = [...changes.recreated, ...changes.deleted].map((m) => m.id);
      this.o.recorder.consolidated(w, changes, { action: 'consolidation.undo', ids, details: { runId, ...result } });
      return result;
    });
  }

  async recordFeedback(write: FeedbackWrite, ctx: WriteContext): Promise<FeedbackOutcome> {
    return this.o.tx.write(ctx, async (w) => {
      const outcome = await writeFeedback(w.db, this.spaceId, write, ctx.now);
      this.o.recorder.feedbackRecorded(w, write.id, write.audit);
      return outcome;
    });
  }

  async resetFeedback(ctx: WriteContext): Promise<FeedbackCleared> {
    return this.o.tx.write(ctx, async (w) => {
      const cleared = await clearFeedback(w.db, this.spaceId);
      this.o.recorder.feedbackReset(w, uuidv7(ctx.now), cleared);
      return cleared;
    });
  }

  async sweepFeedback(now: number, halfLifeDays: number, limit: number, ctx: WriteContext): Promise<number> {
    return this.o.tx.write(ctx, async (w) => {
      const cleared = await sweepSpentFeedback(w.db, this.spaceId, now, halfLifeDays, limit);
      this.o.recorder.feedbackExpired(w, cleared);
      return cleared.pheromones;
    });
  }

  /** Memories by id with their vectors, as the write's transaction sees them. */
  private async memoriesById(w: SpaceWrite, ids: readonly string[]): Promise<Map<string, MemoryRecord>> {
    const sql = `SELECT ${MEMORY_COLUMNS}, m.embedding::text AS embedding FROM memories m WHERE m.space_id = $1 AND m.id = ANY($2::text[])`;
    const rows = (await w.db.query<MemoryRow>(sql, [this.spaceId, [...ids]])).rows;
    return new Map(rows.map((r) => [r.id, fromRow.memory(r)]));
  }

  /** The ops of a consolidation batch or undo, in their order (see {@link ConsolidationOps}), with the state row's figures. */
  private async applyConsolidation(w: SpaceWrite, ops: ConsolidationOps): Promise<void> {
    const id = this.spaceId;
    if (ops.deleteRelations.length > 0) {
      const gone = await w.db.query('DELETE FROM relations WHERE space_id = $1 AND id = ANY($2::text[])', [id, ops.deleteRelations]);
      w.state.relations -= gone.rowCount ?? 0;
    }
    if (ops.insertMemories.length + ops.insertRelations.length > 0) await writeDumpChunk(w, { memories: ops.insertMemories, relations: ops.insertRelations }, []);
    for (const r of ops.updateRelations) {
      await w.db.query('UPDATE relations SET from_id = $3, to_id = $4 WHERE space_id = $1 AND id = $2', [id, r.id, r.from, r.to]);
    }
    if (ops.deleteMemories.length > 0) {
      const sql = 'DELETE FROM memories WHERE space_id = $1 AND id = ANY($2::text[]) RETURNING payload_bytes';
      for (const v of (await w.db.query<{ payload_bytes: number }>(sql, [id, ops.deleteMemories])).rows) {
        w.state.memories -= 1;
        w.state.payloadBytes -= v.payload_bytes;
      }
    }
    for (const m of ops.writeMemories) {
      const bytes = memoryPayloadBytes(m);
      const old = await w.db.query<{ payload_bytes: number }>('SELECT payload_bytes FROM memories WHERE space_id = $1 AND id = $2', [id, m.id]);
      w.state.payloadBytes += bytes - (old.rows[0]?.payload_bytes ?? bytes);
      await w.db.query(
        `UPDATE memories SET content = $3, metadata = $4, tags = $5, kind = $6, importance = $7, created_at = $8, updated_at = $9, expires_at = $10,
           dimension = $11, embedding = $12::vector, access_count = $13, last_accessed_at = $14, superseded_by = $15, payload_bytes = $16
         WHERE space_id = $1 AND id = $2`,
        [id, m.id, m.content, JSON.stringify(m.metadata), JSON.stringify(m.tags), m.kind, m.importance, m.createdAt, m.updatedAt, m.expiresAt,
          m.embedding.length, vectorParam(m.embedding), m.accessCount, m.lastAccessedAt, m.supersededBy, bytes],
      );
    }
    for (const s of ops.supersede) await w.db.query('UPDATE memories SET superseded_by = $3 WHERE space_id = $1 AND id = $2', [id, s.id, s.by]);
  }

  /** Saves the pending access counts with an empty write; it records nothing, so no time is needed. */
  async saveAccess(): Promise<void> {
    await this.o.tx.write({ actor: null, now: 0, requestId: null }, async () => undefined);
  }

  /**
   * The one delete path of memories, inside the caller's write: the relations touching them,
   * the rows, and the usage figures. Returns what went, each kind in insertion order.
   */
  private async deleteRows(w: SpaceWrite, ids: readonly string[]): Promise<Removal> {
    const relationSql = 'DELETE FROM relations WHERE space_id = $1 AND (from_id = ANY($2::text[]) OR to_id = ANY($2::text[])) RETURNING id, seq';
    const rels = (await w.db.query<{ id: string; seq: number }>(relationSql, [this.spaceId, [...ids]])).rows.sort((a, b) => a.seq - b.seq);
    w.state.relations -= rels.length;
    const memorySql = 'DELETE FROM memories WHERE space_id = $1 AND id = ANY($2::text[]) RETURNING id, seq, content, metadata, payload_bytes';
    const victims = (await w.db.query<Victim>(memorySql, [this.spaceId, [...ids]])).rows.sort((a, b) => a.seq - b.seq);
    for (const v of victims) {
      w.state.memories -= 1;
      w.state.payloadBytes -= v.payload_bytes;
    }
    return { memories: victims, relations: rels.map((r) => r.id) };
  }
}
