import Database from 'better-sqlite3';
import { brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemspaceError } from '../../../src/core/errors.js';
import type { ContextRecord } from '../../../src/core/types.js';
import { ctx, footprint, memory, newStore, unit } from './store-fixtures.js';

function context(id: string, content: string, overrides: Partial<ContextRecord> = {}): ContextRecord {
  return { id, content, summary: `summary of ${id}`, metadata: { source: 'chat' }, embedding: unit(2), createdAt: 1234, originalBytes: 0, storedBytes: 0, ...overrides };
}

describe('contexts', () => {
  it('stores a context compressed and gives it back whole, with its sizes, an audit entry and a change event', async () => {
    const { store, file } = newStore();
    const text = Array.from({ length: 2000 }, (_, i) => `turn ${i}: the user asked about ünïcode ☕ and the agent replied.`).join('\n');
    const lastSeq = (await store.stats()).lastSeq;
    await store.insertContext(context('c1', text), ctx(5_000));

    const got = await store.getContext('c1');
    expect(got).toMatchObject({ id: 'c1', content: text, summary: 'summary of c1', metadata: { source: 'chat' }, createdAt: 1234 });
    expect(Array.from(got!.embedding)).toEqual(Array.from(unit(2)));
    expect(got!.originalBytes).toBe(Buffer.byteLength(text, 'utf8'));
    expect(got!.storedBytes).toBeLessThan(got!.originalBytes / 5);

    // On disk: brotli, not the text.
    const db = new Database(file, { readonly: true });
    try {
      const row = db.prepare('SELECT content, stored_bytes FROM contexts WHERE id = ?').get('c1') as { content: Buffer; stored_bytes: number };
      expect(row.content.byteLength).toBe(row.stored_bytes);
      expect(brotliDecompressSync(row.content).toString('utf8')).toBe(text);
    } finally {
      db.close();
    }

    expect((await store.changes(lastSeq, 10)).map((c) => [c.op, c.id, c.at])).toEqual([['context.created', 'c1', 5_000]]);
    const [entry] = await store.auditEntries({ action: 'context.create', limit: 10 });
    expect(entry).toMatchObject({ ids: ['c1'], details: { originalBytes: got!.originalBytes, storedBytes: got!.storedBytes } });
    expect(await store.stats()).toMatchObject({ contexts: 1, memories: 0 });
  });

  it('refuses an id already present and writes nothing for it', async () => {
    const { store } = newStore();
    await store.insertContext(context('c1', 'first'), ctx());
    const before = await footprint(store);
    const error = await store.insertContext(context('c1', 'second'), ctx()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemspaceError);
    expect(error).toMatchObject({ code: 'CONFLICT', details: { id: 'c1' } });
    expect((await store.getContext('c1'))!.content).toBe('first');
    expect(await footprint(store)).toEqual(before);
    expect(await store.auditEntries({ action: 'context.create', limit: 10 })).toHaveLength(1);
  });

  it('deletes a context with an audit entry and a change event, and reports a missing one without either', async () => {
    const { store } = newStore();
    await store.insertContext(context('c1', 'text'), ctx());
    const lastSeq = (await store.stats()).lastSeq;
    expect(await store.deleteContext('c1', ctx(7_000))).toBe(true);
    expect(await store.getContext('c1')).toBeUndefined();
    expect((await store.changes(lastSeq, 10)).map((c) => [c.op, c.id])).toEqual([['context.deleted', 'c1']]);
    expect(await store.auditEntries({ action: 'context.delete', limit: 10 })).toMatchObject([{ ids: ['c1'], at: 7_000 }]);

    const audit = (await store.auditEntries({ limit: 100 })).length;
    expect(await store.deleteContext('c1', ctx())).toBe(false);
    expect(await store.deleteContext('never', ctx())).toBe(false);
    expect((await store.auditEntries({ limit: 100 })).length).toBe(audit);
    expect((await store.stats()).lastSeq).toBe(lastSeq + 1);
    expect((await store.stats()).contexts).toBe(0);
  });

  it('keeps contexts out of vector search', async () => {
    const { store } = newStore();
    await store.insertMemories([memory('m', { embedding: unit(5) })], ctx());
    await store.insertContext(context('c', 'text', { embedding: unit(2) }), ctx());
    const hits = await store.vectorSearch(unit(2), undefined, 10, 0);
    expect(hits.map((h) => h.id)).toEqual(['m']);
    expect(await store.getContext('c')).toBeDefined();
  });
});
