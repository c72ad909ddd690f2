/**
 * A consolidation batch and its undo, once for every backend: from the rows a backend read in
 * its write transaction, what to change ({@link ConsolidationOps}, which the backend's SQL
 * applies in one fixed order) and what to keep in the run's record so that the batch can be
 * undone exactly. A backend reads, calls {@link planBatch} or {@link planUndo}, applies the ops,
 * hands the result to the mutation recorder and stores the record, all in one transaction: a
 * batch is in the space whole (merged memories deleted with their history, the record kept) or
 * not at all.
 */
import { mergedSurvivor, repointRelations, SUMMARIZES } from '../../core/consolidation.js';
import { MemspaceError } from '../../core/errors.js';
import type { ConsolidationBatch, ConsolidationBatchResult, UnfinishedConsolidationRun } from '../../core/ports/space-store.js';
import type { JsonObject, MemoryRecord, RelationRecord } from '../../core/types.js';

/**
 * What a batch (or an undo) changes, applied by a backend in this order: delete `deleteRelations`,
 * insert `insertMemories` then `insertRelations` verbatim (as a restore does), set the ends of
 * `updateRelations`, delete `deleteMemories` (no edge touches them by then), overwrite every
 * field of `writeMemories`, set `superseded_by` of `supersede`.
 */
export interface ConsolidationOps {
  deleteRelations: string[];
  insertMemories: MemoryRecord[];
  insertRelations: RelationRecord[];
  updateRelations: RelationRecord[];
  deleteMemories: string[];
  writeMemories: MemoryRecord[];
  supersede: { id: string; by: string | null }[];
}

/** What the mutation recorder records of an applied batch or undo (see MutationRecorder.consolidated). */
export interface ConsolidationChanges {
  runId: string;
  /** Memories merged away, as they were, with their survivor. */
  merged: { memory: MemoryRecord; into: string }[];
  /** Memories overwritten: survivors of a merge, or, undone, restored. */
  rewritten: { old: MemoryRecord; next: MemoryRecord }[];
  /** Memories re-created by an undo, or summaries a pass added. */
  recreated: MemoryRecord[];
  /** Summaries an undo deleted (the edges that touched them are in `relationsDeleted`). */
  deleted: MemoryRecord[];
  /** Supersessions set (or cleared: `by` null). */
  superseded: { id: string; by: string | null }[];
  /** Edges whose ends moved (deleted and created again under the same id in the feed). */
  relationsMoved: string[];
  relationsDeleted: string[];
  relationsCreated: string[];
}

/** A batch as its run keeps it: everything needed to put the space back as it was. */
export interface ConsolidationBatchRecord {
  /** Each merge: the survivor before, its `updatedAt` after, and the memories merged into it. */
  merges: { before: MemoryRecord; after: number; merged: MemoryRecord[] }[];
  /** Edges as they were before the batch moved or dropped them. */
  relationsMoved: RelationRecord[];
  relationsDropped: RelationRecord[];
  supersessions: { id: string; by: string; previous: string | null }[];
  /** Summaries the batch added, with their `updatedAt`: an undo deletes them unless they changed since. */
  summaries: { id: string; updatedAt: number }[];
}

/** A memory's rows in a batch: the rows as the pass read them must still be the rows of the space. */
function unchanged(read: MemoryRecord, now: MemoryRecord | undefined): now is MemoryRecord {
  return now !== undefined && now.updatedAt === read.updatedAt && now.content === read.content && now.supersededBy === read.supersededBy;
}

/**
 * Plans one batch over the rows the transaction found: `current` holds every memory the batch
 * names, as stored now (missing ones are absent), and `relations` every edge touching them.
 * A merge whose memories changed or went since the pass read them is skipped whole, as is a
 * supersession whose memories are gone, so a batch never acts on a state it did not see.
 */
export function planBatch(
  batch: ConsolidationBatch,
  current: ReadonlyMap<string, MemoryRecord>,
  relations: readonly RelationRecord[],
  now: number,
): { ops: ConsolidationOps; changes: ConsolidationChanges; record: ConsolidationBatchRecord; result: ConsolidationBatchResult } {
  const result: ConsolidationBatchResult = { merged: 0, superseded: 0, summarized: 0, skipped: 0 };
  const record: ConsolidationBatchRecord = { merges: [], relationsMoved: [], relationsDropped: [], supersessions: [], summaries: [] };
  const ops: ConsolidationOps = { deleteRelations: [], insertMemories: [], insertRelations: [], updateRelations: [], deleteMemories: [], writeMemories: [], supersede: [] };
  const changes: ConsolidationChanges = { runId: batch.runId, merged: [], rewritten: [], recreated: [], deleted: [], superseded: [], relationsMoved: [], relationsDeleted: [], relationsCreated: [] };
  const survivorOf = new Map<string, string>();
  const consumed = new Set<string>();
  for (const merge of batch.merges) {
    const ids = [merge.survivor.id, ...merge.merged.map((m) => m.id)];
    const fresh = [merge.survivor, ...merge.merged].map((m) => current.get(m.id));
    if (ids.some((id) => consumed.has(id)) || ![merge.survivor, ...merge.merged].every((m, i) => unchanged(m, fresh[i]))) {
      result.skipped += 1;
      continue;
    }
    for (const id of ids) consumed.add(id);
    const survivor = fresh[0]!;
    const merged = fresh.slice(1) as MemoryRecord[];
    const next = mergedSurvivor(survivor, merged, now);
    ops.writeMemories.push(next);
    ops.deleteMemories.push(...merged.map((m) => m.id));
    for (const m of merged) {
      survivorOf.set(m.id, survivor.id);
      changes.merged.push({ memory: m, into: survivor.id });
    }
    changes.rewritten.push({ old: survivor, next });
    record.merges.push({ before: survivor, after: next.updatedAt, merged });
    result.merged += merged.length;
  }
  if (survivorOf.size > 0) {
    const { updated, dropped } = repointRelations(relations, survivorOf);
    const byId = new Map(relations.map((r) => [r.id, r]));
    ops.updateRelations = updated;
    ops.deleteRelations = dropped.map((r) => r.id);
    record.relationsMoved = updated.map((r) => byId.get(r.id)!);
    record.relationsDropped = dropped;
    changes.relationsMoved = updated.map((r) => r.id);
    changes.relationsDeleted = dropped.map((r) => r.id);
  }
  for (const s of batch.supersessions) {
    const older = current.get(s.id);
    if (older === undefined || !current.has(s.by) || consumed.has(s.id) || survivorOf.has(s.by) || older.supersededBy === s.by) {
      result.skipped += 1;
      continue;
    }
    ops.supersede.push({ id: s.id, by: s.by });
    record.supersessions.push({ id: s.id, by: s.by, previous: older.supersededBy });
    changes.superseded.push({ id: s.id, by: s.by });
    result.superseded += 1;
  }
  // A summary whose sources are all still there and none summarised since (by another pass, say).
  const summarised = new Set(relations.filter((r) => r.type === SUMMARIZES).map((r) => r.to));
  for (const s of batch.summaries ?? []) {
    if (s.sources.some((id) => !current.has(id) || survivorOf.has(id) || summarised.has(id))) {
      result.skipped += 1;
      continue;
    }
    for (const id of s.sources) summarised.add(id);
    ops.insertMemories.push(s.memory);
    ops.insertRelations.push(...s.relations);
    changes.recreated.push(s.memory);
    changes.relationsCreated.push(...s.relations.map((r) => r.id));
    record.summaries.push({ id: s.memory.id, updatedAt: s.memory.updatedAt });
    result.summarized += 1;
  }
  return { ops, changes, record, result };
}

/**
 * Plans the undo of a run from its batches' records, newest batch first: the merged memories
 * come back with their ids, vectors and fields, survivors get their state from before the run,
 * edges their old ends (dropped ones come back), supersessions their previous value.
 * `current` holds the survivors and superseded memories as stored now: one changed since the
 * run (its `updatedAt` moved on) is `CONFLICT`, as undoing would lose that change; a merged
 * memory's id taken again is `CONFLICT` too. The summaries the run added are deleted with every
 * edge touching them (`summaryRelations`: the edges touching them now); one deleted since is
 * left alone, one changed since is `CONFLICT`.
 */
export function planUndo(
  runId: string,
  records: readonly ConsolidationBatchRecord[],
  current: ReadonlyMap<string, MemoryRecord>,
  summaryRelations: readonly RelationRecord[] = [],
): { ops: ConsolidationOps; changes: ConsolidationChanges } {
  const ops: ConsolidationOps = { deleteRelations: [], insertMemories: [], insertRelations: [], updateRelations: [], deleteMemories: [], writeMemories: [], supersede: [] };
  const changes: ConsolidationChanges = { runId, merged: [], rewritten: [], recreated: [], deleted: [], superseded: [], relationsMoved: [], relationsDeleted: [], relationsCreated: [] };
  for (const record of [...records].reverse()) {
    for (const m of record.merges) {
      const now = current.get(m.before.id);
      if (now === undefined || now.updatedAt !== m.after) {
        throw new MemspaceError('CONFLICT', `memory ${m.before.id}, a survivor of run ${runId}, was changed or deleted since; undoing would lose that`, { id: m.before.id, runId });
      }
      for (const gone of m.merged) {
        if (current.has(gone.id)) throw new MemspaceError('CONFLICT', `memory ${gone.id} exists again since run ${runId}`, { id: gone.id, runId });
      }
      // The pointer stays as it is now; this run's own supersessions are put back below (applied after).
      const before = { ...m.before, supersededBy: now.supersededBy };
      ops.writeMemories.push(before);
      changes.rewritten.push({ old: now, next: before });
      ops.insertMemories.push(...m.merged);
      changes.recreated.push(...m.merged);
    }
    ops.insertRelations.push(...record.relationsDropped);
    changes.relationsCreated.push(...record.relationsDropped.map((r) => r.id));
    ops.updateRelations.push(...record.relationsMoved);
    changes.relationsMoved.push(...record.relationsMoved.map((r) => r.id));
    for (const s of record.supersessions) {
      if (!current.has(s.id)) continue; // deleted since: nothing to put back
      ops.supersede.push({ id: s.id, by: s.previous });
      changes.superseded.push({ id: s.id, by: s.previous });
    }
    for (const s of record.summaries) {
      const now = current.get(s.id);
      if (now === undefined) continue; // deleted since: nothing to take back
      if (now.updatedAt !== s.updatedAt) {
        throw new MemspaceError('CONFLICT', `memory ${s.id}, a summary made by run ${runId}, was changed since; undoing would lose that`, { id: s.id, runId });
      }
      ops.deleteMemories.push(s.id);
      changes.deleted.push(now);
    }
  }
  const gone = new Set(changes.deleted.map((m) => m.id));
  for (const r of summaryRelations) {
    if ((gone.has(r.from) || gone.has(r.to)) && !ops.deleteRelations.includes(r.id)) {
      ops.deleteRelations.push(r.id);
      changes.relationsDeleted.push(r.id);
    }
  }
  return { ops, changes };
}

/** A run that never completed, from its batch rows (`data` as stored, JSON); counted without decoding vectors. */
export function unfinishedRunOf(runId: string, rows: readonly { at: number; data: unknown; undone: boolean }[]): UnfinishedConsolidationRun {
  const run: UnfinishedConsolidationRun = { runId, startedAt: Infinity, lastAt: -Infinity, batches: rows.length, undone: false, merged: 0, superseded: 0, summarized: 0 };
  for (const row of rows) {
    const record = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as { merges: { merged: unknown[] }[]; supersessions: unknown[]; summaries?: unknown[] };
    run.startedAt = Math.min(run.startedAt, row.at);
    run.lastAt = Math.max(run.lastAt, row.at);
    run.undone ||= row.undone;
    run.merged += record.merges.reduce((n, m) => n + m.merged.length, 0);
    run.superseded += record.supersessions.length;
    run.summarized += record.summaries?.length ?? 0;
  }
  return run;
}

/** The summaries the batches of a run added: their edges are read before an undo deletes them. */
export function summariesOf(records: readonly ConsolidationBatchRecord[]): string[] {
  return records.flatMap((r) => r.summaries.map((s) => s.id));
}

/** The ids whose rows an undo must find as they are now (survivors, superseded memories and summaries), and those merged away. */
export function undoTouches(records: readonly ConsolidationBatchRecord[]): string[] {
  return [
    ...new Set(records.flatMap((r) => [...r.merges.flatMap((m) => [m.before.id, ...m.merged.map((g) => g.id)]), ...r.supersessions.map((s) => s.id), ...r.summaries.map((s) => s.id)])),
  ];
}

/** The ids a batch needs read before it is planned: every memory it names (the sources of its summaries included). */
export function batchTouches(batch: ConsolidationBatch): string[] {
  return [
    ...new Set([
      ...batch.merges.flatMap((m) => [m.survivor.id, ...m.merged.map((g) => g.id)]),
      ...batch.supersessions.flatMap((s) => [s.id, s.by]),
      ...(batch.summaries ?? []).flatMap((s) => s.sources),
    ]),
  ];
}

/** A batch record as JSON (vectors as base64 of their float32 bytes, little-endian). */
export function encodeBatchRecord(record: ConsolidationBatchRecord): JsonObject {
  const memory = (m: MemoryRecord): JsonObject => ({ ...m, embedding: Buffer.from(m.embedding.buffer, m.embedding.byteOffset, m.embedding.byteLength).toString('base64') }) as unknown as JsonObject;
  return {
    merges: record.merges.map((m) => ({ before: memory(m.before), after: m.after, merged: m.merged.map(memory) })),
    relationsMoved: record.relationsMoved as unknown as JsonObject[],
    relationsDropped: record.relationsDropped as unknown as JsonObject[],
    supersessions: record.supersessions,
    summaries: record.summaries,
  };
}

/** A batch record from its JSON ({@link encodeBatchRecord}). */
export function decodeBatchRecord(json: unknown): ConsolidationBatchRecord {
  const j = json as { merges: { before: Record<string, unknown>; after: number; merged: Record<string, unknown>[] }[] } & Omit<ConsolidationBatchRecord, 'merges' | 'summaries'> & { summaries?: ConsolidationBatchRecord['summaries'] };
  const memory = (m: Record<string, unknown>): MemoryRecord => {
    const bytes = Buffer.from(m['embedding'] as string, 'base64');
    const embedding = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(embedding.buffer).set(bytes);
    return { ...(m as unknown as MemoryRecord), embedding };
  };
  return {
    merges: j.merges.map((m) => ({ before: memory(m.before), after: m.after, merged: m.merged.map(memory) })),
    relationsMoved: j.relationsMoved,
    relationsDropped: j.relationsDropped,
    supersessions: j.supersessions,
    summaries: j.summaries ?? [], // runs recorded before summaries existed have none
  };
}
