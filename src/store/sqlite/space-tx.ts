/**
 * Transactions of one space database. Every write runs in an immediate transaction that first
 * applies the access counts waiting in memory; inserts are group-committed; a committed write
 * that changed rows tells the WAL checkpointer and the change bell. The connection is shared
 * by every request of the process, and better-sqlite3 is synchronous, so a transaction never
 * spans an await.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { MemspaceError } from '../../core/errors.js';
import type { AuditRecord, ChangeOp, JsonObject, WriteContext } from '../../core/types.js';
import type { AccessCounter } from '../common/access-counter.js';
import type { AuditHead, HistoryEntry, HistoryStamp, MutationSink } from '../common/mutation-recorder.js';
import type { ProjectUsageLink } from './project-usage.js';
import type { SpaceStatements } from './space-rows.js';
import { readUsage } from './space-usage.js';
import { sqlite, translateSqliteError } from './sqlite-errors.js';
import type { WalCheckpointer } from './wal-checkpointer.js';

/** A caller's part of the next group commit. */
interface GroupMember {
  /** Writes the caller's rows; runs inside the caller's own savepoint. */
  run: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What {@link SpaceTx} runs on and tells. */
export interface SpaceTxOptions {
  db: Database.Database;
  stmt: SpaceStatements;
  access: AccessCounter;
  wal: WalCheckpointer;
  /** Called after each committed transaction that changed rows (the change feed may have grown). */
  onWrite?: (() => void) | undefined;
  /** For a space of a project: the ledger that reads this space's figures while it is open. */
  projectUsage?: ProjectUsageLink | undefined;
}

/** What reads need of a transaction: driver errors translated (a search thread's read-only connection has no more). */
export interface SpaceReader {
  read<T>(fn: () => T): T;
}

/** The transactions of one open space database. */
export class SpaceTx implements SpaceReader {
  private readonly group: GroupMember[] = [];
  /** Rows this connection has changed so far (SQLite's `total_changes()`), to tell a write from a no-op. */
  private changesSeen: number;
  /** Read sessions in progress (`SpaceStore.read`). */
  private sessions = 0;
  private closed = false;

  constructor(private readonly o: SpaceTxOptions) {
    this.changesSeen = o.stmt.totalChanges.get() as number; // what migrations wrote, the checkpointer found in the WAL
    o.projectUsage?.ledger.opened(o.projectUsage.space, () => readUsage(o.stmt.usage));
  }

  /** What the recorder writes through for `ctx`; only valid inside a write transaction, which holds the write lock. */
  sink(ctx: WriteContext): SpaceWrite {
    return new SpaceWrite(this.o.stmt, ctx);
  }

  /**
   * Group commit: work that arrives while the event loop is busy is written together in one
   * transaction (one fsync), each caller's inside its own savepoint so that one caller's
   * conflict or quota fails only that caller. Every caller is acknowledged only after the
   * shared commit is durable. A storage failure (disk full, I/O error) is no caller's own:
   * SQLite may already have rolled the whole transaction back, so the group fails as one and
   * nothing of it is written.
   */
  grouped(run: () => void): Promise<void> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.group.push({ run, resolve, reject });
      if (this.group.length === 1) setImmediate(() => this.flushGroup());
    });
  }

  /** Writes the waiting group now (also before a close: a space never closes on writes it has accepted). */
  flushGroup(): void {
    const group = this.group.splice(0);
    if (group.length === 0) return;
    const failures: (MemspaceError | undefined)[] = [];
    try {
      this.writeNow(() => {
        for (const member of group) failures.push(this.inSavepoint(member.run));
      });
    } catch (error) {
      const e = translateSqliteError(error); // the commit itself failed: nothing of the group was written
      for (const member of group) member.reject(e);
      return;
    }
    group.forEach((member, i) => (failures[i] === undefined ? member.resolve() : member.reject(failures[i])));
  }

  /** Runs one caller's part in a savepoint (a nested transaction); returns its own failure, throws the group's. */
  private inSavepoint(run: () => void): MemspaceError | undefined {
    try {
      this.o.db.transaction(run)();
      return undefined;
    } catch (error) {
      const e = translateSqliteError(error);
      if (e.code === 'BACKEND_UNAVAILABLE' || !this.o.db.inTransaction) throw e;
      return e;
    }
  }

  /**
   * {@link writeNow}, kept out of read sessions: while one is open the write waits for the next
   * turn of the event loop, which a session that awaits only its own reads has finished by.
   * Without a session it runs at once, before this returns.
   */
  async write<T>(fn: () => T): Promise<T> {
    if (this.sessions > 0) await new Promise((resolve) => setImmediate(resolve));
    return this.writeNow(fn);
  }

  /** Runs `fn` in an immediate write transaction; pending access counts ride along for free. */
  writeNow<T>(fn: () => T): T {
    this.assertOpen();
    const result = sqlite(() =>
      this.o.db
        .transaction(() => {
          this.applyAccess();
          return fn();
        })
        .immediate(),
    );
    const changed = this.o.stmt.totalChanges.get() as number;
    if (changed !== this.changesSeen) {
      this.changesSeen = changed;
      this.o.wal.noteWrite();
      this.o.onWrite?.();
    }
    return result;
  }

  /** Runs a synchronous read (one statement, or several in a transaction of `fn`'s own), driver errors translated. */
  read<T>(fn: () => T): T {
    this.assertOpen();
    return sqlite(fn);
  }

  /** Runs a read session: writes of this store wait until it is over (see {@link write}). */
  async session<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    this.sessions += 1;
    try {
      return await fn();
    } finally {
      this.sessions -= 1;
    }
  }

  /**
   * Writes what is pending (the group, the access counts, the latter best effort since they are
   * advisory) and refuses every later call. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.flushGroup();
    try {
      if (this.o.access.hasPending) this.o.db.transaction(() => this.applyAccess()).immediate();
    } catch {
      // Access counts are advisory; a failure to save them must not keep a space from closing.
    }
    this.o.projectUsage?.ledger.closing(this.o.projectUsage.space, () => readUsage(this.o.stmt.usage));
    this.closed = true;
  }

  /** True once {@link close} ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  private applyAccess(): void {
    for (const p of this.o.access.drain()) this.o.stmt.access.run(p.count, p.at, p.id);
  }

  /** Throws `BACKEND_UNAVAILABLE` once the space is closed: for work that would be wasted on a closed store. */
  assertOpen(): void {
    if (this.closed) throw new MemspaceError('BACKEND_UNAVAILABLE', 'space is closed');
  }
}

/**
 * One caller's part of a write transaction, as the mutation recorder sees it: history rows,
 * change events and audit entries go straight into their tables (the transaction holds
 * SQLite's write lock, so the audit head it reads cannot move).
 */
export class SpaceWrite implements MutationSink {
  constructor(
    private readonly stmt: SpaceStatements,
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
