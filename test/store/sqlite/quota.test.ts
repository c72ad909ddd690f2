import { describe, expect, it } from 'vitest';
import { MemspaceError } from '../../../src/core/errors.js';
import type { ContextRecord } from '../../../src/core/types.js';
import { ctx, footprint, memory, newStore, unit } from './store-fixtures.js';

const NO_LIMIT = { maxMemories: null, maxBytes: null };

function quotaError(error: unknown): { quota: unknown; limit: unknown; current: unknown; requested: unknown } {
  expect(error).toBeInstanceOf(MemspaceError);
  expect((error as MemspaceError).code).toBe('QUOTA_EXCEEDED');
  return (error as MemspaceError).details as never;
}

function context(id: string, content: string): ContextRecord {
  return { id, content, summary: 'summary', metadata: {}, embedding: unit(1), createdAt: 1, originalBytes: 0, storedBytes: 0 };
}

describe('storage quotas, checked inside the write transaction', () => {
  it('refuses a batch that would cross maxMemories and writes nothing of it', async () => {
    const { store } = newStore();
    await store.insertMemories([memory('a'), memory('b'), memory('c')], ctx(), { maxMemories: 5, maxBytes: null });
    const before = await footprint(store);
    const changesBefore = await store.changes(0, 1000);

    const error = await store.insertMemories([memory('d'), memory('e'), memory('f')], ctx(), { maxMemories: 5, maxBytes: null }).catch((e: unknown) => e);
    expect(quotaError(error)).toEqual({ quota: 'maxMemories', limit: 5, current: 3, requested: 3 });

    expect(await footprint(store)).toEqual(before);
    expect(await store.changes(0, 1000)).toEqual(changesBefore);
    expect(await store.getMemories(['d', 'e', 'f'])).toEqual([]);
    // Up to the limit exactly is allowed.
    await store.insertMemories([memory('d'), memory('e')], ctx(), { maxMemories: 5, maxBytes: null });
    expect((await store.stats()).memories).toBe(5);
  });

  it('refuses a batch that would cross maxBytes, naming the bytes it would add', async () => {
    const { store } = newStore();
    await store.insertMemories([memory('a')], ctx());
    const { payloadBytes } = await store.stats();
    const big = memory('big', { content: 'x'.repeat(1000) });
    const error = await store.insertMemories([big], ctx(), { maxMemories: null, maxBytes: payloadBytes + 500 }).catch((e: unknown) => e);
    const details = quotaError(error);
    expect(details).toMatchObject({ quota: 'maxBytes', limit: payloadBytes + 500, current: payloadBytes });
    expect(details.requested).toBeGreaterThan(1000);
    expect((await store.stats()).payloadBytes).toBe(payloadBytes);
    // Exactly what it asked for fits.
    await store.insertMemories([big], ctx(), { maxMemories: null, maxBytes: payloadBytes + (details.requested as number) });
  });

  it('fails only the caller of a group commit that crosses the quota; the others commit', async () => {
    const { store } = newStore();
    await store.insertMemories([memory('a'), memory('b'), memory('c')], ctx());
    const limits = { maxMemories: 5, maxBytes: null };
    const auditBefore = (await store.auditEntries({ limit: 1000 })).length;
    // Three callers in the same turn of the event loop: one group, one transaction.
    const results = await Promise.allSettled([
      store.insertMemories([memory('g1')], ctx(), limits),
      store.insertMemories([memory('g2'), memory('g3')], ctx(), limits),
      store.insertMemories([memory('g4')], ctx(), limits),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The failing caller saw the first caller's row: current counts it.
    expect(quotaError((results[1] as PromiseRejectedResult).reason)).toEqual({ quota: 'maxMemories', limit: 5, current: 4, requested: 2 });
    expect((await store.getMemories(['g1', 'g2', 'g3', 'g4'])).map((m) => m.id)).toEqual(['g1', 'g4']);
    const audit = await store.auditEntries({ limit: 1000 });
    expect(audit.slice(auditBefore).map((e) => e.ids)).toEqual([['g1'], ['g4']]);
    expect(await store.verifyAudit()).toEqual({ ok: true, entries: audit.length });
    expect(await store.history('g2')).toEqual([]);
  });

  it('lets an update grow a memory only within maxBytes, and always lets it shrink', async () => {
    const { store } = newStore();
    await store.insertMemories([memory('a', { content: 'y'.repeat(400) })], ctx());
    const { payloadBytes } = await store.stats();
    const before = await footprint(store);
    const grown = memory('a', { content: 'y'.repeat(600) });
    const error = await store.updateMemory(grown, ctx(), { maxMemories: null, maxBytes: payloadBytes + 100 }).catch((e: unknown) => e);
    expect(quotaError(error)).toEqual({ quota: 'maxBytes', limit: payloadBytes + 100, current: payloadBytes, requested: 200 });
    expect(await footprint(store)).toEqual(before);
    expect((await store.getMemories(['a']))[0]!.content).toBe('y'.repeat(400));
    // A space already above a lowered quota may still shrink.
    await store.updateMemory(memory('a', { content: 'y'.repeat(10) }), ctx(), { maxMemories: 0, maxBytes: 1 });
    expect((await store.stats()).payloadBytes).toBe(payloadBytes - 390);
  });

  it('counts contexts as stored against maxBytes', async () => {
    const { store } = newStore();
    await store.insertContext(context('c1', 'some text '.repeat(1000)), ctx(), NO_LIMIT);
    const { payloadBytes } = await store.stats();
    const stored = (await store.getContext('c1'))!.storedBytes;
    expect(stored).toBeLessThan(10_000 / 4); // repetitive text compresses well
    expect(payloadBytes).toBe(stored + 'summary'.length + '{}'.length + 8 * 4);
    const error = await store.insertContext(context('c2', 'other text '.repeat(1000)), ctx(), { maxMemories: 0, maxBytes: payloadBytes + 10 }).catch((e: unknown) => e);
    expect(quotaError(error)).toMatchObject({ quota: 'maxBytes', limit: payloadBytes + 10, current: payloadBytes });
    expect(await store.getContext('c2')).toBeUndefined();
    expect((await store.stats()).contexts).toBe(1);
  });
});
