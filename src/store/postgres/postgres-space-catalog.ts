import type { ChangeBell } from '../../core/change-bell.js';
import { MemspaceError } from '../../core/errors.js';
import type { ClosedConsolidationStats, ClosedSpaceStats, SpaceCatalog } from '../../core/ports/space-catalog.js';
import type { SpaceStore } from '../../core/ports/space-store.js';
import type { SpaceRecord } from '../../core/types.js';
import { prefixPattern, spaceColumns, spaceFromRow, type SpaceRow } from '../common/catalog-rows.js';
import { type CatalogPool, JSONB } from './catalog-db.js';
import { readConsolidationStats } from './consolidation-stats.js';
import { readDecayed } from './decay-sweep.js';
import { PostgresSpaceStore, spaceIdOf } from './postgres-space-store.js';
import type { VectorSearchSettings } from './space-reads.js';
import { type SpaceCounters, STATE_SQL, stateFigures } from './space-state.js';
import { CHANGES_CHANNEL, inSpace } from './space-tx.js';

/** Per-space tables in the order a space's rows are deleted (relations before the memories they reference). */
const DELETE_ORDER = ['relations', 'memories', 'history', 'contexts', 'audit', 'changes', 'consolidation_runs', 'consolidation_passes', 'pheromones', 'narrative', 'space_state'] as const;

/**
 * The spaces of the PostgreSQL backend. A space has no storage of its own to create or open:
 * its rows are keyed by `space_id` (the lower-cased name) and guarded by row-level security,
 * so opening a space is constant time and costs nothing.
 */
export class PostgresSpaceCatalog implements SpaceCatalog {
  constructor(
    private readonly db: CatalogPool,
    private readonly vectors: VectorSearchSettings,
    private readonly changeBell: ChangeBell,
  ) {}

  /**
   * An encrypted space is refused before anything is written: PostgreSQL keeps every space in
   * shared tables, whose encryption at rest is the database's own (disk or TDE); per-space
   * application encryption is offered by the embedded backend only (docs/encryption.md).
   */
  async create(record: SpaceRecord): Promise<void> {
    if (record.encryption) {
      throw new MemspaceError(
        'VALIDATION_FAILED',
        'encryption: true is not offered on the PostgreSQL backend: it relies on the database\'s own encryption at rest (encrypted disks or TDE); per-space encryption is a feature of the embedded backend',
        { field: 'encryption', backend: 'postgres', reason: 'per-space encryption is not offered on PostgreSQL' },
      );
    }
    const key = spaceIdOf(record.name);
    const r = spaceColumns(record, JSONB);
    // As the connecting role, but scoped: the space_state row is under the RLS policy too.
    await inSpace(
      this.db,
      key,
      async (db) => {
        const inserted = await db.query(
          `INSERT INTO spaces (name_key, name, description, isolation, sensitivity, retention_days, quotas, labels, embedder, dimension,
             created_at, updated_at, state, project, inherited, encryption, consolidation, feedback)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
           ON CONFLICT (name_key) DO NOTHING`,
          [key, r.name, r.description, r.isolation, r.sensitivity, r.retention_days, r.quotas, r.labels, r.embedder, r.dimension, r.created_at, r.updated_at, r.state,
            r.project, r.inherited, record.encryption, r.consolidation, r.feedback],
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

  async get(name: string): Promise<SpaceRecord | undefined> {
    const row = (await this.db.query<SpaceRow<unknown>>('SELECT * FROM spaces WHERE name_key = $1', [spaceIdOf(name)])).rows[0];
    return row && spaceFromRow(row, JSONB);
  }

  async list(options: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<SpaceRecord[]> {
    const result = await this.db.query<SpaceRow<unknown>>(`SELECT * FROM spaces WHERE name_key LIKE $1 ESCAPE '\\' AND name_key > $2 ORDER BY name_key LIMIT $3`, [
      prefixPattern(options.prefix === undefined ? undefined : spaceIdOf(options.prefix)),
      spaceIdOf(options.after ?? ''),
      options.limit,
    ]);
    return result.rows.map((r) => spaceFromRow(r, JSONB));
  }

  async update(record: SpaceRecord): Promise<void> {
    const r = spaceColumns(record, JSONB);
    const result = await this.db.query(
      `UPDATE spaces SET description = $2, isolation = $3, sensitivity = $4, retention_days = $5, quotas = $6, labels = $7,
         updated_at = $8, state = $9, inherited = $10, consolidation = $11, feedback = $12 WHERE name_key = $1`,
      [spaceIdOf(record.name), r.description, r.isolation, r.sensitivity, r.retention_days, r.quotas, r.labels, r.updated_at, r.state, r.inherited, r.consolidation, r.feedback],
    );
    if (result.rowCount === 0) throw new MemspaceError('SPACE_NOT_FOUND', `space "${record.name}" not found`);
  }

  /**
   * Deletes the catalogue row, the shares from and to the space, and every row of the space
   * in every per-space table, in one transaction: a crash leaves the space whole or gone.
   * Runs as the connecting role (the server's role may not delete audit rows) but scoped by
   * the RLS setting, so each DELETE reaches this space's rows only.
   */
  async delete(name: string): Promise<boolean> {
    const key = spaceIdOf(name);
    const deleted = await inSpace(
      this.db,
      key,
      async (db) => {
        const gone = await db.query('DELETE FROM spaces WHERE name_key = $1', [key]);
        if (gone.rowCount === 0) return false;
        // A later space of the same name inherits nothing.
        await db.query('DELETE FROM shares WHERE space_key = $1 OR to_space_key = $1', [key]);
        for (const table of DELETE_ORDER) await db.query(`DELETE FROM ${table} WHERE space_id = $1`, [key]);
        // Readers of the feed on other servers wake to find the space gone.
        await db.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, key]);
        return true;
      },
      { role: false },
    );
    if (deleted) this.changeBell.ring(key);
    return deleted;
  }

  /** A light handle on the space's rows: nothing is opened, loaded or created. */
  async open(record: SpaceRecord): Promise<SpaceStore> {
    this.db.assertOpen();
    const key = spaceIdOf(record.name);
    return new PostgresSpaceStore(this.db, record.name, record.dimension, this.vectors, () => this.changeBell.ring(key));
  }

  /** Figures of a space from its `space_state` row, read in one scoped transaction. */
  async inspect(record: SpaceRecord): Promise<ClosedSpaceStats> {
    const key = spaceIdOf(record.name);
    const state = await inSpace(this.db, key, async (db) => (await db.query<SpaceCounters>(STATE_SQL, [key])).rows[0]);
    return stateFigures(state);
  }

  /** The consolidation record of a space from its rows, on one snapshot scoped to the space. */
  async inspectConsolidation(record: SpaceRecord, now: number): Promise<ClosedConsolidationStats | null> {
    if (record.state === 'archived') return null;
    const key = spaceIdOf(record.name);
    return inSpace(this.db, key, async (db) => ({ ...(await readConsolidationStats(db, key, now)), decayed: await readDecayed(db, key) }), { snapshot: true });
  }
}
