import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATCH_ALL } from '../../../src/core/filter.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { startPglite, type PgliteServer } from '../../support/pglite.js';
import { memoryRow, spaceRecord, writeCtx } from '../../support/space-records.js';

let server: PgliteServer;
let one: PostgresBackend;
let two: PostgresBackend;

beforeAll(async () => {
  server = await startPglite();
  // Two servers starting together: the migration lock lets one migrate and the other find it done.
  [one, two] = await Promise.all([PostgresBackend.connect({ url: server.url, poolSize: 4 }), PostgresBackend.connect({ url: server.url, poolSize: 4 })]);
});

afterAll(async () => {
  await one?.close();
  await two?.close();
  await server?.stop();
});

describe('two backends on one database', () => {
  it('a write through one is read through the other at once, and names stay unique across both', async () => {
    await one.spaces.create(spaceRecord('Shared'));
    await expect(two.spaces.create(spaceRecord('shared'))).rejects.toMatchObject({ code: 'CONFLICT' });
    const a = await one.spaces.open(spaceRecord('Shared'));
    const b = await two.spaces.open(spaceRecord('Shared'));
    await a.insertMemories([memoryRow('m1', 'written through one', 0)], writeCtx());
    expect((await b.getMemories(['m1']))[0]?.content).toBe('written through one');
    expect((await b.changes(0, 10)).map((c) => c.id)).toEqual(['m1']);
  });

  it('writers on both cannot cross a quota together, and the feed and audit chain stay gapless', async () => {
    await one.spaces.create(spaceRecord('quota'));
    const stores = [await one.spaces.open(spaceRecord('quota')), await two.spaces.open(spaceRecord('quota'))];
    const limits = { maxMemories: 6, maxBytes: null };
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => stores[i % 2]!.insertMemories([memoryRow(`w${i}`, `writer ${i}`, i)], writeCtx(), limits)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(6);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'QUOTA_EXCEEDED')).toBe(true);
    expect(await stores[1]!.countMemories(MATCH_ALL)).toBe(6);
    expect((await stores[0]!.changes(0, 100)).map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await stores[1]!.verifyAudit()).toEqual({ ok: true, entries: 6 });
  });
});
