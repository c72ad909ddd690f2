import { describe, expect, it } from 'vitest';
import { columnCondition } from '../../../src/core/filter.js';
import { MemspaceError } from '../../../src/core/errors.js';
import type { DumpChunk } from '../../../src/core/types.js';
import type { SqliteSpaceStore } from '../../../src/store/sqlite/sqlite-space-store.js';
import { ctx, footprint, memory, newStore, unit } from './store-fixtures.js';

const PARTS = ['memories', 'relations', 'contexts', 'history', 'audit', 'pheromones', 'narrative'] as const;

/** Every row of every part, read in pages of `pageSize`, with the number of pages read. */
async function dumpAll(store: SqliteSpaceStore, pageSize: number): Promise<{ chunks: DumpChunk[]; all: Required<DumpChunk> }> {
  const chunks: DumpChunk[] = [];
  const all: Required<DumpChunk> = { memories: [], relations: [], contexts: [], history: [], audit: [], pheromones: [], narrative: [] };
  for (const part of PARTS) {
    let after = 0;
    for (;;) {
      const { chunk, next } = await store.dump(part, after, pageSize);
      expect(Object.keys(chunk)).toEqual([part]);
      const rows = chunk[part]!;
      expect(rows.length).toBeLessThanOrEqual(pageSize);
      chunks.push(chunk);
      (all[part] as unknown[]).push(...rows);
      if (next === null) break;
      expect(rows).toHaveLength(pageSize);
      after = next;
    }
  }
  return { chunks, all };
}

/** A space with some of everything: updates, deletes (with a relation), access counts, contexts, audit. */
async function populate(store: SqliteSpaceStore): Promise<void> {
  const rows = Array.from({ length: 12 }, (_, i) =>
    memory(`m${i}`, {
      embedding: unit(i),
      createdAt: 1_000 + i,
      updatedAt: 1_000 + i,
      metadata: { i, nested: { even: i % 2 === 0 } },
      tags: i % 3 === 0 ? ['three'] : [],
      userId: i % 2 === 0 ? 'alice' : null,
      expiresAt: i === 5 ? 99_999_999 : null,
    }),
  );
  await store.insertMemories(rows.slice(0, 6), ctx(2_000, 'a'));
  await store.insertMemories(rows.slice(6), ctx(2_001, 'b'));
  await store.updateMemory({ ...rows[2]!, content: 'updated two', importance: 0.9, updatedAt: 3_000 }, ctx(3_000));
  await store.updateMemory({ ...rows[7]!, metadata: { changed: true }, embedding: unit(20), updatedAt: 3_001 }, ctx(3_001));
  await store.insertRelation({ id: 'rel-b', from: 'm0', to: 'm1', type: 'follows', weight: 0.5, metadata: { why: 'x' }, createdAt: 4_000 }, ctx());
  await store.insertRelation({ id: 'rel-a', from: 'm1', to: 'm3', type: 'cites', weight: 1, metadata: {}, createdAt: 4_000 }, ctx());
  await store.insertRelation({ id: 'rel-gone', from: 'm4', to: 'm0', type: 'cites', weight: 1, metadata: {}, createdAt: 3_999 }, ctx());
  await store.deleteMemories(columnCondition('id', 'in', ['m4', 'm9']), ctx(5_000));
  await store.insertContext({ id: 'ctx-1', content: 'window '.repeat(3000), summary: 'a window', metadata: { turn: 3 }, embedding: unit(1), createdAt: 6_000, originalBytes: 0, storedBytes: 0 }, ctx());
  await store.insertContext({ id: 'ctx-2', content: 'ünïcödé ☕', summary: '', metadata: {}, embedding: unit(2), createdAt: 6_001, originalBytes: 0, storedBytes: 0 }, ctx());
  await store.insertContext({ id: 'ctx-gone', content: 'bye', summary: '', metadata: {}, embedding: unit(3), createdAt: 6_002, originalBytes: 0, storedBytes: 0 }, ctx());
  await store.deleteContext('ctx-gone', ctx());
  await store.appendAudit({ action: 'request.denied', ids: [], details: { route: '/x' } }, { actor: 'k1', now: 7_000, requestId: 'req-1' });
  store.recordAccess(['m0', 'm0', 'm3'], 8_000);
  await store.updateMemory({ ...(await store.getMemories(['m10']))[0]!, kind: 'episode', updatedAt: 9_000 }, ctx(9_000)); // flushes access counts
}

describe('dump and restore', () => {
  it('round-trips a whole space through small pages: identical dump, valid audit chain, same search results', async () => {
    const { store: source } = newStore();
    await populate(source);
    const original = await dumpAll(source, 3);
    expect(original.all.memories.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm5', 'm6', 'm7', 'm8', 'm10', 'm11']);
    expect(original.all.memories.find((m) => m.id === 'm0')).toMatchObject({ accessCount: 2, lastAccessedAt: 8_000 });
    expect(original.all.relations.map((r) => r.id)).toEqual(['rel-b', 'rel-a']);
    expect(original.all.contexts.map((c) => [c.id, c.content.length])).toEqual([
      ['ctx-1', 'window '.length * 3000],
      ['ctx-2', 'ünïcödé ☕'.length],
    ]);
    expect(original.all.history.length).toBe(12 + 2 + 2 + 1);

    const { store: target } = newStore();
    const lastSeq = (await target.stats()).lastSeq;
    for (const chunk of original.chunks) await target.restore(chunk, 50_000);

    const restored = await dumpAll(target, 4);
    expect(restored.all).toEqual(original.all);
    expect(await target.verifyAudit()).toEqual({ ok: true, entries: original.all.audit.length });
    expect(await target.stats()).toMatchObject({
      memories: 10,
      relations: 2,
      contexts: 2,
      payloadBytes: (await source.stats()).payloadBytes,
    });

    // Change events at `now`, for memories, relations and contexts only.
    const changes = await target.changes(lastSeq, 1000);
    expect(changes.every((c) => c.at === 50_000)).toBe(true);
    expect(changes.map((c) => c.op).sort()).toEqual([...Array(10).fill('memory.created'), ...Array(2).fill('relation.created'), ...Array(2).fill('context.created')].sort());

    // Search sees the restored vectors (including the updated one) and the keyword index followed too.
    for (const axis of [0, 3, 7, 20]) {
      expect(await target.vectorSearch(unit(axis), undefined, 5, 10_000)).toEqual(await source.vectorSearch(unit(axis), undefined, 5, 10_000));
    }
    expect(await target.keywordSearch('updated', undefined, 5, 10_000)).toEqual(await source.keywordSearch('updated', undefined, 5, 10_000));
    expect(await target.history('m4')).toEqual(await source.history('m4'));
    expect(await target.getContext('ctx-1')).toEqual(await source.getContext('ctx-1'));
  });

  it('refuses audit entries that do not continue the chain, and writes nothing of that chunk', async () => {
    const { store: source } = newStore();
    await populate(source);
    const { all } = await dumpAll(source, 100);
    const { store: target } = newStore();
    await target.insertMemories([memory('own')], ctx()); // the target's chain has an entry 1 already
    const before = await footprint(target);

    const chunk: DumpChunk = { memories: all.memories.slice(0, 2), audit: all.audit.slice(0, 3) };
    const error = await target.restore(chunk, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemspaceError);
    expect(error).toMatchObject({ code: 'CONFLICT' });
    expect(await footprint(target)).toEqual(before);
    expect(await target.getMemories([all.memories[0]!.id])).toEqual([]);

    // A gap inside the chunk is refused too.
    const { store: empty } = newStore();
    const gap = await empty.restore({ audit: [all.audit[0]!, all.audit[2]!] }, 1).catch((e: unknown) => e);
    expect(gap).toMatchObject({ code: 'CONFLICT' });
    expect(await empty.auditEntries({ limit: 10 })).toEqual([]);
    await empty.restore({ audit: all.audit.slice(0, 2) }, 1);
    await empty.restore({ audit: all.audit.slice(2) }, 1);
    expect(await empty.verifyAudit()).toEqual({ ok: true, entries: all.audit.length });
  });

  it('refuses a memory id already present, rolling back the whole chunk', async () => {
    const { store } = newStore();
    await store.insertMemories([memory('dup')], ctx());
    const before = await footprint(store);
    const error = await store.restore({ memories: [memory('fresh'), memory('dup')], contexts: [] }, 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFLICT', details: { id: 'dup' } });
    expect(await footprint(store)).toEqual(before);
    expect(await store.getMemories(['fresh'])).toEqual([]);
  });
});
