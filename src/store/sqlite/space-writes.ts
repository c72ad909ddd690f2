/**
 * The mutations of one space database: the SQL that changes rows, then the mutation recorder
 * for what each records (history, change events, audit), all in one write transaction.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import type { DecayFloor } from '../../core/decay.js';
import { MemspaceError } from '../../core/errors.js';
import type { FeedbackOutcome, FeedbackWrite } from '../../core/feedback.js';
import { uuidv7 } from '../../core/ids.js';
import type { FilterNode } from '../../core/filter.js';
import { enforceLimits, type UsageFigures } from '../../core/storage-limits.js';
import type { AuditEvent, ContextRecord, DumpChunk, JsonObject, MemoryRecord, RelationRecord, StorageLimits, WriteContext } from '../../core/types.js';
import { prepareContexts } from '../common/context-codec.js';
import type { ConsolidationBatch, ConsolidationBatchResult, ConsolidationUndone } from '../../core/ports/space-store.js';
import { batchTouches, type ConsolidationOps, decodeBatchRecord, encodeBatchRecord, planBatch, planUndo, summariesOf, undoTouches } from '../common/consolidation-writes.js';
import type { FeedbackCleared, MutationRecorder, Removal } from '../common/mutation-recorder.js';
import type { SpaceWrites } from '../common/space-store-base.js';
import { insertPass, markPassUndone } from './consolidation-stats.js';
import { clearFeedback, sweepSpentFeedback, writeFeedback } from './feedback-state.js';
import { countDecayed, decayVictims } from './decay-sweep.js';
import type { ProjectCheck, ProjectUsageLink } from './project-usage.js';
import { conflictOr, writeContext, writeDumpChunk } from './space-dump.js';
import { fromRow, type MemoryRow, type RelationRow, type SpaceStatements, toRow } from './space-rows.js';
import type { SpaceTx } from './space-tx.js';
import { readUsage } from './space-usage.js';
import { filterCondition } from './sqlite-filter-dialect.js';

/** A memory about to be deleted, as its row holds it. */
interface Victim {
  id: string;
  content: string;
  metadata: string;
}

/** What {@link SqliteSpaceWrites} writes through. */
export interface SqliteSpaceWritesOptions {
  db: Database.Database;
  stmt: SpaceStatements;
  tx: SpaceTx;
  recorder: MutationRecorder;
  /** For a space of a project: the ledger its writes check the project's quotas against. */
  projectUsage?: ProjectUsageLink | undefined;
}

/** The write SQL of one space database. */
export class SqliteSpaceWrites implements SpaceWrites {
  constructor(private readonly o: SqliteSpaceWritesOptions) {}

  /**
   * Inserts through the group commit. The quota check runs in the caller's savepoint after its
   * rows are in, against the usage row the triggers keep, so callers of one group see each
   * other's rows and a caller that crosses a quota fails alone.
   */
  insertMemories(rows: readonly MemoryRecord[], ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    const { stmt } = this.o;
    return this.withProjectCheck(limits, (project) => this.o.tx.grouped(() => {
      const before = readUsage(stmt.usage);
      const lastSeq = stmt.maxMemorySeq.get() as number;
      for (const row of rows) {
        try {
          stmt.insert.run(toRow(row));
        } catch (error) {
          throw conflictOr(error, `memory ${row.id} already exists in this space`, row.id);
        }
      }
      stmt.indexKeywordsAfter.run(lastSeq);
      this.o.recorder.memoriesCreated(this.o.tx.sink(ctx), rows);
      enforce(before, readUsage(stmt.usage), limits, project);
    }));
  }

  updateMemory(next: MemoryRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    const { stmt } = this.o;
    return this.withProjectCheck(limits, (project) => this.o.tx.write(() => {
      const old = stmt.byId.get(next.id) as MemoryRow | undefined;
      if (old === undefined) throw new MemspaceError('NOT_FOUND', `memory ${next.id} not found in this space`, { id: next.id });
      const before = readUsage(stmt.usage);
      stmt.update.run(toRow(next));
      enforce(before, readUsage(stmt.usage), limits, project);
      this.o.recorder.memoryUpdated(this.o.tx.sink(ctx), fromRow.memory(old), next);
    }));
  }

  async deleteMemories(filter: FilterNode, ctx: WriteContext): Promise<number> {
    const where = filterCondition(filter);
    return this.o.tx.write(() => {
      // Collect first, then delete: deleting while iterating the same table is undefined in SQLite.
      const victims = this.o.db.prepare(`SELECT id, content, metadata FROM memories m WHERE ${where.sql}`).all(...where.params) as Victim[];
      this.o.recorder.memoriesDeleted(this.o.tx.sink(ctx), this.deleteRows(victims));
      return victims.length;
    });
  }

  async sweepExpired(now: number, createdBefore: number | null, limit: number, ctx: WriteContext): Promise<number> {
    if (limit <= 0) return 0;
    const { stmt } = this.o;
    return this.o.tx.write(() => {
      const expired = stmt.expired.all(now, limit) as Victim[];
      const retained = createdBefore === null || expired.length >= limit ? [] : (stmt.retained.all(createdBefore, now, limit - expired.length) as Victim[]);
      const victims = [...expired, ...retained];
      this.o.recorder.memoriesExpired(this.o.tx.sink(ctx), this.deleteRows(victims), expired.length);
      return victims.length;
    });
  }

  async sweepDecayed(now: number, rule: DecayFloor, limit: number, ctx: WriteContext): Promise<number> {
    if (limit <= 0) return 0;
    return this.o.tx.write(() => {
      const victims = decayVictims(this.o.db, now, rule, limit);
      if (victims.length === 0) return 0;
      this.o.recorder.memoriesDecayed(this.o.tx.sink(ctx), this.deleteRows(victims), rule);
      countDecayed(this.o.db, victims.length);
      return victims.length;
    });
  }

  async compactChanges(before: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return this.o.tx.write(() => this.o.stmt.compactChanges.run(before, limit).changes);
  }

  async insertContext(context: ContextRecord, ctx: WriteContext, limits?: StorageLimits): Promise<void> {
    this.o.tx.assertOpen();
    // Compressed before the transaction opens: the write lock is not held while brotli runs.
    const [prepared] = await prepareContexts([context]);
    const { stmt } = this.o;
    await this.withProjectCheck(limits, (project) => this.o.tx.write(() => {
      const before = readUsage(stmt.usage);
      writeContext(stmt.insertContext, prepared!);
      enforce(before, readUsage(stmt.usage), limits, project);
      this.o.recorder.contextCreated(this.o.tx.sink(ctx), context.id, prepared!.encoded);
    }));
  }

  async deleteContext(id: string, ctx: WriteContext): Promise<boolean> {
    const { stmt } = this.o;
    return this.o.tx.write(() => {
      const sizes = stmt.contextSizes.get(id) as { originalBytes: number; storedBytes: number } | undefined;
      if (sizes === undefined) return false;
      stmt.deleteContext.run(id);
      this.o.recorder.contextDeleted(this.o.tx.sink(ctx), id, sizes);
      return true;
    });
  }

  async insertRelation(relation: RelationRecord, ctx: WriteContext): Promise<void> {
    const { stmt } = this.o;
    await this.o.tx.write(() => {
      for (const end of [relation.from, relation.to]) {
        if (stmt.memoryExists.get(end) === undefined) throw new MemspaceError('NOT_FOUND', `memory ${end} not found in this space`, { id: end });
      }
      try {
        stmt.insertRelation.run(relation.id, relation.from, relation.to, relation.type, relation.weight, JSON.stringify(relation.metadata), relation.createdAt);
      } catch (error) {
        throw conflictOr(error, `relation ${relation.id} already exists in this space`, relation.id);
      }
      this.o.recorder.relationCreated(this.o.tx.sink(ctx), relation);
    });
  }

  async deleteRelation(id: string, ctx: WriteContext): Promise<boolean> {
    const { stmt } = this.o;
    return this.o.tx.write(() => {
      const rel = stmt.relationById.get(id) as { from_id: string; to_id: string; type: string } | undefined;
      if (rel === undefined) return false;
      stmt.deleteRelation.run(id);
      this.o.recorder.relationDeleted(this.o.tx.sink(ctx), { id, from: rel.from_id, to: rel.to_id, type: rel.type });
      return true;
    });
  }

  async appendAudit(entry: AuditEvent, ctx: WriteContext): Promise<void> {
    await this.o.tx.write(() => this.o.recorder.event(this.o.tx.sink(ctx), entry));
  }

  async restore(chunk: DumpChunk, now: number, limits?: StorageLimits): Promise<void> {
    this.o.tx.assertOpen();
    const contexts = await prepareContexts(chunk.contexts);
    await this.withProjectCheck(limits, (project) => this.o.tx.write(() => {
      const before = readUsage(this.o.stmt.usage);
      writeDumpChunk(this.o.db, chunk, contexts);
      enforce(before, readUsage(this.o.stmt.usage), limits, project);
      this.o.recorder.restored(this.o.tx.sink({ actor: null, now, requestId: null }), chunk);
    }));
  }

  /**
   * Runs `write` with the check of its project's quotas, prepared before the transaction (the
   * figures of the project's closed spaces may need reading first). A space of no project
   * writes at once, without an await in between, as it always has.
   */
  private withProjectCheck<T>(limits: StorageLimits | undefined, write: (project: ProjectCheck | undefined) => Promise<T>): Promise<T> {
    const link = this.o.projectUsage;
    if (limits?.project === undefined || limits.project === null || link === undefined) return write(undefined);
    return link.ledger.prepare(limits.project, link.space).then(write);
  }

  async consolidate(batch: ConsolidationBatch, ctx: WriteContext): Promise<ConsolidationBatchResult> {
    const { stmt } = this.o;
    return this.o.tx.write(() => {
      const ids = JSON.stringify(batchTouches(batch));
      const current = new Map((stmt.byIds.all(ids) as MemoryRow[]).map((r) => [r.id, fromRow.memory(r)]));
      const relations = (stmt.relationsTouching.all({ ids }) as RelationRow[]).map(fromRow.relation);
      const plan = planBatch(batch, current, relations, ctx.now);
      this.applyConsolidation(plan.ops);
      this.o.recorder.consolidated(this.o.tx.sink(ctx), plan.changes, batch.audit);
      // Kept even when the batch changed nothing, so the run is known (its undo restores nothing).
      stmt.insertRunBatch.run(batch.runId, batch.batch, ctx.now, ctx.actor, JSON.stringify(encodeBatchRecord(plan.record)));
      if (batch.pass !== undefined) insertPass(this.o.db, batch.runId, batch.pass, ctx.now);
      return plan.result;
    });
  }

  async undoConsolidation(runId: string, ctx: WriteContext): Promise<ConsolidationUndone> {
    const { stmt } = this.o;
    return this.o.tx.write(() => {
      const rows = stmt.runBatches.all(runId) as { data: string; undone_at: number | null }[];
      if (rows.length === 0) throw new MemspaceError('NOT_FOUND', `consolidation run ${runId} not found in this space`, { runId });
      if (rows.some((r) => r.undone_at !== null)) throw new MemspaceError('CONFLICT', `consolidation run ${runId} was undone already`, { runId });
      const records = rows.map((r) => decodeBatchRecord(JSON.parse(r.data)));
      const current = new Map((stmt.byIds.all(JSON.stringify(undoTouches(records))) as MemoryRow[]).map((r) => [r.id, fromRow.memory(r)]));
      const summaries = JSON.stringify(summariesOf(records));
      const summaryRelations = (stmt.relationsTouching.all({ ids: summaries }) as RelationRow[]).map(fromRow.relation);
      const { ops, changes } = planUndo(runId, records, current, summaryRelations);
      this.applyConsolidation(ops);
      stmt.markRunUndone.run(ctx.now, runId);
      markPassUndone(this.o.db, runId, ctx.now);
      const result: ConsolidationUndone = { restored: changes.recreated.length, unsuperseded: changes.superseded.length, ...(changes.deleted.length > 0 && { summariesDeleted: changes.deleted.length }) };
      const ids = [...changes.recreated, ...changes.deleted].map((m) => m.id);
      this.o.recorder.consolidated(this.o.tx.sink(ctx), changes, { action: 'consolidation.undo', ids, details: { runId, ...result } });
      return result;
    });
  }

  /** The ops of a consolidation batch or undo, in their order (see {@link ConsolidationOps}), inside the caller's transaction. */
  private applyConsolidation(ops: ConsolidationOps): void {
    const { stmt, db } = this.o;
    for (const id of ops.deleteRelations) stmt.deleteRelation.run(id);
    if (ops.insertMemories.length + ops.insertRelations.length > 0) writeDumpChunk(db, { memories: ops.insertMemories, relations: ops.insertRelations }, []);
    for (const r of ops.updateRelations) stmt.moveRelation.run(r.from, r.to, r.id);
    for (const id of ops.deleteMemories) stmt.deleteById.run(id);
    for (const m of ops.writeMemories) stmt.rewriteMemory.run(toRow(m));
    for (const s of ops.supersede) stmt.supersede.run(s.by, s.id);
  }

  /** Saves the pending access counts with an empty write (best effort: they are advisory). */
  async recordFeedback(write: FeedbackWrite, ctx: WriteContext): Promise<FeedbackOutcome> {
    return this.o.tx.write(() => {
      const outcome = writeFeedback(this.o.db, write, ctx.now);
      this.o.recorder.feedbackRecorded(this.o.tx.sink(ctx), write.id, write.audit);
      return outcome;
    });
  }

  async resetFeedback(ctx: WriteContext): Promise<FeedbackCleared> {
    return this.o.tx.write(() => {
      const cleared = clearFeedback(this.o.db);
      this.o.recorder.feedbackReset(this.o.tx.sink(ctx), uuidv7(ctx.now), cleared);
      return cleared;
    });
  }

  async sweepFeedback(now: number, halfLifeDays: number, limit: number, ctx: WriteContext): Promise<number> {
    return this.o.tx.write(() => {
      const cleared = sweepSpentFeedback(this.o.db, now, halfLifeDays, limit);
      this.o.recorder.feedbackExpired(this.o.tx.sink(ctx), cleared);
      return cleared.pheromones;
    });
  }

  async saveAccess(): Promise<void> {
    await this.o.tx.write(() => undefined);
  }

  /**
   * The one delete path of memories, inside the caller's write transaction: each memory's
   * relations, then its row. Returns what went, for the recorder.
   */
  private deleteRows(victims: readonly Victim[]): Removal {
    const { stmt } = this.o;
    const relations: string[] = [];
    for (const v of victims) {
      for (const rel of stmt.relationIdsTouching.all({ id: v.id }) as { id: string }[]) {
        relations.push(rel.id);
        stmt.deleteRelation.run(rel.id);
      }
      stmt.deleteById.run(v.id);
    }
    return { memories: victims.map((v) => ({ id: v.id, content: v.content, metadata: JSON.parse(v.metadata) as JsonObject })), relations };
  }
}

/** The space's quotas, then its project's, on the figures before and after a write, inside its transaction. */
function enforce(before: UsageFigures, after: UsageFigures, limits: StorageLimits | undefined, project: ProjectCheck | undefined): void {
  enforceLimits(before, after, limits);
  project?.(before, after);
}
