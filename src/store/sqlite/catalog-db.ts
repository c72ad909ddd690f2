/** The catalogue database of the embedded backend: its tables and how it is opened. */
import Database from 'better-sqlite3-multiple-ciphers';
import type { JsonColumn } from '../common/catalog-rows.js';
import { useWal, whileBusy } from './space-database.js';
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
  `
  ALTER TABLE spaces ADD COLUMN project TEXT COLLATE NOCASE;          -- null: the space belongs to no project
  ALTER TABLE spaces ADD COLUMN inherited TEXT NOT NULL DEFAULT '[]'; -- JSON array of settings taken from the project
  ALTER TABLE spaces ADD COLUMN encryption INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX spaces_project ON spaces(project, name);
  `,
  `
  -- Keys of encrypted spaces, wrapped by the master key (space-keys.ts); never in a space's directory.
  CREATE TABLE space_keys (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    wrapped BLOB NOT NULL,                  -- version, IV, AES-256-GCM ciphertext and tag
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE keyring (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID; -- master_fingerprint
  `,
  `
  -- Federations (sqlite-federation-store.ts): ε is kept in millionths, so budgets add up exactly.
  CREATE TABLE federations (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    mechanism TEXT NOT NULL,
    epsilon_micro INTEGER NOT NULL,
    delta REAL,
    min_participants INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT,
    release_seq INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE TABLE federation_participants (
    federation_id TEXT NOT NULL,
    space TEXT NOT NULL COLLATE NOCASE,
    space_created_at INTEGER NOT NULL,      -- a later space of the same name is another participant
    privacy TEXT NOT NULL,
    alias TEXT NOT NULL,
    budget_micro INTEGER NOT NULL,
    spent_micro INTEGER NOT NULL,
    joined_at INTEGER NOT NULL,
    withdrawn_at INTEGER,
    withdraw_reason TEXT,
    contributions INTEGER NOT NULL,
    clipped INTEGER NOT NULL,
    last_contribution_at INTEGER,
    PRIMARY KEY (federation_id, space)
  ) WITHOUT ROWID;
  CREATE INDEX federation_participants_space ON federation_participants(space);
  CREATE TABLE federation_releases (
    federation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    mechanism TEXT NOT NULL,
    epsilon_micro INTEGER NOT NULL,
    delta REAL,
    contributors INTEGER NOT NULL,
    result TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT,
    PRIMARY KEY (federation_id, seq)
  ) WITHOUT ROWID;
  `,
  `
  -- Projects (sqlite-project-store.ts): named groups of spaces; a space names its project in spaces.project.
  CREATE TABLE projects (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    description TEXT NOT NULL,
    owner TEXT NOT NULL,                    -- key id of the creator, 'local' for the data directory's holder
    labels TEXT NOT NULL,
    defaults TEXT NOT NULL,                 -- JSON: what its spaces inherit
    quotas TEXT NOT NULL,                   -- JSON: totals across its spaces
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // A space's consolidation settings (core/types.ts ConsolidationSettings); '{}' is the defaults.
  `
  ALTER TABLE spaces ADD COLUMN consolidation TEXT NOT NULL DEFAULT '{}';
  `,
  // A space's feedback settings (core/types.ts FeedbackSettings); '{}' is the defaults.
  `
  ALTER TABLE spaces ADD COLUMN feedback TEXT NOT NULL DEFAULT '{}';
  `,
];

/**
 * Opens (creating and migrating if need be) the catalogue database. Two processes opening one
 * fresh data directory can meet a lock SQLite does not wait for itself, so it tries again.
 * `exclusive` keeps every other process out while it is open (SQLite's exclusive locking mode).
 */
export function openCatalog(file: string, options: { exclusive?: boolean } = {}): Database.Database {
  const exclusive = options.exclusive === true;
  const open = (): Database.Database => {
    const db = new Database(file);
    try {
      // First: another process may be creating the same fresh catalogue, and switching it to
      // WAL needs a lock that is then worth waiting for rather than failing on. Exclusive (key
      // rotation) does not wait: the lock, once taken, is kept until close, and another process
      // holding the catalogue makes it busy at once.
      db.pragma(`busy_timeout = ${exclusive ? 0 : 5000}`);
      if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
      useWal(db);
      db.pragma('synchronous = FULL');
      // A deleted space key's bytes are overwritten, not left in free pages (crypto-shredding).
      db.pragma('secure_delete = ON');
      migrate(db, CATALOG_MIGRATIONS);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  };
  return exclusive ? open() : whileBusy(open);
}
