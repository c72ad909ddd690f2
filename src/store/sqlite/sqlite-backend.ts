import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemspaceError } from '../../core/errors.js';
import type { Backend, KeyRecord, ShareRecord } from '../../core/ports/catalog-store.js';
import type { SpaceStore } from '../../core/ports/space-store.js';
import type { SpaceRecord } from '../../core/types.js';
import { migrate } from './space-schema.js';
import { sqlite } from './sqlite-errors.js';
import { HnswJobRunner } from './ann-jobs.js';
import { type AnnOptions, DEFAULT_HNSW_PARAMS, openSpaceDatabase, SqliteSpaceStore, type SyncMode } from './sqlite-space-store.js';

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

/** Options of the embedded backend. */
export interface SqliteBackendOptions {
  /** Directory holding `catalog.db` and `spaces/`. */
  dataDir: string;
  /** Durability of acknowledged writes; see {@link SyncMode}. @default 'full' */
  sync?: SyncMode;
  /**
   * Spaces with at least this many memories search through an HNSW index; smaller ones are
   * scanned exactly. `Infinity` turns the index off. @default {@link DEFAULT_ANN_THRESHOLD}
   */
  annThreshold?: number;
}

/** Measured crossover of exact scan and HNSW search on the reference machine (bench/RESULTS.md). */
export const DEFAULT_ANN_THRESHOLD = 10_000;

/**
 * The embedded backend: a catalogue database plus one directory and database per space, so
 * that no query can reach another space's rows by forgetting a condition.
 */
export class SqliteBackend implements Backend {
  private readonly catalog: Database.Database;
  private readonly spacesDir: string;
  private readonly sync: SyncMode;
  private readonly ann: AnnOptions | undefined;

  constructor(options: SqliteBackendOptions) {
    this.sync = options.sync ?? 'full';
    const threshold = options.annThreshold ?? DEFAULT_ANN_THRESHOLD;
    // One job runner for every space: index builds take turns rather than fight for the cores.
    this.ann = Number.isFinite(threshold) ? { threshold, params: DEFAULT_HNSW_PARAMS, runner: new HnswJobRunner() } : undefined;
    this.spacesDir = join(options.dataDir, 'spaces');
    this.catalog = sqlite(() => {
      mkdirSync(this.spacesDir, { recursive: true });
      return whileBusy(() => openCatalog(join(options.dataDir, 'catalog.db')));
    });
  }

  /** Directory of a space's files; the name was validated, so it cannot leave `spaces/`. */
  spaceDir(name: string): string {
    return join(this.spacesDir, name);
  }

  async createSpace(record: SpaceRecord): Promise<void> {
    sqlite(() =>
      this.catalog
        .transaction(() => {
          const taken = this.catalog.prepare('SELECT name FROM spaces WHERE name = ?').get(record.name) as { name: string } | undefined;
          if (taken) throw new MemspaceError('CONFLICT', `space "${taken.name}" already exists`, { name: taken.name });
          // A directory without a catalogue row is what a crash mid-create or mid-delete leaves: garbage.
          const dir = this.spaceDir(record.name);
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir, { recursive: true });
          openSpaceDatabase(join(dir, 'space.db'), { create: true, sync: this.sync }).close();
          this.catalog.prepare(`INSERT INTO spaces VALUES (@name, @description, @isolation, @sensitivity, @retention_days,
            @quotas, @labels, @embedder, @dimension, @created_at, @updated_at, @state)`).run(toRow(record));
        })
        .immediate(),
    );
  }

  async getSpace(name: string): Promise<SpaceRecord | undefined> {
    const row = sqlite(() => this.catalog.prepare('SELECT * FROM spaces WHERE name = ?').get(name) as SpaceRow | undefined);
    return row && fromRow(row);
  }

  async listSpaces(options: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<SpaceRecord[]> {
    // Names hold no LIKE wildcards except "_", so escape it and match the prefix literally.
    const like = options.prefix === undefined ? '%' : `${options.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = sqlite(
      () =>
        this.catalog
          .prepare(`SELECT * FROM spaces WHERE name LIKE ? ESCAPE '\\' AND name > ? ORDER BY name LIMIT ?`)
          .all(like, options.after ?? '', options.limit) as SpaceRow[],
    );
    return rows.map(fromRow);
  }

  async updateSpace(record: SpaceRecord): Promise<void> {
    const result = sqlite(() =>
      this.catalog
        .prepare(`UPDATE spaces SET description = @description, isolation = @isolation, sensitivity = @sensitivity,
          retention_days = @retention_days, quotas = @quotas, labels = @labels, updated_at = @updated_at, state = @state WHERE name = @name`)
        .run(toRow(record)),
    );
    if (result.changes === 0) throw new MemspaceError('SPACE_NOT_FOUND', `space "${record.name}" not found`);
  }

  async deleteSpace(name: string): Promise<boolean> {
    // Under the catalogue's write lock, so a concurrent create of the same name in another
    // process cannot have its fresh directory removed. Should the process die after the files
    // are gone but before the commit, the space remains listed with missing storage, and a
    // second delete finishes the job.
    return sqlite(() =>
      this.catalog
        .transaction(() => {
          const row = this.catalog.prepare('SELECT name FROM spaces WHERE name = ?').get(name) as { name: string } | undefined;
          if (row === undefined) return false;
          this.catalog.prepare('DELETE FROM spaces WHERE name = ?').run(row.name);
          // Shares from and to the space go with it: a later space of the same name inherits nothing.
          this.catalog.prepare('DELETE FROM shares WHERE space = @name OR to_space = @name').run({ name: row.name });
          rmSync(this.spaceDir(row.name), { recursive: true, force: true });
          return true;
        })
        .immediate(),
    );
  }

  async openSpace(record: SpaceRecord): Promise<SpaceStore> {
    const file = join(this.spaceDir(record.name), 'space.db');
    if (!existsSync(file)) {
      throw new MemspaceError('BACKEND_UNAVAILABLE', `storage of space "${record.name}" is missing`, { name: record.name });
    }
    return new SqliteSpaceStore(file, record.dimension, { sync: this.sync, ...(this.ann !== undefined && { ann: this.ann }) });
  }

  async createKey(record: KeyRecord): Promise<void> {
    sqlite(() =>
      this.catalog
        .prepare('INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(record.id, record.name, record.hash, JSON.stringify(record.grants), record.defaultSpace, record.createdAt, record.revokedAt),
    );
  }

  async findKeyByHash(hash: string): Promise<KeyRecord | undefined> {
    const row = sqlite(() => this.catalog.prepare('SELECT * FROM keys WHERE hash = ?').get(hash) as KeyRow | undefined);
    return row && keyFromRow(row);
  }

  async listKeys(): Promise<KeyRecord[]> {
    return sqlite(() => this.catalog.prepare('SELECT * FROM keys ORDER BY created_at, id').all() as KeyRow[]).map(keyFromRow);
  }

  async revokeKey(id: string, at: number): Promise<boolean> {
    return sqlite(() => this.catalog.prepare('UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0);
  }

  async createShare(r: ShareRecord): Promise<void> {
    sqlite(() =>
      this.catalog
        .prepare('INSERT INTO shares VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(r.id, r.space, r.toSpace, r.toKey, r.role, r.tags === null ? null : JSON.stringify(r.tags), r.createdAt, r.createdBy),
    );
  }

  async listShares(space: string): Promise<ShareRecord[]> {
    const rows = sqlite(() => this.catalog.prepare('SELECT * FROM shares WHERE space = ? ORDER BY created_at, id').all(space) as Record<string, unknown>[]);
    return rows.map((r) => ({
      id: r['id'] as string,
      space: r['space'] as string,
      toSpace: r['to_space'] as string | null,
      toKey: r['to_key'] as string | null,
      role: 'read',
      tags: r['tags'] === null ? null : (JSON.parse(r['tags'] as string) as string[]),
      createdAt: r['created_at'] as number,
      createdBy: r['created_by'] as string | null,
    }));
  }

  async deleteShare(space: string, id: string): Promise<boolean> {
    return sqlite(() => this.catalog.prepare('DELETE FROM shares WHERE space = ? AND id = ?').run(space, id).changes > 0);
  }

  async close(): Promise<void> {
    if (this.catalog.open) this.catalog.close();
  }
}

interface KeyRow {
  id: string;
  name: string;
  hash: string;
  grants: string;
  default_space: string | null;
  created_at: number;
  revoked_at: number | null;
}

function keyFromRow(r: KeyRow): KeyRecord {
  return {
    id: r.id,
    name: r.name,
    hash: r.hash,
    grants: JSON.parse(r.grants) as KeyRecord['grants'],
    defaultSpace: r.default_space,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

interface SpaceRow {
  name: string;
  description: string;
  isolation: string;
  sensitivity: string;
  retention_days: number | null;
  quotas: string;
  labels: string;
  embedder: string;
  dimension: number;
  created_at: number;
  updated_at: number;
  state: string;
}

function toRow(r: SpaceRecord): SpaceRow {
  return {
    name: r.name,
    description: r.description,
    isolation: r.isolation,
    sensitivity: r.sensitivity,
    retention_days: r.retentionDays,
    quotas: JSON.stringify(r.quotas),
    labels: JSON.stringify(r.labels),
    embedder: r.embedder,
    dimension: r.dimension,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    state: r.state,
  };
}

function fromRow(r: SpaceRow): SpaceRecord {
  return {
    name: r.name,
    description: r.description,
    isolation: r.isolation as SpaceRecord['isolation'],
    sensitivity: r.sensitivity as SpaceRecord['sensitivity'],
    retentionDays: r.retention_days,
    quotas: JSON.parse(r.quotas) as SpaceRecord['quotas'],
    labels: JSON.parse(r.labels) as SpaceRecord['labels'],
    embedder: r.embedder,
    dimension: r.dimension,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    state: r.state as SpaceRecord['state'],
  };
}

/** Opens (creating and migrating if need be) the catalogue database. */
function openCatalog(file: string): Database.Database {
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
