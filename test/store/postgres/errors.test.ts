import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MemspaceError } from '../../../src/core/errors.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { translatePgError } from '../../../src/store/postgres/postgres-errors.js';

/** A pg-style error with a SQLSTATE. */
function pgError(code: string): Error {
  return Object.assign(new Error(`pg ${code}`), { code });
}

describe('translatePgError', () => {
  it.each([
    ['23505', 'CONFLICT'],
    ['23503', 'NOT_FOUND'],
    ['08006', 'BACKEND_UNAVAILABLE'],
    ['08001', 'BACKEND_UNAVAILABLE'],
    ['57P01', 'BACKEND_UNAVAILABLE'],
    ['53100', 'BACKEND_UNAVAILABLE'],
    ['ECONNREFUSED', 'BACKEND_UNAVAILABLE'],
    ['42501', 'INTERNAL'],
    ['42P01', 'INTERNAL'],
  ])('maps %s to %s and keeps the original as cause', (sqlstate, code) => {
    const original = pgError(sqlstate);
    const e = translatePgError(original);
    expect(e).toBeInstanceOf(MemspaceError);
    expect(e.code).toBe(code);
    expect(e.cause).toBe(original);
  });

  it('treats a dropped connection without a code as unavailable, and passes MemspaceErrors through', () => {
    expect(translatePgError(new Error('Connection terminated unexpectedly')).code).toBe('BACKEND_UNAVAILABLE');
    const own = new MemspaceError('QUOTA_EXCEEDED', 'x');
    expect(translatePgError(own)).toBe(own);
    expect(translatePgError('weird').code).toBe('INTERNAL');
  });

  it('a database that cannot be reached is BACKEND_UNAVAILABLE at connect', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    await expect(PostgresBackend.connect({ url: `postgres://postgres@127.0.0.1:${port}/postgres` })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});
