import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchHit } from '../../../src/core/views.js';
import { tempMemspace } from '../../support/temp-memspace.js';

const DIM = 32;
const THRESHOLD = 400;
let ms: Awaited<ReturnType<typeof tempMemspace>>;

let seed = 7;
const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
const centroids = Array.from({ length: 16 }, () => Array.from({ length: DIM }, random));
/** A vector near one of 16 centroids: neighbours are meaningful, as with real embeddings. */
const clustered = (): number[] => centroids[Math.floor((random() + 0.5) * 16)]!.map((c) => c + 0.4 * random());

beforeAll(async () => {
  // On the main thread: `resident` counts the vectors this thread holds (search threads: search-threads.test.ts).
  ms = await tempMemspace({ config: { annThreshold: THRESHOLD, workers: 1 } });
});
afterAll(async () => ms.cleanup());

const cosine = (a: number[], b: number[]): number => {
  const dot = (x: number[], y: number[]) => x.reduce((sum, v, i) => sum + v * y[i]!, 0);
  return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
};
const ids = (hits: SearchHit[]): string[] => hits.map((h) => h.memory.id);

async function search(space: string, query: number[], extra: Record<string, unknown> = {}): Promise<SearchHit[]> {
  return (await ms.search.run(space, { embedding: query, mode: 'vector', limit: 10, ...extra })).results;
}

/** Share of the exact top 10 that the default (index) search returns, over `queries`. */
async function recall(space: string, queries: number[][]): Promise<number> {
  let found = 0;
  for (const q of queries) {
    const exact = new Set(ids(await search(space, q, { exact: true })));
    found += ids(await search(space, q)).filter((id) => exact.has(id)).length;
  }
  return found / (queries.length * 10);
}

async function indexStatus(space: string) {
  return (await ms.spaces.get(space)).stats.vectorIndex;
}

async function fill(space: string, count: number, metadata: (i: number) => Record<string, unknown> = () => ({})): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    const n = Math.min(500, count - start);
    await ms.memories.addMany(
      space,
      Array.from({ length: n }, (_, i) => ({ id: `m${start + i}`, content: `memory ${start + i}`, embedding: clustered(), metadata: metadata(start + i) })),
    );
  }
}

function indexFiles(space: string): string[] {
  return readdirSync(join(ms.dataDir, 'spaces', space)).filter((f) => f.startsWith('vectors-') || f === 'vectors.hnsw.json');
}

describe('HNSW index per space', () => {
  it('is built in the background past the threshold, and its results match an exact scan', async () => {
    await ms.spaces.create({ name: 'big', embedder: 'none', dimension: DIM });
    await fill('big', 2000);
    const queries = Array.from({ length: 20 }, clustered);
    // Before the index exists, search is exact and correct.
    expect(await recall('big', queries.slice(0, 3))).toBe(1);
    await ms.search.settleIndex('big');
    const status = await indexStatus('big');
    expect(status).toMatchObject({ state: 'ready', indexed: 2000, lag: 0, threshold: THRESHOLD });
    expect(await recall('big', queries)).toBeGreaterThanOrEqual(0.95);
    // Scores are exact cosines even through the index.
    const viaIndex = await search('big', queries[0]!);
    const exact = await search('big', queries[0]!, { exact: true });
    expect(viaIndex[0]!.score).toBeCloseTo(exact[0]!.score, 6);
  });

  it('reflects adds, updates and deletes immediately, before the next build', async () => {
    const q = clustered();
    const top = (await search('big', q))[0]!.memory.id;
    await ms.memories.delete('big', top);
    expect(ids(await search('big', q))).not.toContain(top);

    await ms.memories.update('big', 'm5', { embedding: q });
    expect((await search('big', q))[0]!.memory.id).toBe('m5');

    const near = q.map((x) => x + 0.001);
    await ms.memories.add('big', { id: 'fresh', content: 'fresh', embedding: near });
    const hits = ids(await search('big', q));
    expect(hits.slice(0, 2).sort()).toEqual(['fresh', 'm5']);
    expect((await indexStatus('big')).lag).toBe(3);
    // The rest comes from the index, approximate: compared with the exact answer by recall.
    const exact = new Set(ids(await search('big', q, { exact: true })));
    expect(hits.filter((id) => exact.has(id)).length).toBeGreaterThanOrEqual(8);
  });

  it('builds the next generation from the last one once enough has changed, and drops the old files', async () => {
    const before = indexFiles('big');
    for (const from of [10, 560]) await ms.memories.deleteMatching('big', { id: { in: Array.from({ length: 550 }, (_, i) => `m${from + i}`) } });
    await ms.search.settleIndex('big');
    const status = await indexStatus('big');
    expect(status.state).toBe('ready');
    expect(status.lag).toBe(0);
    expect(status.indexed).toBe((await ms.spaces.get('big')).stats.memories);
    const after = indexFiles('big');
    expect(after.filter((f) => f.endsWith('.usearch'))).toHaveLength(1);
    expect(after).not.toEqual(before);
    expect(await recall('big', Array.from({ length: 10 }, clustered))).toBeGreaterThanOrEqual(0.95);
  });

  it('loads the vectors of a reopened space of this size at once, and answers as before the close', async () => {
    const space = 'big';
    await ms.search.settleIndex(space);
    const q = clustered();
    const before = await search(space, q);
    await ms.registry.close();
    // Up to 100,000 memories loading beats waiting for the index check (larger ones search their rows first).
    expect(ids(await search(space, q))).toEqual(ids(await search(space, q, { exact: true })));
    expect((await indexStatus(space)).resident).toBe((await ms.spaces.get(space)).stats.memories);
    await ms.search.settleIndex(space);
    const again = await search(space, q);
    expect(ids(again)).toEqual(ids(before));
    again.forEach((hit, j) => expect(hit.score).toBe(before[j]!.score));
  });

  it('reads rows for only the first search of a space indexed before its vectors were loaded, even without an event-loop turn between searches', async () => {
    // Written and indexed, never searched: the index is ready, the vectors are still on disk.
    await ms.spaces.create({ name: 'ingested', embedder: 'none', dimension: DIM });
    await fill('ingested', 500);
    await ms.search.settleIndex('ingested');
    const q = Float32Array.from(clustered());
    // One chain of promises, as a caller searching in a loop makes: the load the first search scheduled gets no turn.
    const { first, second, stats } = await ms.registry.use('ingested', async ({ store }) => {
      const first = await store.vectorSearch(q, undefined, 10, Date.now());
      const second = await store.vectorSearch(q, undefined, 10, Date.now());
      return { first, second, stats: await store.stats() };
    });
    expect(stats.vectorIndex.resident).toBe(500);
    expect(second).toEqual(first);
  });

  it.each([
    ['deleted', (file: string) => rmSync(file)],
    ['truncated', (file: string) => truncateSync(file, 1000)],
    ['overwritten with garbage', (file: string) => writeFileSync(file, Buffer.alloc(readFileSync(file).length, 0x5a))],
  ])('stays correct when the index file is %s, and rebuilds it', async (_label, damage) => {
    const space = 'big';
    const queries = Array.from({ length: 10 }, clustered);
    await ms.search.settleIndex(space);
    await ms.registry.close();
    const meta = JSON.parse(readFileSync(join(ms.dataDir, 'spaces', space, 'vectors.hnsw.json'), 'utf8')) as { file: string };
    damage(join(ms.dataDir, 'spaces', space, meta.file));
    for (const q of queries) expect(ids(await search(space, q))).toEqual(ids(await search(space, q, { exact: true })));
    await ms.search.settleIndex(space);
    expect(await indexStatus(space)).toMatchObject({ state: 'ready', lag: 0 });
    expect(await recall(space, queries)).toBeGreaterThanOrEqual(0.95);
  });

  it('stays correct when the pointer file is garbage', async () => {
    await ms.registry.close();
    writeFileSync(join(ms.dataDir, 'spaces', 'big', 'vectors.hnsw.json'), '{not json');
    const q = clustered();
    expect(ids(await search('big', q))).toEqual(ids(await search('big', q, { exact: true })));
    await ms.search.settleIndex('big');
    expect((await indexStatus('big')).state).toBe('ready');
  });

  it('returns the k best matches of a filter that matches 1% of the space', async () => {
    await ms.spaces.create({ name: 'filtered', embedder: 'none', dimension: DIM });
    await fill('filtered', 3000, (i) => ({ group: i % 100 === 0 ? 'rare' : 'common', third: i % 3 }));
    await ms.search.settleIndex('filtered');
    expect((await indexStatus('filtered')).state).toBe('ready');
    // 1% of the space: searched exactly over the matching rows, so equal to the exact answer.
    for (let i = 0; i < 5; i++) {
      const q = clustered();
      const filter = { 'metadata.group': 'rare' };
      const got = await search('filtered', q, { filter });
      expect(got).toHaveLength(10);
      expect(ids(got)).toEqual(ids(await search('filtered', q, { filter, exact: true })));
    }
    // A third of the space: through the index, over-fetched; still k hits, all matching.
    let overlap = 0;
    for (let i = 0; i < 5; i++) {
      const q = clustered();
      const filter = { 'metadata.third': 1 };
      const got = await search('filtered', q, { filter });
      expect(got).toHaveLength(10);
      expect(got.every((h) => h.memory.metadata['third'] === 1)).toBe(true);
      const exact = new Set(ids(await search('filtered', q, { filter, exact: true })));
      overlap += ids(got).filter((id) => exact.has(id)).length;
    }
    expect(overlap / 50).toBeGreaterThanOrEqual(0.8);
  });

  it('keeps each space to its own index: same ids, other vectors, and a copied index file is refused', async () => {
    await ms.spaces.create({ name: 'twin', embedder: 'none', dimension: DIM });
    await fill('twin', 2000);
    await ms.search.settleIndex('twin');
    await ms.search.settleIndex('big');
    const q = clustered();
    const bigHits = await search('big', q);
    const twinHits = await search('twin', q);
    // Both spaces use the ids m0..m1999; each answers from its own vectors.
    for (const hit of twinHits) {
      const own = (await ms.memories.get('twin', hit.memory.id, { includeEmbedding: true })).embedding!;
      expect(hit.score).toBeCloseTo(cosine(q, own), 5);
    }
    expect(twinHits.map((h) => h.score)).not.toEqual(bigHits.map((h) => h.score));

    // Another space's index, copied in whole (pointer and files), is not ours: rebuilt, never used.
    await ms.registry.close();
    const from = join(ms.dataDir, 'spaces', 'big');
    const to = join(ms.dataDir, 'spaces', 'twin');
    for (const f of readdirSync(to)) if (f.startsWith('vectors-') || f === 'vectors.hnsw.json') rmSync(join(to, f));
    for (const f of readdirSync(from)) if (f.startsWith('vectors-') || f === 'vectors.hnsw.json') copyFileSync(join(from, f), join(to, f));
    // Whatever answers (exact search, or its own index once rebuilt), it scores twin's own vectors.
    // An HNSW answer is approximate (its graph is built on several threads and varies by run), so
    // it is compared with the exact one by recall, not equality.
    const ownAnswer = async (): Promise<void> => {
      const hits = await search('twin', q);
      for (const hit of hits) {
        const own = (await ms.memories.get('twin', hit.memory.id, { includeEmbedding: true })).embedding!;
        expect(hit.score).toBeCloseTo(cosine(q, own), 5);
      }
      const exact = new Set(ids(await search('twin', q, { exact: true })));
      expect(ids(hits).filter((id) => exact.has(id)).length).toBeGreaterThanOrEqual(8);
    };
    await ownAnswer();
    await ms.search.settleIndex('twin');
    await ownAnswer();
    const pointer = (dir: string) => JSON.parse(readFileSync(join(dir, 'vectors.hnsw.json'), 'utf8')) as { uid: string; file: string };
    expect(pointer(to).uid).not.toBe(pointer(from).uid);
    expect(existsSync(join(to, pointer(to).file))).toBe(true);
  });

  it('refuses a search option of the wrong type', async () => {
    await expect(ms.search.run('big', { embedding: clustered(), exact: 'yes' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('vector search after change-feed compaction', () => {
  // Its own memspace: a clock to age the feed, and a feed that keeps only its newest event once a day old.
  let clock = Date.parse('2026-06-01T00:00:00Z');
  let feedMs: Awaited<ReturnType<typeof tempMemspace>>;
  beforeAll(async () => {
    feedMs = await tempMemspace({ now: () => clock, config: { annThreshold: THRESHOLD, workers: 1, feedRetentionDays: 1, feedMinEvents: 1 } });
  });
  afterAll(async () => feedMs.cleanup());
  const find = async (space: string, query: number[], exact = false): Promise<string[]> =>
    ids((await feedMs.search.run(space, { embedding: query, mode: 'vector', limit: 10, exact })).results);
  /** Ages every event of the feed past its retention and compacts it down to its newest event. */
  const compact = async (space: string): Promise<void> => {
    clock += 2 * 86_400_000;
    await feedMs.sweeper.sweepSpace(space);
    const bounds = await feedMs.registry.use(space, ({ store }) => store.feedBounds());
    expect(bounds.oldest).toBe(bounds.latest);
  };

  it('drops an HNSW generation whose later changes were compacted unseen, stays exact, and builds a new one from the rows', async () => {
    await feedMs.spaces.create({ name: 'indexed', embedder: 'none', dimension: DIM });
    for (let start = 0; start < 500; start += 250) {
      await feedMs.memories.addMany('indexed', Array.from({ length: 250 }, (_, i) => ({ id: `m${start + i}`, content: `memory ${start + i}`, embedding: clustered() })));
    }
    await feedMs.search.settleIndex('indexed');
    const q = clustered();
    await find('indexed', q); // the index has followed the feed so far
    // Changes the index has not seen, then compacted away before any search could see them.
    await feedMs.memories.update('indexed', 'm5', { embedding: q });
    await feedMs.memories.add('indexed', { id: 'fresh', content: 'fresh', embedding: q.map((x) => x + 0.001) });
    await compact('indexed');
    const hits = await find('indexed', q);
    expect(hits.slice(0, 2).sort()).toEqual(['fresh', 'm5']);
    expect(hits).toEqual(await find('indexed', q, true));
    await feedMs.search.settleIndex('indexed');
    expect((await feedMs.spaces.get('indexed')).stats.vectorIndex).toMatchObject({ state: 'ready', indexed: 501, lag: 0 });
    // Now through the new generation, which is approximate: the two changed memories lead, and
    // the rest is what an HNSW search finds (its graph, built on several threads, varies by run).
    const approximate = await find('indexed', q);
    const exact = new Set(await find('indexed', q, true));
    expect(approximate.slice(0, 2).sort()).toEqual(['fresh', 'm5']);
    expect(approximate.filter((id) => exact.has(id)).length).toBeGreaterThanOrEqual(8);
  });

  it('refuses a vector snapshot older than what the feed still holds, and loads the rows instead', async () => {
    await feedMs.spaces.create({ name: 'small', embedder: 'none', dimension: DIM });
    for (let i = 0; i < 20; i++) await feedMs.memories.add('small', { id: `s${i}`, content: `small ${i}`, embedding: clustered() });
    const q = clustered();
    await find('small', q); // loads the vectors, saved with the sequence they reached when the space closes
    await feedMs.registry.closeSpace('small');
    // Reopened by writes alone, which load no vectors: the snapshot on disk stays at the old sequence.
    await feedMs.memories.update('small', 's3', { embedding: q });
    await feedMs.memories.delete('small', 's4');
    await feedMs.memories.add('small', { id: 'late', content: 'late', embedding: clustered() });
    await compact('small');
    await feedMs.registry.closeSpace('small');
    const hits = await find('small', q);
    expect(hits[0]).toBe('s3');
    expect(hits).not.toContain('s4');
    expect(hits).toEqual(await find('small', q, true));
  });
});
