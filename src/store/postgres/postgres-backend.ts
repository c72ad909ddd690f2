import pg from 'pg';
import { ChangeBell } from '../../core/change-bell.js';
import { MemspaceError } from '../../core/errors.js';
import type { Backend, ClosedSpaceStats, KeyRecord, ShareRecord } from '../../core/ports/catalog-store.js';
import type { SpaceStore } from '../../core/ports/space-store.js';
import type { SpaceRecord } from '../../core/types.js';
import { effectiveAnnThreshold } from '../../core/vector-search.js';
import { ChangeListener } from './change-listener.js';
import { PG_TYPES } from './space-rows.js';
import { translatePgError } from './postgres-errors.js';
import { PostgresSpaceStore, spaceIdOf } from './postgres-space-store.js';
import type { VectorSearchSettings } from './space-reads.js';
import { migrate } from './space-schema.js';
import { inSpace, type SpaceState, STATE_SQL } from './space-tx.js';
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

/** Per-space tables in the order a space's rows are deleted (relations before the memories they reference). */
const DELETE_ORDER = ['relations', 'memories', 'history', 'contexts', 'audit', 'changes', 'space_state'] as const;

/**
 * The PostgreSQL (+ pgvector) backend: the catalogue and every space's rows in one database,
 * shared by any number of stateless memspace servers. A space has no storage of its own to
 * create or open: its rows are keyed by `space_id` (the lower-cased name) and guarded by
 * row-level security, so opening a space is constant time and costs nothing.
 *
 * Archive tiers are a concept of the embedded backend (a space directory packed into one
 * file); here a space's rows stay in the database, so archive and restore are refused.
 */
export class PostgresBackend implements Backend {
  private closed = false;
  private readonly vectors: VectorSearchSettings;

  private constructor(
    private readonly pool: pg.Pool,
    annThreshold: number,
    readonly changeBell: ChangeBell,
    /** Wakes this server's change streams when another server writes to their space. */
    private readonly listener: ChangeListener,
  ) {
    this.vectors = { annThreshold, indexes: new VectorIndexes(pool) };
  }

  /** Opens a pool on `url` and brings the schema to the newest version. */
  static async connect(options: PostgresBackendOptions): Promise<PostgresBackend> {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, types: PG_TYPES });
    // An idle connection that dies (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      await migrate(pool);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw translatePgError(error);
    }
    const bell = new ChangeBell();
    const listener = await ChangeListener.start({ url: options.url, bell });
    return new PostgresBackend(pool, effectiveAnnThreshold(options.annThreshold), bell, listener);
  }

  /** The pool, for tests and tools that inspect the database. */
  get connectionPool(): pg.Pool {
    return this.pool;
  }

  async createSpace(record: SpaceRecord): Promise<void> {
    const key = spaceIdOf(record.name);
    // As the connecting role, but scoped: the space_state row is under the RLS policy too.
    await inSpace(
      this.pool,
      key,
      async (db) => {
        const inserted = await db.query(
          `INSERT INTO spaces (name_key, name, description, isolation, sensitivity, retention_days, quotas, labels, embedder, dimension,
             created_at, updated_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (name_key) DO NOTHING`,
          [key, ...spaceParams(record)],
        );
        if (inserted.rowCount === 0) {
          const taken = await db.query<{ name: string }>('SELECT name FROM spaces WHERE name_key = $1', [key]);
          const name = taken.rows[0]?.name ?? record.name;
          throw new MemspaceError('CONFLICT', `space "${name}" already exists`, { name });
        }
        await db.query('INSERT INTO space_state (space_id) VALUES ($1) ON CONFLICT DO NOTHING', [key]);
      },
      { role: false },
    );
  }

  async getSpace(name: string): Promise<SpaceRecord | undefined> {
    const result = await this.query<SpaceRow>('SELECT * FROM spaces WHERE name_key = $1', [spaceIdOf(name)]);
    const row = result.rows[0];
    return row && fromRow(row);
  }

  async listSpaces(options: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<SpaceRecord[]> {
    // Names hold no LIKE wildcards except "_", so escape it and match the prefix literally.
    const like = options.prefix === undefined ? '%' : `${spaceIdOf(options.prefix).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const result = await this.query<SpaceRow>(`SELECT * FROM spaces WHERE name_key LIKE $1 ESCAPE '\\' AND name_key > $2 ORDER BY name_key LIMIT $3`, [
      like,
      spaceIdOf(options.after ?? ''),
      options.limit,
    ]);
    return result.rows.map(fromRow);
  }

  async updateSpace(record: SpaceRecord): Promise<void> {
    const result = await this.query(
      `UPDATE spaces SET description = $2, isolation = $3, sensitivity = $4, retention_days = $5, quotas = $6, labels = $7,
         updated_at = $8, state = $9 WHERE name_key = $1`,
      [
        spaceIdOf(record.name),
        record.description,
        record.isolation,
        record.sensitivity,
        record.retentionDays,
        JSON.stringify(record.quotas),
        JSON.stringify(record.labels),
        record.updatedAt,
        record.state,
      ],
    );
    if (result.rowCount === 0) throw new MemspaceError('SPACE_NOT_FOUND', `space "${record.name}" not found`);
  }

  /**
   * Deletes the catalogue row, the shares from and to the space, and every row of the space
   * in every per-space table, in one transaction: a crash leaves the space whole or gone.
   * Runs as the connecting role (the server's role may not delete audit rows) but scoped by
   * the RLS setting, so each DELETE reaches this space's rows only.
   */
  async deleteSpace(name: string): Promise<boolean> {
    const key = spaceIdOf(name);
    return inSpace(
      this.pool,
      key,
      async (db) => {
        const gone = await db.query('DELETE FROM spaces WHERE name_key = $1', [key]);
        if (gone.rowCount === 0) return false;
        // A later space of the same name inherits nothing.
        await db.query('DELETE FROM shares WHERE space_key = $1 OR to_space_key = $1', [key]);
        for (const table of DELETE_ORDER) await db.query(`DELETE FROM ${table} WHERE space_id = $1`, [key]);
        return true;
      },
      { role: false },
    );
  }

  /** A light handle on the space's rows: nothing is opened, loaded or created. */
  async openSpace(record: SpaceRecord): Promise<SpaceStore> {
    this.assertOpen();
    const key = spaceIdOf(record.name);
    return new PostgresSpaceStore(this.pool, record.name, record.dimension, this.vectors, () => this.changeBell.ring(key));
  }

  /** Figures of a space from its `space_state` row, read in one scoped transaction. */
  async inspectSpace(record: SpaceRecord): Promise<ClosedSpaceStats> {
    const state = await inSpace(this.pool, spaceIdOf(record.name), async (db) => (await db.query<SpaceState>(STATE_SQL, [spaceIdOf(record.name)])).rows[0]);
    return {
      memories: state?.memories ?? 0,
      relations: state?.relations ?? 0,
      contexts: state?.contexts ?? 0,
      bytes: state?.payloadBytes ?? 0,
      payloadBytes: state?.payloadBytes ?? 0,
      walBytes: 0,
      uncheckpointedSince: null,
      lastWriteAt: state?.lastWriteAt ?? null,
      lastSeq: state?.changeSeq ?? 0,
    };
  }

  async archiveSpace(name: string): Promise<{ bytes: number }> {
    throw new MemspaceError('VALIDATION_FAILED', 'archiving is not supported by the postgres backend: a space has no files to pack', { space: name });
  }

  async restoreSpace(name: string): Promise<void> {
    throw new MemspaceError('VALIDATION_FAILED', 'restoring an archive is not supported by the postgres backend: a space has no files to pack', { space: name });
  }

  async createKey(r: KeyRecord): Promise<void> {
    await this.query('INSERT INTO keys (id, name, hash, grants, default_space, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      r.id,
      r.name,
      r.hash,
      JSON.stringify(r.grants),
      r.defaultSpace,
      r.createdAt,
      r.revokedAt,
    ]);
  }

  async findKeyByHash(hash: string): Promise<KeyRecord | undefined> {
    const row = (await this.query<KeyRow>('SELECT * FROM keys WHERE hash = $1', [hash])).rows[0];
    return row && keyFromRow(row);
  }

  async listKeys(): Promise<KeyRecord[]> {
    return (await this.query<KeyRow>('SELECT * FROM keys ORDER BY created_at, id')).rows.map(keyFromRow);
  }

  async revokeKey(id: string, at: number): Promise<boolean> {
    return ((await this.query('UPDATE keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at])).rowCount ?? 0) > 0;
  }

  async createShare(r: ShareRecord): Promise<void> {
    await this.query(
      `INSERT INTO shares (id, space, space_key, to_space, to_space_key, to_key, role, tags, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [r.id, r.space, spaceIdOf(r.space), r.toSpace, r.toSpace === null ? null : spaceIdOf(r.toSpace), r.toKey, r.role, r.tags === null ? null : JSON.stringify(r.tags), r.createdAt, r.createdBy],
    );
  }

  async listShares(space: string): Promise<ShareRecord[]> {
    const rows = (await this.query<ShareRow>('SELECT * FROM shares WHERE space_key = $1 ORDER BY created_at, id', [spaceIdOf(space)])).rows;
    return rows.map((r) => ({
      id: r.id,
      space: r.space,
      toSpace: r.to_space,
      toKey: r.to_key,
      role: 'read',
      tags: r.tags,
      createdAt: r.created_at,
      createdBy: r.created_by,
    }));
  }

  async deleteShare(space: string, id: string): Promise<boolean> {
    return ((await this.query('DELETE FROM shares WHERE space_key = $1 AND id = $2', [spaceIdOf(space), id])).rowCount ?? 0) > 0;
  }

  /** Ends the pool. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener.stop();
    await this.pool.end();
  }

  /** One catalogue statement (autocommit, as the connecting role), with errors translated. */
  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw translatePgError(error);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new MemspaceError('BACKEND_UNAVAILABLE', 'the postgres backend is closed');
  }
}

interface SpaceRow {
  name: string;
  description: string;
  isolation: string;
  sensitivity: string;
  retention_days: number | null;
  quotas: SpaceRecord['quotas'];
  labels: SpaceRecord['labels'];
  embedder: string;
  dimension: number;
  created_at: number;
  updated_at: number;
  state: string;
}

function spaceParams(r: SpaceRecord): unknown[] {
  return [r.name, r.description, r.isolation, r.sensitivity, r.retentionDays, JSON.stringify(r.quotas), JSON.stringify(r.labels), r.embedder, r.dimension, r.createdAt, r.updatedAt, r.state];
}

function fromRow(r: SpaceRow): SpaceRecord {
  return {
    name: r.name,
    description: r.description,
    isolation: r.isolation as SpaceRecord['isolation'],
    sensitivity: r.sensitivity as SpaceRecord['sensitivity'],
    retentionDays: r.retention_days,
    quotas: r.quotas,
    labels: r.labels,
    embedder: r.embedder,
    dimension: r.dimension,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    state: r.state as SpaceRecord['state'],
  };
}

interface KeyRow {
  id: string;
  name: string;
  hash: string;
  grants: KeyRecord['grants'];
  default_space: string | null;
  created_at: number;
  revoked_at: number | null;
}

function keyFromRow(r: KeyRow): KeyRecord {
  return { id: r.id, name: r.name, hash: r.hash, grants: r.grants, defaultSpace: r.default_space, createdAt: r.created_at, revokedAt: r.revoked_at };
}

interface ShareRow {
  id: string;
  space: string;
  to_space: string | null;
  to_key: string | null;
  tags: string[] | null;
  created_at: number;
  created_by: string | null;
}
