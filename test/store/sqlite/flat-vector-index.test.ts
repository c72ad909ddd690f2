import { describe, expect, it } from 'vitest';
import { normalize } from '../../../src/core/ranking.js';
import { DotKernel, foldChecksums, laneChecksum } from '../../../src/store/sqlite/dot-kernel.js';
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
  // 512 runs on the SIMD kernels (int8 first pass once past 2,048 vectors), 24 on the JavaScript loop.
  it.each([512, 24])('returns the exact top k at %i dimensions through inserts, updates, deletes and growth', (dim) => {
    const next = rng(dim);
    const index = new FlatVectorIndex(dim, 4);
    const truth = new Map<string, Float32Array>();
    for (let i = 0; i < 4500; i++) {
      const v = randomUnit(dim, next);
      index.upsert(`m${i}`, i + 1, v);
      truth.set(`m${i}`, v);
    }
    for (let i = 0; i < 4500; i += 3) {
      index.remove(`m${i}`);
      truth.delete(`m${i}`);
    }
    for (let i = 1; i < 4500; i += 7) {
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

  it('stays exact through the int8 pass when near-duplicates make every score a near-tie', () => {
    const next = rng(99);
    const dim = 256;
    const index = new FlatVectorIndex(dim);
    const truth = new Map<string, Float32Array>();
    const centres = Array.from({ length: 8 }, () => randomUnit(dim, next));
    for (let i = 0; i < 6000; i++) {
      // Copies of a few centres with tiny noise: thousands of scores within 1e-3 of each other.
      const centre = centres[i % centres.length]!;
      const v = normalize(Float32Array.from(centre, (x) => x + (next() - 0.5) * 2e-3));
      index.upsert(`m${i}`, i + 1, v, i % 11 === 0 ? 500 : null);
      if (i % 11 !== 0) truth.set(`m${i}`, v);
    }
    const allowed = new Set(Array.from({ length: 6000 }, (_, i) => i + 1).filter((seq) => seq % 3 !== 0));
    const allowedTruth = new Map([...truth].filter(([id]) => allowed.has(Number(id.slice(1)) + 1)));
    for (let q = 0; q < 12; q++) {
      const base = centres[q % centres.length]!;
      const query = q % 2 === 0 ? normalize(Float32Array.from(base, (x) => x + (next() - 0.5) * 1e-2)) : randomUnit(dim, next);
      expect(index.search(query, 10, 1000).map((h) => h.id)).toEqual(bruteForce(truth, query, 10));
      expect(index.search(query, 25, 1000, allowed).map((h) => h.id)).toEqual(bruteForce(allowedTruth, query, 25));
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

  it('bounds the int8 error of every row, whatever the vectors look like', () => {
    const next = rng(5);
    for (const dim of [16, 512, 1536]) {
      const kernel = new DotKernel(dim);
      const n = 300;
      kernel.reserve(n);
      const rows: Float32Array[] = [];
      for (let i = 0; i < n; i++) {
        const kind = i % 4;
        // dense, one huge spike, tiny values, or unnormalised large values
        const v = Float32Array.from({ length: dim }, (_, j) =>
          kind === 0 ? next() - 0.5 : kind === 1 ? (j === i % dim ? 50 : (next() - 0.5) * 1e-3) : kind === 2 ? (next() - 0.5) * 1e-6 : (next() - 0.5) * 1e3,
        );
        rows.push(v);
        kernel.rows.set(v, i * dim);
      }
      kernel.quantize(0, n);
      for (const query of [randomUnit(dim, next), Float32Array.from({ length: dim }, (_, j) => (j % 7 === 0 ? 9 : -1e-4))]) {
        const { dots, scales, queryScale, errorPerScale } = kernel.approxScores(query, n);
        for (let i = 0; i < n; i++) {
          const exact = rows[i]!.reduce((acc, x, j) => acc + x * query[j]!, 0);
          const approx = dots[i]! * scales[i]! * queryScale;
          expect(Math.abs(exact - approx), `dim ${dim} row ${i}`).toBeLessThanOrEqual(scales[i]! * errorPerScale);
        }
      }
    }
  });

  it('computes the same checksum in WebAssembly and in JavaScript, and notices a flipped bit', () => {
    const next = rng(11);
    const kernel = new DotKernel(64);
    kernel.reserve(100);
    for (let i = 0; i < kernel.rows.length; i++) kernel.rows[i] = next() * 4 - 2;
    kernel.quantize(0, 100);
    const words = new Int32Array(kernel.rows.buffer, 0, 100 * 64);
    const { codes, scales } = kernel.quantized(100);
    const asWords = (b: Uint8Array): Int32Array => new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    const sum = kernel.checksum(100);
    expect(sum).toBe(foldChecksums(laneChecksum(words), laneChecksum(asWords(codes)), laneChecksum(asWords(scales))));
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
