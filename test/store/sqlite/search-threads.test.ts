import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { SearchHit } from '../../../src/core/views.js';
import { openEngine, type MemspaceEngine } from '../../../src/memspace.js';
import { tempDir } from '../../support/temp-memspace.js';

const DIM = 16;
const dirs: string[] = [];
const engines: MemspaceEngine[] = [];
afterAll(async () => {
  for (const ms of engines) await ms.close();
});

let seed = 11;
const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
const centroids = Array.from({ length: 8 }, () => Array.from({ length: DIM }, random));
const clustered = (): number[] => centroids[Math.floor((random() + 0.5) * 8)]!.map((c) => c + 0.4 * random());
const TOPICS = ['invoice payment', 'flight luggage', 'database index', 'garden tomatoes', 'guitar concert', 'doctor allergy'];

async function open(dataDir: string, config: Parameters<typeof loadConfig>[0] = {}): Promise<MemspaceEngine> {
  const ms = await openEngine(loadConfig({ ...config, dataDir }, {}));
  engines.push(ms);
  return ms;
}

async function fresh(config: Parameters<typeof loadConfig>[0] = {}): Promise<{ ms: MemspaceEngine; dataDir: string }> {
  const dataDir = tempDir('memspace-threads-');
  dirs.push(dataDir);
  return { ms: await open(dataDir, config), dataDir };
}

const ids = (hits: SearchHit[]): string[] => hits.map((h) => h.memory.id);
const vectorOnly = (embedding: number[], extra: Record<string, unknown> = {}) => ({ embedding, mode: 'vector', limit: 10, ...extra });

describe('search threads (workers > 1)', () => {
  it('answer every kind of search as the main thread does, over the same data', async () => {
    const { ms: one, dataDir } = await fresh({ workers: 1 });
    await one.spaces.create({ name: 'kb', embedder: 'none', dimension: DIM });
    const memories = Array.from({ length: 300 }, (_, i) => ({
      id: `m${i}`,
      content: `note ${i} about the ${TOPICS[i % TOPICS.length]}`,
      embedding: clustered(),
      metadata: { n: i, group: i % 3 === 0 ? 'a' : 'b' },
      tags: [i % 2 === 0 ? 'even' : 'odd'],
    }));
    await one.memories.addMany('kb', memories);
    for (let i = 0; i < 20; i++) await one.memories.relate('kb', { from: `m${i}`, to: `m${i + 1}`, type: 'next' });
    const requests = TOPICS.flatMap((topic) => {
      const embedding = clustered();
      return [
        { query: topic, embedding, limit: 10 },
        { query: topic, embedding, fusion: 'rrf', vectorWeight: 0.3, limit: 5 },
        { query: topic, mode: 'keyword', limit: 10 },
        vectorOnly(embedding),
        vectorOnly(embedding, { filter: { 'metadata.group': 'a' }, tags: ['even'] }),
        { query: topic, embedding, expand: true, threshold: 0.2, limit: 5 },
      ];
    });
    const expected: SearchHit[][] = [];
    for (const request of requests) expected.push((await one.search.run('kb', request)).results);
    expect((await one.spaces.get('kb')).stats.vectorIndex.resident).toBe(300);
    await one.close();

    const two = await open(dataDir, { workers: 2 });
    for (const [i, request] of requests.entries()) {
      const got = (await two.search.run('kb', request)).results;
      expect(ids(got), JSON.stringify(request)).toEqual(ids(expected[i]!));
      got.forEach((hit, j) => {
        expect(hit.score).toBeCloseTo(expected[i]![j]!.score, 6);
        // Access counts differ: the first engine's searches counted theirs.
        const plain = (h: SearchHit) => ({ ...h.memory, accessCount: 0, lastAccessedAt: null, related: h.related?.map((r) => r.memory.id) });
        expect(plain(hit)).toEqual(plain(expected[i]![j]!));
      });
    }
    // The vectors were scanned in the threads: the main thread holds none.
    expect((await two.spaces.get('kb')).stats.vectorIndex.resident).toBe(0);
  });

  it('see every write acknowledged before the search: adds, updates and deletes at once', async () => {
    const { ms } = await fresh({ workers: 2 });
    await ms.spaces.create({ name: 'live', embedder: 'none', dimension: DIM });
    await ms.memories.addMany('live', Array.from({ length: 50 }, (_, i) => ({ id: `m${i}`, content: `memory ${i}`, embedding: clustered() })));
    for (let round = 0; round < 20; round++) {
      const q = clustered();
      await ms.memories.add('live', { id: `new${round}`, content: `fresh ${round}`, embedding: q });
      expect(ids((await ms.search.run('live', vectorOnly(q))).results)[0]).toBe(`new${round}`);
      expect(ids((await ms.search.run('live', { query: `fresh ${round}`, mode: 'keyword' })).results)).toContain(`new${round}`);
      await ms.memories.update('live', `m${round}`, { embedding: q.map((x) => -x) });
      expect(ids((await ms.search.run('live', vectorOnly(q.map((x) => -x)))).results)[0]).toBe(`m${round}`);
      await ms.memories.delete('live', `new${round}`);
      expect(ids((await ms.search.run('live', vectorOnly(q))).results)).not.toContain(`new${round}`);
    }
  });

  it('search through the HNSW generations the main thread builds, and follow each new one', async () => {
    const { ms, dataDir } = await fresh({ workers: 2, annThreshold: 400 });
    await ms.spaces.create({ name: 'big', embedder: 'none', dimension: DIM });
    for (let start = 0; start < 2000; start += 500) {
      await ms.memories.addMany('big', Array.from({ length: 500 }, (_, i) => ({ id: `m${start + i}`, content: `memory ${start + i}`, embedding: clustered() })));
    }
    await ms.search.settleIndex('big');
    const generations = (): string[] => readdirSync(join(dataDir, 'spaces', 'big')).filter((f) => f.endsWith('.usearch'));
    const first = generations();
    expect(first).toHaveLength(1);
    // Recall over 40 queries: with 10, one unlucky query set measured 0.94 under CI load.
    const recall = async (): Promise<number> => {
      let found = 0;
      for (let i = 0; i < 40; i++) {
        const q = clustered();
        const exact = new Set(ids((await ms.search.run('big', vectorOnly(q, { exact: true }))).results));
        found += ids((await ms.search.run('big', vectorOnly(q))).results).filter((id) => exact.has(id)).length;
      }
      return found / 400;
    };
    expect(await recall()).toBeGreaterThanOrEqual(0.95);

    // Enough changes for the next generation; the threads move to it (the old file is deleted under them).
    for (const from of [0, 550]) await ms.memories.deleteMatching('big', { id: { in: Array.from({ length: 550 }, (_, i) => `m${from + i}`) } });
    const q = clustered();
    await ms.memories.add('big', { id: 'after', content: 'after the merge', embedding: q });
    await ms.search.settleIndex('big');
    expect(generations()).not.toEqual(first);
    expect((await ms.spaces.get('big')).stats.vectorIndex).toMatchObject({ state: 'ready', lag: 0, indexed: 901 });
    expect(ids((await ms.search.run('big', vectorOnly(q))).results)[0]).toBe('after');
    const hits = ids((await ms.search.run('big', vectorOnly(clustered(), { limit: 50 }))).results);
    expect(hits.every((id) => id === 'after' || Number(id.slice(1)) >= 1100)).toBe(true);
    expect(await recall()).toBeGreaterThanOrEqual(0.95);
  });

  it('answer a thread\'s first search of an indexed space from the index, reading candidates from their rows, as a loaded copy would', async () => {
    const { ms } = await fresh({ workers: 2, annThreshold: 400 });
    await ms.spaces.create({ name: 'cold', embedder: 'none', dimension: DIM });
    await ms.memories.addMany('cold', Array.from({ length: 1500 }, (_, i) => ({ id: `m${i}`, content: `memory ${i}`, embedding: clustered() })));
    await ms.search.settleIndex('cold');
    const q = clustered();
    const gone = ids((await ms.search.run('cold', vectorOnly(q))).results)[0]!;
    // Closing drops the threads' copies; the index is checked again on the main thread, and the
    // writes land, before a thread opens the space again: its first search goes through the index.
    await ms.registry.close();
    await ms.search.settleIndex('cold');
    await ms.memories.delete('cold', gone);
    await ms.memories.add('cold', { id: 'fresh', content: 'fresh memory', embedding: q.map((x) => x + 0.001) });
    await ms.memories.update('cold', 'm7', { embedding: q });
    const first = (await ms.search.run('cold', { query: 'fresh', embedding: q, mode: 'hybrid', limit: 10 })).results;
    expect(ids(first).slice(0, 2).sort()).toEqual(['fresh', 'm7']);
    expect(ids(first)).not.toContain(gone);
    const cold = (await ms.search.run('cold', vectorOnly(q))).results;
    const exact = (await ms.search.run('cold', vectorOnly(q, { exact: true }))).results;
    expect(ids(cold).slice(0, 2).sort()).toEqual(['fresh', 'm7']);
    cold.forEach((hit) => {
      const same = exact.find((h) => h.memory.id === hit.memory.id);
      if (same !== undefined) expect(hit.score).toBeCloseTo(same.score, 6);
    });
  });

  it('let go of a space before its files go: delete and re-create, archive and restore, eviction', async () => {
    const { ms } = await fresh({ workers: 2, maxOpenSpaces: 1 });
    const q = clustered();
    await ms.spaces.create({ name: 'reused', embedder: 'none', dimension: DIM });
    await ms.memories.add('reused', { id: 'old', content: 'the old tenant', embedding: q });
    expect(ids((await ms.search.run('reused', vectorOnly(q))).results)).toEqual(['old']);

    await ms.spaces.delete('reused');
    await ms.spaces.create({ name: 'reused', embedder: 'none', dimension: DIM });
    await ms.memories.add('reused', { id: 'new', content: 'the new tenant', embedding: q });
    expect(ids((await ms.search.run('reused', vectorOnly(q))).results)).toEqual(['new']);
    expect(ids((await ms.search.run('reused', { query: 'tenant', mode: 'keyword' })).results)).toEqual(['new']);

    await ms.lifecycle.archive('reused');
    await expect(ms.search.run('reused', vectorOnly(q))).rejects.toMatchObject({ code: 'SPACE_ARCHIVED' });
    await ms.lifecycle.restore('reused');
    expect(ids((await ms.search.run('reused', vectorOnly(q))).results)).toEqual(['new']);

    // One space open at a time: every search below evicts the other space under the threads.
    await ms.spaces.create({ name: 'other', embedder: 'none', dimension: DIM });
    await ms.memories.add('other', { id: 'new', content: 'another space, the same id', embedding: q.map((x) => -x) });
    for (let i = 0; i < 10; i++) {
      const [mine] = (await ms.search.run('reused', vectorOnly(q))).results;
      const [theirs] = (await ms.search.run('other', vectorOnly(q))).results;
      expect(mine!.memory.content).toBe('the new tenant');
      expect(mine!.score).toBeCloseTo(1, 5);
      expect(theirs!.memory.content).toBe('another space, the same id');
      expect(theirs!.score).toBeCloseTo(-1, 5);
    }
  });

  it('refuses a number of workers that is not a positive integer', () => {
    for (const workers of [0, -1, 1.5, 'many']) {
      expect(() => loadConfig({ dataDir: '/tmp/unused', workers: workers as number }, {})).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
    expect(() => loadConfig({ dataDir: '/tmp/unused' }, { MEMSPACE_WORKERS: 'two' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
