/**
 * The database file of one space: opening it with the pragmas every connection needs, its
 * identity, its disk budget and its size on disk.
 */
import { dirname } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { MemspaceError } from '../../core/errors.js';
import { DATABASE_CIPHER } from './space-keys.js';
import { migrateSpace } from './space-schema.js';
import { directoryBytes, fileBytes } from './space-files.js';
import { sqlite } from './sqlite-errors.js';
import { CHECKPOINT_WAL_BYTES } from './wal-checkpointer.js';

/** How an acknowledged write reaches the disk. */
export type SyncMode = 'full' | 'normal';

/** How {@link openSpaceDatabase} opens a space database. */
export interface SpaceDatabaseOptions {
  /**
   * `full` fsyncs the WAL at every commit, so an acknowledged write survives power loss;
   * `normal` survives `kill -9` but may lose the last commits on power loss.
   * @default 'full'
   */
  sync?: SyncMode;
  /** Create the database if missing (only when a space is created). @default false */
  create?: boolean;
  /** The raw key of an encrypted space's database (space-keys.ts); undefined for a plain one. */
  key?: string | undefined;
}

/**
 * Makes a fresh connection read and write its database encrypted with `key` (64 hex digits):
 * every page of the file and of its WAL, with SQLite3 Multiple Ciphers' {@link DATABASE_CIPHER}.
 * Temporary tables and sort spills stay in memory, since SQLite's temporary files are not
 * encrypted. Call before any other statement; a wrong key fails the first read with
 * `SQLITE_NOTADB`. Nothing for a plain database (`key` undefined).
 */
export function useDatabaseKey(db: Database.Database, key: string | undefined): void {
  if (key === undefined) return;
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error('a database key is 64 lowercase hex digits');
  db.pragma(`cipher = '${DATABASE_CIPHER}'`);
  db.pragma(`key = "x'${key}'"`);
  db.pragma('temp_store = MEMORY');
}

/** Opens (and migrates) a space database with the pragmas every connection needs; see {@link whileBusy}. */
export function openSpaceDatabase(file: string, options: SpaceDatabaseOptions = {}): Database.Database {
  return whileBusy(() => openOnce(file, options));
}

function openOnce(file: string, options: SpaceDatabaseOptions): Database.Database {
  const db = new Database(file, { fileMustExist: options.create !== true });
  try {
    useDatabaseKey(db, options.key);
    db.pragma('busy_timeout = 5000'); // before anything that may wait for another process's lock
    useWal(db);
    db.pragma(`synchronous = ${options.sync === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    // The store checkpoints after the acknowledgement (WalCheckpointer), not inside a commit.
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${CHECKPOINT_WAL_BYTES}`);
    migrateSpace(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Puts a database in WAL mode. Setting the journal mode may answer SQLITE_BUSY at once, without
 * waiting for the busy timeout, while another process has the database open: so only a database
 * not yet in WAL (a new one) sets it.
 */
export function useWal(db: Database.Database): void {
  if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') db.pragma('journal_mode = WAL');
}

/** The database's unique id (set by its first migration), which derived index files must match; empty when absent. */
export function databaseUid(db: Database.Database): string {
  return (db.prepare(`SELECT value FROM meta WHERE key = 'uid'`).pluck().get() as string | undefined) ?? '';
}

/**
 * Sets SQLite's `max_page_count` on the connection: a write that would grow the database past
 * it fails as a full disk would (`SQLITE_FULL`, so `BACKEND_UNAVAILABLE`) and writes nothing.
 * It can be lowered down to the pages in use; returns the budget now in force, in pages.
 */
export function setMaxPageCount(db: Database.Database, pages: number): number {
  if (!Number.isSafeInteger(pages) || pages <= 0) throw new MemspaceError('VALIDATION_FAILED', 'maxPageCount must be a positive integer');
  return sqlite(() => db.pragma(`max_page_count = ${pages}`, { simple: true }) as number);
}

/** Bytes of every file of the space (database, WAL, index files) and of its WAL alone. */
export function spaceFileBytes(file: string): { bytes: number; walBytes: number } {
  return { bytes: directoryBytes(dirname(file)), walBytes: fileBytes(`${file}-wal`) };
}

/**
 * Runs `fn` again while SQLite reports the database busy, for up to about five seconds. Two
 * processes opening one fresh database (the catalogue of a new data directory, a space's file
 * made on its first use) can meet a lock that SQLite does not wait for itself (while the other
 * turns the new file into WAL mode), so a second try is the fix.
 */
export function whileBusy<T>(fn: () => T): T {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      const busy = typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
      if (!busy || attempt >= 50) throw error;
      Atomics.wait(pause, 0, 0, 100); // a synchronous sleep: the constructor cannot await
    }
  }
}
