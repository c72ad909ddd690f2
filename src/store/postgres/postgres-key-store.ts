import type { KeyRecord, KeyStore } from '../../core/ports/key-store.js';
import { keyColumns, keyFromRow, type KeyRow } from '../common/catalog-rows.js';
import { type CatalogPool, JSONB } from './catalog-db.js';

/** The API keys, in the `keys` table. */
export class PostgresKeyStore implements KeyStore {
  constructor(private readonly db: CatalogPool) {}

  async create(record: KeyRecord): Promise<void> {
    const r = keyColumns(record, JSONB);
    await this.db.query('INSERT INTO keys (id, name, hash, grants, default_space, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      r.id,
      r.name,
      r.hash,
      r.grants,
      r.default_space,
      r.created_at,
      r.revoked_at,
    ]);
  }

  async findByHash(hash: string): Promise<KeyRecord | undefined> {
    const row = (await this.db.query<KeyRow<unknown>>('SELECT * FROM keys WHERE hash = $1', [hash])).rows[0];
    return row && keyFromRow(row, JSONB);
  }

  async findById(id: string): Promise<KeyRecord | undefined> {
    const row = (await this.db.query<KeyRow<unknown>>('SELECT * FROM keys WHERE id = $1', [id])).rows[0];
    return row && keyFromRow(row, JSONB);
  }

  async list(): Promise<KeyRecord[]> {
    return (await this.db.query<KeyRow<unknown>>('SELECT * FROM keys ORDER BY created_at, id')).rows.map((r) => keyFromRow(r, JSONB));
  }

  async revoke(id: string, at: number): Promise<boolean> {
    return ((await this.db.query('UPDATE keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at])).rowCount ?? 0) > 0;
  }

  async setDefaultSpace(id: string, defaultSpace: string | null): Promise<boolean> {
    return ((await this.db.query('UPDATE keys SET default_space = $2 WHERE id = $1 AND revoked_at IS NULL', [id, defaultSpace])).rowCount ?? 0) > 0;
  }
}
