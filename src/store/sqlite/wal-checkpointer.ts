import type Database from 'better-sqlite3-multiple-ciphers';
import { fileBytes } from './space-files.js';

/** A write older than this is checkpointed into the database file. */
export const CHECKPOINT_AFTER_MS = 1000;
/**
 * A WAL larger than this is checkpointed at once. The connection's `journal_size_limit` is set
 * to the same figure (openSpaceDatabase), so that a WAL restarted after a checkpoint is cut
 * back to it and its size keeps meaning "frames written since".
 */
export const CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024;

/**
 * Checkpoints of one space database, taken out of SQLite's hands (`wal_autocheckpoint = 0`):
 * SQLite's own checkpoint runs inside the commit that crosses 1,000 pages, on the path that
 * acknowledges a write. Here a write only notes the time; a checkpoint runs later, from
 * `setImmediate` or an unref'd timer, once the oldest uncheckpointed write is
 * {@link CHECKPOINT_AFTER_MS} old or the WAL passes {@link CHECKPOINT_WAL_BYTES}. Durability
 * is unchanged: a committed write is in the WAL, fsynced as `synchronous` says, before it is
 * acknowledged; a checkpoint only copies it into the database file.
 */
export class WalCheckpointer {
  private dirtySince: number | null = null;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly walFile: string,
    private readonly now: () => number,
  ) {
    // Frames left by a process that stopped without closing: their age is unknown, so from now.
    if (fileBytes(walFile) > 0) this.noteWrite();
  }

  /** Time of the oldest write not yet checkpointed, or null. */
  get uncheckpointedSince(): number | null {
    return this.dirtySince;
  }

  /** Records a committed write and schedules a check, outside the caller's path. */
  noteWrite(): void {
    if (this.closed) return;
    this.dirtySince ??= this.now();
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.check();
    });
  }

  /** Checkpoints when due, then waits for the next due time if frames remain. */
  private check(): void {
    if (this.closed || this.dirtySince === null) return;
    const due = this.dirtySince + CHECKPOINT_AFTER_MS;
    if (this.now() >= due || fileBytes(this.walFile) > CHECKPOINT_WAL_BYTES) this.checkpoint();
    if (this.dirtySince === null || this.timer !== undefined) return;
    // Not due yet: wait for the rest. Due but incomplete (a reader holds an old snapshot, or
    // the disk is full): try again a whole period later rather than spin.
    const wait = Math.max(due - this.now(), 0) || CHECKPOINT_AFTER_MS;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.check();
    }, wait).unref();
  }

  private checkpoint(): void {
    try {
      const [r] = this.db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      if (r !== undefined && r.busy === 0 && r.checkpointed === r.log) this.dirtySince = null;
    } catch {
      // A checkpoint that fails (disk full, I/O error) loses nothing: the frames stay in the WAL
      // and the next check tries again.
    }
  }

  /**
   * Stops scheduling and checkpoints everything, truncating the WAL, before the connection
   * closes. Best effort: on failure the WAL stays and the next open replays it.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.timer !== undefined) clearTimeout(this.timer);
    try {
      const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      if (r !== undefined && r.busy === 0) this.dirtySince = null;
    } catch {
      // See above: the frames are safe in the WAL.
    }
  }
}
