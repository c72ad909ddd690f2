import type { ShareRecord, ShareStore } from '../../core/ports/share-store.js';
import { shareColumns, shareFromRow, type ShareRow } from '../common/catalog-rows.js';
import { type CatalogPool, JSONB } from './catalog-db.js';
import { spaceIdOf } from './postgres-space-store.js';

/** The shares of spaces, in the `shares` table; names are matched by their lower-cased keys. */
export class PostgresShareStore implements ShareStore {
  constructor(private readonly db: CatalogPool) {}

  async create(record: ShareRecord): Promise<void> {
    const r = shareColumns(record, JSONB);
    await this.db.query(
      `INSERT INTO shares (id, space, space_key, to_space, to_space_key, to_key, role, tags, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [r.id, r.space, spaceIdOf(r.space), r.to_space, r.to_space === null ? null : spaceIdOf(r.to_space), r.to_key, r.role, r.tags, r.created_at, r.created_by],
    );
  }

  async list(space: string): Promise<ShareRecord[]> {
    const rows = (await this.db.query<ShareRow<unknown>>('SELECT * FROM shares WHERE space_key = $1 ORDER BY created_at, id', [spaceIdOf(space)])).rows;
    return rows.map((r) => shareFromRow(r, JSONB));
  }

  async listTo(space: string): Promise<ShareRecord[]> {
    const rows = (await this.db.query<ShareRow<unknown>>('SELECT * FROM shares WHERE to_space_key = $1 ORDER BY created_at, id', [spaceIdOf(space)])).rows;
    return rows.map((r) => shareFromRow(r, JSONB));
  }

  async delete(space: string, id: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM shares WHERE space_key = $1 AND id = $2', [spaceIdOf(space), id])).rowCount ?? 0) > 0;
  }
}
