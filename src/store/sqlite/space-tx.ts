/**
 * The write transaction of a space database as the mutation recorder sees it: history rows,
 * change events and audit entries go straight into their tables, inside the transaction the
 * caller holds (which holds SQLite's write lock, so the audit head it reads cannot move).
 */
import type Database from 'better-sqlite3';
import type { AuditHead, HistoryEntry, HistoryStamp, MutationSink } from '../common/mutation-recorder.js';
import type { AuditRecord, ChangeOp, JsonObject, WriteContext } from '../../core/types.js';
import { AUDIT_HEAD_SQL, INSERT_AUDIT_SQL, INSERT_CHANGE_SQL, INSERT_HISTORY_SQL } from './space-rows.js';

/** The statements a {@link SpaceWrite} runs, prepared once per connection. */
export interface SinkStatements {
  history: Database.Statement;
  change: Database.Statement;
  auditHead: Database.Statement;
  auditInsert: Database.Statement;
}

/** Prepares the statements of {@link SpaceWrite} on a connection. */
export function prepareSinkStatements(db: Database.Database): SinkStatements {
  return {
    history: db.prepare(INSERT_HISTORY_SQL),
    change: db.prepare(INSERT_CHANGE_SQL),
    auditHead: db.prepare(AUDIT_HEAD_SQL),
    auditInsert: db.prepare(INSERT_AUDIT_SQL),
  };
}

/** One caller's part of a write transaction; only valid while that transaction is open. */
export class SpaceWrite implements MutationSink {
  constructor(
    private readonly stmt: SinkStatements,
    readonly ctx: WriteContext,
  ) {}

  history(e: HistoryEntry, stamp?: HistoryStamp): void {
    const actor = stamp === undefined ? this.ctx.actor : stamp.actor;
    const at = stamp === undefined ? this.ctx.now : stamp.at;
    this.stmt.history.run(e.memoryId, e.action, e.oldContent, e.newContent, jsonText(e.oldMetadata), jsonText(e.newMetadata), actor, at);
  }

  change(op: ChangeOp, id: string): void {
    this.stmt.change.run(this.ctx.now, op, id);
  }

  auditHead(): AuditHead | undefined {
    return this.stmt.auditHead.get() as AuditHead | undefined;
  }

  appendAudit(e: AuditRecord): void {
    // `ids` and `details` are stored as the JSON text that was hashed.
    this.stmt.auditInsert.run(e.seq, e.at, e.actor, e.action, JSON.stringify(e.ids), e.requestId, jsonText(e.details), e.prevHash, e.hash);
  }
}

function jsonText(value: JsonObject | null): string | null {
  return value === null ? null : JSON.stringify(value);
}
