import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATCH_ALL } from '../../../src/core/filter.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { startPglite } from '../../support/pglite.js';
import { startPostgres } from '../../support/postgres-server.js';
import { memoryRow, spaceRecord, writeCtx } from '../../support/space-records.js';

/**
 * Two backends over one database, as two servers would be. On PGlite every connection shares
 * one session, so statements never truly overlap; only the real server runs the writers'
 * transactions at once, which is where a missing row lock (the state row's `FOR UPDATE`) shows.
 */
const TARGETS: { name: string; start: () => Promise<{ url: string; stop(): Promise<void> }> }[] = [
  { name: 'PGlite', start: startPglite },
  { name: 'PostgreSQL 15', start: () => startPostgres() },
];

describe.each(TARGETS)('two backends on one database ($name)', ({ start }) => {
  let server: { url: string; stop(): Promise<void> };
  let one: PostgresBackend;
  let two: PostgresBackend;

  beforeAll(async () => {
    server = await start();
    // Two servers starting together: the migration lock lets one migrate and the other find it done.
    [one, two] = await Promise.all([PostgresBackend.connect({ url: server.url, poolSize: 4 }), PostgresBackend.connect({ url: server.url, poolSize: 4 })]);
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await server?.stop();
  });

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
    const limits = { maxMemories: 12, maxBytes: null };
    // More writers than both pools have connections, so transactions of both servers overlap.
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => stores[i % 2]!.insertMemories([memoryRow(`w${i}`, `writer ${i}`, i)], writeCtx(), limits)),
    );
    const refusals = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code] : []));
    expect(refusals).toEqual(Array.from({ length: 8 }, () => 'QUOTA_EXCEEDED'));
    const acknowledged = results.flatMap((r, i) => (r.status === 'fulfilled' ? [`w${i}`] : []));
    expect((await stores[1]!.getMemories(acknowledged)).map((m) => m.id)).toEqual(acknowledged);
    expect(await stores[1]!.countMemories(MATCH_ALL)).toBe(12);
    expect((await stores[0]!.changes(0, 100)).map((c) => c.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await stores[1]!.verifyAudit()).toEqual({ ok: true, entries: 12 });
  });
});
