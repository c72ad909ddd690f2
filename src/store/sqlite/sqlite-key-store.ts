import type Database from 'better-sqlite3-multiple-ciphers';
import type { KeyRecord, KeyStore } from '../../core/ports/key-store.js';
import { keyColumns, keyFromRow, type KeyRow } from '../common/catalog-rows.js';
import { JSON_TEXT } from './catalog-db.js';
import { sqlite } from './sqlite-errors.js';

/** The API keys, in the catalogue database. */
export class SqliteKeyStore implements KeyStore {
  constructor(private readonly catalog: Database.Database) {}

  async create(record: KeyRecord): Promise<void> {
    const row = keyColumns(record, JSON_TEXT);
    sqlite(() =>
      this.catalog.prepare('INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?)').run(row.id, row.name, row.hash, row.grants, row.default_space, row.created_at, row.revoked_at),
    );
  }

  async findByHash(hash: string): Promise<KeyRecord | undefined> {
    const row = sqlite(() => this.catalog.prepare('SELECT * FROM keys WHERE hash = ?').get(hash) as KeyRow<string> | undefined);
    return row && keyFromRow(row, JSON_TEXT);
  }

  async findById(id: string): Promise<KeyRecord | undefined> {
    const row = sqlite(() => this.catalog.prepare('SELECT * FROM keys WHERE id = ?').get(id) as KeyRow<string> | undefined);
    return row && keyFromRow(row, JSON_TEXT);
  }

  async list(): Promise<KeyRecord[]> {
    return sqlite(() => this.catalog.prepare('SELECT * FROM keys ORDER BY created_at, id').all() as KeyRow<string>[]).map((r) => keyFromRow(r, JSON_TEXT));
  }

  async revoke(id: string, at: number): Promise<boolean> {
    return sqlite(() => this.catalog.prepare('UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0);
  }

  async setDefaultSpace(id: string, defaultSpace: string | null): Promise<boolean> {
    return sqlite(() => this.catalog.prepare('UPDATE keys SET default_space = ? WHERE id = ? AND revoked_at IS NULL').run(defaultSpace, id).changes > 0);
  }
}
