import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnCondition, MATCH_ALL } from '../../../src/core/filter.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { APP_ROLE, migrate, PG_MIGRATIONS, SPACE_TABLES } from '../../../src/store/postgres/space-schema.js';
import { startPglite, type PgliteServer } from '../../support/pglite.js';
import { memoryRow, spaceRecord, unit, writeCtx } from '../../support/space-records.js';
import { statementsOf } from '../../support/statement-log.js';

let server: PgliteServer;
let backend: PostgresBackend;
let raw: pg.Client;

beforeAll(async () => {
  server = await startPglite();
  backend = await PostgresBackend.connect({ url: server.url, poolSize: 4 });
  raw = new pg.Client({ connectionString: server.url });
  await raw.connect();
  await backend.spaces.create(spaceRecord('alpha'));
  await backend.spaces.create(spaceRecord('beta'));
  const a = await backend.spaces.open(spaceRecord('alpha'));
  await a.insertMemories([memoryRow('m1', 'alpha secret one', 0), memoryRow('m2', 'alpha secret two', 1)], writeCtx());
  await a.insertRelation({ id: 'r1', from: 'm1', to: 'm2', type: 'x', weight: 1, metadata: {}, createdAt: 2_000 }, writeCtx());
  const b = await backend.spaces.open(spaceRecord('beta'));
  await b.insertMemories([memoryRow('m9', 'beta own', 2)], writeCtx());
});

afterAll(async () => {
  await raw?.end();
  await backend?.close();
  await server?.stop();
});

/** Runs `fn` inside a transaction as the server's role, scoped to `space`, then rolls back. */
async function asApp<T>(space: string, fn: () => Promise<T>): Promise<T> {
  await raw.query(`BEGIN; SET LOCAL ROLE ${APP_ROLE}`);
  try {
    await raw.query(`SELECT set_config('memspace.space', $1, true)`, [space]);
    return await fn();
  } finally {
    await raw.query('ROLLBACK');
  }
}

describe('postgres schema', () => {
  it('migrations are idempotent: a second run applies nothing and changes nothing', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    try {
      expect(await migrate(pool)).toBe(0);
      expect(await migrate(pool)).toBe(0);
      const versions = await pool.query('SELECT version FROM memspace_migrations ORDER BY version');
      expect(versions.rows.map((r: { version: number }) => r.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
      // A second backend on the same database starts without error and sees the same data.
      const second = await PostgresBackend.connect({ url: server.url, poolSize: 2 });
      expect((await second.spaces.get('ALPHA'))?.name).toBe('alpha');
      await second.close();
    } finally {
      await pool.end();
    }
  });

  it('puts space_id first in every primary key and index of the per-space tables', async () => {
    const indexes = await raw.query<{ tablename: string; indexdef: string }>(
      `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1::text[])`,
      [[...SPACE_TABLES]],
    );
    expect(indexes.rows.length).toBeGreaterThan(SPACE_TABLES.length);
    for (const row of indexes.rows) expect(row.indexdef, row.indexdef).toMatch(/USING (btree|gin) \(space_id[,)]/);
  });

  it('has RLS enabled and forced on every per-space table, and a role that cannot bypass it', async () => {
    const tables = await raw.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY($1::text[]) AND relkind = 'r'`,
      [[...SPACE_TABLES]],
    );
    expect(tables.rows).toHaveLength(SPACE_TABLES.length);
    for (const t of tables.rows) expect([t.relname, t.relrowsecurity, t.relforcerowsecurity]).toEqual([t.relname, true, true]);
    const role = await raw.query('SELECT rolcanlogin, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
    expect(role.rows[0]).toEqual({ rolcanlogin: false, rolbypassrls: false, rolsuper: false });
  });
});

describe('row-level security', () => {
  it('a raw SELECT with no WHERE, as the server role scoped to B, returns none of A’s rows', async () => {
    await asApp('beta', async () => {
      for (const table of ['memories', 'history', 'changes', 'audit', 'space_state']) {
        const rows = await raw.query<{ space_id: string }>(`SELECT * FROM ${table}`);
        expect(rows.rows.length, table).toBeGreaterThan(0);
        expect(rows.rows.every((r) => r.space_id === 'beta'), table).toBe(true);
      }
      expect((await raw.query('SELECT * FROM relations')).rows).toEqual([]);
      expect((await raw.query(`SELECT * FROM memories WHERE content LIKE 'alpha%'`)).rows).toEqual([]);
    });
  });

  it('sees nothing at all when no space is set', async () => {
    await raw.query(`BEGIN; SET LOCAL ROLE ${APP_ROLE}`);
    try {
      expect((await raw.query('SELECT * FROM memories')).rows).toEqual([]);
    } finally {
      await raw.query('ROLLBACK');
    }
  });

  it('rejects an INSERT of a row of space A while scoped to B (WITH CHECK)', async () => {
    await expect(
      asApp('beta', () => raw.query(`INSERT INTO changes (space_id, seq, at, op, id) VALUES ('alpha', 999, 1, 'memory.created', 'x')`)),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('cannot move a row to another space by UPDATE, nor touch A’s rows by UPDATE or DELETE', async () => {
    await expect(asApp('beta', () => raw.query(`UPDATE memories SET space_id = 'alpha'`))).rejects.toMatchObject({ code: '42501' });
    const touched = await asApp('alpha', async () => {
      await raw.query(`SELECT set_config('memspace.space', 'beta', true)`);
      const u = await raw.query(`UPDATE memories SET content = 'x' WHERE space_id = 'alpha'`);
      const d = await raw.query(`DELETE FROM memories WHERE space_id = 'alpha'`);
      return [u.rowCount, d.rowCount];
    });
    expect(touched).toEqual([0, 0]);
  });

  it('keeps the audit trail append-only for the server role', async () => {
    await expect(asApp('alpha', () => raw.query('DELETE FROM audit'))).rejects.toMatchObject({ code: '42501' });
    await expect(asApp('alpha', () => raw.query(`UPDATE audit SET actor = 'x'`))).rejects.toMatchObject({ code: '42501' });
  });

  it('leaves no role or space setting behind on the connection after a store transaction', async () => {
    const a = await backend.spaces.open(spaceRecord('alpha'));
    await a.countMemories(MATCH_ALL);
    const pool = backend.connectionPool;
    const seen = await pool.query<{ role: string; space: string | null }>(`SELECT current_user AS role, current_setting('memspace.space', true) AS space`);
    expect(seen.rows[0]!.role).not.toBe(APP_ROLE);
    expect(seen.rows[0]!.space ?? '').toBe('');
  });

  it('the store never issues a statement on a per-space table without a space_id condition', async () => {
    const statements = await statementsOf(backend.connectionPool, async () => {
      const b = await backend.spaces.open(spaceRecord('beta'));
      await b.insertMemories([memoryRow('n1', 'beta two', 1), memoryRow('n2', 'beta three', 3)], writeCtx());
      await b.updateMemory({ ...memoryRow('n1', 'beta two changed', 1), updatedAt: 3_000 }, writeCtx(3_000));
      await b.insertRelation({ id: 'rb', from: 'n1', to: 'n2', type: 'x', weight: 1, metadata: {}, createdAt: 3_000 }, writeCtx());
      await b.listRelations(['n1'], 'both', undefined);
      await b.getMemories(['n1', 'm1']);
      await b.listMemories({ filter: MATCH_ALL, limit: 10, cursor: undefined, order: 'asc' });
      await b.keywordSearch('beta', undefined, 5, 5_000);
      await b.vectorSearch(unit(1), undefined, 5, 5_000);
      await b.vectorScores(unit(1), ['n1']);
      await b.history('n1');
      await b.changes(0, 100);
      await b.auditEntries({ limit: 100 });
      await b.verifyAudit();
      await b.deleteMemories(columnCondition('id', 'eq', 'n1'), writeCtx());
      await b.sweepExpired(10_000, 0, 10, writeCtx());
      await b.stats();
    });
    const perSpace = new RegExp(`\\b(${SPACE_TABLES.join('|')})\\b`);
    const touching = statements.filter((s) => perSpace.test(s) && !/^\s*(BEGIN|COMMIT|ROLLBACK)/.test(s));
    expect(touching.length).toBeGreaterThan(15);
    // Reads, updates and deletes name the space; inserts write it as their first value.
    for (const sql of touching) expect(sql, sql).toMatch(/space_id = \$1|SELECT \$1,|\(space_id[^)]*\)\s*VALUES \(\$1[,)]/);
  });
});
