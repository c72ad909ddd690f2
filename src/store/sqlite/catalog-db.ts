/** The catalogue database of the embedded backend: its tables and how it is opened. */
import Database from 'better-sqlite3';
import type { JsonColumn } from '../common/catalog-rows.js';
import { migrate } from './space-schema.js';

/** JSON columns of the catalogue are text. */
export const JSON_TEXT: JsonColumn<string> = { decode: (text) => JSON.parse(text) as unknown, encode: (value) => JSON.stringify(value) };

const CATALOG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE spaces (
    name TEXT PRIMARY KEY COLLATE NOCASE,    -- unique whatever the case: file systems differ
    description TEXT NOT NULL,
    isolation TEXT NOT NULL,
    sensitivity TEXT NOT NULL,
    retention_days INTEGER,
    quotas TEXT NOT NULL,
    labels TEXT NOT NULL,
    embedder TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    state TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,              -- sha256 of the key; the key itself is never stored
    grants TEXT NOT NULL,                   -- JSON array of grants
    default_space TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE shares (
    id TEXT PRIMARY KEY,
    space TEXT NOT NULL COLLATE NOCASE,     -- the space shared
    to_space TEXT COLLATE NOCASE,           -- readers of this space may read it ...
    to_key TEXT,                            -- ... or this key may
    role TEXT NOT NULL,
    tags TEXT,                              -- JSON array: only memories with one of these tags
    created_at INTEGER NOT NULL,
    created_by TEXT
  ) WITHOUT ROWID;
  CREATE INDEX shares_space ON shares(space);
  CREATE INDEX shares_to_space ON shares(to_space);
  `,
];

/**
 * Opens (creating and migrating if need be) the catalogue database. Two processes opening one
 * fresh data directory can meet a lock SQLite does not wait for itself, so it tries again.
 */
export function openCatalog(file: string): Database.Database {
  return whileBusy(() => {
    const db = new Database(file);
    try {
      // First: another process may be creating the same fresh catalogue, and switching it to
      // WAL needs a lock that is then worth waiting for rather than failing on.
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      migrate(db, CATALOG_MIGRATIONS);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  });
}

/**
 * Runs `fn` again while SQLite reports the database busy, for up to about five seconds. Two
 * processes opening one fresh data directory can meet a lock that SQLite does not wait for
 * itself (while the other turns the new file into WAL mode), so a second try is the fix.
 */
function whileBusy<T>(fn: () => T): T {
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
