import { describe, expect, it } from 'vitest';
import { normalize } from '../../../src/core/ranking.js';
import { DotKernel, laneChecksum } from '../../../src/store/sqlite/dot-kernel.js';
import { FlatVectorIndex } from '../../../src/store/sqlite/flat-vector-index.js';
import { assembleDotKernel, generatedSource } from '../../../scripts/build-dot-kernel.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVectorSnapshot, saveVectorSnapshot } from '../../../src/store/sqlite/vector-snapshot.js';

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomUnit(dim: number, next: () => number): Float32Array {
  return normalize(Float32Array.from({ length: dim }, () => next() - 0.5));
}

/** The exact answer, computed in double precision. */
function bruteForce(vectors: Map<string, Float32Array>, query: Float32Array, k: number): string[] {
  return [...vectors]
    .map(([id, v]) => ({ id, score: v.reduce((s, x, i) => s + x * query[i]!, 0) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((h) => h.id);
}

describe('FlatVectorIndex', () => {
  // 512 runs on the SIMD kernel, 24 on the JavaScript loop.
  it.each([512, 24])('returns the exact top k at %i dimensions through inserts, updates, deletes and growth', (dim) => {
    const next = rng(dim);
    const index = new FlatVectorIndex(dim, 4);
    const truth = new Map<string, Float32Array>();
    for (let i = 0; i < 3000; i++) {
      const v = randomUnit(dim, next);
      index.upsert(`m${i}`, i + 1, v);
      truth.set(`m${i}`, v);
    }
    for (let i = 0; i < 3000; i += 3) {
      index.remove(`m${i}`);
      truth.delete(`m${i}`);
    }
    for (let i = 1; i < 3000; i += 7) {
      if (!truth.has(`m${i}`)) continue;
      const v = randomUnit(dim, next);
      index.upsert(`m${i}`, i + 1, v);
      truth.set(`m${i}`, v);
    }
    expect(index.size).toBe(truth.size);
    for (let q = 0; q < 20; q++) {
      const query = randomUnit(dim, next);
      expect(index.search(query, 10, 0).map((h) => h.id)).toEqual(bruteForce(truth, query, 10));
    }
  });

  it('skips expired vectors and rows outside the allowed set, selective or not', () => {
    const next = rng(7);
    const index = new FlatVectorIndex(512);
    const query = randomUnit(512, next);
    index.upsert('expired', 1, query, 1000);
    index.upsert('fresh', 2, query, 5000);
    for (let i = 3; i < 200; i++) index.upsert(`m${i}`, i, randomUnit(512, next));
    expect(index.search(query, 1, 2000)[0]!.id).toBe('fresh');
    expect(index.search(query, 1, 500)[0]!.id).toBe('expired');
    expect(index.search(query, 5, 2000, new Set([7])).map((h) => h.id)).toEqual(['m7']);
    const wide = new Set(Array.from({ length: 150 }, (_, i) => i + 50));
    expect(index.search(query, 200, 2000, wide).every((h) => wide.has(Number(h.id.slice(1))))).toBe(true);
  });

  it('computes the same checksum in WebAssembly and in JavaScript, and notices a flipped bit', () => {
    const next = rng(11);
    const kernel = new DotKernel(64);
    kernel.reserve(100);
    for (let i = 0; i < kernel.rows.length; i++) kernel.rows[i] = next() * 4 - 2;
    const words = new Int32Array(kernel.rows.buffer, 0, 100 * 64);
    const sum = kernel.checksum(100);
    expect(sum).toBe(laneChecksum(words));
    words[4321] = words[4321]! ^ 1;
    expect(kernel.checksum(100)).not.toBe(sum);
  });

  it.each([512, 24])('round-trips through a snapshot file at %i dimensions, and refuses one of another database', (dim) => {
    const dir = mkdtempSync(join(tmpdir(), 'memspace-snap-'));
    try {
      const next = rng(dim + 1);
      const index = new FlatVectorIndex(dim);
      for (let i = 0; i < 500; i++) index.upsert(`m${i}`, i + 1, randomUnit(dim, next), i % 10 === 0 ? 1000 : null);
      index.appliedSeq = 777;
      const file = join(dir, 'vectors.bin');
      saveVectorSnapshot(file, index.snapshot('ab'.repeat(16)));
      const copy = new FlatVectorIndex(dim);
      const snap = loadVectorSnapshot(file, 'ab'.repeat(16), dim, copy);
      expect(snap).toBeDefined();
      copy.adopt(snap!);
      expect(copy.size).toBe(500);
      expect(copy.appliedSeq).toBe(777);
      for (let q = 0; q < 5; q++) {
        const query = randomUnit(dim, next);
        expect(copy.search(query, 10, 2000)).toEqual(index.search(query, 10, 2000));
      }
      expect(loadVectorSnapshot(file, 'cd'.repeat(16), dim, new FlatVectorIndex(dim))).toBeUndefined();
      expect(loadVectorSnapshot(file, 'ab'.repeat(16), dim + 16, new FlatVectorIndex(dim + 16))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships kernel bytes assembled from the committed source', async () => {
    const committed = readFileSync(new URL('../../../src/store/sqlite/dot-kernel.generated.ts', import.meta.url), 'utf8');
    expect(committed).toBe(generatedSource(await assembleDotKernel()));
  });
});
