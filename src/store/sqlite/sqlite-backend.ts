import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { ChangeBell } from '../../core/change-bell.js';
import type { Backend } from '../../core/ports/backend.js';
import { annEnabled, effectiveAnnThreshold } from '../../core/vector-search.js';
import { HnswJobRunner } from './ann-jobs.js';
import { ArchiveThread } from './archive-thread.js';
import { openCatalog } from './catalog-db.js';
import type { SyncMode } from './space-database.js';
import { SearchThreads } from './search-threads.js';
import { SpaceFiles } from './space-files.js';
import { DEFAULT_RAM_BASE, RamIndexRoot } from './index-dir.js';
import { SpaceKeyring } from './space-keys.js';
import { DEFAULT_HNSW_PARAMS } from './space-search.js';
import { SqliteArchiver } from './sqlite-archiver.js';
import { sqlite } from './sqlite-errors.js';
import { SqliteFederationStore } from './sqlite-federation-store.js';
import { SqliteKeyStore } from './sqlite-key-store.js';
import { SqliteProjectStore } from './sqlite-project-store.js';
import { SqliteShareStore } from './sqlite-share-store.js';
import { SqliteSpaceCatalog } from './sqlite-space-catalog.js';

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
  /** Searches run in this many worker threads (search-threads.ts); 1 or less searches on the calling thread. @default 1 */
  searchThreads?: number;
  /**
   * The master key (32 bytes) that wraps the keys of encrypted spaces (space-keys.ts). Without
   * it the backend refuses to open a data directory holding encrypted spaces, and creating one
   * is `VALIDATION_FAILED`.
   */
  masterKey?: Buffer | undefined;
  /**
   * The memory-backed file system where encrypted spaces keep their HNSW index (index-dir.ts);
   * when it is missing or not tmpfs (or ramfs), they keep none and are searched exactly.
   * Internal: tests point it elsewhere. @default '/dev/shm'
   */
  indexRamBase?: string;
}

/**
 * The embedded backend: a catalogue database (`catalog.db`: spaces, keys, shares) plus one
 * directory and database per space (sqlite-space-catalog.ts), which it can pack into archives
 * (sqlite-archiver.ts).
 */
export class SqliteBackend implements Backend {
  readonly spaces: SqliteSpaceCatalog;
  readonly keys: SqliteKeyStore;
  readonly shares: SqliteShareStore;
  readonly projects: SqliteProjectStore;
  readonly federations: SqliteFederationStore;
  readonly archiver: SqliteArchiver;
  /** One process owns a data directory, so its own writes are all the rings there are. */
  readonly changeBell = new ChangeBell();
  private readonly catalog: Database.Database;
  private readonly files: SpaceFiles;
  private readonly threads: SearchThreads | undefined;
  private readonly archiveThread = new ArchiveThread();
  private readonly ram: RamIndexRoot;

  constructor(options: SqliteBackendOptions) {
    const now = options.now ?? Date.now;
    const files = new SpaceFiles(options.dataDir);
    const threshold = effectiveAnnThreshold(options.annThreshold);
    // Also removes what processes that died left in RAM, whether this one will index or not.
    const ram = new RamIndexRoot(options.indexRamBase ?? DEFAULT_RAM_BASE);
    this.ram = ram;
    // One job runner for every space: index builds take turns rather than fight for the cores.
    const ann = annEnabled(threshold) ? { threshold, params: DEFAULT_HNSW_PARAMS, runner: new HnswJobRunner(), ram } : undefined;
    const catalog = sqlite(() => {
      mkdirSync(files.spacesDir, { recursive: true });
      return openCatalog(join(options.dataDir, 'catalog.db'));
    });
    this.catalog = catalog;
    this.files = files;
    this.threads = (options.searchThreads ?? 1) > 1 ? new SearchThreads(options.searchThreads!) : undefined;
    const keyring = new SpaceKeyring(catalog, options.masterKey, now);
    try {
      keyring.assertUsable();
    } catch (error) {
      catalog.close();
      void this.threads?.close();
      throw error;
    }
    this.spaces = new SqliteSpaceCatalog({ catalog, files, sync: options.sync ?? 'full', ann, threads: this.threads, now, changeBell: this.changeBell, keyring });
    this.keys = new SqliteKeyStore(catalog);
    this.shares = new SqliteShareStore(catalog);
    this.projects = new SqliteProjectStore(catalog);
    this.federations = new SqliteFederationStore(catalog);
    this.archiver = new SqliteArchiver(this.spaces, files, now, this.archiveThread);
  }

  /** Directory of a space's files; the name was validated, so it cannot leave `spaces/`. */
  spaceDir(name: string): string {
    return this.files.dir(name);
  }

  /** Path of a space's archive file (it exists only while the space is archived). */
  archiveFile(name: string): string {
    return this.files.archive(name);
  }

  /** The directory where this backend's encrypted spaces keep their HNSW index files in RAM, made by the first build. */
  indexRamDir(): string {
    return this.ram.path;
  }

  /** Stops the threads and closes the catalogue; removes the RAM index directory (its spaces are closed by then). */
  async close(): Promise<void> {
    await Promise.all([this.threads?.close(), this.archiveThread.close()]);
    this.ram.close();
    if (this.catalog.open) this.catalog.close();
  }
}
