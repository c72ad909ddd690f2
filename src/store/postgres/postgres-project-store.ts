import { MemspaceError } from '../../core/errors.js';
import type { ProjectStore } from '../../core/ports/project-store.js';
import { spaceKey } from '../../core/space-name.js';
import type { ProjectRecord, SpaceRecord } from '../../core/types.js';
import { prefixPattern, spaceFromRow, type SpaceRow } from '../common/catalog-rows.js';
import { projectColumns, projectFromRow, type ProjectRow } from '../common/project-rows.js';
import { type CatalogPool, JSONB } from './catalog-db.js';

/**
 * The projects of the PostgreSQL backend: the `projects` table, keyed by the lower-cased name
 * (`name_key`) like `spaces`; on Citus a reference table. A project's spaces are the `spaces`
 * rows whose `lower(project)` is its key (an index serves it).
 */
export class PostgresProjectStore implements ProjectStore {
  constructor(private readonly db: CatalogPool) {}

  async create(record: ProjectRecord): Promise<void> {
    const r = projectColumns(record, JSONB);
    const inserted = await this.db.query(
      `INSERT INTO projects (name_key, name, description, owner, labels, defaults, quotas, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name_key) DO NOTHING`,
      [spaceKey(r.name), r.name, r.description, r.owner, r.labels, r.defaults, r.quotas, r.created_at, r.updated_at],
    );
    if (inserted.rowCount === 0) {
      const taken = (await this.get(record.name))?.name ?? record.name;
      throw new MemspaceError('CONFLICT', `project "${taken}" already exists`, { name: taken });
    }
  }

  async get(name: string): Promise<ProjectRecord | undefined> {
    const row = (await this.db.query<ProjectRow<unknown>>('SELECT * FROM projects WHERE name_key = $1', [spaceKey(name)])).rows[0];
    return row && projectFromRow(row, JSONB);
  }

  async list(options: { prefix?: string | undefined; after?: string | undefined; limit: number }): Promise<ProjectRecord[]> {
    const result = await this.db.query<ProjectRow<unknown>>(`SELECT * FROM projects WHERE name_key LIKE $1 ESCAPE '\\' AND name_key > $2 ORDER BY name_key LIMIT $3`, [
      prefixPattern(options.prefix === undefined ? undefined : spaceKey(options.prefix)),
      spaceKey(options.after ?? ''),
      options.limit,
    ]);
    return result.rows.map((r) => projectFromRow(r, JSONB));
  }

  async update(record: ProjectRecord): Promise<void> {
    const r = projectColumns(record, JSONB);
    const result = await this.db.query('UPDATE projects SET description = $2, labels = $3, defaults = $4, quotas = $5, updated_at = $6 WHERE name_key = $1', [
      spaceKey(r.name),
      r.description,
      r.labels,
      r.defaults,
      r.quotas,
      r.updated_at,
    ]);
    if (result.rowCount === 0) throw new MemspaceError('NOT_FOUND', `project "${record.name}" not found`, { project: record.name });
  }

  /**
   * One statement: the row goes only when no space names the project, so a space created in
   * it meanwhile is either counted here or finds the project gone.
   */
  async delete(name: string): Promise<boolean> {
    const key = spaceKey(name);
    const result = await this.db.query<{ deleted: boolean; spaces: number }>(
      `WITH held AS (SELECT count(*)::int AS n FROM spaces WHERE lower(project) = $1),
            gone AS (DELETE FROM projects WHERE name_key = $1 AND (SELECT n FROM held) = 0 RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM gone) AS deleted, (SELECT n FROM held) AS spaces`,
      [key],
    );
    const { deleted, spaces } = result.rows[0]!;
    if (!deleted && spaces > 0) throw new MemspaceError('CONFLICT', `project "${name}" still holds ${spaces} spaces`, { project: name, spaces });
    return deleted;
  }

  async spaces(project: string, options: { after?: string | undefined; limit: number }): Promise<SpaceRecord[]> {
    const result = await this.db.query<SpaceRow<unknown>>('SELECT * FROM spaces WHERE lower(project) = $1 AND name_key > $2 ORDER BY name_key LIMIT $3', [
      spaceKey(project),
      spaceKey(options.after ?? ''),
      options.limit,
    ]);
    return result.rows.map((r) => spaceFromRow(r, JSONB));
  }

  async countSpaces(project: string): Promise<number> {
    const result = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM spaces WHERE lower(project) = $1', [spaceKey(project)]);
    return result.rows[0]!.n;
  }
}
