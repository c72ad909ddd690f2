import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { ChangeBell } from '../../core/change-bell.js';
import { MemspaceError } from '../../core/errors.js';
import type { ClosedConsolidationStats, ClosedSpaceStats, SpaceCatalog } from '../../core/ports/space-catalog.js';
import type { SpaceStore } from '../../core/ports/space-store.js';
import { spaceKey } from '../../core/space-name.js';
import type { SpaceRecord } from '../../core/types.js';
import { prefixPattern, spaceColumns, spaceFromRow, type SpaceRow } from '../common/catalog-rows.js';
import { JSON_TEXT } from './catalog-db.js';
import { NO_CONSOLIDATION, readClosedConsolidation } from './consolidation-stats.js';
import { readArchiveManifest } from './space-archive.js';
import { type SyncMode, useDatabaseKey } from './space-database.js';
import { damagedError, fileBytes, fsyncPath, isDamageCode, listFiles, NEW_MARKER, SPACE_DB, type SpaceFiles, sqliteCodeOf } from './space-files.js';
import { EMPTY_FIGURES, readDatabaseFigures } from './space-inspect.js';
import { type SpaceFileKeys, type SpaceKeyring, shredCatalogWal } from './space-keys.js';
import type { SearchThreads } from './search-threads.js';
import type { AnnOptions } from './space-search.js';
import { sqlite, translateSqliteError } from './sqlite-errors.js';
import { SqliteSpaceStore } from './sqlite-space-store.js';
import { ProjectUsage } from './project-usage.js';

/** What {@link SqliteSpaceCatalog} works on. */
export interface SqliteSpaceCatalogOptions {
  catalog: Database.Database;
  files: SpaceFiles;
  sync: SyncMode;
  ann: AnnOptions | undefined;
  /** Search threads the stores run searches in; undefined to search on the calling thread. */
  threads: SearchThreads | undefined;
  /** Clock of the stores' bookkeeping. */
  now: () => number;
  /** Rung by a store's writes. */
  changeBell: ChangeBell;
  /** The keys of encrypted spaces, under the configured master key (or none). */
  keyring: SpaceKeyring;
}

/**
 * The spaces of the embedded backend: catalogue rows, and one directory and database per space,
 * so that no query can reach another space's rows by forgetting a condition.
 *
 * Storage is lazy: creating a space writes its catalogue row and an empty directory holding the
 * marker {@link NEW_MARKER}; the database is created on first open. A hundred thousand spaces
 * never used cost a row and a directory each.
 */
export class SqliteSpaceCatalog implements SpaceCatalog {
  private readonly catalog: Database.Database;
  private readonly files: SpaceFiles;
  /** Usage of every space that belongs to a project, for project quotas: open stores report to it. */
  private readonly projectUsage: ProjectUsage;

  constructor(private readonly o: SqliteSpaceCatalogOptions) {
    this.catalog = o.catalog;
    this.files = o.files;
    this.projectUsage = new ProjectUsage(o.catalog, (record) => this.inspect(record));
  }

  async create(record: SpaceRecord): Promise<void> {
    sqlite(() =>
      this.catalog
        .transaction(() => {
          const taken = this.catalog.prepare('SELECT name FROM spaces WHERE name = ?').get(record.name) as { name: string } | undefined;
          if (taken) throw new MemspaceError('CONFLICT', `space "${taken.name}" already exists`, { name: taken.name });
          // First, so that a refusal (no usable master key) leaves nothing behind; committed with the row.
          if (record.encryption) this.o.keyring.createKey(record.name);
          // A directory or archive without a catalogue row is what a crash mid-create or mid-delete leaves: garbage.
          const dir = this.files.dir(record.name);
          this.removeFiles(record.name);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, NEW_MARKER), '');
          // Durable before the row commits, so a listed space never lacks its directory after a power loss.
          fsyncPath(dir);
          fsyncPath(this.files.spacesDir);
          this.catalog.prepare(`INSERT INTO spaces (name, project, inherited, description, isolation, sensitivity,
            retention_days, quotas, labels, embedder, dimension, encryption, consolidation, feedback, created_at, updated_at, state) VALUES (@name, @project,
            @inherited, @description, @isolation, @sensitivity, @retention_days, @quotas, @labels, @embedder, @dimension, @encryption,
            @consolidation, @feedback, @created_at, @updated_at, @state)`).run(spaceColumns(record, JSON_TEXT));
        })
        .immediate(),
    );
  }

  async get(name: string): Promise<SpaceRecord | undefined> {
    const row = sqlite(() => this.catalog.prepare('SELECT * FROM spaces WHERE name = ?').get(name) as SpaceRow<string> | undefined);
    return row && spaceFromRow(row, JSON_TEXT);
  }

  async list(options: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<SpaceRecord[]> {
    const rows = sqlite(
      () =>
        this.catalog
          .prepare(`SELECT * FROM spaces WHERE name LIKE ? ESCAPE '\\' AND name > ? ORDER BY name LIMIT ?`)
          .all(prefixPattern(options.prefix), options.after ?? '', options.limit) as SpaceRow<string>[],
    );
    return rows.map((r) => spaceFromRow(r, JSON_TEXT));
  }

  async update(record: SpaceRecord): Promise<void> {
    const result = sqlite(() =>
      this.catalog
        .prepare(`UPDATE spaces SET description = @description, isolation = @isolation, sensitivity = @sensitivity,
          retention_days = @retention_days, quotas = @quotas, labels = @labels, inherited = @inherited, consolidation = @consolidation, feedback = @feedback,
          updated_at = @updated_at, state = @state WHERE name = @name`)
        .run(spaceColumns(record, JSON_TEXT)),
    );
    if (result.changes === 0) throw new MemspaceError('SPACE_NOT_FOUND', `space "${record.name}" not found`);
  }

  /**
   * Under the catalogue's write lock, so a concurrent create of the same name in another
   * process cannot have its fresh directory removed. Should the process die after the files
   * are gone but before the commit, the space remains listed with missing storage, and a
   * second delete finishes the job.
   *
   * An encrypted space's key goes first, in a transaction of its own that commits before any
   * file is touched (crypto-shredding): from then on no copy of its files, wherever it was
   * taken, can be read. `secure_delete` overwrites the key's bytes in the catalogue, and the
   * checkpoint after it rewrites the catalogue's pages and empties its WAL.
   */
  async delete(name: string): Promise<boolean> {
    const shredded = sqlite(() =>
      this.catalog
        .transaction(() => {
          const row = this.catalog.prepare('SELECT name FROM spaces WHERE name = ?').get(name) as { name: string } | undefined;
          return row !== undefined && this.o.keyring.deleteKey(row.name) > 0;
        })
        .immediate(),
    );
    if (shredded) shredCatalogWal(this.catalog);
    const deleted = sqlite(() =>
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
    // Readers of the feed wake to find the space gone.
    if (deleted) this.o.changeBell.ring(spaceKey(name));
    return deleted;
  }

  /**
   * Opens a space's database, creating it on the first open of a new space (the marker
   * {@link NEW_MARKER} is removed afterwards; should that removal be lost, the next open sees the
   * marker beside the database and simply opens it). A missing directory, a directory without
   * database or marker, and a file SQLite finds corrupt or unreadable are
   * `BACKEND_UNAVAILABLE` with `details: { name, damaged: true, reason }`. An archived space is
   * `SPACE_ARCHIVED`.
   */
  async open(record: SpaceRecord): Promise<SpaceStore> {
    if (record.state === 'archived') throw new MemspaceError('SPACE_ARCHIVED', `space "${record.name}" is archived; restore it first`, { space: record.name });
    const file = this.files.db(record.name);
    const marker = this.files.marker(record.name);
    const isNew = existsSync(marker);
    if (!isNew && !existsSync(file)) {
      throw damagedError(record.name, existsSync(this.files.dir(record.name)) ? `${SPACE_DB} is missing` : 'space directory is missing');
    }
    // Before any file is opened: a key that cannot be had makes this space damaged, no other.
    const keys = record.encryption ? this.o.keyring.fileKeys(record.name) : undefined;
    let store: SqliteSpaceStore;
    try {
      const key = spaceKey(record.name);
      store = new SqliteSpaceStore(file, record.dimension, {
        sync: this.o.sync,
        create: isNew,
        now: this.o.now,
        onWrite: () => this.o.changeBell.ring(key),
        // An encrypted space's index goes to RAM, or nowhere (index-dir.ts): never beside its database.
        ...(this.o.ann !== undefined && { ann: this.o.ann }),
        ...(this.o.threads !== undefined && { threads: this.o.threads }),
        keys,
        ...(record.project !== null && { projectUsage: { ledger: this.projectUsage, space: record.name } }),
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
  async inspect(record: SpaceRecord): Promise<ClosedSpaceStats> {
    if (record.state === 'archived') {
      const file = this.files.archive(record.name);
      if (!existsSync(file)) throw damagedError(record.name, 'archive file is missing');
      const manifest = await readArchiveManifest(record.name, file);
      return { ...manifest.figures, bytes: fileBytes(file), walBytes: 0, uncheckpointedSince: null };
    }
    const files = listFiles(this.files.dir(record.name));
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
    return { ...this.readFigures(record, wal !== undefined), bytes, walBytes, uncheckpointedSince };
  }

  /** The consolidation record of a closed space, from its database opened as {@link inspect} opens it. */
  async inspectConsolidation(record: SpaceRecord, now: number): Promise<ClosedConsolidationStats | null> {
    if (record.state === 'archived') return null;
    const files = listFiles(this.files.dir(record.name));
    if (files === undefined) throw damagedError(record.name, 'space directory is missing');
    if (!files.has(SPACE_DB)) {
      if (files.has(NEW_MARKER)) return NO_CONSOLIDATION;
      throw damagedError(record.name, `${SPACE_DB} is missing`);
    }
    return this.readClosed(record, files.has(`${SPACE_DB}-wal`), (db) => readClosedConsolidation(db, now));
  }

  /** Sets a space's lifecycle state without touching the rest of its record (nor `updatedAt`). */
  setState(name: string, state: SpaceRecord['state']): void {
    const result = sqlite(() => this.catalog.prepare('UPDATE spaces SET state = ? WHERE name = ?').run(state, name));
    if (result.changes === 0) throw new MemspaceError('SPACE_NOT_FOUND', `space "${name}" not found`, { space: name });
  }

  /**
   * The keys of an encrypted space's files (undefined for a plain space), for the archive
   * thread; `BACKEND_UNAVAILABLE` with `details.damaged` when they cannot be had.
   */
  fileKeys(record: SpaceRecord): SpaceFileKeys | undefined {
    return record.encryption ? this.o.keyring.fileKeys(record.name) : undefined;
  }

  /** The figures in a closed space's database rows; see {@link inspect} for how it is opened. */
  private readFigures(record: SpaceRecord, hasWal: boolean): ReturnType<typeof readDatabaseFigures> {
    return this.readClosed(record, hasWal, readDatabaseFigures);
  }

  /** Runs `read` on a closed space's database, opened as {@link inspect} explains; damage is `BACKEND_UNAVAILABLE`. */
  private readClosed<T>(record: SpaceRecord, hasWal: boolean, read: (db: Database.Database) => T): T {
    const name = record.name;
    const keys = this.fileKeys(record);
    let db: Database.Database | undefined;
    try {
      db = new Database(this.files.db(name), { readonly: hasWal, fileMustExist: true });
      useDatabaseKey(db, keys?.database);
      db.pragma('busy_timeout = 5000');
      return read(db);
    } catch (error) {
      const code = sqliteCodeOf(error);
      if (isDamageCode(code)) throw damagedError(name, `database cannot be read (${code})`, error);
      throw translateSqliteError(error);
    } finally {
      db?.close();
    }
  }

  /** Removes every file of a space: directory, archive, temporaries. */
  private removeFiles(name: string): void {
    this.files.removeTemps(name);
    rmSync(this.files.dir(name), { recursive: true, force: true });
    rmSync(this.files.archive(name), { force: true });
  }
}
