import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HnswJobRunner } from '../../../src/store/sqlite/ann-jobs.js';
import { SWEEP_EXPIRED_SQL, SWEEP_RETENTION_SQL } from '../../../src/store/sqlite/space-rows.js';
import { DEFAULT_HNSW_PARAMS } from '../../../src/store/sqlite/space-search.js';
import type { SqliteSpaceStore } from '../../../src/store/sqlite/sqlite-space-store.js';
import { ctx, DIM, memory, newStore, unit } from './store-fixtures.js';

const NOW = 10_000;

async function vectorIds(store: SqliteSpaceStore, axis: number, now = 0): Promise<string[]> {
  // now = 0: expiry does not hide anything, so only deletion can take a memory out.
  return (await store.vectorSearch(unit(axis), undefined, 50, now)).map((h) => h.id);
}

describe('sweepExpired', () => {
  it('hard-deletes expired memories with their relations, history, change events and one audit entry', async () => {
    const { store } = newStore();
    await store.insertMemories(
      [
        memory('e1', { expiresAt: 5_000, embedding: unit(1) }),
        memory('e2', { expiresAt: NOW, embedding: unit(2) }),
        memory('future', { expiresAt: NOW + 1, embedding: unit(3) }),
        memory('keep', { embedding: unit(4) }),
      ],
      ctx(1_000),
    );
    await store.insertRelation({ id: 'r1', from: 'e1', to: 'keep', type: 'x', weight: 1, metadata: {}, createdAt: 1 }, ctx());
    await store.insertRelation({ id: 'r2', from: 'keep', to: 'future', type: 'x', weight: 1, metadata: {}, createdAt: 1 }, ctx());
    expect(await vectorIds(store, 1)).toContain('e1'); // loads the index before the sweep
    const lastSeq = (await store.stats()).lastSeq;
    const auditBefore = (await store.auditEntries({ limit: 100 })).length;

    expect(await store.sweepExpired(NOW, null, 100, ctx(NOW, 'sweeper'))).toBe(2);

    expect((await store.getMemories(['e1', 'e2', 'future', 'keep'])).map((m) => m.id)).toEqual(['future', 'keep']);
    expect(await store.listRelations(['keep'], 'both', undefined)).toMatchObject([{ id: 'r2' }]);
    const changes = await store.changes(lastSeq, 100);
    expect(changes.map((c) => [c.op, c.id])).toEqual([
      ['relation.deleted', 'r1'],
      ['memory.deleted', 'e1'],
      ['memory.deleted', 'e2'],
    ]);
    expect(changes.every((c) => c.at === NOW)).toBe(true);
    for (const id of ['e1', 'e2']) {
      const history = await store.history(id);
      expect(history.map((h) => h.action)).toEqual(['create', 'delete']);
      expect(history[1]).toMatchObject({ actor: 'sweeper', at: NOW, oldContent: `content of ${id}`, newContent: null });
    }
    const audit = (await store.auditEntries({ limit: 100 })).slice(auditBefore);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'memory.expire', actor: 'sweeper', ids: ['e1', 'e2'], details: { count: 2, reason: 'expired' } });
    expect(await store.verifyAudit()).toMatchObject({ ok: true });

    // The vector index forgot them, even for a search at a time before they expired.
    const found = await vectorIds(store, 1);
    expect(found).not.toContain('e1');
    expect(found).not.toContain('e2');
    expect(found.sort()).toEqual(['future', 'keep']);
    expect((await store.stats()).memories).toBe(2);
  });

  it('applies retention oldest first, at most `limit` per call, and names the reason', async () => {
    const { store } = newStore();
    await store.insertMemories(
      [
        memory('old2', { createdAt: 200 }),
        memory('old1', { createdAt: 100 }),
        memory('young', { createdAt: 5_000 }),
        memory('old-expired', { createdAt: 150, expiresAt: 9_000 }),
      ],
      ctx(),
    );
    const expire = async (): Promise<unknown> => (await store.auditEntries({ action: 'memory.expire', limit: 100 })).map((e) => [e.ids, e.details]);

    expect(await store.sweepExpired(NOW, 1_000, 1, ctx())).toBe(1); // the expired one goes first
    expect(await store.sweepExpired(NOW, 1_000, 1, ctx())).toBe(1);
    expect(await store.sweepExpired(NOW, 1_000, 5, ctx())).toBe(1);
    expect(await store.sweepExpired(NOW, 1_000, 5, ctx())).toBe(0); // nothing left: no entry
    expect(await expire()).toEqual([
      [['old-expired'], { count: 1, reason: 'expired' }],
      [['old1'], { count: 1, reason: 'retention' }],
      [['old2'], { count: 1, reason: 'retention' }],
    ]);
    await store.insertMemories([memory('x', { expiresAt: 1 }), memory('y', { createdAt: 1 })], ctx());
    expect(await store.sweepExpired(NOW, 1_000, 10, ctx())).toBe(2);
    expect((await store.auditEntries({ action: 'memory.expire', limit: 100 })).at(-1)).toMatchObject({ ids: ['x', 'y'], details: { count: 2, reason: 'both' } });
    expect((await store.getMemories(['young'])).length).toBe(1);
    expect(await store.sweepExpired(NOW, null, 0, ctx())).toBe(0);
  });

  it('finds its victims through indexes, not a scan of the table', async () => {
    const { file } = newStore();
    const db = new Database(file, { readonly: true });
    try {
      const plan = (sql: string, params: unknown[]): string =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
      expect(plan(SWEEP_EXPIRED_SQL, [1, 1])).toMatch(/USING INDEX memories_expires/);
      expect(plan(SWEEP_RETENTION_SQL, [1, 1, 1])).toMatch(/USING INDEX memories_created/);
    } finally {
      db.close();
    }
  });

  it('keeps the HNSW index in step: swept memories never come back from an approximate search', async () => {
    const { store } = newStore({ ann: { threshold: 50, params: DEFAULT_HNSW_PARAMS, runner: new HnswJobRunner() } });
    let seed = 3;
    const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
    const vector = (): Float32Array => {
      const v = Float32Array.from({ length: DIM }, random);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const rows = Array.from({ length: 200 }, (_, i) => memory(`m${i}`, { embedding: vector(), expiresAt: i % 20 === 0 ? 5_000 : null }));
    await store.insertMemories(rows, ctx());
    await store.settleIndex();
    expect((await store.stats()).vectorIndex).toMatchObject({ state: 'ready', indexed: 200 });

    expect(await store.sweepExpired(NOW, null, 1_000, ctx())).toBe(10);
    const swept = new Set(rows.filter((_, i) => i % 20 === 0).map((r) => r.id));
    // Few enough changes that searches still go through the index, which still holds the swept rows.
    await store.vectorSearch(rows[0]!.embedding, undefined, 1, 0);
    expect((await store.stats()).vectorIndex).toMatchObject({ state: 'ready', indexed: 200, lag: 10 });
    for (const q of rows.slice(0, 20)) {
      const approx = (await store.vectorSearch(q.embedding, undefined, 10, 0)).map((h) => h.id);
      expect(approx.filter((id) => swept.has(id))).toEqual([]);
      expect(approx).toHaveLength(10);
    }
    await store.settleIndex();
    const exact = (await store.vectorSearch(rows[1]!.embedding, undefined, 10, 0, { exact: true })).map((h) => h.id);
    expect(exact.filter((id) => swept.has(id))).toEqual([]);
  });
});
