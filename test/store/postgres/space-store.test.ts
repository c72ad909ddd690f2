import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { columnCondition, MATCH_ALL, parseFilter } from '../../../src/core/filter.js';
import type { SpaceStore } from '../../../src/core/ports/space-store.js';
import type { MemoryRecord } from '../../../src/core/types.js';
import { PostgresBackend } from '../../../src/store/postgres/postgres-backend.js';
import { startPglite, type PgliteServer } from '../../support/pglite.js';
import { contextRow, memoryRow, spaceRecord, unit, writeCtx } from '../../support/space-records.js';

let server: PgliteServer;
let backend: PostgresBackend;
let spaceCounter = 0;

beforeAll(async () => {
  server = await startPglite();
  backend = await PostgresBackend.connect({ url: server.url, poolSize: 4 });
});

afterAll(async () => {
  await backend?.close();
  await server?.stop();
});

/** A fresh space of its own. */
async function newSpace(name = `s${++spaceCounter}`): Promise<SpaceStore> {
  await backend.spaces.create(spaceRecord(name));
  return backend.spaces.open(spaceRecord(name));
}

function mem(id: string, content: string, axis: number, over: Partial<MemoryRecord> = {}): MemoryRecord {
  return { ...memoryRow(id, content, axis), ...over };
}

describe('postgres space store: memories', () => {
  it('inserts, gets (in the order asked, vectors exact), updates, deletes, with history', async () => {
    const s = await newSpace();
    const a = mem('a', 'the cat sat', 0, { metadata: { topic: 'pets', n: 1.5, nested: { deep: true } }, tags: ['x', 'y'], userId: 'u1', expiresAt: 99_999 });
    const b = mem('b', 'a dog barked', 1, { embedding: Float32Array.from([0.1, 0.2, 0.3, 0.9273618]) });
    await s.insertMemories([a, b], writeCtx());
    expect(await s.getMemories(['b', 'missing', 'a'])).toEqual([b, a]);
    const [lean] = await s.getMemories(['a'], { embeddings: false });
    expect(lean).toEqual({ ...a, embedding: new Float32Array(0) });
    await expect(s.insertMemories([mem('c', 'new', 2), mem('a', 'again', 0)], writeCtx())).rejects.toMatchObject({ code: 'CONFLICT', details: { id: 'a' } });
    await expect(s.insertMemories([mem('d', 'new', 2), mem('d', 'twice', 0)], writeCtx())).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await s.getMemories(['c', 'd'])).toEqual([]); // all or nothing

    const a2 = { ...a, content: 'the cat slept', metadata: { topic: 'sleep' }, updatedAt: 3_000 };
    await s.updateMemory(a2, writeCtx(3_000));
    expect(await s.getMemories(['a'])).toEqual([a2]);
    await expect(s.updateMemory(mem('ghost', 'x', 0), writeCtx())).rejects.toMatchObject({ code: 'NOT_FOUND' });

    expect(await s.deleteMemories(columnCondition('id', 'eq', 'a'), writeCtx(4_000))).toBe(1);
    expect(await s.deleteMemories(columnCondition('id', 'eq', 'a'), writeCtx(4_000))).toBe(0);
    expect(await s.getMemories(['a'])).toEqual([]);
    const history = await s.history('a');
    expect(history.map((h) => [h.action, h.oldContent, h.newContent, h.at])).toEqual([
      ['create', null, 'the cat sat', 2_000],
      ['update', 'the cat sat', 'the cat slept', 3_000],
      ['delete', 'the cat slept', null, 4_000],
    ]);
    expect(history[1]).toMatchObject({ oldMetadata: a.metadata, newMetadata: { topic: 'sleep' }, actor: 'test', memoryId: 'a' });
    expect(await s.history('never')).toEqual([]);

    const changes = await s.changes(0, 100);
    expect(changes.map((c) => [c.seq, c.op, c.id])).toEqual([
      [1, 'memory.created', 'a'],
      [2, 'memory.created', 'b'],
      [3, 'memory.updated', 'a'],
      [4, 'memory.deleted', 'a'],
    ]);
    expect(await s.changes(3, 100)).toHaveLength(1);
    expect((await s.auditEntries({ limit: 100 })).map((e) => [e.seq, e.action, e.ids])).toEqual([
      [1, 'memory.create', ['a', 'b']],
      [2, 'memory.update', ['a']],
      [3, 'memory.delete', ['a']],
    ]);
    expect((await s.auditEntries({ limit: 100, action: 'memory.update' }))[0]?.details).toEqual({ fields: ['content', 'metadata'] });
    expect(await s.verifyAudit()).toEqual({ ok: true, entries: 3 });
    expect(await s.stats()).toMatchObject({ memories: 1, lastSeq: 4, lastWriteAt: 4_000 });
  });

  it('lists by insertion order with cursors both ways, and counts with filters', async () => {
    const s = await newSpace();
    await s.insertMemories(Array.from({ length: 7 }, (_, i) => mem(`m${i}`, `memory ${i}`, i, { userId: i % 2 === 0 ? 'even' : 'odd' })), writeCtx());
    const ids: string[] = [];
    for (let cursor: string | undefined, pages = 0; ; pages++) {
      const page = await s.listMemories({ filter: MATCH_ALL, limit: 3, cursor, order: 'asc' });
      ids.push(...page.items.map((m) => m.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
      expect(pages).toBeLessThan(5);
    }
    expect(ids).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const desc = await s.listMemories({ filter: columnCondition('userId', 'eq', 'even'), limit: 2, cursor: undefined, order: 'desc' });
    expect(desc.items.map((m) => m.id)).toEqual(['m6', 'm4']);
    const next = await s.listMemories({ filter: columnCondition('userId', 'eq', 'even'), limit: 2, cursor: desc.nextCursor!, order: 'desc' });
    expect(next.items.map((m) => m.id)).toEqual(['m2', 'm0']);
    expect(await s.countMemories(columnCondition('userId', 'eq', 'odd'))).toBe(3);
    await expect(s.listMemories({ filter: MATCH_ALL, limit: 2, cursor: 'garbage', order: 'asc' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('compiles filters with the embedded store’s semantics', async () => {
    const s = await newSpace();
    await s.insertMemories(
      [
        mem('a', 'one', 0, { metadata: { topic: 'x', n: 1, list: ['p', 'q'], deep: { k: 'v' } }, tags: ['red', 'blue'], kind: 'fact', importance: 0.9, agentId: 'ag' }),
        mem('b', 'two', 1, { metadata: { topic: 'y', n: '1', list: [] }, tags: ['green'], kind: 'episode', importance: 0.2, createdAt: 5_000 }),
        mem('c', 'three', 2, { metadata: { n: 3, flag: true, nul: null }, tags: [], kind: 'fact', importance: 0.5 }),
      ],
      writeCtx(),
    );
    const ids = async (filter: unknown): Promise<string[]> => {
      const page = await s.listMemories({ filter: parseFilter(filter), limit: 100, cursor: undefined, order: 'asc' });
      return page.items.map((m) => m.id);
    };
    expect(await ids({ 'metadata.topic': 'x' })).toEqual(['a']);
    expect(await ids({ 'metadata.n': 1 })).toEqual(['a']); // typed: "1" is not 1
    expect(await ids({ 'metadata.n': '1' })).toEqual(['b']);
    expect(await ids({ 'metadata.n': { gt: 1 } })).toEqual(['c']);
    expect(await ids({ 'metadata.n': { gte: 1, lt: 3 } })).toEqual(['a']);
    expect(await ids({ 'metadata.topic': { ne: 'x' } })).toEqual(['b', 'c']);
    expect(await ids({ 'metadata.topic': { in: ['x', 'y'] } })).toEqual(['a', 'b']);
    expect(await ids({ 'metadata.topic': { nin: ['x'] } })).toEqual(['b', 'c']);
    expect(await ids({ 'metadata.list': 'q' })).toEqual(['a']); // an element of an array value
    expect(await ids({ 'metadata.deep.k': 'v' })).toEqual(['a']);
    expect(await ids({ 'metadata.deep': { exists: true } })).toEqual(['a']);
    expect(await ids({ 'metadata.nul': { exists: true } })).toEqual(['c']);
    expect(await ids({ 'metadata.nul': null })).toEqual(['c']);
    expect(await ids({ 'metadata.flag': true })).toEqual(['c']);
    expect(await ids({ 'metadata.topic': { contains: 'x' } })).toEqual(['a']);
    expect(await ids({ 'metadata.topic': { gt: 'x' } })).toEqual(['b']);
    expect(await ids({ tags: 'red' })).toEqual(['a']);
    expect(await ids({ tags: { in: ['green', 'blue'] } })).toEqual(['a', 'b']);
    expect(await ids({ tags: { nin: ['green'] } })).toEqual(['a', 'c']);
    expect(await ids({ tags: { ne: 'red' } })).toEqual(['b', 'c']);
    expect(await ids({ tags: { exists: false } })).toEqual(['c']);
    expect(await ids({ kind: 'fact', importance: { gte: 0.5 } })).toEqual(['a', 'c']);
    expect(await ids({ or: [{ kind: 'episode' }, { agentId: 'ag' }] })).toEqual(['a', 'b']);
    expect(await ids({ not: { kind: 'fact' } })).toEqual(['b']);
    expect(await ids({ agentId: { ne: 'ag' } })).toEqual(['b', 'c']);
    expect(await ids({ agentId: { in: ['ag', null] } })).toEqual(['a', 'b', 'c']);
    expect(await ids({ agentId: { nin: ['ag'] } })).toEqual(['b', 'c']);
    expect(await ids({ agentId: { exists: false } })).toEqual(['b', 'c']);
    expect(await ids({ kind: { contains: 'pis' } })).toEqual(['b']);
    expect(await ids({ createdAt: { gt: new Date(3_000).toISOString() } })).toEqual(['b']);
    expect(await ids({ or: [] })).toEqual([]);
  });

  it('keeps access counts it is told about with the next write, or at close', async () => {
    const s = await newSpace('access');
    await s.insertMemories([mem('a', 'x', 0)], writeCtx());
    s.recordAccess(['a', 'a'], 7_000);
    await s.appendAudit({ action: 'request.denied', ids: [], details: null }, writeCtx());
    expect((await s.getMemories(['a']))[0]).toMatchObject({ accessCount: 2, lastAccessedAt: 7_000 });
    s.recordAccess(['a'], 8_000);
    await s.close();
    const reopened = await backend.spaces.open(spaceRecord('access'));
    expect((await reopened.getMemories(['a']))[0]).toMatchObject({ accessCount: 3, lastAccessedAt: 8_000 });
  });

  it('refuses a NUL character as VALIDATION_FAILED and writes nothing', async () => {
    const s = await newSpace();
    await expect(s.insertMemories([mem('a', 'bad \u0000 text', 0)], writeCtx())).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(s.insertMemories([mem('b', 'ok', 0, { metadata: { k: 'bad \u0000' } })], writeCtx())).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await s.countMemories(MATCH_ALL)).toBe(0);
    expect(await s.auditEntries({ limit: 10 })).toEqual([]);
  });
});

describe('postgres space store: search', () => {
  it('ranks the expected memory first by vector and by keyword, with filters and expiry in SQL', async () => {
    const s = await newSpace();
    await s.insertMemories(
      [
        mem('cat', 'The cat sleeps on the warm windowsill', 0, { tags: ['pets'] }),
        mem('dog', 'Dogs bark at the mailman every morning', 1, { tags: ['pets'] }),
        mem('tax', 'Quarterly tax filing is due in April', 2, { tags: ['finance'], userId: 'u2' }),
        mem('old', 'An expired note about cats and windows', 3, { expiresAt: 4_000 }),
      ],
      writeCtx(),
    );
    const byVector = await s.vectorSearch(unit(2), undefined, 3, 5_000);
    expect(byVector[0]).toEqual({ id: 'tax', score: expect.closeTo(1, 5) as number });
    expect(byVector.map((h) => h.id)).not.toContain('old');
    expect(byVector[1]!.score).toBeCloseTo(0, 5);
    const tilted = Float32Array.from([0.8, 0.6, 0, 0]);
    expect((await s.vectorSearch(tilted, undefined, 2, 5_000)).map((h) => h.id)).toEqual(['cat', 'dog']);
    expect((await s.vectorSearch(tilted, columnCondition('tags', 'eq', 'finance'), 5, 5_000)).map((h) => h.id)).toEqual(['tax']);
    expect((await s.vectorSearch(unit(3), undefined, 5, 3_000)).map((h) => h.id)[0]).toBe('old'); // not yet expired at 3000

    const scores = await s.vectorScores(tilted, ['cat', 'dog', 'ghost']);
    expect([...scores.keys()].sort()).toEqual(['cat', 'dog']);
    expect(scores.get('cat')).toBeCloseTo(0.8, 5);

    const byWords = await s.keywordSearch('cats sleeping', undefined, 5, 5_000);
    expect(byWords.map((h) => h.id)).toEqual(['cat']); // stemmed; the expired one is left out
    const pets = await s.keywordSearch('pets barking', undefined, 5, 5_000);
    expect(pets.map((h) => h.id)).toEqual(['dog', 'cat']); // content and tags, more words first
    expect(pets[0]!.score).toBeGreaterThan(pets[1]!.score);
    expect(await s.keywordSearch('pets', columnCondition('userId', 'eq', 'u2'), 5, 5_000)).toEqual([]);
    expect(await s.keywordSearch('!!! ???', undefined, 5, 5_000)).toEqual([]);
    expect(await s.keywordSearch("' | ! & ( :*", undefined, 5, 5_000)).toEqual([]); // tsquery syntax is inert
    await expect(s.vectorSearch(new Float32Array(3), undefined, 5, 5_000)).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
  });
});

describe('postgres space store: quotas, relations, contexts, sweeps, audit', () => {
  it('a write that would cross a quota writes nothing', async () => {
    const s = await newSpace();
    const limits = { maxMemories: 3, maxBytes: null };
    await s.insertMemories([mem('a', 'x', 0), mem('b', 'y', 1)], writeCtx(), limits);
    const before = { stats: await s.stats(), audit: await s.auditEntries({ limit: 100 }) };
    await expect(s.insertMemories([mem('c', 'z', 2), mem('d', 'w', 3)], writeCtx(), limits)).rejects.toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { quota: 'maxMemories', limit: 3, current: 2, requested: 2 },
    });
    expect(await s.stats()).toEqual(before.stats);
    expect(await s.auditEntries({ limit: 100 })).toEqual(before.audit);
    expect(await s.getMemories(['c', 'd'])).toEqual([]);
    const bytes = before.stats.payloadBytes;
    await expect(s.updateMemory({ ...mem('a', 'x'.repeat(500), 0) }, writeCtx(), { maxMemories: null, maxBytes: bytes + 100 })).rejects.toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { quota: 'maxBytes' },
    });
    await s.insertMemories([mem('c', 'z', 2)], writeCtx(), limits);
    expect((await s.stats()).memories).toBe(3);
  });

  it('concurrent writers cannot cross a quota together', async () => {
    const s = await newSpace();
    const limits = { maxMemories: 5, maxBytes: null };
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => s.insertMemories([mem(`w${i}`, `writer ${i}`, i)], writeCtx(), limits)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(await s.countMemories(MATCH_ALL)).toBe(5);
    expect((await s.changes(0, 100)).map((c) => c.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await s.verifyAudit()).toEqual({ ok: true, entries: 5 });
  });

  it('relations: insert, list by direction and type, delete; deleting a memory removes its edges', async () => {
    const s = await newSpace();
    await s.insertMemories([mem('a', 'a', 0), mem('b', 'b', 1), mem('c', 'c', 2)], writeCtx());
    const ab = { id: 'ab', from: 'a', to: 'b', type: 'knows', weight: 0.5, metadata: { since: 2020 }, createdAt: 2_100 };
    const cb = { id: 'cb', from: 'c', to: 'b', type: 'likes', weight: 1, metadata: {}, createdAt: 2_200 };
    await s.insertRelation(ab, writeCtx());
    await s.insertRelation(cb, writeCtx());
    await expect(s.insertRelation(ab, writeCtx())).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(s.insertRelation({ ...ab, id: 'x', to: 'ghost' }, writeCtx())).rejects.toMatchObject({ code: 'NOT_FOUND', details: { id: 'ghost' } });
    expect(await s.listRelations(['b'], 'in', undefined)).toEqual([ab, cb]);
    expect(await s.listRelations(['b'], 'out', undefined)).toEqual([]);
    expect(await s.listRelations(['b'], 'both', 'likes')).toEqual([cb]);
    expect(await s.listRelations(['a', 'c'], 'out', undefined)).toEqual([ab, cb]);
    expect(await s.deleteRelation('ab', writeCtx())).toBe(true);
    expect(await s.deleteRelation('ab', writeCtx())).toBe(false);
    expect(await s.deleteMemories(columnCondition('id', 'eq', 'c'), writeCtx())).toBe(1);
    expect(await s.listRelations(['b'], 'both', undefined)).toEqual([]);
    expect((await s.stats()).relations).toBe(0);
    const last = (await s.auditEntries({ limit: 100, action: 'memory.delete' }))[0];
    expect(last?.details).toEqual({ count: 1, relations: 1 });
    expect((await s.changes(0, 100)).slice(-2).map((c) => c.op)).toEqual(['relation.deleted', 'memory.deleted']);
  });

  it('contexts: stored compressed, read back whole, deleted once', async () => {
    const s = await newSpace();
    const text = 'a long context window '.repeat(200);
    await s.insertContext(contextRow('c1', text), writeCtx());
    await expect(s.insertContext(contextRow('c1', 'other'), writeCtx())).rejects.toMatchObject({ code: 'CONFLICT' });
    const got = await s.getContext('c1');
    expect(got).toMatchObject({ id: 'c1', content: text, summary: text.slice(0, 10), originalBytes: text.length });
    expect(got!.storedBytes).toBeLessThan(text.length / 5);
    expect(got!.embedding).toEqual(unit(1));
    expect((await s.stats()).contexts).toBe(1);
    expect(await s.deleteContext('c1', writeCtx())).toBe(true);
    expect(await s.deleteContext('c1', writeCtx())).toBe(false);
    expect(await s.getContext('c1')).toBeUndefined();
    expect(await s.stats()).toMatchObject({ contexts: 0, payloadBytes: 0 });
  });

  it('sweeps expired and retained memories, with history, events and one audit entry', async () => {
    const s = await newSpace();
    await s.insertMemories(
      [mem('e1', 'x', 0, { expiresAt: 3_000 }), mem('e2', 'x', 1, { expiresAt: 4_000 }), mem('old', 'x', 2, { createdAt: 100 }), mem('new', 'x', 3, { createdAt: 9_000 })],
      writeCtx(),
    );
    expect(await s.sweepExpired(3_500, null, 10, writeCtx(3_500))).toBe(1);
    expect(await s.sweepExpired(5_000, 1_000, 10, writeCtx(5_000))).toBe(2);
    expect(await s.sweepExpired(5_000, 1_000, 10, writeCtx(5_000))).toBe(0);
    expect((await s.listMemories({ filter: MATCH_ALL, limit: 10, cursor: undefined, order: 'asc' })).items.map((m) => m.id)).toEqual(['new']);
    const expiries = await s.auditEntries({ limit: 10, action: 'memory.expire' });
    expect(expiries.map((e) => [e.ids, e.details])).toEqual([
      [['e1'], { count: 1, reason: 'expired' }],
      [['e2', 'old'], { count: 2, reason: 'both' }],
    ]);
    expect((await s.history('old')).map((h) => h.action)).toEqual(['create', 'delete']);
  });

  it('audit: appended entries chain, verify, and tampering is found', async () => {
    const s = await newSpace('audited');
    await s.insertMemories([mem('a', 'x', 0)], writeCtx());
    await s.appendAudit({ action: 'request.denied', ids: ['a'], details: { why: 'test', n: 1.5, nested: { z: 1, a: 2 } } }, { actor: 'k1', now: 2_500, requestId: 'req-1' });
    const entries = await s.auditEntries({ limit: 10 });
    expect(entries[1]).toMatchObject({ seq: 2, action: 'request.denied', actor: 'k1', requestId: 'req-1', prevHash: entries[0]!.hash, details: { why: 'test', n: 1.5, nested: { z: 1, a: 2 } } });
    expect(await s.auditEntries({ limit: 10, afterSeq: 1 })).toEqual([entries[1]]);
    expect(await s.auditEntries({ limit: 10, since: 2_400 })).toEqual([entries[1]]);
    expect(await s.verifyAudit()).toEqual({ ok: true, entries: 2 });
    // Tampering needs the table owner: the server's role cannot update audit rows at all.
    await backend.connectionPool.query(`UPDATE audit SET actor = 'mallory' WHERE space_id = 'audited' AND seq = 1`);
    expect(await s.verifyAudit()).toMatchObject({ ok: false, entries: 2, firstBadSeq: 1 });
  });

  it('has no index to settle nor integrity to check, and refuses calls once closed', async () => {
    const s = await newSpace();
    expect(await s.integrityCheck()).toEqual([]);
    await s.settleIndex();
    await s.close();
    await s.close();
    await expect(s.countMemories(MATCH_ALL)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});

describe('postgres space store: adversarial isolation', () => {
  it('the same ids in two spaces stay separate; search, delete, count and changes never cross', async () => {
    const a = await newSpace('iso-a');
    const b = await newSpace('iso-b');
    await a.insertMemories([mem('same', 'alpha secret about zebras', 0, { metadata: { owner: 'a' } }), mem('only-a', 'zebras everywhere', 1)], writeCtx());
    await b.insertMemories([mem('same', 'beta note about lions', 0, { metadata: { owner: 'b' } })], writeCtx());
    await a.insertRelation({ id: 'r', from: 'same', to: 'only-a', type: 't', weight: 1, metadata: {}, createdAt: 1 }, writeCtx());

    expect((await a.getMemories(['same']))[0]?.content).toBe('alpha secret about zebras');
    expect((await b.getMemories(['same', 'only-a'])).map((m) => m.content)).toEqual(['beta note about lions']);
    expect(await b.keywordSearch('zebras secret alpha', undefined, 10, 5_000)).toEqual([]);
    expect((await b.keywordSearch('zebras lions', undefined, 10, 5_000)).map((h) => h.id)).toEqual(['same']); // b's own
    expect((await b.vectorSearch(unit(1), undefined, 10, 5_000)).map((h) => h.id)).toEqual(['same']);
    expect([...(await b.vectorScores(unit(1), ['only-a', 'same'])).keys()]).toEqual(['same']);
    expect(await b.listRelations(['same'], 'both', undefined)).toEqual([]);
    expect(await b.history('only-a')).toEqual([]);
    expect((await b.history('same')).map((h) => [h.action, h.newContent])).toEqual([['create', 'beta note about lions']]);
    await expect(b.insertRelation({ id: 'x', from: 'same', to: 'only-a', type: 't', weight: 1, metadata: {}, createdAt: 1 }, writeCtx())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await b.deleteRelation('r', writeCtx())).toBe(false);
    await expect(b.updateMemory(mem('only-a', 'hijack', 1), writeCtx())).rejects.toMatchObject({ code: 'NOT_FOUND' });

    expect(await b.deleteMemories(MATCH_ALL, writeCtx())).toBe(1);
    expect(await b.countMemories(MATCH_ALL)).toBe(0);
    expect(await a.countMemories(MATCH_ALL)).toBe(2);
    expect(await a.listRelations(['same'], 'both', undefined)).toHaveLength(1);
    expect((await b.changes(0, 100)).map((c) => [c.seq, c.op, c.id])).toEqual([
      [1, 'memory.created', 'same'],
      [2, 'memory.deleted', 'same'],
    ]);
    expect((await a.changes(0, 100)).map((c) => c.op)).toEqual(['memory.created', 'memory.created', 'relation.created']);
    expect(await b.verifyAudit()).toEqual({ ok: true, entries: 2 });
    expect(await a.verifyAudit()).toEqual({ ok: true, entries: 2 });
    expect(await b.sweepExpired(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 100, writeCtx())).toBe(0);
    expect(await a.countMemories(MATCH_ALL)).toBe(2);
  });

  it('names that differ only in case are one space', async () => {
    await backend.spaces.create(spaceRecord('CaseSpace'));
    const upper = await backend.spaces.open(spaceRecord('CASESPACE'));
    const lower = await backend.spaces.open(spaceRecord('casespace'));
    await upper.insertMemories([mem('m', 'x', 0)], writeCtx());
    expect(await lower.countMemories(MATCH_ALL)).toBe(1);
  });
});

describe('postgres space store: read sessions', () => {
  // PGlite serves every connection from one session, so a write cannot commit while a session
  // is open: what a session promises (one snapshot) shows in how it runs.
  it('runs as one read-only REPEATABLE READ transaction on one connection, however many reads', async () => {
    const s = await newSpace();
    await s.insertMemories([mem('a', 'one', 0), mem('b', 'two', 1)], writeCtx());
    const pool = backend.connectionPool;
    const statements: string[] = [];
    let connections = 0;
    const watch = (client: pg.PoolClient): void => {
      connections += 1;
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      vi.spyOn(client, 'query').mockImplementation(((...args: unknown[]) => {
        statements.push(typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text);
        return query(...args);
      }) as never);
    };
    pool.on('acquire', watch);
    let seen;
    try {
      seen = await s.read(async (r) => ({
        count: await r.countMemories(MATCH_ALL),
        listed: (await r.listMemories({ filter: MATCH_ALL, limit: 10, cursor: undefined, order: 'asc' })).items.map((m) => m.id),
        vector: (await r.vectorSearch(unit(0), undefined, 1, 0)).map((h) => h.id),
      }));
    } finally {
      pool.off('acquire', watch);
      vi.restoreAllMocks();
    }
    expect(seen).toEqual({ count: 2, listed: ['a', 'b'], vector: ['a'] });
    expect(connections).toBe(1);
    expect(statements[0]).toMatch(/^BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL ROLE memspace_app; /);
    expect(statements.at(-1)).toBe('COMMIT');
  });

  it('passes a failure of its function on as it is, and a failing read as a memspace error', async () => {
    const s = await newSpace();
    await expect(s.read(async () => Promise.reject(new RangeError('mine')))).rejects.toThrowError(RangeError);
    await expect(s.read((r) => r.vectorSearch(new Float32Array(3), undefined, 5, 0))).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    expect(await s.read((r) => r.countMemories(MATCH_ALL))).toBe(0);
  });
});
