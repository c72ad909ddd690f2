import { InvalidNamespaceError, type Item, type SearchItem } from '@langchain/langgraph-checkpoint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemspaceStore } from '../../../src/compat/langgraph/index.js';
import { allMemories } from '../../support/temp-memspace.js';
import { failure, toyMemspace } from './store-fixture.js';

let ms: Awaited<ReturnType<typeof toyMemspace>>;

beforeAll(async () => {
  ms = await toyMemspace();
});
afterAll(async () => ms.cleanup());

/** A store over a fresh space of its own, so that tests do not see each other's items. */
let spaces = 0;
async function freshStore(options: Partial<ConstructorParameters<typeof MemspaceStore>[0]> = {}): Promise<{ store: MemspaceStore; space: string }> {
  const space = `lg-${++spaces}`;
  await ms.spaces.create({ name: space });
  return { store: new MemspaceStore({ memspace: ms, mapping: { space }, ...options } as ConstructorParameters<typeof MemspaceStore>[0]), space };
}

describe('MemspaceStore: put, get, delete', () => {
  it('stores an item, reads it back as a LangGraph Item, replaces it and deletes it', async () => {
    const { store, space } = await freshStore();
    expect(await store.get(['users', 'u1'], 'prefs')).toBeNull();
    await store.put(['users', 'u1'], 'prefs', { theme: 'dark', when: new Date('2024-05-01T00:00:00Z') });
    const item = await store.get(['users', 'u1'], 'prefs');
    expect(item).toMatchObject({ namespace: ['users', 'u1'], key: 'prefs', value: { theme: 'dark', when: '2024-05-01T00:00:00.000Z' } });
    expect(item!.createdAt).toBeInstanceOf(Date);
    expect(item!.createdAt.getTime()).toBe(ms.clock.now);

    await store.put(['users', 'u1'], 'prefs', { theme: 'light' });
    expect((await store.get(['users', 'u1'], 'prefs'))!.value).toEqual({ theme: 'light' });
    expect((await allMemories(ms, space)).byId.size).toBe(1);

    await store.delete(['users', 'u1'], 'prefs');
    expect(await store.get(['users', 'u1'], 'prefs')).toBeNull();
    await store.delete(['users', 'u1'], 'prefs'); // deleting what is gone is no error
    expect((await allMemories(ms, space)).byId.size).toBe(0);
  });

  it('keeps createdAt and moves updatedAt on an update', async () => {
    const { store } = await freshStore();
    await store.put(['docs'], 'd1', { v: 1 });
    const created = ms.clock.now;
    ms.clock.now += 60_000;
    await store.put(['docs'], 'd1', { v: 2 });
    const item = (await store.get(['docs'], 'd1'))!;
    expect(item.value).toEqual({ v: 2 });
    expect(item.createdAt.getTime()).toBe(created);
    expect(item.updatedAt.getTime()).toBe(created + 60_000);
  });

  it('keeps namespaces and keys apart exactly, whatever they contain', async () => {
    const { store } = await freshStore();
    await store.put(['a', 'b'], 'c', { at: 'a/b:c' });
    await store.put(['a'], 'b', { at: 'a:b' });
    await store.put(['A', 'b'], 'c', { at: 'A/b:c' });
    await store.put(['a', 'b'], 'clé / ünïcode "quoted"', { at: 'odd key' });
    expect((await store.get(['a', 'b'], 'c'))!.value).toEqual({ at: 'a/b:c' });
    expect((await store.get(['a'], 'b'))!.value).toEqual({ at: 'a:b' });
    expect((await store.get(['A', 'b'], 'c'))!.value).toEqual({ at: 'A/b:c' });
    expect((await store.get(['a', 'b'], 'clé / ünïcode "quoted"'))!.value).toEqual({ at: 'odd key' });
    expect(await store.get(['a', 'b', 'c'], 'c')).toBeNull();
    expect(await store.get([], 'c')).toBeNull();
  });

  it('leaves one memory when puts of one key race, holding one of the values', async () => {
    const { store, space } = await freshStore();
    const other = new MemspaceStore({ memspace: ms, mapping: { space } });
    const values = Array.from({ length: 8 }, (_, i) => ({ n: i }));
    await Promise.all(values.map((value, i) => (i % 2 === 0 ? store : other).put(['race'], 'k', value)));
    const { byId, listed } = await allMemories(ms, space);
    expect(byId.size).toBe(1);
    expect(listed).toBe(1);
    expect(values).toContainEqual((await store.get(['race'], 'k'))!.value);
  });

  it('runs a batch as LangGraph stores do: reads see the state before the writes, the last put of a key wins', async () => {
    const { store } = await freshStore();
    await store.put(['b'], 'k', { v: 'before' });
    const [got, , , listed, searched] = (await store.batch([
      { namespace: ['b'], key: 'k' },
      { namespace: ['b'], key: 'k', value: { v: 'first' } },
      { namespace: ['b'], key: 'k', value: { v: 'last' } },
      { matchConditions: [{ matchType: 'prefix', path: ['b'] }], limit: 10, offset: 0 },
      { namespacePrefix: ['b'], limit: 10, offset: 0 },
    ])) as unknown as [Item | null, void, void, string[][], SearchItem[]];
    expect(got!.value).toEqual({ v: 'before' });
    expect(listed).toEqual([['b']]);
    expect(searched.map((i) => i.value)).toEqual([{ v: 'before' }]);
    expect((await store.get(['b'], 'k'))!.value).toEqual({ v: 'last' });
  });
});

describe('MemspaceStore: namespace validation', () => {
  it('refuses what LangGraph refuses, with InvalidNamespaceError', async () => {
    const { store } = await freshStore();
    for (const namespace of [[], ['a.b'], ['a', ''], ['a:b'], ['langgraph', 'x'], [1 as unknown as string]]) {
      await expect(store.put(namespace, 'k', { v: 1 }), JSON.stringify(namespace)).rejects.toBeInstanceOf(InvalidNamespaceError);
    }
    await expect(store.search(['a.b'])).rejects.toBeInstanceOf(InvalidNamespaceError);
    await expect(store.get(['a', ''], 'k')).rejects.toBeInstanceOf(InvalidNamespaceError);
    await expect(store.listNamespaces({ prefix: ['a.b'] })).rejects.toBeInstanceOf(InvalidNamespaceError);
    await expect(store.batch([{ namespace: 'a' as unknown as string[], key: 'k', value: {} }])).rejects.toBeInstanceOf(InvalidNamespaceError);
  });

  it('refuses malformed values, filters and paging with VALIDATION_FAILED', async () => {
    const { store } = await freshStore();
    await failure(store.put(['a'], 'k', [1, 2] as unknown as Record<string, unknown>), 'VALIDATION_FAILED');
    await failure(store.search(['a'], { filter: { n: { $regex: 'x' } } }), 'VALIDATION_FAILED');
    await failure(store.search(['a'], { filter: { 'bad key': 1 } }), 'VALIDATION_FAILED');
    await failure(store.search(['a'], { filter: { n: { nested: 1 } } }), 'VALIDATION_FAILED');
    await failure(store.search(['a'], { limit: -1 }), 'VALIDATION_FAILED');
  });
});

describe('MemspaceStore: search with filters and paging', () => {
  let store: MemspaceStore;
  beforeAll(async () => {
    ({ store } = await freshStore());
    const fruits = [
      { name: 'apple', color: 'red', price: 1.5, stock: 10, origin: { country: 'fr' } },
      { name: 'banana', color: 'yellow', price: 0.5, stock: 0, origin: { country: 'ec' } },
      { name: 'cherry', color: 'red', price: 4, stock: 3, origin: { country: 'fr' } },
      { name: 'lemon', color: 'yellow', price: 0.75, origin: { country: 'es' } },
    ];
    for (const fruit of fruits) await store.put(['user1', 'fruit'], fruit.name, fruit);
    await store.put(['user1', 'veg'], 'tomato', { name: 'tomato', color: 'red', price: 2, stock: 5 });
    await store.put(['user10'], 'decoy', { name: 'decoy', color: 'red', price: 1, stock: 1 });
  });
  const names = async (prefix: string[], options: Parameters<MemspaceStore['search']>[1]): Promise<string[]> =>
    (await store.search(prefix, options)).map((i) => i.key);

  it('filters on plain equality, several fields and nested fields', async () => {
    expect(await names(['user1'], { filter: { color: 'red' } })).toEqual(['apple', 'cherry', 'tomato']);
    expect(await names(['user1', 'fruit'], { filter: { color: 'red', stock: 3 } })).toEqual(['cherry']);
    expect(await names(['user1'], { filter: { 'origin.country': 'fr' } })).toEqual(['apple', 'cherry']);
    expect(await names(['user1'], { filter: { color: 'blue' } })).toEqual([]);
  });

  it('applies every comparison operator', async () => {
    expect(await names(['user1'], { filter: { color: { $eq: 'yellow' } } })).toEqual(['banana', 'lemon']);
    expect(await names(['user1', 'fruit'], { filter: { color: { $ne: 'yellow' } } })).toEqual(['apple', 'cherry']);
    expect(await names(['user1'], { filter: { price: { $gt: 1.5 } } })).toEqual(['cherry', 'tomato']);
    expect(await names(['user1'], { filter: { price: { $gte: 1.5 } } })).toEqual(['apple', 'cherry', 'tomato']);
    expect(await names(['user1'], { filter: { price: { $lt: 0.75 } } })).toEqual(['banana']);
    expect(await names(['user1'], { filter: { price: { $lte: 0.75 } } })).toEqual(['banana', 'lemon']);
    expect(await names(['user1'], { filter: { price: { $gt: 0.5, $lt: 2 } } })).toEqual(['apple', 'lemon']);
    expect(await names(['user1'], { filter: { name: { $in: ['lemon', 'tomato', 'decoy'] } } })).toEqual(['lemon', 'tomato']);
    expect(await names(['user1', 'fruit'], { filter: { name: { $nin: ['apple', 'banana'] } } })).toEqual(['cherry', 'lemon']);
    // As in LangGraph, $ne also matches an item without the field.
    expect(await names(['user1', 'fruit'], { filter: { stock: { $ne: 0 } } })).toEqual(['apple', 'cherry', 'lemon']);
  });

  it('pages with limit (default 10) and offset, in insertion order', async () => {
    const { store: many } = await freshStore();
    for (let i = 0; i < 25; i++) await many.put(['many'], `k${String(i).padStart(2, '0')}`, { i });
    expect((await many.search(['many'])).map((i) => i.value['i'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await many.search(['many'], { limit: 4, offset: 10 })).map((i) => i.value['i'])).toEqual([10, 11, 12, 13]);
    expect((await many.search(['many'], { limit: 10, offset: 20 })).map((i) => i.value['i'])).toEqual([20, 21, 22, 23, 24]);
    expect(await many.search(['many'], { offset: 30 })).toEqual([]);
    expect(await many.search(['many'], { limit: 0 })).toEqual([]);
    expect((await many.search(['many'], { limit: 100 })).length).toBe(25);
  });

  it('keeps prefix boundaries exact: ["user1"] never reaches ["user10"]', async () => {
    expect(await names(['user1'], { filter: { color: 'red' }, limit: 100 })).toEqual(['apple', 'cherry', 'tomato']);
    expect(await names(['user10'], {})).toEqual(['decoy']);
    expect(await names([], { filter: { color: 'red' } })).toEqual(['apple', 'cherry', 'tomato', 'decoy']);
  });

  it('returns items without a score when there is no query', async () => {
    const [first] = await store.search(['user1'], { limit: 1 });
    expect(first!.score).toBeUndefined();
    expect(first!.createdAt).toBeInstanceOf(Date);
  });
});

describe('MemspaceStore: semantic search', () => {
  let store: MemspaceStore;
  let space: string;
  beforeAll(async () => {
    ({ store, space } = await freshStore({ index: { fields: ['text'] } }));
    await store.put(['docs'], 'py', { text: 'Python tutorial for beginners', lang: 'en' });
    await store.put(['docs'], 'ts', { text: 'TypeScript guide to generics and types', lang: 'en' });
    await store.put(['docs'], 'pasta', { text: 'Cooking fresh pasta at home', lang: 'it' });
    await store.put(['docs'], 'py-fr', { text: 'Tutoriel Python pour débutants', lang: 'fr' });
    await store.put(['docs'], 'secret', { text: 'python python python', lang: 'en' }, false);
    await store.put(['docs'], 'titled', { title: 'cooking', text: 'python python python' }, ['title']);
    await store.put(['docs10'], 'decoy', { text: 'Python tutorial for beginners' });
  });

  it('ranks by meaning with scores, best first', async () => {
    const results = await store.search(['docs'], { query: 'python tutorial', limit: 3 });
    expect(results.map((r) => r.key)).toEqual(['py', 'py-fr', expect.any(String)]);
    const scores = results.map((r) => r.score!);
    expect(scores.every((s) => typeof s === 'number')).toBe(true);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect((await store.search(['docs'], { query: 'cooking pasta', limit: 1 }))[0]!.key).toBe('pasta');
  });

  it('combines a query with a filter, offset and the namespace prefix', async () => {
    expect((await store.search(['docs'], { query: 'python tutorial', filter: { lang: 'fr' } })).map((r) => r.key)).toEqual(['py-fr']);
    const all = await store.search(['docs'], { query: 'python tutorial', limit: 10 });
    expect((await store.search(['docs'], { query: 'python tutorial', offset: 1, limit: 2 })).map((r) => r.key)).toEqual(all.slice(1, 3).map((r) => r.key));
    expect(all.map((r) => r.key)).toEqual(expect.arrayContaining(['py', 'py-fr']));
    expect(all.map((r) => r.key)).not.toContain('decoy');
  });

  it('leaves items put with index: false out of semantic search, but not out of filter search', async () => {
    const byMeaning = await store.search(['docs'], { query: 'python', limit: 50 });
    expect(byMeaning.map((r) => r.key)).not.toContain('secret');
    expect((await store.search(['docs'], { filter: { lang: 'en' } })).map((r) => r.key)).toContain('secret');
  });

  it('embeds only the fields a put names', async () => {
    const titled = await store.search(['docs'], { query: 'cooking', limit: 2 });
    expect(titled.map((r) => r.key)).toContain('titled');
    const python = await store.search(['docs'], { query: 'python', limit: 2 });
    expect(python.map((r) => r.key)).not.toContain('titled');
  });

  it('gives an item a vector of its own when it is indexed again after a put with index: false', async () => {
    await store.put(['docs'], 'late', { text: 'zebra crossing' }, false);
    expect((await store.search(['docs'], { query: 'zebra crossing', limit: 1 }))[0]?.key).not.toBe('late');
    await store.put(['docs'], 'late', { text: 'zebra crossing' });
    expect((await store.search(['docs'], { query: 'zebra crossing', limit: 1 }))[0]?.key).toBe('late');
    // Even when the text to embed is the very content the unindexed item had.
    await store.put(['docs'], 'odd', { text: 'x' }, false);
    const [before] = (await ms.memories.list(space, { filter: { 'metadata.langgraph.key': 'odd' } })).items;
    await store.put(['docs'], 'odd', { text: before!.content });
    const after = await ms.memories.get(space, before!.id, { includeEmbedding: true });
    expect(after.content).toBe(before!.content);
    expect(after.embedding![0]).not.toBe(1); // not the fixed vector of an unindexed item
    expect((await store.search(['docs'], { query: before!.content, limit: 1 }))[0]?.key).toBe('odd');
  });
});

describe('MemspaceStore: listNamespaces', () => {
  let store: MemspaceStore;
  beforeAll(async () => {
    ({ store } = await freshStore());
    const namespaces = [
      ['a', 'b', 'c'],
      ['a', 'b', 'd'],
      ['a', 'x'],
      ['z', 'b'],
      ['user1'],
      ['user10', 'notes'],
      ['a', 'b', 'c'], // a second item in a namespace lists it once
    ];
    for (const [i, namespace] of namespaces.entries()) await store.put(namespace, `k${i}`, { v: 1 });
  });

  it('lists every namespace once, sorted', async () => {
    expect(await store.listNamespaces()).toEqual([['a', 'b', 'c'], ['a', 'b', 'd'], ['a', 'x'], ['user1'], ['user10', 'notes'], ['z', 'b']]);
  });

  it('matches prefixes and suffixes, with * for any one label', async () => {
    expect(await store.listNamespaces({ prefix: ['a'] })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd'], ['a', 'x']]);
    expect(await store.listNamespaces({ prefix: ['user1'] })).toEqual([['user1']]);
    expect(await store.listNamespaces({ suffix: ['b'] })).toEqual([['z', 'b']]);
    expect(await store.listNamespaces({ prefix: ['a', '*', 'd'] })).toEqual([['a', 'b', 'd']]);
    expect(await store.listNamespaces({ prefix: ['*', 'b'] })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd'], ['z', 'b']]);
    expect(await store.listNamespaces({ suffix: ['*', 'c'] })).toEqual([['a', 'b', 'c']]);
    expect(await store.listNamespaces({ prefix: ['a'], suffix: ['d'] })).toEqual([['a', 'b', 'd']]);
  });

  it('truncates to maxDepth and pages with limit and offset', async () => {
    expect(await store.listNamespaces({ maxDepth: 1 })).toEqual([['a'], ['user1'], ['user10'], ['z']]);
    expect(await store.listNamespaces({ prefix: ['a'], maxDepth: 2 })).toEqual([['a', 'b'], ['a', 'x']]);
    expect(await store.listNamespaces({ limit: 2 })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd']]);
    expect(await store.listNamespaces({ limit: 2, offset: 4 })).toEqual([['user10', 'notes'], ['z', 'b']]);
  });
});
