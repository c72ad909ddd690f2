import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATCH_ALL } from '../../../src/core/filter.js';
import type { Backend } from '../../../src/core/ports/backend.js';
import { SpaceRegistry } from '../../../src/engine/space-registry.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { startPglite, type PgliteServer } from '../../support/pglite.js';
import { contextRow, memoryRow, spaceRecord, writeCtx } from '../../support/space-records.js';

let server: PgliteServer;
let backend: PostgresBackend;

beforeAll(async () => {
  server = await startPglite();
  backend = await PostgresBackend.connect({ url: server.url, poolSize: 4 });
});

afterAll(async () => {
  await backend?.close();
  await server?.stop();
});

describe('postgres catalogue: spaces', () => {
  it('creates, reads, updates and lists spaces; names are unique whatever their case', async () => {
    await backend.spaces.create(spaceRecord('Acme.Sales', { labels: { team: 'a' }, quotas: { maxMemories: 5, maxBytes: null, maxRequestsPerSecond: 2 } }));
    await backend.spaces.create(spaceRecord('acme.support'));
    await backend.spaces.create(spaceRecord('beta_1'));
    await expect(backend.spaces.create(spaceRecord('ACME.sales'))).rejects.toMatchObject({ code: 'CONFLICT', details: { name: 'Acme.Sales' } });

    const got = await backend.spaces.get('acme.SALES');
    expect(got).toEqual(spaceRecord('Acme.Sales', { labels: { team: 'a' }, quotas: { maxMemories: 5, maxBytes: null, maxRequestsPerSecond: 2 } }));
    expect(await backend.spaces.get('nope')).toBeUndefined();

    await backend.spaces.update({ ...got!, description: 'sales', retentionDays: 30, updatedAt: 5_000, state: 'active' });
    expect(await backend.spaces.get('Acme.Sales')).toMatchObject({ description: 'sales', retentionDays: 30, updatedAt: 5_000, state: 'active', createdAt: 1_000 });
    await expect(backend.spaces.update(spaceRecord('ghost'))).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });

    expect((await backend.spaces.list({ limit: 10 })).map((s) => s.name)).toEqual(['Acme.Sales', 'acme.support', 'beta_1']);
    expect((await backend.spaces.list({ prefix: 'ACME.', limit: 10 })).map((s) => s.name)).toEqual(['Acme.Sales', 'acme.support']);
    expect((await backend.spaces.list({ after: 'acme.sales', limit: 10 })).map((s) => s.name)).toEqual(['acme.support', 'beta_1']);
    expect((await backend.spaces.list({ limit: 1 })).map((s) => s.name)).toEqual(['Acme.Sales']);
    // "_" in a prefix is literal, not LIKE's wildcard.
    expect((await backend.spaces.list({ prefix: 'beta_', limit: 10 })).map((s) => s.name)).toEqual(['beta_1']);
    expect(await backend.spaces.list({ prefix: 'betaX', limit: 10 })).toEqual([]);
  });

  it('deletes every row of a space in every table, and only of that space', async () => {
    await backend.spaces.create(spaceRecord('doomed'));
    await backend.spaces.create(spaceRecord('kept'));
    for (const name of ['doomed', 'kept']) {
      const store = await backend.spaces.open(spaceRecord(name));
      await store.insertMemories([memoryRow('m1', `${name} one`, 0), memoryRow('m2', `${name} two`, 1)], writeCtx());
      await store.insertRelation({ id: 'r1', from: 'm1', to: 'm2', type: 't', weight: 1, metadata: {}, createdAt: 2_000 }, writeCtx());
      await store.insertContext(contextRow('c1', `${name} context`), writeCtx());
    }
    await backend.shares.create({ id: 's1', space: 'doomed', toSpace: 'kept', toKey: null, role: 'read', tags: null, createdAt: 1, createdBy: null });
    await backend.shares.create({ id: 's2', space: 'kept', toSpace: 'DOOMED', toKey: null, role: 'read', tags: ['a'], createdAt: 2, createdBy: 'k' });

    expect(await backend.spaces.delete('DOOMED')).toBe(true);
    expect(await backend.spaces.delete('doomed')).toBe(false);
    expect(await backend.spaces.get('doomed')).toBeUndefined();
    expect(await backend.shares.list('kept')).toEqual([]);

    const pool = backend.connectionPool;
    for (const table of ['space_state', 'memories', 'history', 'relations', 'contexts', 'audit', 'changes']) {
      // As the connecting (superuser) role, which RLS does not restrict: the true count.
      const rows = await pool.query<{ space_id: string; n: number }>(`SELECT space_id, count(*)::int AS n FROM ${table} WHERE space_id IN ('doomed', 'kept') GROUP BY space_id`);
      expect(rows.rows.map((r) => r.space_id), table).toEqual(['kept']);
    }

    // A new space of the same name starts empty.
    await backend.spaces.create(spaceRecord('Doomed'));
    const again = await backend.spaces.open(spaceRecord('Doomed'));
    expect(await again.countMemories(MATCH_ALL)).toBe(0);
    expect(await again.auditEntries({ limit: 10 })).toEqual([]);
    expect((await again.stats()).lastSeq).toBe(0);
    const kept = await backend.spaces.open(spaceRecord('kept'));
    expect(await kept.countMemories(MATCH_ALL)).toBe(2);
    expect(await kept.verifyAudit()).toEqual({ ok: true, entries: 3 });
  });

  it('inspects a space from its counters', async () => {
    await backend.spaces.create(spaceRecord('inspected'));
    expect(await backend.spaces.inspect(spaceRecord('inspected'))).toMatchObject({ memories: 0, relations: 0, contexts: 0, payloadBytes: 0, lastSeq: 0, lastWriteAt: null });
    const store = await backend.spaces.open(spaceRecord('inspected'));
    await store.insertMemories([memoryRow('a', 'alpha', 0), memoryRow('b', 'beta', 1)], writeCtx(2_500));
    const figures = await backend.spaces.inspect(spaceRecord('INSPECTED'));
    expect(figures).toMatchObject({ memories: 2, relations: 0, contexts: 0, lastSeq: 2, lastWriteAt: 2_500, walBytes: 0, uncheckpointedSince: null });
    expect(figures.payloadBytes).toBeGreaterThan(2 * 16);
    expect(figures.payloadBytes).toBe((await store.stats()).payloadBytes);
  });

  it('refuses archive and restore: a postgres space has no files to pack, so the backend has no archiver', async () => {
    expect((backend as Backend).archiver).toBeUndefined();
    const registry = new SpaceRegistry(backend);
    await expect(registry.archive('inspected')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { space: 'inspected' } });
    await expect(registry.restore('inspected')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { space: 'inspected' } });
    await expect(registry.archive('nowhere')).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });
    await registry.close();
  });
});

describe('postgres catalogue: keys and shares', () => {
  it('stores keys by hash, lists them oldest first and revokes once', async () => {
    const key = { id: 'k1', name: 'one', hash: 'h1', grants: [{ space: 'a', role: 'read' as const }], defaultSpace: 'a', createdAt: 10, revokedAt: null };
    await backend.keys.create(key);
    await backend.keys.create({ ...key, id: 'k0', name: 'zero', hash: 'h0', grants: [{ prefix: 'acme.', role: 'admin' as const }], defaultSpace: null, createdAt: 5 });
    await expect(backend.keys.create({ ...key, id: 'k2' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(backend.keys.create({ ...key, hash: 'other' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await backend.keys.findByHash('h1')).toEqual(key);
    expect(await backend.keys.findByHash('nope')).toBeUndefined();
    expect((await backend.keys.list()).map((k) => k.id)).toEqual(['k0', 'k1']);
    expect(await backend.keys.revoke('k1', 99)).toBe(true);
    expect(await backend.keys.revoke('k1', 100)).toBe(false);
    expect(await backend.keys.revoke('ghost', 100)).toBe(false);
    expect((await backend.keys.findByHash('h1'))?.revokedAt).toBe(99);
    expect(await backend.keys.findById('k1')).toEqual({ ...key, revokedAt: 99 });
    expect(await backend.keys.findById('ghost')).toBeUndefined();
  });

  it('stores, lists (any case) and deletes shares', async () => {
    const share = { id: 'sh1', space: 'Acme.Sales', toSpace: null, toKey: 'k1', role: 'read' as const, tags: ['x', 'y'], createdAt: 3, createdBy: 'root' };
    await backend.shares.create(share);
    await expect(backend.shares.create(share)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await backend.shares.list('acme.sales')).toEqual([share]);
    expect(await backend.shares.delete('acme.support', 'sh1')).toBe(false);
    expect(await backend.shares.delete('ACME.SALES', 'sh1')).toBe(true);
    expect(await backend.shares.list('Acme.Sales')).toEqual([]);
  });
});
