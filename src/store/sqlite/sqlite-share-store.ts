import type Database from 'better-sqlite3-multiple-ciphers';
import type { ShareRecord, ShareStore } from '../../core/ports/share-store.js';
import { shareColumns, shareFromRow, type ShareRow } from '../common/catalog-rows.js';
import { JSON_TEXT } from './catalog-db.js';
import { sqlite } from './sqlite-errors.js';

/** The shares of spaces, in the catalogue database (its columns compare names without case). */
export class SqliteShareStore implements ShareStore {
  constructor(private readonly catalog: Database.Database) {}

  async create(record: ShareRecord): Promise<void> {
    const r = shareColumns(record, JSON_TEXT);
    sqlite(() =>
      this.catalog.prepare('INSERT INTO shares VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(r.id, r.space, r.to_space, r.to_key, r.role, r.tags, r.created_at, r.created_by),
    );
  }

  async list(space: string): Promise<ShareRecord[]> {
    const rows = sqlite(() => this.catalog.prepare('SELECT * FROM shares WHERE space = ? ORDER BY created_at, id').all(space) as ShareRow<string>[]);
    return rows.map((r) => shareFromRow(r, JSON_TEXT));
  }

  async listTo(space: string): Promise<ShareRecord[]> {
    const rows = sqlite(() => this.catalog.prepare('SELECT * FROM shares WHERE to_space = ? ORDER BY created_at, id').all(space) as ShareRow<string>[]);
    return rows.map((r) => shareFromRow(r, JSON_TEXT));
  }

  async delete(space: string, id: string): Promise<boolean> {
    return sqlite(() => this.catalog.prepare('DELETE FROM shares WHERE space = ? AND id = ?').run(space, id).changes > 0);
  }
}
