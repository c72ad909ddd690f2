import pg from 'pg';
import { ChangeBell } from '../../core/change-bell.js';
import type { Backend } from '../../core/ports/backend.js';
import { effectiveAnnThreshold } from '../../core/vector-search.js';
import { CatalogPool } from './catalog-db.js';
import { ChangeListener } from './change-listener.js';
import { translatePgError } from './postgres-errors.js';
import { PostgresFederationStore } from './postgres-federation-store.js';
import { PostgresKeyStore } from './postgres-key-store.js';
import { PostgresShareStore } from './postgres-share-store.js';
import { PostgresSpaceCatalog } from './postgres-space-catalog.js';
import { PostgresProjectStore } from './postgres-project-store.js';
import { PG_TYPES } from './space-rows.js';
import { hasCitus } from './citus.js';
import { migrate } from './space-schema.js';
import type { SpaceDatabase } from './space-tx.js';
import { VectorIndexes } from './vector-index.js';

/** Options of {@link PostgresBackend.connect}. */
export interface PostgresBackendOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Connections the pool opens at most. @default 10 */
  poolSize?: number;
  /**
   * Spaces with at least this many memories search through the HNSW index of their dimension
   * (built on the first such search); smaller ones, and searches asking `exact`, scan exactly.
   * `0` or `Infinity` keeps every search exact (see `effectiveAnnThreshold`).
   * @default 10000 (`DEFAULT_ANN_THRESHOLD` of core/vector-search.ts)
   */
  annThreshold?: number;
}

/**
 * The PostgreSQL (+ pgvector) backend: the catalogue and every space's rows in one database,
 * shared by any number of stateless memspace servers (postgres-space-catalog.ts explains why a
 * space costs nothing to open).
 *
 * It has no archiver: archive tiers pack a space's own files into one, and here a space's rows
 * stay in the shared tables.
 */
export class PostgresBackend implements Backend {
  readonly spaces: PostgresSpaceCatalog;
  readonly keys: PostgresKeyStore;
  readonly shares: PostgresShareStore;
  readonly projects: PostgresProjectStore;
  readonly federations: PostgresFederationStore;
  private readonly catalog: CatalogPool;

  private constructor(
    private readonly pool: pg.Pool,
    citus: boolean,
    annThreshold: number,
    readonly changeBell: ChangeBell,
    /** Wakes this server's change streams when another server writes to their space. */
    private readonly listener: ChangeListener,
  ) {
    this.catalog = new CatalogPool(pool, citus);
    this.spaces = new PostgresSpaceCatalog(this.catalog, { annThreshold, indexes: new VectorIndexes(pool) }, changeBell);
    this.keys = new PostgresKeyStore(this.catalog);
    this.shares = new PostgresShareStore(this.catalog);
    this.projects = new PostgresProjectStore(this.catalog);
    this.federations = new PostgresFederationStore(this.catalog);
  }

  /** Opens a pool on `url` and brings the schema to the newest version. */
  static async connect(options: PostgresBackendOptions): Promise<PostgresBackend> {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, types: PG_TYPES });
    // An idle connection that dies (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    let citus: boolean;
    try {
      await migrate(pool);
      citus = await hasCitus(pool);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw translatePgError(error);
    }
    const bell = new ChangeBell();
    const listener = await ChangeListener.start({ url: options.url, bell });
    return new PostgresBackend(pool, citus, effectiveAnnThreshold(options.annThreshold), bell, listener);
  }

  /** Where space transactions run (for tests that open one themselves). */
  get database(): SpaceDatabase {
    return this.catalog;
  }

  /** The pool, for tests and tools that inspect the database. */
  get connectionPool(): pg.Pool {
    return this.pool;
  }

  /** Ends the pool. Idempotent. */
  async close(): Promise<void> {
    if (!this.catalog.close()) return;
    await this.listener.stop();
    await this.pool.end();
  }
}
