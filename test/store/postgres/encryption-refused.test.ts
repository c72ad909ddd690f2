import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { startPglite } from '../../support/pglite.js';
import { startPostgres } from '../../support/postgres-server.js';
import { spaceRecord } from '../../support/space-records.js';

/** PostgreSQL offers no per-space encryption (docs/encryption.md): `encryption: true` is refused, and nothing is created. */
const TARGETS: { name: string; start: () => Promise<{ url: string; stop(): Promise<void> }> }[] = [
  { name: 'PGlite', start: startPglite },
  { name: 'PostgreSQL 15', start: () => startPostgres() },
];

describe.each(TARGETS)('encryption: true on PostgreSQL ($name)', ({ start }) => {
  let server: { url: string; stop(): Promise<void> };
  let backend: PostgresBackend;

  beforeAll(async () => {
    server = await start();
    backend = await PostgresBackend.connect({ url: server.url, poolSize: 2 });
  });

  afterAll(async () => {
    await backend?.close();
    await server?.stop();
  });

  it('is VALIDATION_FAILED explaining why, and creates nothing; a plain space of the same name can then be created', async () => {
    const refused = backend.spaces.create({ ...spaceRecord('vault'), encryption: true });
    await expect(refused).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'encryption', backend: 'postgres' } });
    await expect(refused).rejects.toThrow(/database's own encryption at rest/);
    expect(await backend.spaces.get('vault')).toBeUndefined();
    await backend.spaces.create(spaceRecord('vault'));
    expect((await backend.spaces.get('vault'))?.encryption).toBe(false);
  });
});
