import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATCH_ALL } from '../../../src/core/filter.js';
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
    await backend.createSpace(spaceRecord('Acme.Sales', { labels: { team: 'a' }, quotas: { maxMemories: 5, maxBytes: null, maxRequestsPerSecond: 2 } }));
    await backend.createSpace(spaceRecord('acme.support'));
    await backend.createSpace(spaceRecord('beta_1'));
    await expect(backend.createSpace(spaceRecord('ACME.sales'))).rejects.toMatchObject({ code: 'CONFLICT', details: { name: 'Acme.Sales' } });

    const got = await backend.getSpace('acme.SALES');
    expect(got).toEqual(spaceRecord('Acme.Sales', { labels: { team: 'a' }, quotas: { maxMemories: 5, maxBytes: null, maxRequestsPerSecond: 2 } }));
    expect(await backend.getSpace('nope')).toBeUndefined();

    await backend.updateSpace({ ...got!, description: 'sales', retentionDays: 30, updatedAt: 5_000, state: 'active' });
    expect(await backend.getSpace('Acme.Sales')).toMatchObject({ description: 'sales', retentionDays: 30, updatedAt: 5_000, state: 'active', createdAt: 1_000 });
    await expect(backend.updateSpace(spaceRecord('ghost'))).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });

    expect((await backend.listSpaces({ limit: 10 })).map((s) => s.name)).toEqual(['Acme.Sales', 'acme.support', 'beta_1']);
    expect((await backend.listSpaces({ prefix: 'ACME.', limit: 10 })).map((s) => s.name)).toEqual(['Acme.Sales', 'acme.support']);
    expect((await backend.listSpaces({ after: 'acme.sales', limit: 10 })).map((s) => s.name)).toEqual(['acme.support', 'beta_1']);
    expect((await backend.listSpaces({ limit: 1 })).map((s) => s.name)).toEqual(['Acme.Sales']);
    // "_" in a prefix is literal, not LIKE's wildcard.
    expect((await backend.listSpaces({ prefix: 'beta_', limit: 10 })).map((s) => s.name)).toEqual(['beta_1']);
    expect(await backend.listSpaces({ prefix: 'betaX', limit: 10 })).toEqual([]);
  });

  it('deletes every row of a space in every table, and only of that space', async () => {
    await backend.createSpace(spaceRecord('doomed'));
    await backend.createSpace(spaceRecord('kept'));
    for (const name of ['doomed', 'kept']) {
      const store = await backend.openSpace(spaceRecord(name));
      await store.insertMemories([memoryRow('m1', `${name} one`, 0), memoryRow('m2', `${name} two`, 1)], writeCtx());
      await store.insertRelation({ id: 'r1', from: 'm1', to: 'm2', type: 't', weight: 1, metadata: {}, createdAt: 2_000 }, writeCtx());
      await store.insertContext(contextRow('c1', `${name} context`), writeCtx());
    }
    await backend.createShare({ id: 's1', space: 'doomed', toSpace: 'kept', toKey: null, role: 'read', tags: null, createdAt: 1, createdBy: null });
    await backend.createShare({ id: 's2', space: 'kept', toSpace: 'DOOMED', toKey: null, role: 'read', tags: ['a'], createdAt: 2, createdBy: 'k' });

    expect(await backend.deleteSpace('DOOMED')).toBe(true);
    expect(await backend.deleteSpace('doomed')).toBe(false);
    expect(await backend.getSpace('doomed')).toBeUndefined();
    expect(await backend.listShares('kept')).toEqual([]);

    const pool = backend.connectionPool;
    for (const table of ['space_state', 'memories', 'history', 'relations', 'contexts', 'audit', 'changes']) {
      // As the connecting (superuser) role, which RLS does not restrict: the true count.
      const rows = await pool.query<{ space_id: string; n: number }>(`SELECT space_id, count(*)::int AS n FROM ${table} WHERE space_id IN ('doomed', 'kept') GROUP BY space_id`);
      expect(rows.rows.map((r) => r.space_id), table).toEqual(['kept']);
    }

    // A new space of the same name starts empty.
    await backend.createSpace(spaceRecord('Doomed'));
    const again = await backend.openSpace(spaceRecord('Doomed'));
    expect(await again.countMemories(MATCH_ALL)).toBe(0);
    expect(await again.auditEntries({ limit: 10 })).toEqual([]);
    expect((await again.stats()).lastSeq).toBe(0);
    const kept = await backend.openSpace(spaceRecord('kept'));
    expect(await kept.countMemories(MATCH_ALL)).toBe(2);
    expect(await kept.verifyAudit()).toEqual({ ok: true, entries: 3 });
  });

  it('inspects a space from its counters', async () => {
    await backend.createSpace(spaceRecord('inspected'));
    expect(await backend.inspectSpace(spaceRecord('inspected'))).toMatchObject({ memories: 0, relations: 0, contexts: 0, payloadBytes: 0, lastSeq: 0, lastWriteAt: null });
    const store = await backend.openSpace(spaceRecord('inspected'));
    await store.insertMemories([memoryRow('a', 'alpha', 0), memoryRow('b', 'beta', 1)], writeCtx(2_500));
    const figures = await backend.inspectSpace(spaceRecord('INSPECTED'));
    expect(figures).toMatchObject({ memories: 2, relations: 0, contexts: 0, lastSeq: 2, lastWriteAt: 2_500, walBytes: 0, uncheckpointedSince: null });
    expect(figures.payloadBytes).toBeGreaterThan(2 * 16);
    expect(figures.payloadBytes).toBe((await store.stats()).payloadBytes);
  });

  it('refuses archive and restore: a postgres space has no files to pack', async () => {
    await expect(backend.archiveSpace('inspected')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(backend.restoreSpace('inspected')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('postgres catalogue: keys and shares', () => {
  it('stores keys by hash, lists them oldest first and revokes once', async () => {
    const key = { id: 'k1', name: 'one', hash: 'h1', grants: [{ space: 'a', role: 'read' as const }], defaultSpace: 'a', createdAt: 10, revokedAt: null };
    await backend.createKey(key);
    await backend.createKey({ ...key, id: 'k0', name: 'zero', hash: 'h0', grants: [{ prefix: 'acme.', role: 'admin' as const }], defaultSpace: null, createdAt: 5 });
    await expect(backend.createKey({ ...key, id: 'k2' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(backend.createKey({ ...key, hash: 'other' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await backend.findKeyByHash('h1')).toEqual(key);
    expect(await backend.findKeyByHash('nope')).toBeUndefined();
    expect((await backend.listKeys()).map((k) => k.id)).toEqual(['k0', 'k1']);
    expect(await backend.revokeKey('k1', 99)).toBe(true);
    expect(await backend.revokeKey('k1', 100)).toBe(false);
    expect(await backend.revokeKey('ghost', 100)).toBe(false);
    expect((await backend.findKeyByHash('h1'))?.revokedAt).toBe(99);
  });

  it('stores, lists (any case) and deletes shares', async () => {
    const share = { id: 'sh1', space: 'Acme.Sales', toSpace: null, toKey: 'k1', role: 'read' as const, tags: ['x', 'y'], createdAt: 3, createdBy: 'root' };
    await backend.createShare(share);
    await expect(backend.createShare(share)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await backend.listShares('acme.sales')).toEqual([share]);
    expect(await backend.deleteShare('acme.support', 'sh1')).toBe(false);
    expect(await backend.deleteShare('ACME.SALES', 'sh1')).toBe(true);
    expect(await backend.listShares('Acme.Sales')).toEqual([]);
  });
});
