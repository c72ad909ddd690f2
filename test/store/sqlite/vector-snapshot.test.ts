import { copyFileSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize } from '../../../src/core/ranking.js';
import { tempMemspace } from '../../support/temp-memspace.js';

let ms: Awaited<ReturnType<typeof tempMemspace>>;
let seed = 1;
const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
const vector = (dim: number): number[] => Array.from({ length: dim }, random);

beforeAll(async () => {
  ms = await tempMemspace();
});
afterAll(async () => ms.cleanup());

/** The ids a correct exact search must return, computed from the memories themselves. */
async function expectedTop(space: string, query: number[], k: number): Promise<string[]> {
  const q = normalize(Float32Array.from(query));
  const all = [];
  let cursor: string | undefined;
  do {
    const page = await ms.memories.list(space, { limit: 1000, ...(cursor && { cursor }) });
    for (const m of page.items) {
      const full = await ms.memories.get(space, m.id, { includeEmbedding: true });
      all.push({ id: m.id, score: full.embedding!.reduce((s, x, i) => s + x * q[i]!, 0) });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all.sort((a, b) => b.score - a.score).slice(0, k).map((h) => h.id);
}

async function searchIds(space: string, query: number[]): Promise<string[]> {
  return (await ms.search.run(space, { embedding: query, mode: 'vector', limit: 10 })).results.map((r) => r.memory.id);
}

describe('vector snapshot (derived vectors.bin)', () => {
  // 32 dimensions run on the WebAssembly kernel, 24 on the JavaScript path.
  it.each([32, 24])('at %i dimensions: is written on close, reused on open, and every kind of damage falls back to the database', async (dim) => {
    const s = ms;
    const snap = `snap${dim}`;
    const other = `other${dim}`;
    await s.spaces.create({ name: snap, embedder: 'none', dimension: dim });
    await s.spaces.create({ name: other, embedder: 'none', dimension: dim });
    await s.memories.addMany(snap, Array.from({ length: 300 }, (_, i) => ({ content: `m${i}`, embedding: vector(dim) })));
    await s.memories.addMany(other, Array.from({ length: 50 }, (_, i) => ({ content: `o${i}`, embedding: vector(dim) })));
    const file = join(ms.dataDir, 'spaces', snap, 'vectors.bin');
    const q = vector(dim);
    await searchIds(snap, q);
    await searchIds(other, q);
    await ms.registry.close();
    expect(existsSync(file)).toBe(true);
    const good = readFileSync(file);

    // Stale: changes after the snapshot are replayed from the change feed.
    const doomed = (await s.memories.list(snap, { limit: 5 })).items.map((m) => m.id);
    await s.memories.deleteMatching(snap, { id: { in: doomed } });
    const moved = (await s.memories.list(snap, { limit: 1, order: 'asc' })).items[0]!;
    await s.memories.update(snap, moved.id, { content: 'moved', embedding: q });
    await s.memories.add(snap, { content: 'near the query', embedding: q.map((x) => x + 0.01) });
    await ms.registry.close();
    writeFileSync(file, good); // put the old snapshot back, as if the process had died before saving
    const fresh = await searchIds(snap, q);
    expect(fresh).toEqual(await expectedTop(snap, q, 10));
    expect(fresh.slice(0, 2)).toContain(moved.id);
    expect(fresh.some((id) => doomed.includes(id))).toBe(false);

    const damage: [string, () => void][] = [
      ['deleted', () => writeFileSync(file, '')],
      ['truncated', () => truncateSync(file, Math.floor(good.length / 2))],
      ['garbage', () => writeFileSync(file, Buffer.alloc(good.length, 0x5a))],
      ['one flipped byte', () => writeFileSync(file, Buffer.from(good.map((b, i) => (i === good.length - 4000 ? b ^ 0xff : b))))],
      ['another space’s file', () => copyFileSync(join(ms.dataDir, 'spaces', other, 'vectors.bin'), file)],
    ];
    for (const [label, hurt] of damage) {
      await ms.registry.close();
      hurt();
      const ids = await searchIds(snap, q);
      expect(ids, label).toEqual(await expectedTop(snap, q, 10));
    }
  });
});
