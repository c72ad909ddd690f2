/**
 * The two HNSW libraries memspace can build on, raw, on the same clustered 512-d vectors:
 *
 *   node --import tsx bench/ann-libraries.ts [--n 100000] [--queries 200] [--threads 2] [--json out.json]
 *
 * usearch (f32, f16 and i8 storage, built with `--threads` threads, the way memspace builds in a
 * worker) against hnswlib-node (built on one thread: its Node binding has no parallel add). Both
 * with M=16, efConstruction=128 and the inner-product metric. For each: build time, index file
 * size after save, load time (usearch `load` into RAM and memory-mapped `view`; hnswlib
 * `readIndexSync`), and single-threaded search p50/p99 and recall@10 at several ef values.
 *
 * How ef is varied: usearch fixes `expansion_search` when an Index is constructed (no setter in
 * its JS API), so each ef gets a fresh Index that loads the saved file; hnswlib uses `setEf`
 * on one loaded index (and must, since `readIndex` resets ef to 10). Searches therefore run on
 * loaded indexes for both, and the mmap (`view`) case is measured at ef=64. Queries are copies,
 * not subarrays; hnswlib's search includes the Float32Array to number[] copy its API requires.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import hnswlib from 'hnswlib-node';
import type { Index } from 'usearch';

import { msSince, percentile } from './peers/measure.js';
import { packageVersion, toNumberArray } from './peers/peer.js';
import { makeHnswlibIndex } from './peers/raw-hnswlib.js';
import { makeUsearchIndex } from './peers/raw-usearch.js';
import { clusteredVectors, exactTopK, queryVectors, recallAt, row } from './vectors.js';

/** Options of {@link benchAnnLibraries}. */
export interface AnnLibrariesOptions {
  /** Vectors in the index. @default 100000 */
  n?: number;
  /** @default 512 */
  dim?: number;
  /** Timed queries per ef. @default 200 */
  queries?: number;
  /** @default 10 */
  k?: number;
  /** Search-time ef values. @default [32, 64, 128] */
  efs?: readonly number[];
  /** Threads for the usearch build. @default 2 */
  threads?: number;
  /** HNSW M. @default 16 */
  m?: number;
  /** efConstruction. @default 128 */
  efConstruction?: number;
  /** Data seed (queries use seed + 1). @default 1 */
  seed?: number;
  /** Progress lines on stderr. @default true */
  log?: boolean;
}

/** Search figures at one ef. */
export interface AnnSearchFigures {
  ef: number;
  p50Ms: number;
  p99Ms: number;
  recallAt10: number;
}

/** Figures for one library and storage type. */
export interface AnnVariantResult {
  library: 'usearch' | 'hnswlib-node';
  version: string;
  quantization: 'f32' | 'f16' | 'i8';
  buildThreads: number;
  buildMs: number;
  /** Process CPU time (all threads) during the build; well below threads x buildMs means the cores were shared. */
  buildCpuMs: number;
  /** Inserts per second during the build. */
  buildPerSec: number;
  fileBytes: number;
  /** Full load into memory (usearch `load`, hnswlib `readIndexSync`), file in the page cache. */
  loadMs: number;
  /** usearch only: memory-mapped open (`view`). */
  viewMs?: number;
  searches: AnnSearchFigures[];
  /** usearch only: searches on the memory-mapped index at ef=64. */
  viewSearch?: AnnSearchFigures;
}

/** Everything {@link benchAnnLibraries} measured. */
export interface AnnLibrariesResult {
  n: number;
  dim: number;
  queries: number;
  k: number;
  m: number;
  efConstruction: number;
  node: string;
  /** 1-minute load average before and after: the machine may be shared. */
  loadBefore: number;
  loadAfter: number;
  cores: number;
  dataMs: number;
  truthMs: number;
  variants: AnnVariantResult[];
}

interface Workload {
  dim: number;
  k: number;
  queries: Float32Array[];
  truth: Int32Array[];
}

/** Runs the comparison (several minutes at 100k on two cores). */
export async function benchAnnLibraries(options: AnnLibrariesOptions = {}): Promise<AnnLibrariesResult> {
  const n = options.n ?? 100_000;
  const dim = options.dim ?? 512;
  const k = options.k ?? 10;
  const efs = options.efs ?? [32, 64, 128];
  const threads = options.threads ?? 2;
  const m = options.m ?? 16;
  const efConstruction = options.efConstruction ?? 128;
  const seed = options.seed ?? 1;
  const log = (message: string): void => {
    if (options.log ?? true) process.stderr.write(`ann-libraries: ${message}\n`);
  };

  const loadBefore = loadavg()[0]!;
  let start = process.hrtime.bigint();
  const data = clusteredVectors(n, dim, seed);
  const queryData = queryVectors(options.queries ?? 200, dim, seed + 1);
  const dataMs = msSince(start);
  log(`data ${n} x ${dim} in ${(dataMs / 1000).toFixed(1)} s; exact truth...`);
  start = process.hrtime.bigint();
  const truth = exactTopK(data, dim, queryData, k);
  const truthMs = msSince(start);
  const work: Workload = { dim, k, truth, queries: Array.from({ length: truth.length }, (_, i) => row(queryData, dim, i)) };

  const dir = mkdtempSync(join(tmpdir(), 'memspace-bench-ann-'));
  const variants: AnnVariantResult[] = [];
  try {
    for (const quantization of ['f32', 'f16', 'i8'] as const) {
      log(`usearch ${quantization}: building with ${threads} threads...`);
      variants.push(benchUsearch(data, work, { dim, m, efConstruction, efs, threads, quantization, file: join(dir, `${quantization}.usearch`) }));
      log(`usearch ${quantization}: ${summary(variants.at(-1)!)}`);
    }
    log('hnswlib-node: building on 1 thread...');
    variants.push(benchHnswlib(data, work, { dim, m, efConstruction, efs, file: join(dir, 'index.hnsw') }));
    log(`hnswlib-node: ${summary(variants.at(-1)!)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg()[0]!;
  return { n, dim, queries: work.queries.length, k, m, efConstruction, node: process.version, loadBefore, loadAfter, cores: availableParallelism(), dataMs, truthMs, variants };
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function summary(v: AnnVariantResult): string {
  return `built in ${(v.buildMs / 1000).toFixed(1)} s, ${(v.fileBytes / 1048576).toFixed(0)} MiB`;
}

/** Times every query once (after a few untimed ones) and scores the results. */
function measureSearches(ef: number, work: Workload, search: (q: Float32Array) => number[]): AnnSearchFigures {
  for (let i = 0; i < 10; i++) search(work.queries[i % work.queries.length]!);
  const latencies: number[] = [];
  const results = work.queries.map((q) => {
    const start = process.hrtime.bigint();
    const ids = search(q);
    latencies.push(msSince(start));
    return ids;
  });
  return { ef, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), recallAt10: recallAt(work.k, work.truth, results) };
}

function usearchSearch(index: Index, k: number): (q: Float32Array) => number[] {
  return (q) => Array.from(index.search(q, k, 1).keys, Number);
}

function benchUsearch(
  data: Float32Array,
  work: Workload,
  o: { dim: number; m: number; efConstruction: number; efs: readonly number[]; threads: number; quantization: 'f32' | 'f16' | 'i8'; file: string },
): AnnVariantResult {
  const n = data.length / o.dim;
  const config = { dim: o.dim, quantization: o.quantization, connectivity: o.m, expansionAdd: o.efConstruction };
  const built = makeUsearchIndex(config);
  const keys = BigUint64Array.from({ length: n }, (_, i) => BigInt(i));
  const cpu = process.cpuUsage();
  let start = process.hrtime.bigint();
  built.add(keys, data, o.threads);
  const buildMs = msSince(start);
  const buildCpuMs = cpuMsSince(cpu);
  built.save(o.file);

  const searches: AnnSearchFigures[] = [];
  let loadMs = NaN;
  for (const ef of o.efs) {
    const index = makeUsearchIndex({ ...config, expansionSearch: ef });
    start = process.hrtime.bigint();
    index.load(o.file);
    // The first load is reported; later ones only re-read a cached file.
    if (Number.isNaN(loadMs)) loadMs = msSince(start);
    searches.push(measureSearches(ef, work, usearchSearch(index, work.k)));
  }
  const viewed = makeUsearchIndex({ ...config, expansionSearch: 64 });
  start = process.hrtime.bigint();
  viewed.view(o.file);
  const viewMs = msSince(start);
  const viewSearch = measureSearches(64, work, usearchSearch(viewed, work.k));
  return {
    library: 'usearch',
    version: packageVersion('usearch'),
    quantization: o.quantization,
    buildThreads: o.threads,
    buildMs,
    buildCpuMs,
    buildPerSec: n / (buildMs / 1000),
    fileBytes: statSync(o.file).size,
    loadMs,
    viewMs,
    searches,
    viewSearch,
  };
}

function benchHnswlib(data: Float32Array, work: Workload, o: { dim: number; m: number; efConstruction: number; efs: readonly number[]; file: string }): AnnVariantResult {
  const n = data.length / o.dim;
  const built = makeHnswlibIndex({ dim: o.dim, m: o.m, efConstruction: o.efConstruction }, n);
  const cpu = process.cpuUsage();
  let start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) built.addPoint(toNumberArray(data.subarray(i * o.dim, (i + 1) * o.dim)), i);
  const buildMs = msSince(start);
  const buildCpuMs = cpuMsSince(cpu);
  built.writeIndexSync(o.file);

  const index = new hnswlib.HierarchicalNSW('ip', o.dim);
  start = process.hrtime.bigint();
  index.readIndexSync(o.file);
  const loadMs = msSince(start);
  const searches = o.efs.map((ef) => {
    index.setEf(ef);
    return measureSearches(ef, work, (q) => index.searchKnn(toNumberArray(q), work.k).neighbors);
  });
  return {
    library: 'hnswlib-node',
    version: packageVersion('hnswlib-node'),
    quantization: 'f32',
    buildThreads: 1,
    buildMs,
    buildCpuMs,
    buildPerSec: n / (buildMs / 1000),
    fileBytes: statSync(o.file).size,
    loadMs,
    searches,
  };
}

/** The result as a markdown table, one row per library, storage and ef. */
export function annLibrariesTable(result: AnnLibrariesResult): string {
  const header = ['library', 'storage', 'build s', 'threads', 'build CPU s', 'inserts/s', 'file MiB', 'load ms', 'view ms', 'ef', 'p50 ms', 'p99 ms', 'recall@10'];
  const rows: string[][] = [];
  for (const v of result.variants) {
    const searches = [...v.searches.map((s) => ({ s, mapped: false })), ...(v.viewSearch ? [{ s: v.viewSearch, mapped: true }] : [])];
    for (const { s, mapped } of searches) {
      rows.push([
        `${v.library} ${v.version}`,
        mapped ? `${v.quantization} (view, mmap)` : v.quantization,
        (v.buildMs / 1000).toFixed(1),
        String(v.buildThreads),
        (v.buildCpuMs / 1000).toFixed(1),
        v.buildPerSec.toFixed(0),
        (v.fileBytes / 1048576).toFixed(1),
        v.loadMs.toFixed(1),
        v.viewMs === undefined ? '-' : v.viewMs.toFixed(2),
        String(s.ef),
        s.p50Ms.toFixed(3),
        s.p99Ms.toFixed(3),
        s.recallAt10.toFixed(3),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { n: { type: 'string' }, queries: { type: 'string' }, threads: { type: 'string' }, json: { type: 'string' } },
  });
  const result = await benchAnnLibraries({
    n: Number(values.n ?? 100_000),
    queries: Number(values.queries ?? 200),
    threads: Number(values.threads ?? 2),
  });
  console.log(
    `\nHNSW libraries on ${result.n} clustered ${result.dim}-d unit vectors (ip), M=${result.m}, efC=${result.efConstruction}, ` +
      `${result.queries} queries, k=${result.k}, single-threaded search, Node ${result.node}\n` +
      `(data generated in ${(result.dataMs / 1000).toFixed(1)} s, exact truth in ${(result.truthMs / 1000).toFixed(1)} s; ` +
      `1-min load average ${result.loadBefore.toFixed(2)} before, ${result.loadAfter.toFixed(2)} after, on ${result.cores} cores)\n`,
  );
  console.log(annLibrariesTable(result));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
