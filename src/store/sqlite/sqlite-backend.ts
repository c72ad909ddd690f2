import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ChangeBell } from '../../core/change-bell.js';
import { MemspaceError } from '../../core/errors.js';
import type { Backend, ClosedSpaceStats, KeyRecord, ShareRecord } from '../../core/ports/catalog-store.js';
import type { SpaceStore } from '../../core/ports/space-store.js';
import { spaceKey } from '../../core/space-name.js';
import type { SpaceRecord } from '../../core/types.js';
import { annEnabled, effectiveAnnThreshold } from '../../core/vector-search.js';
import { extractSpaceArchive, readArchiveManifest, snapshotDatabase, writeSpaceArchive } from './space-archive.js';
import { damagedError, fileSize, fsyncPath, isDamageCode, listFiles, NEW_MARKER, SPACE_DB, SpaceFiles, sqliteCodeOf } from './space-files.js';
import { EMPTY_FIGURES, readDatabaseFigures } from './space-inspect.js';
import { migrate } from './space-schema.js';
import { sqlite, translateSqliteError } from './sqlite-errors.js';
import { HnswJobRunner } from './ann-jobs.js';
import type { SyncMode } from './space-database.js';
import { type AnnOptions, DEFAULT_HNSW_PARAMS } from './space-search.js';
import { SqliteSpaceStore } from './sqlite-space-store.js';

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
   * scanned exactly. `0` or `Infinity` turns the index off (see `effectiveAnnThreshold`).
   * @default 10000 (`DEFAULT_ANN_THRESHOLD` of core/vector-search.ts)
   */
  annThreshold?: number;
  /** Clock for the times archives record and the stores' bookkeeping, in epoch milliseconds. @default Date.now */
  now?: () => number;
}

/**
 * The embedded backend: a catalogue database plus one directory and database per space, so
 * that no query can reach another space's rows by forgetting a condition.
 *
 * Storage is lazy: creating a space writes its catalogue row and an empty directory holding the
 * marker {@link NEW_MARKER}; the database is created on first open. A hundred thousand spaces
 * never used cost a row and a directory each.
 *
 * Lifecycle steps that span the catalogue and the files (archive, restore) use the row's
 * `state` as the commit point and clean what an interrupted step left on the next call. They
 * assume one process works on a given space at a time (the registry of that process
 * serialises them); two processes archiving the same space at once are not coordinated.
 */
export class SqliteBackend implements Backend {
  private readonly catalog: Database.Database;
  private readonly files: SpaceFiles;
  private readonly spacesDir: string;
  private readonly sync: SyncMode;
  private readonly ann: AnnOptions | undefined;
  private readonly now: () => number;
  /** One process owns a data directory, so its own writes are all the rings there are. */
  readonly changeBell = new ChangeBell();

  constructor(options: SqliteBackendOptions) {
    this.sync = options.sync ?? 'full';
    this.now = options.now ?? Date.now;
    this.files = new SpaceFiles(options.dataDir);
    const threshold = effectiveAnnThreshold(options.annThreshold);
    // One job runner for every space: index builds take turns rather than fight for the cores.
    this.ann = annEnabled(threshold) ? { threshold, params: DEFAULT_HNSW_PARAMS, runner: new HnswJobRunner() } : undefined;
    this.spacesDir = this.files.spacesDir;
    this.catalog = sqlite(() => {
      mkdirSync(this.spacesDir, { recursive: true });
      return whileBusy(() => openCatalog(join(options.dataDir, 'catalog.db')));
    });
  }

  /** Directory of a space's files; the name was validated, so it cannot leave `spaces/`. */
  spaceDir(name: string): string {
    return this.files.dir(name);
  }

  /** Path of a space's archive file (it exists only while the space is archived). */
  archiveFile(name: string): string {
    return this.files.archive(name);
  }

  async createSpace(record: SpaceRecord): Promise<void> {
    sqlite(() =>
      this.catalog
        .transaction(() => {
          const taken = this.catalog.prepare('SELECT name FROM spaces WHERE name = ?').get(record.name) as { name: string } | undefined;
          if (taken) throw new MemspaceError('CONFLICT', `space "${taken.name}" already exists`, { name: taken.name });
          // A directory or archive without a catalogue row is what a crash mid-create or mid-delete leaves: garbage.
          const dir = this.spaceDir(record.name);
          this.removeFiles(record.name);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, NEW_MARKER), '');
          // Durable before the row commits, so a listed space never lacks its directory after a power loss.
          fsyncPath(dir);
          fsyncPath(this.spacesDir);
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
          this.removeFiles(row.name);
          return true;
        })
        .immediate(),
    );
  }

  /**
   * Opens a space's database, creating it on the first open of a new space (the marker
   * {@link NEW_MARKER} is removed afterwards; should that removal be lost, the next open sees the
   * marker beside the database and simply opens it). A missing directory, a directory without
   * database or marker, and a file SQLite finds corrupt or unreadable are
   * `BACKEND_UNAVAILABLE` with `details: { name, damaged: true, reason }`. An archived space is
   * `SPACE_ARCHIVED`.
   */
  async openSpace(record: SpaceRecord): Promise<SpaceStore> {
    if (record.state === 'archived') throw archivedError(record.name);
    const dir = this.spaceDir(record.name);
    const file = this.files.db(record.name);
    const marker = this.files.marker(record.name);
    const isNew = existsSync(marker);
    if (!isNew && !existsSync(file)) {
      throw damagedError(record.name, existsSync(dir) ? `${SPACE_DB} is missing` : 'space directory is missing');
    }
    let store: SqliteSpaceStore;
    try {
      const key = spaceKey(record.name);
      store = new SqliteSpaceStore(file, record.dimension, {
        sync: this.sync,
        create: isNew,
        now: this.now,
        onWrite: () => this.changeBell.ring(key),
        ...(this.ann !== undefined && { ann: this.ann }),
      });
    } catch (error) {
      const code = sqliteCodeOf(error);
      if (isDamageCode(code)) throw damagedError(record.name, `database cannot be opened (${code})`, error);
      throw translateSqliteError(error);
    }
    if (isNew) rmSync(marker, { force: true });
    return store;
  }

  /**
   * Figures of a closed space read from its files. The database is opened read-only (nothing
   * migrated, nothing checkpointed) when a WAL is present; when there is none it is opened
   * read-write without writing anything, because a read-only connection would leave new empty
   * `-wal` and `-shm` files behind, while a read-write one removes them itself as it closes (and
   * only when no other connection holds the database). A space never opened is all zeros.
   *
   * An archived space reports the figures its manifest recorded when it was archived, with
   * `bytes` the archive's size; reading them decompresses only the manifest. Callers that
   * want nothing from an archive should not call this for archived spaces.
   */
  async inspectSpace(record: SpaceRecord): Promise<ClosedSpaceStats> {
    if (record.state === 'archived') {
      const file = this.files.archive(record.name);
      if (!existsSync(file)) throw damagedError(record.name, 'archive file is missing');
      const manifest = await readArchiveManifest(record.name, file);
      return { ...manifest.figures, bytes: fileSize(file), walBytes: 0, uncheckpointedSince: null };
    }
    const files = listFiles(this.spaceDir(record.name));
    if (files === undefined) throw damagedError(record.name, 'space directory is missing');
    let bytes = 0;
    for (const stat of files.values()) bytes += stat.size;
    const wal = files.get(`${SPACE_DB}-wal`);
    const walBytes = wal?.size ?? 0;
    // The WAL's mtime is when it was last written, so it is an upper bound of the oldest write
    // not yet checkpointed: honest in that the lag it implies is never overstated.
    const uncheckpointedSince = wal !== undefined && walBytes > 0 ? Math.floor(wal.mtimeMs) : null;
    if (!files.has(SPACE_DB)) {
      if (files.has(NEW_MARKER)) return { ...EMPTY_FIGURES, bytes, walBytes, uncheckpointedSince: null };
      throw damagedError(record.name, `${SPACE_DB} is missing`);
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(this.files.db(record.name), { readonly: wal !== undefined, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      return { ...readDatabaseFigures(db), bytes, walBytes, uncheckpointedSince };
    } catch (error) {
      const code = sqliteCodeOf(error);
      if (isDamageCode(code)) throw damagedError(record.name, `database cannot be read (${code})`, error);
      throw translateSqliteError(error);
    } finally {
      db?.close();
    }
  }

  /**
   * Archives a closed space (see {@link Backend.archiveSpace}). Steps, the catalogue row's
   * state being the commit point: clean leftovers of an interrupted run; snapshot the database
   * with `VACUUM INTO`; write the archive under a temporary name, fsync it, rename it, fsync
   * `archive/`; set the state `archived`; remove the space's directory. A crash before the state
   * change leaves the space as it was (a stray archive of a live space is removed by the next
   * archive or restore call); after it, the archive is complete and a stale directory is
   * removed by the next call. A space whose database was never created is archived as a
   * manifest alone and comes back new. `CONFLICT` when already archived.
   */
  async archiveSpace(name: string): Promise<{ bytes: number }> {
    const record = await this.requireSpace(name);
    this.removeLeftovers(record);
    if (record.state === 'archived') throw new MemspaceError('CONFLICT', `space "${record.name}" is already archived`, { space: record.name });
    const dbFile = this.files.db(record.name);
    const hasDb = existsSync(dbFile);
    if (!hasDb && !existsSync(this.files.marker(record.name))) {
      throw damagedError(record.name, existsSync(this.spaceDir(record.name)) ? `${SPACE_DB} is missing` : 'space directory is missing');
    }
    mkdirSync(this.files.archiveDir, { recursive: true });
    const snapshot = this.files.snapshotTemp(record.name);
    const temp = this.files.archiveTemp(record.name);
    const target = this.files.archive(record.name);
    try {
      const figures = hasDb ? snapshotDatabase(record.name, dbFile, snapshot) : EMPTY_FIGURES;
      await writeSpaceArchive(temp, { name: record.name, snapshot: hasDb ? snapshot : null, figures, now: this.now() });
      renameSync(temp, target);
      fsyncPath(this.files.archiveDir);
    } catch (error) {
      this.files.removeTemps(record.name);
      throw translateFsError(error);
    } finally {
      rmSync(snapshot, { force: true });
    }
    this.setState(record.name, 'archived');
    rmSync(this.spaceDir(record.name), { recursive: true, force: true });
    return { bytes: statSync(target).size };
  }

  /**
   * Restores an archived space (see {@link Backend.restoreSpace}): extract into a temporary
   * directory under `spaces/`, check the database's SHA-256, fsync, replace whatever directory
   * an interrupted run left, rename into place, fsync `spaces/`, set the state `idle`, remove
   * the archive. A crash before the state change leaves the space archived with its archive
   * intact; after it, a stray archive is removed by the next call. A missing or damaged
   * archive is `BACKEND_UNAVAILABLE` with `details.damaged`; `CONFLICT` when not archived.
   */
  async restoreSpace(name: string): Promise<void> {
    const record = await this.requireSpace(name);
    this.removeLeftovers(record);
    if (record.state !== 'archived') throw new MemspaceError('CONFLICT', `space "${record.name}" is not archived`, { space: record.name });
    const archive = this.files.archive(record.name);
    if (!existsSync(archive)) throw damagedError(record.name, 'archive file is missing');
    const temp = this.files.restoreTemp(record.name);
    const dir = this.spaceDir(record.name);
    try {
      mkdirSync(temp, { recursive: true });
      const manifest = await extractSpaceArchive(record.name, archive, temp);
      if (manifest.name.toLowerCase() !== record.name.toLowerCase()) throw damagedError(record.name, `the archive holds space "${manifest.name}"`);
      if (manifest.database === null) writeFileSync(join(temp, NEW_MARKER), '');
      fsyncPath(temp);
      rmSync(dir, { recursive: true, force: true });
      renameSync(temp, dir);
      fsyncPath(this.spacesDir);
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      throw translateFsError(error);
    }
    this.setState(record.name, 'idle');
    rmSync(archive, { force: true });
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

  private async requireSpace(name: string): Promise<SpaceRecord> {
    const record = await this.getSpace(name);
    if (record === undefined) throw new MemspaceError('SPACE_NOT_FOUND', `space "${name}" not found`, { space: name });
    return record;
  }

  /** Sets a space's lifecycle state without touching the rest of its record (nor `updatedAt`). */
  private setState(name: string, state: SpaceRecord['state']): void {
    const result = sqlite(() => this.catalog.prepare('UPDATE spaces SET state = ? WHERE name = ?').run(state, name));
    if (result.changes === 0) throw new MemspaceError('SPACE_NOT_FOUND', `space "${name}" not found`, { space: name });
  }

  /**
   * Removes what an interrupted archive or restore left, judged by the committed state: temp
   * files always; for an archived space its directory (the archive is complete); for any
   * other its archive (the space's directory is the truth).
   */
  private removeLeftovers(record: SpaceRecord): void {
    this.files.removeTemps(record.name);
    if (record.state === 'archived') rmSync(this.spaceDir(record.name), { recursive: true, force: true });
    else rmSync(this.files.archive(record.name), { force: true });
  }

  /** Removes every file of a space: directory, archive, temporaries. */
  private removeFiles(name: string): void {
    this.files.removeTemps(name);
    rmSync(this.spaceDir(name), { recursive: true, force: true });
    rmSync(this.files.archive(name), { force: true });
  }
}

function archivedError(name: string): MemspaceError {
  return new MemspaceError('SPACE_ARCHIVED', `space "${name}" is archived; restore it first`, { space: name });
}

/** File-system failures (disk full, read-only, permissions) mean the storage cannot serve now; other errors pass as they are. */
function translateFsError(error: unknown): MemspaceError {
  if (error instanceof MemspaceError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new MemspaceError('BACKEND_UNAVAILABLE', 'storage cannot serve this request; nothing was changed', { errno: code }, { cause: error });
  }
  return translateSqliteError(error);
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
