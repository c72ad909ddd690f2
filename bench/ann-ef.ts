/**
 * How large a candidate list (`ef`) an HNSW search needs as a space grows: the measurement behind
 * `searchExpansion` in src/store/sqlite/hnsw-index.ts (`npm run bench:ann-ef`, about 25 minutes
 * with the 1M index, which is built once and cached under bench/out/cache/).
 *
 * For each size, one usearch index with memspace's build parameters (f16, M = 16,
 * efConstruction = 128) is built on both cores over clustered 512-d unit vectors; then each ef
 * is timed the way memspace searches: 32 candidates from the index, rescored exactly in f32,
 * best 10 kept. Recall@10 is against the exact top 10; p50 is one query at a time on one thread.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Index, MetricKind, type ScalarKind } from 'usearch';

import { DEFAULT_HNSW_PARAMS } from '../src/store/sqlite/space-search.js';
import { searchExpansion } from '../src/store/sqlite/hnsw-index.js';
import { writeKeptSection } from './kept-sections.js';
import { dataset, DIM, K } from './scale-data.js';
import { recallAt, row } from './vectors.js';

const CACHE = join(dirname(fileURLToPath(import.meta.url)), 'out', 'cache');
/** What memspace asks the index for when a search wants 10 results (ANN_MIN_CANDIDATES). */
const CANDIDATES = 32;

export interface EfRow {
  n: number;
  ef: number;
  /** True for the ef memspace picks at this size. */
  chosen: boolean;
  p50Ms: number;
  p99Ms: number;
  recallAt10: number;
}

export interface AnnEfResult {
  date: string;
  loadBefore: number;
  loadAfter: number;
  rows: EfRow[];
}

/** Measures every ef at every size; sizes default to 100k and 1M. */
export async function benchAnnEf(sizes: readonly number[] = [100_000, 1_000_000], efs: readonly number[] = [64, 128, 192, 256, 384, 512]): Promise<AnnEfResult> {
  const loadBefore = loadavg()[0]!;
  const rows: EfRow[] = [];
  for (const n of sizes) {
    const data = await dataset('clustered', n, 200);
    const file = join(CACHE, `usearch-f16-m16-efc128-clustered-${n}.usearch`);
    if (!existsSync(file)) build(data.data, n, file);
    const queries = Array.from({ length: data.queryCount }, (_, q) => row(data.queries, DIM, q));
    const chosenEf = searchExpansion(n);
    for (const ef of [...new Set([...efs, chosenEf])].sort((a, b) => a - b)) {
      const index = open(file, ef);
      const search = (q: Float32Array): number[] => rescore(data.data, q, index.search(q, CANDIDATES, 1).keys);
      for (let i = 0; i < 20; i++) search(queries[i % queries.length]!);
      const latencies: number[] = [];
      const results = queries.map((q) => {
        const started = process.hrtime.bigint();
        const ids = search(q);
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        return ids;
      });
      latencies.sort((a, b) => a - b);
      const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
      rows.push({ n, ef, chosen: ef === chosenEf, p50Ms: pct(50), p99Ms: pct(99), recallAt10: recallAt(K, data.truth, results) });
      process.stderr.write(`ann-ef: n=${n} ef=${ef} p50 ${pct(50).toFixed(3)} ms recall@10 ${rows.at(-1)!.recallAt10.toFixed(3)}\n`);
    }
  }
  return { date: new Date().toISOString(), loadBefore, loadAfter: loadavg()[0]!, rows };
}

function build(data: Float32Array, n: number, file: string): void {
  process.stderr.write(`ann-ef: building the ${n} index on 2 threads (cached for later runs)...\n`);
  const index = open(undefined, DEFAULT_HNSW_PARAMS.expansionSearch);
  index.add(BigUint64Array.from({ length: n }, (_, i) => BigInt(i)), data, 2);
  mkdirSync(CACHE, { recursive: true });
  index.save(`${file}.tmp`);
  renameSync(`${file}.tmp`, file); // whole or absent, never half written
}

function open(file: string | undefined, ef: number): Index {
  const p = DEFAULT_HNSW_PARAMS;
  const index = new Index({ metric: MetricKind.IP, dimensions: DIM, quantization: p.quantization as ScalarKind, connectivity: p.connectivity, expansion_add: p.expansionAdd, expansion_search: ef, multi: false });
  if (file !== undefined) index.view(file);
  return index;
}

/** The best 10 of the candidates by exact f32 inner product, as memspace rescores them. */
function rescore(data: Float32Array, q: Float32Array, keys: BigUint64Array): number[] {
  const scored: { id: number; s: number }[] = [];
  for (const key of keys) {
    const id = Number(key);
    const base = id * DIM;
    let s = 0;
    for (let j = 0; j < DIM; j++) s += data[base + j]! * q[j]!;
    scored.push({ id, s });
  }
  return scored.sort((a, b) => b.s - a.s).slice(0, K).map((x) => x.id);
}

/** The section of bench/RESULTS.md this benchmark writes. */
export function annEfMarkdown(result: AnnEfResult): string {
  const f = (v: number, digits: number): string => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return [
    '## HNSW candidate list (ef) by index size',
    '',
    `Generated by \`bench/ann-ef.ts\` (\`npm run bench:ann-ef\`) on ${result.date}, ${cpus()[0]?.model.trim() ?? 'CPU'}, ${availableParallelism()} cores; load average ${f(result.loadBefore, 2)} at start, ${f(result.loadAfter, 2)} at end.`,
    `One usearch index per size with memspace's build parameters (f16, M = 16, efConstruction = 128) over clustered 512-d unit vectors (the search-at-scale data set), searched as memspace searches: ${CANDIDATES} candidates, rescored exactly in f32, best ${K} kept, one query at a time, ${200} queries. The row marked \`*\` is the ef memspace uses at that size (\`searchExpansion\` in src/store/sqlite/hnsw-index.ts).`,
    '',
    '| vectors | ef | p50 ms | p99 ms | recall@10 |',
    '|--:|--:|--:|--:|--:|',
    ...result.rows.map((r) => `| ${r.n.toLocaleString('en-US')} | ${r.ef}${r.chosen ? ' *' : ''} | ${f(r.p50Ms, 3)} | ${f(r.p99Ms, 3)} | ${f(r.recallAt10, 3)} |`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const result = await benchAnnEf(sizes.length > 0 ? sizes : undefined);
  await writeKeptSection(join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), 'ann-ef', annEfMarkdown(result));
  console.log(annEfMarkdown(result));
}
