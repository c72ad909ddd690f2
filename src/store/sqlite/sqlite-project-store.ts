import type Database from 'better-sqlite3-multiple-ciphers';
import { MemspaceError } from '../../core/errors.js';
import type { ProjectStore } from '../../core/ports/project-store.js';
import type { ProjectRecord, SpaceRecord } from '../../core/types.js';
import { prefixPattern, spaceFromRow, type SpaceRow } from '../common/catalog-rows.js';
import { projectColumns, projectFromRow, type ProjectRow } from '../common/project-rows.js';
import { JSON_TEXT } from './catalog-db.js';
import { sqlite } from './sqlite-errors.js';

/**
 * The projects of the embedded backend, in the catalogue database, whose columns compare
 * names without case. A project's spaces are the `spaces` rows naming it.
 */
export class SqliteProjectStore implements ProjectStore {
  constructor(private readonly catalog: Database.Database) {}

  async create(record: ProjectRecord): Promise<void> {
    const r = projectColumns(record, JSON_TEXT);
    sqlite(() =>
      this.catalog
        .transaction(() => {
          const taken = this.catalog.prepare('SELECT name FROM projects WHERE name = ?').pluck().get(r.name) as string | undefined;
          if (taken !== undefined) throw new MemspaceError('CONFLICT', `project "${taken}" already exists`, { name: taken });
          this.catalog
            .prepare(`INSERT INTO projects (name, description, owner, labels, defaults, quotas, created_at, updated_at)
              VALUES (@name, @description, @owner, @labels, @defaults, @quotas, @created_at, @updated_at)`)
            .run(r);
        })
        .immediate(),
    );
  }

  async get(name: string): Promise<ProjectRecord | undefined> {
    const row = sqlite(() => this.catalog.prepare('SELECT * FROM projects WHERE name = ?').get(name) as ProjectRow<string> | undefined);
    return row && projectFromRow(row, JSON_TEXT);
  }

  async list(options: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<ProjectRecord[]> {
    const rows = sqlite(
      () =>
        this.catalog
          .prepare(`SELECT * FROM projects WHERE name LIKE ? ESCAPE '\\' AND name > ? ORDER BY name LIMIT ?`)
          .all(prefixPattern(options.prefix), options.after ?? '', options.limit) as ProjectRow<string>[],
    );
    return rows.map((r) => projectFromRow(r, JSON_TEXT));
  }

  async update(record: ProjectRecord): Promise<void> {
    const r = projectColumns(record, JSON_TEXT);
    const result = sqlite(() =>
      this.catalog
        .prepare('UPDATE projects SET description = @description, labels = @labels, defaults = @defaults, quotas = @quotas, updated_at = @updated_at WHERE name = @name')
        .run(r),
    );
    if (result.changes === 0) throw new MemspaceError('NOT_FOUND', `project "${record.name}" not found`, { project: record.name });
  }

  /** Under the catalogue's write lock, so a space created in the project meanwhile is either counted or refused. */
  async delete(name: string): Promise<boolean> {
    return sqlite(() =>
      this.catalog
        .transaction(() => {
          const spaces = this.catalog.prepare('SELECT count(*) FROM spaces WHERE project = ?').pluck().get(name) as number;
          if (spaces > 0) throw new MemspaceError('CONFLICT', `project "${name}" still holds ${spaces} spaces`, { project: name, spaces });
          return this.catalog.prepare('DELETE FROM projects WHERE name = ?').run(name).changes > 0;
        })
        .immediate(),
    );
  }

  async spaces(project: string, options: { after?: string | undefined; limit: number }): Promise<SpaceRecord[]> {
    const rows = sqlite(
      () => this.catalog.prepare('SELECT * FROM spaces WHERE project = ? AND name > ? ORDER BY name LIMIT ?').all(project, options.after ?? '', options.limit) as SpaceRow<string>[],
    );
    return rows.map((r) => spaceFromRow(r, JSON_TEXT));
  }

  async countSpaces(project: string): Promise<number> {
    return sqlite(() => this.catalog.prepare('SELECT count(*) FROM spaces WHERE project = ?').pluck().get(project) as number);
  }
}
