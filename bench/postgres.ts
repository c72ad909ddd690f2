/**
 * The add and search benchmarks on the PostgreSQL backend beside the embedded one, in the same
 * run, same data and same public engine API (issue 6). PostgreSQL here is PGlite with pgvector
 * served over the wire protocol (Debian has no pgvector package): a single-process WASM build of
 * Postgres, 4-5x slower than a native server, so these are PGlite figures, not a production
 * server's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig } from '../src/config.js';
import { openEngine, type MemspaceEngine } from '../src/memspace.js';
import { startPglite } from '../test/support/pglite.js';
import { summarize, type LatencyFigures } from './engine.js';
import { clusteredVectors, queryVectors, row } from './vectors.js';

const DIM = 512;

/** Figures of one backend. */
export interface BackendFigures {
  backend: 'sqlite' | 'postgres (PGlite)';
  /** Sequential single adds, each durable when it resolves. */
  singleAdd: LatencyFigures;
  /** `addMemories` of 500 at a time. */
  batchPerSec: number;
  /** At each size: vector-only and hybrid search latency. */
  search: { memories: number; vector: LatencyFigures; hybrid: LatencyFigures }[];
}

/** Figures reported by {@link benchPostgres}. */
export interface PostgresBenchResult {
  date: string;
  sizes: number[];
  backends: BackendFigures[];
}

/** Runs the same adds and searches on both backends. */
export async function benchPostgres(options: { quick?: boolean; progress?: (message: string) => void } = {}): Promise<PostgresBenchResult> {
  const sizes = options.quick === true ? [1_000] : [1_000, 10_000];
  const say = options.progress ?? (() => {});
  const backends: BackendFigures[] = [];
  const dataDir = await mkdtemp(join(tmpdir(), 'memspace-bench-pg-'));
  try {
    say('  sqlite...');
    const sqlite = await openEngine(loadConfig({ dataDir, annThreshold: 0 }, {}));
    try {
      backends.push(await measure(sqlite, 'sqlite', sizes));
    } finally {
      await sqlite.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  say('  postgres (PGlite over the wire protocol)...');
  const server = await startPglite();
  try {
    const pg = await openEngine(loadConfig({ backend: 'postgres', pgUrl: server.url, pgPoolSize: 4, annThreshold: 0 }, {}));
    try {
      backends.push(await measure(pg, 'postgres (PGlite)', sizes));
    } finally {
      await pg.close();
    }
  } finally {
    await server.stop();
  }
  return { date: new Date().toISOString(), sizes, backends };
}

async function measure(ms: MemspaceEngine, backend: BackendFigures['backend'], sizes: readonly number[]): Promise<BackendFigures> {
  const space = 'bench';
  await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
  const total = sizes[sizes.length - 1]!;
  const data = clusteredVectors(total + 200, DIM, 42);
  const memory = (i: number): { content: string; embedding: number[] } => ({
    content: `note ${i} about topic ${i % 97} and project ${i % 13}`,
    embedding: Array.from(row(data, DIM, i)),
  });

  const singles: number[] = [];
  for (let i = 0; i < 200; i++) {
    const began = performance.now();
    await ms.memories.add(space, memory(total + i));
    singles.push(performance.now() - began);
  }

  let held = 0;
  let batchMs = 0;
  const search: BackendFigures['search'] = [];
  const queries = queryVectors(60, DIM, 7);
  for (const size of sizes) {
    const began = performance.now();
    for (; held < size; held += 500) {
      await ms.memories.addMany(space, Array.from({ length: Math.min(500, size - held) }, (_, j) => memory(held + j)));
    }
    batchMs += performance.now() - began;
    const run = async (mode: 'vector' | 'hybrid'): Promise<LatencyFigures> => {
      const latencies: number[] = [];
      for (let q = 0; q < 60; q++) {
        const request = { embedding: Array.from(row(queries, DIM, q)), mode, limit: 10, ...(mode === 'hybrid' && { query: `topic ${q % 97}` }) };
        const began = performance.now();
        const { results } = await ms.search.run(space, request);
        if (q >= 10) latencies.push(performance.now() - began); // the first ten warm up
        if (results.length === 0) throw new Error(`${backend} ${mode} search found nothing`);
      }
      return summarize(latencies);
    };
    search.push({ memories: size + 200, vector: await run('vector'), hybrid: await run('hybrid') });
  }
  return { backend, singleAdd: summarize(singles), batchPerSec: (total / batchMs) * 1000, search };
}

/** Rows of the results table (no targets: the issue asks for the figures side by side). */
export function postgresRows(res: PostgresBenchResult | { error: string } | undefined): { figure: string; value: number | undefined; unit: string; error?: string }[] {
  if (res === undefined) return [];
  if ('error' in res) return [{ figure: 'postgres backend benchmark', value: undefined, unit: '', error: res.error }];
  return res.backends.flatMap((b) => [
    { figure: `${b.backend}: single durable add p50`, value: b.singleAdd.p50Ms, unit: 'ms' },
    { figure: `${b.backend}: batched add (addMemories x500)`, value: b.batchPerSec, unit: 'memories/s' },
    ...b.search.flatMap((s) => [
      { figure: `${b.backend}: vector search p50 at ${s.memories.toLocaleString('en-US')}`, value: s.vector.p50Ms, unit: 'ms' },
      { figure: `${b.backend}: hybrid search p50 at ${s.memories.toLocaleString('en-US')}`, value: s.hybrid.p50Ms, unit: 'ms' },
    ]),
  ]);
}

/** The section of RESULTS.md. */
export function postgresMarkdown(res: PostgresBenchResult | { error: string } | undefined): string[] {
  if (res === undefined) return [];
  if ('error' in res) return ['## PostgreSQL backend (PGlite)', '', `Failed: ${res.error}`, ''];
  const f = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const header = `| Figure | ${res.backends.map((b) => b.backend).join(' | ')} |`;
  const line = (label: string, pick: (b: BackendFigures) => string): string => `| ${label} | ${res.backends.map(pick).join(' | ')} |`;
  return [
    '## PostgreSQL backend (PGlite figures)',
    '',
    `Measured by \`bench/postgres.ts\` (\`npm run bench:postgres\`) on ${res.date}: the same adds and searches through the public engine API on both backends, one after the other, in the same run. PostgreSQL is PGlite (Postgres compiled to WASM, single process, pgvector 0.8) served over the wire protocol and reached through \`pg\`, as a production server would be; a native PostgreSQL is several times faster, so read these as a floor.`,
    '',
    header,
    `|---|${res.backends.map(() => '--:').join('|')}|`,
    line('single durable add p50 (200 sequential)', (b) => `${f(b.singleAdd.p50Ms)} ms`),
    line('single durable add p99', (b) => `${f(b.singleAdd.p99Ms)} ms`),
    line('batched add, addMemories of 500', (b) => `${f(b.batchPerSec)} memories/s`),
    ...res.sizes.flatMap((_, i) => [
      line(`vector search p50 at ${res.backends[0]!.search[i]!.memories.toLocaleString('en-US')} (exact)`, (b) => `${f(b.search[i]!.vector.p50Ms)} ms`),
      line(`hybrid search p50 at ${res.backends[0]!.search[i]!.memories.toLocaleString('en-US')}`, (b) => `${f(b.search[i]!.hybrid.p50Ms)} ms`),
    ]),
    '',
    'Method: one space, caller-given 512-d clustered vectors and short texts; 200 sequential single adds, then batches of 500 up to each size, then 60 searches per mode (the first 10 untimed), limit 10. Both backends run with their HNSW index off (`annThreshold: 0`), so both sides search exactly; the keyword part of each hybrid query ("topic N") matches every memory, the worst case for ranking.',
    '',
  ];
}
