import type pg from 'pg';
import { MemspaceError } from '../../core/errors.js';
import type { JsonColumn } from '../common/catalog-rows.js';
import { translatePgError } from './postgres-errors.js';
import { inTransaction, type SpaceDatabase } from './space-tx.js';

/** JSON columns of the catalogue are `jsonb`: the pool returns them parsed and takes their JSON text. */
export const JSONB: JsonColumn<unknown> = { decode: (value) => value, encode: (value) => JSON.stringify(value) };

/**
 * The backend's pool as the catalogue uses it: one statement at a time (autocommit, as the
 * connecting role), refused once the backend is closed. It is also the {@link SpaceDatabase}
 * that space transactions open on.
 */
export class CatalogPool implements SpaceDatabase {
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    readonly citus: boolean,
  ) {}

  /** Runs one statement, with errors translated. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw translatePgError(error);
    }
  }

  /** Runs `fn` in one transaction of the connecting role (the catalogue has no row-level security), with errors translated. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    return inTransaction(this.pool, async (client) => {
      await client.query('BEGIN');
      return fn(client);
    });
  }

  /** `BACKEND_UNAVAILABLE` once the backend is closed. */
  assertOpen(): void {
    if (this.closed) throw new MemspaceError('BACKEND_UNAVAILABLE', 'the postgres backend is closed');
  }

  /** Refuses every later statement; true the first time. */
  close(): boolean {
    const first = !this.closed;
    this.closed = true;
    return first;
  }
}
