/**
 * Search at scale: memspace (exact and ANN, through the library API) against the raw HNSW
 * library on the same index file, the raw libraries built on their own, a plain Float32Array
 * scan, mem0 OSS, LangGraph.js InMemoryStore and LanceDB, on the same vectors; the exact/ANN
 * crossover that sets the default threshold; and isolation at scale.
 *
 * Every (system, data set) runs in a child process of its own (`--child <json>`), so that RSS,
 * JIT state and garbage of one system never touch the next.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Index, MetricKind, type ScalarKind } from 'usearch';

import type { HnswMeta } from '../src/store/sqlite/ann-jobs.js';
import { FlatScanPeer } from './peers/flat-scan.js';
import { LanceDbPeer } from './peers/lancedb.js';
import { LangGraphPeer } from './peers/langgraph.js';
import { msSince, type PeerSearchFigures, percentile, rssMiB, runPeerSearchBench } from './peers/measure.js';
import { createMem0Peer } from './peers/mem0.js';
import { MemspacePeer } from './peers/memspace.js';
import { type PeerSystem, type VectorItem, contentFor, packageVersion, toNumberArray } from './peers/peer.js';
import { RawHnswlibPeer } from './peers/raw-hnswlib.js';
import { RawUsearchPeer } from './peers/raw-usearch.js';
import { type DataKind, DIM, dataset, K } from './scale-data.js';
import { clusteredVectors, exactTopK, queryVectors, recallAt } from './vectors.js';

/** One measured system on one data set. */
export interface ScaleRow extends PeerSearchFigures {
  system: string;
  version: string;
  kind: DataKind;
  n: number;
  /** memspace: first search after the space was closed (opens it; exact until the index file is checked). */
  coldFirstSearchMs?: number;
  /** memspace: from closed to searching through the mapped index. */
  coldIndexReadyMs?: number;
}

export interface CrossoverRow {
  n: number;
  exactP50Ms: number;
  annP50Ms: number;
  annRecallAt10: number;
}

export interface IsolationFigures {
  system: string;
  tenants: number;
  totalMemories: number;
  targetMemories: number;
  aloneP50Ms: number;
  crowdedP50Ms: number;
  ratio: number;
  aloneRecall: number;
  crowdedRecall: number;
}

export interface ScaleResult {
  rows: ScaleRow[];
  crossover: CrossoverRow[];
  isolation: IsolationFigures[];
  notes: string[];
}

export interface ScaleOptions {
  quick: boolean;
  /** Also run N = 1,000,000 (memspace, raw library and flat scan only). */
  million: boolean;
}

type Job =
  | { task: 'system'; system: SystemKey; kind: DataKind; n: number; queries: number }
  | { task: 'crossover'; sizes: number[]; queries: number }
  | { task: 'isolation'; system: 'memspace' | 'lancedb'; tenants: number; perTenant: number; queries: number; warmUp: number };

const SYSTEMS = {
  memspace: () => new MemspacePeer({ dim: DIM }),
  flat: () => new FlatScanPeer(DIM),
  usearch: () => new RawUsearchPeer({ dim: DIM, quantization: 'f16' }),
  hnswlib: () => new RawHnswlibPeer({ dim: DIM }),
  lancedb: () => new LanceDbPeer({ dim: DIM }),
  'lancedb-hnsw': () => new LanceDbPeer({ dim: DIM, index: 'ivf_hnsw_sq' }),
  mem0: () => createMem0Peer({ dim: DIM }),
  langgraph: () => new LangGraphPeer(DIM),
} satisfies Record<string, () => PeerSystem | Promise<PeerSystem>>;
type SystemKey = keyof typeof SYSTEMS;

/** Runs every measurement of the plan, each in its own child process. */
export async function benchScale(options: ScaleOptions): Promise<ScaleResult> {
  const q = options.quick ? 50 : 200;
  const plan: Job[] = [];
  const peers: SystemKey[] = ['memspace', 'flat', 'usearch', 'hnswlib', 'lancedb', 'mem0', 'langgraph'];
  const sets: { kind: DataKind; n: number; systems: SystemKey[] }[] = options.quick
    ? [
        { kind: 'real', n: 2_000, systems: peers },
        { kind: 'clustered', n: 20_000, systems: peers },
      ]
    : [
        { kind: 'real', n: 10_000, systems: peers },
        { kind: 'clustered', n: 100_000, systems: [...peers, 'lancedb-hnsw'] },
        ...(options.million ? [{ kind: 'clustered' as const, n: 1_000_000, systems: ['memspace', 'flat'] as SystemKey[] }] : []),
      ];
  for (const set of sets) {
    // Real embeddings and exact answers are computed once here and cached for the children.
    await dataset(set.kind, set.n, q);
    for (const system of set.systems) plan.push({ task: 'system', system, kind: set.kind, n: set.n, queries: q });
  }
  plan.push({ task: 'crossover', sizes: options.quick ? [1_000, 10_000] : [1_000, 2_000, 5_000, 10_000, 20_000, 50_000], queries: q });
  const tenants = options.quick ? 100 : 1_000;
  // 50 queries: the crowded peer takes a second or more per search at 1M.
  for (const system of ['memspace', 'lancedb'] as const) plan.push({ task: 'isolation', system, tenants, perTenant: 1_000, queries: 50, warmUp: options.quick ? 20 : 100 });

  const result: ScaleResult = { rows: [], crossover: [], isolation: [], notes: [] };
  for (const job of plan) {
    process.stderr.write(`scale: ${JSON.stringify(job)}\n`);
    const out = runChild(job);
    if ('error' in out) {
      result.notes.push(`${describe(job)} failed: ${out.error}`);
      continue;
    }
    if (job.task === 'system') result.rows.push(...(out.rows as ScaleRow[]));
    else if (job.task === 'crossover') result.crossover = out.crossover as CrossoverRow[];
    else result.isolation.push(out.isolation as IsolationFigures);
  }
  return result;
}

function describe(job: Job): string {
  return job.task === 'system' ? `${job.system} at ${job.kind} ${job.n}` : job.task === 'crossover' ? 'crossover' : `isolation (${job.system})`;
}

const MARKER = 'SCALE_RESULT ';

function runChild(job: Job): Record<string, unknown> {
  const child = spawnSync(process.execPath, [...process.execArgv, '--max-old-space-size=16384', fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    cwd: join(fileURLToPath(import.meta.url), '..', '..'),
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (child.status !== 0 || line === undefined) return { error: `exit ${child.status ?? child.signal}` };
  return JSON.parse(line.slice(MARKER.length)) as Record<string, unknown>;
}

// ---- children ---------------------------------------------------------------------------

async function runJob(job: Job): Promise<Record<string, unknown>> {
  if (job.task === 'system') return { rows: await measureSystem(job.system, job.kind, job.n, job.queries) };
  if (job.task === 'crossover') return { crossover: await crossover(job.sizes, job.queries) };
  return { isolation: await isolation(job.system, job.tenants, job.perTenant, job.queries, job.warmUp) };
}

function items(data: Float32Array, n: number, tenant?: string, offset = 0): VectorItem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: offset + i,
    vector: data.subarray((offset + i) * DIM, (offset + i + 1) * DIM),
    content: contentFor(offset + i),
    ...(tenant !== undefined && { tenant }),
  }));
}

function rows(data: Float32Array, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => data.slice(i * DIM, (i + 1) * DIM));
}

async function measureSystem(key: SystemKey, kind: DataKind, n: number, queryCount: number): Promise<ScaleRow[]> {
  const set = await dataset(kind, n, queryCount);
  // A peer that takes seconds per search gets fewer queries (the first ones, same for all), or it alone would take hours.
  const count = key === 'mem0' && n >= 10_000 ? Math.min(queryCount, n >= 20_000 ? 20 : 50) : queryCount;
  const queries = rows(set.queries, count);
  const peer = await SYSTEMS[key]();
  try {
    const figures = await runPeerSearchBench(peer, items(set.data, n), queries, set.truth.slice(0, count), K);
    const base = { version: peer.version, kind, n };
    const out: ScaleRow[] = [{ system: peer.name, ...base, ...figures }];
    if (peer instanceof MemspacePeer) {
      const extras = await memspaceExtras(peer, queries, set.truth, figures.ingestPerSec, figures.rssMiB, base);
      Object.assign(out[0]!, extras.cold);
      out.push(...extras.rows);
    }
    return out;
  } finally {
    await peer.close();
  }
}

/** memspace's exact mode, cold open, and the raw library searching memspace's own index file. */
async function memspaceExtras(
  peer: MemspacePeer,
  queries: Float32Array[],
  truth: Int32Array[],
  ingestPerSec: number,
  rss: number,
  base: { version: string; kind: DataKind; n: number },
): Promise<{ rows: ScaleRow[]; cold: Pick<ScaleRow, 'coldFirstSearchMs' | 'coldIndexReadyMs'> }> {
  const ms = await peer.open();
  const space = [...(await ms.spaces.list()).items].find((s) => s.name !== 'default')!.name;
  const exact = await timeSearches(queries, (q) => ms.search.run(space, { embedding: toNumberArray(q), mode: 'vector', limit: K, exact: true }).then((r) => r.results.map((h) => Number(h.memory.id.slice(1)))));
  const out: ScaleRow[] = [{ system: 'memspace exact', ...base, ingestPerSec, buildMs: 0, ...exact.figures(truth), rssMiB: rss }];

  await peer.closeSpaces();
  let start = process.hrtime.bigint();
  await ms.search.run(space, { embedding: toNumberArray(queries[0]!), mode: 'vector', limit: K });
  const coldFirstSearchMs = msSince(start);
  await ms.search.settleIndex(space);
  const cold = { coldFirstSearchMs, coldIndexReadyMs: msSince(start) };

  // The store alone: index search, exact rescoring and the fresh tail, ids only (no validation, no reading memories).
  const storeLevel = await ms.registry.use(space, async ({ store }) =>
    timeSearches(queries, async (q) => (await store.vectorSearch(q, undefined, K, Date.now())).map((h) => Number(h.id.slice(1)))),
  );
  out.push({ system: 'memspace store.vectorSearch (ids only)', ...base, ingestPerSec: Number.NaN, buildMs: Number.NaN, ...storeLevel.figures(truth), rssMiB: Number.NaN });

  const dir = join(peer.dataDir, 'spaces', space);
  if (!existsSync(join(dir, 'vectors.hnsw.json'))) return { rows: out, cold: { coldFirstSearchMs } }; // below the threshold: exact only
  // The floor: the same index file, searched directly through the library (keys are row seqs = id + 1).
  const meta = JSON.parse(readFileSync(join(dir, 'vectors.hnsw.json'), 'utf8')) as HnswMeta;
  const index = new Index({
    metric: MetricKind.IP,
    dimensions: DIM,
    quantization: meta.params.quantization as ScalarKind,
    connectivity: meta.params.connectivity,
    expansion_add: meta.params.expansionAdd,
    expansion_search: meta.params.expansionSearch,
    multi: false,
  });
  start = process.hrtime.bigint();
  index.view(join(dir, meta.file));
  const viewMs = msSince(start);
  const raw = await timeSearches(queries, async (q) => Array.from(index.search(q, K, 1).keys, (key) => Number(key) - 1));
  out.push({ system: `usearch raw (memspace's index file)`, ...base, version: packageVersion('usearch'), ingestPerSec: Number.NaN, buildMs: Number.NaN, ...raw.figures(truth), rssMiB: Number.NaN, coldFirstSearchMs: viewMs });
  return { rows: out, cold };
}

async function timeSearches(queries: Float32Array[], search: (q: Float32Array) => Promise<number[]>, warmUp = 10) {
  for (let i = 0; i < warmUp; i++) await search(queries[i % queries.length]!);
  const latencies: number[] = [];
  const results: number[][] = [];
  for (const q of queries) {
    const start = process.hrtime.bigint();
    results.push(await search(q));
    latencies.push(msSince(start));
  }
  return {
    latencies,
    results,
    figures: (truth: Int32Array[]) => ({ p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), recallAt10: recallAt(K, truth, results) }),
  };
}

/** Exact scan against the index at growing sizes, to place the default threshold. */
async function crossover(sizes: number[], queryCount: number): Promise<CrossoverRow[]> {
  const out: CrossoverRow[] = [];
  for (const n of sizes) {
    const set = await dataset('clustered', n, queryCount);
    const queries = rows(set.queries, queryCount);
    const peer = new MemspacePeer({ dim: DIM, annThreshold: 1 });
    try {
      for (let i = 0; i < n; i += 1000) await peer.ingest(items(set.data, Math.min(1000, n - i), undefined, i));
      await peer.prepare();
      const ann = await timeSearches(queries, (q) => peer.search(q, K));
      const ms = await peer.open();
      const exact = await timeSearches(queries, (q) => ms.search.run('bench', { embedding: toNumberArray(q), mode: 'vector', limit: K, exact: true }).then((r) => r.results.map((h) => Number(h.memory.id.slice(1)))));
      out.push({ n, exactP50Ms: exact.figures(set.truth).p50Ms, annP50Ms: ann.figures(set.truth).p50Ms, annRecallAt10: ann.figures(set.truth).recallAt10 });
    } finally {
      await peer.close();
    }
  }
  return out;
}

/**
 * Search latency in one 1k-memory tenant alone, then with `tenants` other tenants of
 * `perTenant` memories each stored beside it and searched in between (so caches and open
 * handles are shared with busy neighbours). memspace keeps each tenant in a space of its own;
 * LanceDB keeps all in one table with a tenant filter, as peers recommend for many tenants.
 */
/** `warmUp` untimed searches come before each measurement, alone and crowded alike. */
async function isolation(system: 'memspace' | 'lancedb', tenants: number, perTenant: number, queryCount: number, warmUp: number): Promise<IsolationFigures> {
  const target = clusteredVectors(perTenant, DIM, 11);
  const queryData = queryVectors(queryCount, DIM, 12);
  const queries = rows(queryData, queryCount);
  const truth = exactTopK(target, DIM, queryData, K);
  const peer: PeerSystem = system === 'memspace' ? new MemspacePeer({ dim: DIM }) : new LanceDbPeer({ dim: DIM });
  try {
    await peer.ingest(items(target, perTenant, 'target'));
    await peer.prepare?.();
    const alone = await timeSearches(queries, (q) => peer.search(q, K, 'target'), warmUp);
    const others = clusteredVectors(perTenant * 10, DIM, 13); // ten distinct blocks, reused with other ids
    const rssBefore = rssMiB();
    for (let t = 0; t < tenants; t++) {
      const block = (t % 10) * perTenant;
      await peer.ingest(Array.from({ length: perTenant }, (_, i) => ({ id: perTenant + t * perTenant + i, vector: others.subarray((block + i) * DIM, (block + i + 1) * DIM), content: contentFor(i), tenant: `t${t}` })));
      if (t % 100 === 99) process.stderr.write(`  isolation ${system}: ${t + 1}/${tenants} tenants (${(rssMiB() - rssBefore).toFixed(0)} MiB)\n`);
    }
    await peer.prepare?.();
    // Each timed search follows a search of another tenant, so the target never runs on caches of its own.
    const crowdedLatencies: number[] = [];
    const crowdedResults: number[][] = [];
    for (let i = 0; i < warmUp; i++) {
      await peer.search(queries[i % queries.length]!, K, `t${(i * 7919) % tenants}`);
      await peer.search(queries[i % queries.length]!, K, 'target');
    }
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i]!;
      await peer.search(q, K, `t${(i * 7919) % tenants}`);
      const start = process.hrtime.bigint();
      const ids = await peer.search(q, K, 'target');
      crowdedLatencies.push(msSince(start));
      crowdedResults.push(ids);
    }
    const aloneP50 = percentile(alone.latencies, 50);
    const crowdedP50 = percentile(crowdedLatencies, 50);
    return {
      system: system === 'memspace' ? 'memspace (space per tenant)' : 'LanceDB (one table, tenant filter)',
      tenants,
      totalMemories: tenants * perTenant,
      targetMemories: perTenant,
      aloneP50Ms: aloneP50,
      crowdedP50Ms: crowdedP50,
      ratio: crowdedP50 / aloneP50,
      aloneRecall: alone.figures(truth).recallAt10,
      crowdedRecall: recallAt(K, truth, crowdedResults),
    };
  } finally {
    await peer.close();
  }
}
/** Standalone: `node --import tsx bench/scale.ts [--quick] [--million]` prints the figures as JSON (`npm run bench` includes 1M unless `--no-million`). */
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] !== '--child') {
  benchScale({ quick: process.argv.includes('--quick'), million: process.argv.includes('--million') })
    .then((result) => console.log(JSON.stringify(result, null, 2)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}

if (process.argv[2] === '--child') {
  runJob(JSON.parse(process.argv[3]!) as Job)
    .then((out) => process.stdout.write(`${MARKER}${JSON.stringify(out)}\n`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
