/**
 * The data sets of the search-at-scale benchmark, identical in every child process: clustered
 * synthetic 512-d vectors (seeded) or real embeddings of generated memory texts from the default
 * model, with held-out texts as queries. Real embeddings and exact answers are expensive, so
 * they are cached under bench/out/cache/ (keyed by everything they depend on).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { normalize } from '../src/core/ranking.js';
import { LocalEmbedder } from '../src/embed/local-embedder.js';
import { Corpus } from './engine.js';
import { clusteredVectors, exactTopK, queryVectors } from './vectors.js';

export const DIM = 512;
export const K = 10;
const CACHE = join(dirname(fileURLToPath(import.meta.url)), 'out', 'cache');

export type DataKind = 'real' | 'clustered';

export interface Dataset {
  kind: DataKind;
  n: number;
  data: Float32Array;
  queries: Float32Array;
  queryCount: number;
  /** Exact top K (row numbers) of every query. */
  truth: Int32Array[];
}

/** The data set `kind` of `n` vectors and `queryCount` queries (computed once, then cached). */
export async function dataset(kind: DataKind, n: number, queryCount: number): Promise<Dataset> {
  const { data, queries } = kind === 'real' ? await realVectors(n, queryCount) : { data: clusteredVectors(n, DIM, 1), queries: queryVectors(queryCount, DIM, 2) };
  const truthFile = join(CACHE, `truth-${kind}-${n}-${queryCount}.i32`);
  let truth: Int32Array[];
  if (existsSync(truthFile)) {
    const flat = new Int32Array(bytesOf(truthFile));
    truth = Array.from({ length: queryCount }, (_, q) => flat.slice(q * K, (q + 1) * K));
  } else {
    truth = exactTopK(data, DIM, queries, K);
    const flat = new Int32Array(queryCount * K);
    truth.forEach((t, q) => flat.set(t, q * K));
    cache(truthFile, new Uint8Array(flat.buffer));
  }
  return { kind, n, data, queries, queryCount, truth };
}

/** Real embeddings of `n` memory texts plus `queryCount` held-out texts used as queries. */
async function realVectors(n: number, queryCount: number): Promise<{ data: Float32Array; queries: Float32Array }> {
  const file = join(CACHE, `real-${n}-${queryCount}.f32`);
  if (!existsSync(file)) {
    const texts = new Corpus(42).memories(n + queryCount).map((m) => m.content);
    const embedder = new LocalEmbedder();
    const all = new Float32Array(texts.length * DIM);
    try {
      for (let start = 0; start < texts.length; start += 64) {
        const vectors = await embedder.embed(texts.slice(start, start + 64));
        vectors.forEach((v, i) => all.set(normalize(v), (start + i) * DIM)); // unit length, so inner product is cosine
        if (start % 2048 === 0) process.stderr.write(`  embedding real corpus: ${start}/${texts.length}\n`);
      }
    } finally {
      await embedder.close();
    }
    cache(file, new Uint8Array(all.buffer));
  }
  const all = new Float32Array(bytesOf(file));
  return { data: all.slice(0, n * DIM), queries: all.slice(n * DIM) };
}

/** A file's bytes in an ArrayBuffer of their own (a small Buffer is a view into a shared pool). */
function bytesOf(file: string): ArrayBuffer {
  const buf = readFileSync(file);
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function cache(file: string, bytes: Uint8Array): void {
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(`${file}.tmp`, bytes);
  renameSync(`${file}.tmp`, file);
}
