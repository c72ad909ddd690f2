/**
 * What each mutation of a space records besides its rows, defined once for every backend: the
 * history rows, the change-feed events and the one audit entry (sealed onto the space's chain
 * with `sealAuditEntry`). A backend's write transaction implements {@link MutationSink} over
 * its own tables; its SQL writes the rows and then hands the recorder what it changed.
 */
import { GENESIS_HASH, changedMemoryFields, sealAuditEntry } from '../../core/audit.js';
import type { DecayFloor } from '../../core/decay.js';
import { MemspaceError } from '../../core/errors.js';
import type { AuditEvent, AuditRecord, ChangeOp, DumpChunk, HistoryRecord, JsonObject, MemoryRecord, RelationRecord, WriteContext } from '../../core/types.js';
import type { AccessCounter } from './access-counter.js';
import type { ConsolidationChanges } from './consolidation-writes.js';

/** A history row to append; the sink gives it the next history seq, an actor and a time. */
export type HistoryEntry = Omit<HistoryRecord, 'seq' | 'actor' | 'at'>;

/** Who wrote a history row and when, when it is not the write's own (a restore keeps the original's). */
export interface HistoryStamp {
  actor: string | null;
  at: number;
}

/** The newest entry of an audit chain: what the next entry links to. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * A write transaction of one space as the recorder sees it. Every call adds to the open
 * transaction, so what it records commits or rolls back with the rows it describes.
 */
export interface MutationSink {
  /** Actor, time and request of the write. */
  readonly ctx: WriteContext;
  /** Appends a history row with the next seq, by `ctx.actor` at `ctx.now` unless `stamp` says otherwise. */
  history(entry: HistoryEntry, stamp?: HistoryStamp): void;
  /** Appends a change-feed event with the next seq, at `ctx.now`. */
  change(op: ChangeOp, id: string): void;
  /** The newest audit entry of the space as this transaction sees it; undefined for an empty chain. */
  auditHead(): AuditHead | undefined;
  /** Appends a sealed entry that continues {@link auditHead}. */
  appendAudit(entry: AuditRecord): void;
}

/** A memory a write took away: what its `delete` history row keeps. */
export interface RemovedMemory {
  id: string;
  content: string;
  metadata: JsonObject;
}

/**
 * What one removal of memories took: the memories, in the order the backend deleted them,
 * and the ids of the relations that touched them, deleted with them.
 */
export interface Removal {
  memories: readonly RemovedMemory[];
  relations: readonly string[];
}

/** What a reset or a sweep of the feedback state deleted. */
export interface FeedbackCleared {
  pheromones: number;
  narrative: boolean;
}

/** The sizes of a context as stored, which its audit entries carry. */
export interface ContextSizes {
  originalBytes: number;
  storedBytes: number;
}

/**
 * Why a sweep took memories: `expired` (their `expiresAt` passed), `retention` (created before
 * the space's retention cut-off), or `both` when the one sweep took some of each. A memory both
 * expired and past retention counts as expired: sweeps look for expired memories first.
 */
export function sweepReason(expired: number, retained: number): 'expired' | 'retention' | 'both' {
  return retained === 0 ? 'expired' : expired === 0 ? 'retention' : 'both';
}

/** Records the mutations of one space store; {@link AccessCounter} is that store's, so removals drop their counts. */
export class MutationRecorder {
  constructor(private readonly access: AccessCounter) {}

  /** Memories inserted (one call, maybe empty): a `create` row and event each, one `memory.create` entry. */
  memoriesCreated(sink: MutationSink, rows: readonly MemoryRecord[]): void {
    for (const r of rows) {
      sink.history({ memoryId: r.id, action: 'create', oldContent: null, newContent: r.content, oldMetadata: null, newMetadata: r.metadata });
      sink.change('memory.created', r.id);
    }
    this.audit(sink, { action: 'memory.create', ids: rows.map((r) => r.id), details: { count: rows.length } });
  }

  /** A memory replaced: an `update` row, an event, and a `memory.update` entry naming the changed fields. */
  memoryUpdated(sink: MutationSink, old: MemoryRecord, next: MemoryRecord): void {
    sink.history({ memoryId: next.id, action: 'update', oldContent: old.content, newContent: next.content, oldMetadata: old.metadata, newMetadata: next.metadata });
    sink.change('memory.updated', next.id);
    this.audit(sink, { action: 'memory.update', ids: [next.id], details: { fields: changedMemoryFields(old, next) } });
  }

  /** Memories deleted by a filter, with their relations; nothing deleted is no mutation, so no entry. */
  memoriesDeleted(sink: MutationSink, removal: Removal): void {
    if (removal.memories.length === 0) return;
    this.removed(sink, removal);
    const ids = removal.memories.map((m) => m.id);
    this.audit(sink, { action: 'memory.delete', ids, details: { count: ids.length, relations: removal.relations.length } });
  }

  /**
   * Memories a sweep hard-deleted: `expired` of them taken for their expiry, the rest for
   * retention (see {@link sweepReason}); one `memory.expire` entry, none when nothing was taken.
   */
  memoriesExpired(sink: MutationSink, removal: Removal, expired: number): void {
    if (removal.memories.length === 0) return;
    this.removed(sink, removal);
    const ids = removal.memories.map((m) => m.id);
    const reason = sweepReason(expired, ids.length - expired);
    this.audit(sink, { action: 'memory.expire', ids, details: { count: ids.length, reason } });
  }

  /**
   * Memories retention dropped because their importance decayed under the space's floor
   * (core/decay.ts): one `memory.decay` entry with the rule, none when nothing was taken.
   */
  memoriesDecayed(sink: MutationSink, removal: Removal, rule: DecayFloor): void {
    if (removal.memories.length === 0) return;
    this.removed(sink, removal);
    const ids = removal.memories.map((m) => m.id);
    this.audit(sink, { action: 'memory.decay', ids, details: { count: ids.length, floor: rule.floor, halfLifeDays: rule.halfLifeDays } });
  }

  /** An edge added. */
  relationCreated(sink: MutationSink, relation: Pick<RelationRecord, 'id' | 'from' | 'to' | 'type'>): void {
    sink.change('relation.created', relation.id);
    this.audit(sink, { action: 'relation.create', ids: [relation.id], details: { from: relation.from, to: relation.to, type: relation.type } });
  }

  /** An edge deleted on its own (edges deleted with their memories belong to a {@link Removal}). */
  relationDeleted(sink: MutationSink, relation: Pick<RelationRecord, 'id' | 'from' | 'to' | 'type'>): void {
    sink.change('relation.deleted', relation.id);
    this.audit(sink, { action: 'relation.delete', ids: [relation.id], details: { from: relation.from, to: relation.to, type: relation.type } });
  }

  /** A context stored. */
  contextCreated(sink: MutationSink, id: string, sizes: ContextSizes): void {
    sink.change('context.created', id);
    this.audit(sink, { action: 'context.create', ids: [id], details: { originalBytes: sizes.originalBytes, storedBytes: sizes.storedBytes } });
  }

  /** A context deleted. */
  contextDeleted(sink: MutationSink, id: string, sizes: ContextSizes): void {
    sink.change('context.deleted', id);
    this.audit(sink, { action: 'context.delete', ids: [id], details: { originalBytes: sizes.originalBytes, storedBytes: sizes.storedBytes } });
  }

  /**
   * A consolidation batch or its undo (core/consolidation.ts explains the rows): a memory merged
   * away gets a `delete` row whose `newMetadata` is `{consolidatedInto, consolidationRun}`, a
   * rewritten survivor an `update` row, a memory re-created by an undo (or a summary added by
   * a pass) a `create` row, a summary an undo deleted a `delete` row whose `newMetadata` is
   * `{consolidationRun}`, a supersession set or cleared a `supersede` row with `newMetadata`
   * `{supersededBy, consolidationRun}`; each its change event, a moved edge a deletion and a creation. The
   * pass's audit entry, `audit`, comes with its last batch only: one entry per pass.
   */
  consolidated(sink: MutationSink, c: ConsolidationChanges, audit?: AuditEvent): void {
    const run = c.runId;
    for (const id of [...c.relationsDeleted, ...c.relationsMoved]) sink.change('relation.deleted', id);
    for (const m of c.recreated) {
      sink.history({ memoryId: m.id, action: 'create', oldContent: null, newContent: m.content, oldMetadata: null, newMetadata: m.metadata });
      sink.change('memory.created', m.id);
    }
    for (const { old, next } of c.rewritten) {
      sink.history({ memoryId: next.id, action: 'update', oldContent: old.content, newContent: next.content, oldMetadata: old.metadata, newMetadata: next.metadata });
      sink.change('memory.updated', next.id);
    }
    for (const { memory, into } of c.merged) {
      sink.history({ memoryId: memory.id, action: 'delete', oldContent: memory.content, newContent: null, oldMetadata: memory.metadata, newMetadata: { consolidatedInto: into, consolidationRun: run } });
      sink.change('memory.deleted', memory.id);
    }
    for (const memory of c.deleted) {
      sink.history({ memoryId: memory.id, action: 'delete', oldContent: memory.content, newContent: null, oldMetadata: memory.metadata, newMetadata: { consolidationRun: run } });
      sink.change('memory.deleted', memory.id);
    }
    this.access.forget([...c.merged.map((m) => m.memory.id), ...c.deleted.map((m) => m.id)]);
    for (const { id, by } of c.superseded) {
      sink.history({ memoryId: id, action: 'supersede', oldContent: null, newContent: null, oldMetadata: null, newMetadata: { supersededBy: by, consolidationRun: run } });
      sink.change('memory.updated', id);
    }
    for (const id of [...c.relationsMoved, ...c.relationsCreated]) sink.change('relation.created', id);
    if (audit !== undefined) this.audit(sink, audit);
  }

  /** A feedback call applied (core/feedback.ts): its change event, named by the call's id, and its entry (counts, not content). */
  feedbackRecorded(sink: MutationSink, id: string, audit: AuditEvent): void {
    sink.change('feedback.recorded', id);
    this.audit(sink, audit);
  }

  /** The feedback state deleted on request: a `feedback.reset` event (named by `id`) and entry with what went. */
  feedbackReset(sink: MutationSink, id: string, cleared: FeedbackCleared): void {
    sink.change('feedback.reset', id);
    this.audit(sink, { action: 'feedback.reset', ids: [], details: { pheromones: cleared.pheromones, narrative: cleared.narrative } });
  }

  /** Spent feedback state retention deleted: one `feedback.expire` entry, none when nothing went. */
  feedbackExpired(sink: MutationSink, cleared: FeedbackCleared): void {
    if (cleared.pheromones === 0 && !cleared.narrative) return;
    this.audit(sink, { action: 'feedback.expire', ids: [], details: { pheromones: cleared.pheromones, narrative: cleared.narrative } });
  }

  /** An event that is not a mutation of the store (a denied request, a share change), on its own. */
  event(sink: MutationSink, event: AuditEvent): void {
    this.audit(sink, event);
  }

  /**
   * A dump chunk written back verbatim: a change event for each memory, relation and context
   * (so indexes and subscribers follow), its history rows with their original actor and time,
   * and its audit entries, which must continue the space's chain (seq = head + 1, prevHash =
   * head hash): `CONFLICT` otherwise, which rolls the whole chunk back. Nothing is generated.
   */
  restored(sink: MutationSink, chunk: DumpChunk): void {
    for (const m of chunk.memories ?? []) sink.change('memory.created', m.id);
    for (const r of chunk.relations ?? []) sink.change('relation.created', r.id);
    for (const c of chunk.contexts ?? []) sink.change('context.created', c.id);
    for (const h of chunk.history ?? []) {
      const { memoryId, action, oldContent, newContent, oldMetadata, newMetadata } = h;
      sink.history({ memoryId, action, oldContent, newContent, oldMetadata, newMetadata }, { actor: h.actor, at: h.at });
    }
    let head = sink.auditHead();
    for (const e of chunk.audit ?? []) {
      const seq = (head?.seq ?? 0) + 1;
      if (e.seq !== seq || e.prevHash !== (head?.hash ?? GENESIS_HASH)) {
        throw new MemspaceError('CONFLICT', `audit entry ${e.seq} does not continue this space's audit trail (next seq ${seq})`, { seq: e.seq, expectedSeq: seq });
      }
      sink.appendAudit(e);
      head = e;
    }
  }

  /** The relations of a removal first (each end's deletion follows its edges'), then each memory. */
  private removed(sink: MutationSink, removal: Removal): void {
    for (const id of removal.relations) sink.change('relation.deleted', id);
    for (const m of removal.memories) {
      sink.history({ memoryId: m.id, action: 'delete', oldContent: m.content, newContent: null, oldMetadata: m.metadata, newMetadata: null });
      sink.change('memory.deleted', m.id);
    }
    this.access.forget(removal.memories.map((m) => m.id));
  }

  private audit(sink: MutationSink, event: AuditEvent): void {
    sink.appendAudit(sealAuditEntry(sink.auditHead(), event, sink.ctx));
  }
}
