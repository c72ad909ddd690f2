import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MemoryService } from '../../src/engine/memory-service.js';
import { axisVector, tempMemspace } from '../support/temp-memspace.js';

const DIM = 8;
const v = (axis: number): number[] => axisVector(DIM, axis);
let clock = Date.parse('2026-11-01T00:00:00Z');
let ms: Awaited<ReturnType<typeof tempMemspace>>;
let s: MemoryService;
let n = 0;
let space: string;

beforeAll(async () => {
  ms = await tempMemspace({ now: () => clock });
  s = ms.service;
});
afterAll(async () => ms.cleanup());
beforeEach(async () => {
  space = `t${++n}`;
  await s.createSpace({ name: space, embedder: 'none', dimension: DIM });
});

const code = (c: string) => expect.objectContaining({ code: c });

describe('spaces', () => {
  it('records settings at creation and updates the mutable ones', async () => {
    const created = await s.createSpace({
      name: 'Settings',
      description: 'd',
      isolation: 'shared',
      sensitivity: 'high',
      retentionDays: 30,
      labels: { team: 'x' },
      embedder: 'none',
      dimension: 3,
    });
    expect(created).toMatchObject({ name: 'Settings', isolation: 'shared', sensitivity: 'high', retentionDays: 30, labels: { team: 'x' }, embedder: 'none', dimension: 3 });
    const updated = await s.updateSpace('settings', { description: 'new', retentionDays: null, quotas: { maxMemories: 10 } });
    expect(updated).toMatchObject({ name: 'Settings', description: 'new', retentionDays: null, quotas: { maxMemories: 10, maxBytes: null } });
    expect((await s.getSpace('SETTINGS')).stats.memories).toBe(0);
    await expect(s.updateSpace('settings', { embedder: 'openai:x' })).rejects.toThrowError(code('VALIDATION_FAILED'));
  });

  it('records the local model with 512 dimensions by default and refuses a mismatching dimension', async () => {
    expect(await s.createSpace({ name: 'local-default' })).toMatchObject({ embedder: 'local:use-lite', dimension: 512 });
    await expect(s.createSpace({ name: 'local-bad', dimension: 384 })).rejects.toThrowError(code('DIMENSION_MISMATCH'));
    await expect(s.createSpace({ name: 'none-nodim', embedder: 'none' })).rejects.toThrowError(code('VALIDATION_FAILED'));
    await expect(s.createSpace({ name: 'bad-embedder', embedder: 'magic' })).rejects.toThrowError(code('VALIDATION_FAILED'));
  });

  it('lists with a prefix and a cursor, and always holds the default space', async () => {
    for (const name of ['p.a', 'p.b', 'p.c', 'pq']) await s.createSpace({ name, embedder: 'none', dimension: 2 });
    const first = await s.listSpaces({ prefix: 'p.', limit: 2 });
    expect(first.items.map((x) => x.name)).toEqual(['p.a', 'p.b']);
    const second = await s.listSpaces({ prefix: 'p.', limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((x) => x.name)).toEqual(['p.c']);
    expect(second.nextCursor).toBeNull();
    expect((await s.listSpaces({ prefix: 'default' })).items.map((x) => x.name)).toEqual(['default']);
  });

  it('refuses to delete the default space and reports unknown ones', async () => {
    await expect(s.deleteSpace('default')).rejects.toThrowError(code('VALIDATION_FAILED'));
    await expect(s.deleteSpace('nope')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
    await expect(s.getSpace('nope')).rejects.toThrowError(code('SPACE_NOT_FOUND'));
    await expect(s.addMemory('nope', { content: 'x', embedding: v(0) })).rejects.toThrowError(code('SPACE_NOT_FOUND'));
  });
});

describe('memories', () => {
  it('adds, gets, updates with history, and deletes', async () => {
    const m = await s.addMemory(space, { content: 'first', embedding: v(1), metadata: { a: 1 }, tags: ['x', 'x', 'y'], userId: 'u', kind: 'episode', importance: 0.9 });
    expect(m).toMatchObject({ content: 'first', metadata: { a: 1 }, tags: ['x', 'y'], userId: 'u', agentId: null, kind: 'episode', importance: 0.9 });
    expect(m.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await s.getMemory(space, m.id)).toMatchObject({ id: m.id, content: 'first' });
    clock += 1000;
    const u = await s.updateMemory(space, m.id, { content: 'second', embedding: v(2), metadata: { a: 2 } }, { actor: 'tester' });
    expect(u).toMatchObject({ content: 'second', metadata: { a: 2 }, createdAt: m.createdAt });
    expect(u.updatedAt > m.updatedAt).toBe(true);
    await s.deleteMemory(space, m.id, { actor: 'tester' });
    await expect(s.getMemory(space, m.id)).rejects.toThrowError(code('NOT_FOUND'));
    await expect(s.deleteMemory(space, m.id)).rejects.toThrowError(code('NOT_FOUND'));
    const history = await s.history(space, m.id);
    expect(history.map((h) => [h.action, h.oldContent, h.newContent, h.actor])).toEqual([
      ['create', null, 'first', null],
      ['update', 'first', 'second', 'tester'],
      ['delete', 'second', null, 'tester'],
    ]);
    expect(history[1]).toMatchObject({ oldMetadata: { a: 1 }, newMetadata: { a: 2 } });
  });

  it('moves the vector when content changes, so search follows the update', async () => {
    const m = await s.addMemory(space, { content: 'alpha', embedding: v(1) });
    await s.addMemory(space, { content: 'beta', embedding: v(5) });
    await s.updateMemory(space, m.id, { content: 'gamma', embedding: v(3) });
    const { results } = await s.search(space, { embedding: v(3), mode: 'vector', limit: 1 });
    expect(results[0]!.memory.content).toBe('gamma');
  });

  it('lands a batch whole or not at all', async () => {
    const ok = await s.addMemories(space, [
      { content: 'one', embedding: v(1) },
      { content: 'two', embedding: v(2), id: 'my-id-2' },
    ]);
    expect(ok.map((m) => m.content)).toEqual(['one', 'two']);
    expect(ok[1]!.id).toBe('my-id-2');
    const before = (await s.listMemories(space)).items.length;
    await expect(s.addMemories(space, [{ content: 'three', embedding: v(3) }, { content: 'dup', id: 'my-id-2', embedding: v(1) }])).rejects.toThrowError(code('CONFLICT'));
    await expect(s.addMemories(space, [{ content: 'four', embedding: v(3) }, { content: 'short', embedding: [1, 2] }])).rejects.toThrowError(code('DIMENSION_MISMATCH'));
    await expect(s.addMemories(space, [{ content: 'five', embedding: v(3) }, { content: '' }])).rejects.toThrowError(code('VALIDATION_FAILED'));
    await expect(s.addMemories(space, [{ content: 'six', id: 'same', embedding: v(3) }, { content: 'seven', id: 'same', embedding: v(3) }])).rejects.toThrowError(code('CONFLICT'));
    expect((await s.listMemories(space)).items.length).toBe(before);
  });

  it('commits concurrent adds together, yet fails only the caller whose add conflicts', async () => {
    await s.addMemory(space, { id: 'taken', content: 'first', embedding: v(1) });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        i === 7 ? s.addMemory(space, { id: 'taken', content: 'again', embedding: v(1) }) : s.addMemory(space, { id: `c${i}`, content: `c${i}`, embedding: v(i) }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(29);
    expect((outcomes[7] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    expect((await s.getSpace(space)).stats.memories).toBe(30);
    expect((await s.getMemory(space, 'taken')).content).toBe('first');
    // Each caller's add has its own history and audit entry, as if committed alone.
    expect((await s.audit(space, { action: 'memory.create', limit: 100 })).items).toHaveLength(30);
  });

  it('rejects bad input with stable codes and writes nothing', async () => {
    const bad: [unknown, string][] = [
      [{ content: 'x' }, 'VALIDATION_FAILED'], // no embedder in this space and no vector
      [{ content: 'x', embedding: v(1), importance: 2 }, 'VALIDATION_FAILED'],
      [{ content: 'x', embedding: v(1), metdata: {} }, 'VALIDATION_FAILED'], // typo: unknown field
      [{ content: 'x', embedding: v(1), id: '../etc' }, 'VALIDATION_FAILED'],
      [{ content: 'x', embedding: v(1), expiresAt: 'tomorrow' }, 'VALIDATION_FAILED'],
      [{ content: 'x', embedding: [...v(1), 0] }, 'DIMENSION_MISMATCH'],
      [{ content: 'x', embedding: v(1).map(() => Number.NaN) }, 'VALIDATION_FAILED'],
      [{ content: 'x'.repeat(200_001), embedding: v(1) }, 'PAYLOAD_TOO_LARGE'],
      [{ content: 'x', embedding: v(1), metadata: { big: 'y'.repeat(70_000) } }, 'PAYLOAD_TOO_LARGE'],
      ['just a string', 'VALIDATION_FAILED'],
      [null, 'VALIDATION_FAILED'],
    ];
    for (const [input, expected] of bad) {
      await expect(s.addMemory(space, input), JSON.stringify(input).slice(0, 60)).rejects.toThrowError(code(expected));
    }
    expect((await s.getSpace(space)).stats.memories).toBe(0);
    await expect(s.updateMemory(space, 'missing', { content: 'x', embedding: v(1) })).rejects.toThrowError(code('NOT_FOUND'));
    const m = await s.addMemory(space, { content: 'x', embedding: v(1) });
    await expect(s.updateMemory(space, m.id, {})).rejects.toThrowError(code('VALIDATION_FAILED'));
    await expect(s.updateMemory(space, m.id, { content: 'changed' })).rejects.toThrowError(code('VALIDATION_FAILED'));
    expect((await s.getMemory(space, m.id)).content).toBe('x');
  });

  it('pages through every memory exactly once in both orders', async () => {
    const added = await s.addMemories(space, Array.from({ length: 25 }, (_, i) => ({ content: `m${i}`, embedding: v(i) })));
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.listMemories(space, { limit: 7, order, ...(cursor && { cursor }) });
        seen.push(...page.items.map((m) => m.content));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      const expected = added.map((m) => m.content);
      expect(seen).toEqual(order === 'asc' ? expected : expected.reverse());
    }
    await expect(s.listMemories(space, { cursor: 'garbage!' })).rejects.toThrowError(code('VALIDATION_FAILED'));
    await expect(s.listMemories(space, { limit: 0 })).rejects.toThrowError(code('VALIDATION_FAILED'));
  });

  it('hides expired memories and keeps the rest', async () => {
    const soon = await s.addMemory(space, { content: 'soon', embedding: v(1), expiresAt: new Date(clock + 60_000).toISOString() });
    await s.addMemory(space, { content: 'forever', embedding: v(1) });
    clock += 120_000;
    await expect(s.getMemory(space, soon.id)).rejects.toThrowError(code('NOT_FOUND'));
    expect((await s.listMemories(space)).items.map((m) => m.content)).toEqual(['forever']);
    expect((await s.search(space, { embedding: v(1), mode: 'vector' })).results.map((r) => r.memory.content)).toEqual(['forever']);
    for (const filter of [undefined, { kind: 'fact' }]) {
      const keyword = await s.search(space, { query: 'soon forever', mode: 'keyword', ...(filter && { filter }) });
      expect(keyword.results.map((r) => r.memory.content)).toEqual(['forever']);
      const filtered = await s.search(space, { embedding: v(1), mode: 'vector', ...(filter && { filter }) });
      expect(filtered.results.map((r) => r.memory.content)).toEqual(['forever']);
    }
  });

  it('deletes every match of a filter, beyond any page size, and counts exactly', async () => {
    const total = 12_000;
    for (let start = 0; start < total; start += 4000) {
      await s.addMemories(
        space,
        Array.from({ length: 4000 }, (_, i) => ({ content: `bulk ${start + i}`, embedding: v(i), userId: (start + i) % 3 === 0 ? 'gone' : 'kept' })),
      );
    }
    const { deleted } = await s.deleteMemories(space, { userId: 'gone' });
    expect(deleted).toBe(total / 3);
    expect((await s.getSpace(space)).stats.memories).toBe(total - total / 3);
    expect((await s.listMemories(space, { userId: 'gone' })).items).toEqual([]);
    expect((await s.deleteMemories(space, { userId: 'gone' })).deleted).toBe(0);
    await expect(s.deleteMemories(space, { userId: { like: 'x' } })).rejects.toThrowError(code('VALIDATION_FAILED'));
  });

  it('counts accesses without a write per read', async () => {
    const m = await s.addMemory(space, { content: 'read me', embedding: v(1) });
    await s.getMemory(space, m.id);
    await s.search(space, { embedding: v(1), mode: 'vector' });
    await s.addMemory(space, { content: 'a later write flushes the counts', embedding: v(2) });
    expect((await s.getMemory(space, m.id)).accessCount).toBe(2);
  });
});

describe('filters', () => {
  beforeEach(async () => {
    await s.addMemories(space, [
      { id: 'a', content: 'a', embedding: v(1), metadata: { topic: 'cats', n: 1, flag: true, list: ['x', 'y'], nested: { deep: 'yes' } }, tags: ['pets', 'home'], userId: 'alice', kind: 'fact', importance: 0.2 },
      { id: 'b', content: 'b', embedding: v(2), metadata: { topic: 'dogs', n: 5, flag: false, list: ['z'] }, tags: ['pets'], userId: 'bob', agentId: 'ag', kind: 'episode', importance: 0.8 },
      { id: 'c', content: 'c', embedding: v(3), metadata: { topic: 'finance', n: '5', note: 'the quarterly report' }, tags: [], runId: 'r1', kind: 'document', importance: 0.5 },
    ]);
  });
  const ids = async (filter: unknown): Promise<string[]> =>
    (await s.listMemories(space, { filter, order: 'asc' })).items.map((m) => m.id);

  it.each<[string, unknown, string[]]>([
    ['eq on metadata', { 'metadata.topic': { eq: 'cats' } }, ['a']],
    ['shorthand eq', { 'metadata.topic': 'dogs' }, ['b']],
    ['typed equality: 5 is not "5"', { 'metadata.n': 5 }, ['b']],
    ['typed equality: "5" is not 5', { 'metadata.n': '5' }, ['c']],
    ['ne includes missing', { 'metadata.flag': { ne: true } }, ['b', 'c']],
    ['gt on numbers ignores strings', { 'metadata.n': { gt: 1 } }, ['b']],
    ['gte', { 'metadata.n': { gte: 1 } }, ['a', 'b']],
    ['lt', { importance: { lt: 0.5 } }, ['a']],
    ['lte', { importance: { lte: 0.5 } }, ['a', 'c']],
    ['in', { 'metadata.topic': { in: ['cats', 'finance'] } }, ['a', 'c']],
    ['nin includes missing', { agentId: { nin: ['ag'] } }, ['a', 'c']],
    ['contains on an array', { 'metadata.list': { contains: 'y' } }, ['a']],
    ['contains on a string', { 'metadata.note': { contains: 'quarter' } }, ['c']],
    ['eq matches an array element', { 'metadata.list': 'z' }, ['b']],
    ['exists true', { 'metadata.note': { exists: true } }, ['c']],
    ['exists false', { 'metadata.note': { exists: false } }, ['a', 'b']],
    ['nested path', { 'metadata.nested.deep': 'yes' }, ['a']],
    ['boolean', { 'metadata.flag': false }, ['b']],
    ['tags contains', { tags: { contains: 'home' } }, ['a']],
    ['tags in', { tags: { in: ['pets'] } }, ['a', 'b']],
    ['tags nin', { tags: { nin: ['home'] } }, ['b', 'c']],
    ['tags exists false', { tags: { exists: false } }, ['c']],
    ['scopes', { userId: 'alice' }, ['a']],
    ['null scope', { userId: null }, ['c']],
    ['kind', { kind: { in: ['episode', 'document'] } }, ['b', 'c']],
    ['and', { and: [{ tags: 'pets' }, { importance: { gt: 0.5 } }] }, ['b']],
    ['or', { or: [{ userId: 'alice' }, { runId: 'r1' }] }, ['a', 'c']],
    ['not', { not: { tags: 'pets' } }, ['c']],
    ['createdAt', { createdAt: { gte: '2026-01-01T00:00:00Z', lt: '2100-01-01T00:00:00Z' } }, ['a', 'b', 'c']],
    ['createdAt excludes', { createdAt: { lt: '2026-01-01T00:00:00Z' } }, []],
    ['id in', { id: { in: ['c', 'a'] } }, ['a', 'c']],
    ['empty in matches nothing', { userId: { in: [] } }, []],
  ])('%s', async (_label, filter, expected) => {
    expect(await ids(filter)).toEqual(expected);
  });

  it('applies the same filters inside search', async () => {
    const { results } = await s.search(space, { query: 'a b c', embedding: v(1), filter: { 'metadata.topic': { ne: 'cats' } }, limit: 10 });
    expect(results.map((r) => r.memory.id).sort()).toEqual(['b', 'c']);
  });

  it('treats user input in metadata paths and values as data, never SQL', async () => {
    expect(await ids({ 'metadata.topic': "cats' OR 1=1 --" })).toEqual([]);
    await expect(ids({ "metadata.x') OR 1=1 --": 1 })).rejects.toThrowError(code('VALIDATION_FAILED'));
  });
});

describe('search', () => {
  beforeEach(async () => {
    await s.addMemories(space, [
      { id: 'cat', content: 'the cat sleeps on the warm windowsill', embedding: v(1), tags: ['pets'], userId: 'alice' },
      { id: 'dog', content: 'the dog chases a ball in the park', embedding: v(2), tags: ['pets', 'outdoor'], userId: 'bob' },
      { id: 'tax', content: 'file the quarterly tax report before friday', embedding: v(3), tags: ['work'], userId: 'alice', agentId: 'acct', runId: 'r9' },
      { id: 'ball', content: 'a ball game tonight at the stadium', embedding: v(4), tags: ['outdoor'], userId: 'bob' },
    ]);
  });
  const idsOf = (r: { results: { memory: { id: string } }[] }): string[] => r.results.map((x) => x.memory.id);

  it('vector mode ranks by cosine similarity', async () => {
    const r = await s.search(space, { embedding: v(3), mode: 'vector', limit: 2 });
    expect(idsOf(r)[0]).toBe('tax');
    expect(r.results[0]!.score).toBeCloseTo(1, 3);
    expect(r.results[0]!.scores.vector).toBeCloseTo(1, 3);
    expect(r.results.length).toBe(2);
  });

  it('keyword mode ranks by BM25 with stemming and ignores FTS syntax in the query', async () => {
    const r = await s.search(space, { query: 'balls', mode: 'keyword' });
    expect(idsOf(r).sort()).toEqual(['ball', 'dog']);
    expect(r.results.every((x) => x.scores.keyword! > 0 && x.scores.vector === undefined)).toBe(true);
    expect(idsOf(await s.search(space, { query: 'tax" OR "cat NEAR(', mode: 'keyword' })).sort()).toEqual(['cat', 'tax']);
    expect(idsOf(await s.search(space, { query: '***', mode: 'keyword' }))).toEqual([]);
  });

  it('hybrid mode fuses both rankings, and vectorWeight tunes the mix', async () => {
    const both = await s.search(space, { query: 'dog chases', embedding: v(2), limit: 4 });
    expect(idsOf(both)[0]).toBe('dog'); // first by keyword and by vector
    const top = both.results[0]!;
    expect(top.score).toBeCloseTo(0.5 * top.scores.vector! + 0.5 * top.scores.keyword!, 10);
    // Memories the keyword ranking did not find still carry their exact cosine.
    expect(both.results.every((r) => r.scores.vector !== undefined)).toBe(true);
    const rrf = await s.search(space, { query: 'dog chases', embedding: v(2), fusion: 'rrf' });
    expect(idsOf(rrf)[0]).toBe('dog');
    expect(rrf.results[0]!.score).toBeCloseTo(1, 5); // first in both rankings
    // A threshold on the hybrid score cuts what matches neither by meaning nor by words.
    expect(idsOf(await s.search(space, { query: 'dog chases', embedding: v(2), threshold: 0.3 }))).toEqual(['dog']);
    const keywordHeavy = await s.search(space, { query: 'stadium', embedding: v(1), vectorWeight: 0 });
    expect(idsOf(keywordHeavy)[0]).toBe('ball');
    const vectorHeavy = await s.search(space, { query: 'stadium', embedding: v(1), vectorWeight: 1 });
    expect(idsOf(vectorHeavy)[0]).toBe('cat');
  });

  it('applies scopes, tags any/all, threshold and limit', async () => {
    expect(idsOf(await s.search(space, { embedding: v(1), mode: 'vector', userId: 'bob' })).sort()).toEqual(['ball', 'dog']);
    expect(idsOf(await s.search(space, { embedding: v(1), mode: 'vector', agentId: 'acct', runId: 'r9' }))).toEqual(['tax']);
    expect(idsOf(await s.search(space, { embedding: v(1), mode: 'vector', tags: ['work', 'outdoor'] })).sort()).toEqual(['ball', 'dog', 'tax']);
    expect(idsOf(await s.search(space, { embedding: v(1), mode: 'vector', tags: ['pets', 'outdoor'], tagsMatch: 'all' }))).toEqual(['dog']);
    expect(idsOf(await s.search(space, { embedding: v(1), mode: 'vector', threshold: 0.9 }))).toEqual(['cat']);
    expect((await s.search(space, { embedding: v(1), mode: 'vector', limit: 3 })).results.length).toBe(3);
  });

  it('finds the best matches even when a filter keeps 1% of the space', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ content: `noise ${i}`, embedding: v(7), metadata: { rare: i % 100 === 0 } }));
    await s.addMemories(space, many);
    const r = await s.search(space, { embedding: v(7), mode: 'vector', filter: { 'metadata.rare': true }, limit: 10 });
    expect(r.results.length).toBe(10);
    expect(r.results.every((x) => x.memory.metadata['rare'] === true)).toBe(true);
  });

  it('rejects bad requests', async () => {
    for (const [req, expected] of [
      [{}, 'VALIDATION_FAILED'],
      [{ mode: 'keyword', embedding: v(1) }, 'VALIDATION_FAILED'],
      [{ query: 'x', mode: 'fuzzy' }, 'VALIDATION_FAILED'],
      [{ embedding: v(1), limit: 100_000 }, 'VALIDATION_FAILED'],
      [{ embedding: [1, 2, 3] }, 'DIMENSION_MISMATCH'],
      [{ embedding: v(1), filter: { userId: { regex: '.*' } } }, 'VALIDATION_FAILED'],
      [{ query: 'x' }, 'VALIDATION_FAILED'], // this space has no embedder for the query text
    ] as const) {
      await expect(s.search(space, req), JSON.stringify(req)).rejects.toThrowError(code(expected));
    }
  });
});

describe('relations', () => {
  it('links memories of one space, lists by direction and type, expands search, and deletes', async () => {
    const [a, b, c] = await s.addMemories(space, [
      { content: 'Alice', embedding: v(1) },
      { content: 'Acme Corp', embedding: v(2) },
      { content: 'Berlin', embedding: v(3) },
    ]);
    const works = await s.addRelation(space, { from: a!.id, to: b!.id, type: 'works_at', weight: 0.9, metadata: { since: 2020 } });
    const lives = await s.addRelation(space, { from: a!.id, to: c!.id, type: 'lives_in' });
    await s.addRelation(space, { from: b!.id, to: c!.id, type: 'located_in' });
    expect((await s.listRelations(space, a!.id, { direction: 'out' })).map((r) => r.type).sort()).toEqual(['lives_in', 'works_at']);
    expect((await s.listRelations(space, c!.id, { direction: 'in' })).length).toBe(2);
    expect((await s.listRelations(space, c!.id, { direction: 'out' })).length).toBe(0);
    expect((await s.listRelations(space, a!.id, { type: 'works_at' }))[0]).toMatchObject({ id: works.id, from: a!.id, to: b!.id, weight: 0.9, metadata: { since: 2020 } });

    const { results } = await s.search(space, { embedding: v(1), mode: 'vector', limit: 1, expand: true });
    expect(results[0]!.memory.id).toBe(a!.id);
    expect(results[0]!.related!.map((r) => r.memory.content).sort()).toEqual(['Acme Corp', 'Berlin']);

    await s.deleteRelation(space, lives.id);
    await expect(s.deleteRelation(space, lives.id)).rejects.toThrowError(code('NOT_FOUND'));
    await s.deleteMemory(space, b!.id);
    expect(await s.listRelations(space, a!.id)).toEqual([]); // edges of a deleted memory go with it
  });

  it('rejects edges to missing memories and bad input', async () => {
    const a = await s.addMemory(space, { content: 'a', embedding: v(1) });
    await expect(s.addRelation(space, { from: a.id, to: 'ghost', type: 'x' })).rejects.toThrowError(code('NOT_FOUND'));
    await expect(s.addRelation(space, { from: a.id, to: a.id, type: 'has space' })).rejects.toThrowError(code('VALIDATION_FAILED'));
    await expect(s.addRelation(space, { from: a.id, type: 'x' })).rejects.toThrowError(code('VALIDATION_FAILED'));
    await expect(s.listRelations(space, 'ghost')).rejects.toThrowError(code('NOT_FOUND'));
    await expect(s.listRelations(space, a.id, { direction: 'sideways' })).rejects.toThrowError(code('VALIDATION_FAILED'));
  });
});

describe('change feed', () => {
  it('appends one event per mutation, in order, with increasing sequence numbers', async () => {
    const [a, b] = await s.addMemories(space, [
      { content: 'a', embedding: v(1) },
      { content: 'b', embedding: v(2) },
    ]);
    const rel = await s.addRelation(space, { from: a!.id, to: b!.id, type: 'next' });
    await s.updateMemory(space, a!.id, { importance: 0.9 });
    await s.deleteMemory(space, b!.id); // takes its relation with it
    const events = await ms.registry.use(space, ({ store }) => store.changes(0, 100));
    expect(events.map((e) => [e.op, e.id])).toEqual([
      ['memory.created', a!.id],
      ['memory.created', b!.id],
      ['relation.created', rel.id],
      ['memory.updated', a!.id],
      ['relation.deleted', rel.id],
      ['memory.deleted', b!.id],
    ]);
    expect(events.every((e, i) => i === 0 || e.seq > events[i - 1]!.seq)).toBe(true);
    const after = await ms.registry.use(space, ({ store }) => store.changes(events[2]!.seq, 100));
    expect(after.map((e) => e.op)).toEqual(['memory.updated', 'relation.deleted', 'memory.deleted']);
    // Another space's feed is its own.
    const other = `${space}-other`;
    await s.createSpace({ name: other, embedder: 'none', dimension: DIM });
    expect(await ms.registry.use(other, ({ store }) => store.changes(0, 100))).toEqual([]);
  });
});
