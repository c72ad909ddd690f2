/**
 * The add and search benchmarks of the PostgreSQL backend beside the embedded one, in one run,
 * with the same data through the same public engine API: embedded SQLite, a real PostgreSQL 15
 * with pgvector, a Citus cluster (a coordinator and two workers), and PGlite (Postgres compiled
 * to WASM, a footnote: not PostgreSQL's speed). Every server runs on this machine, sharing its
 * cores with the benchmark; the servers run with fsync off (bench data only), so commits cost
 * what the server does, not the disk. Citus shards each table 4 ways here (the test cluster's
 * setting; Citus's default is 32). memspace reaches a real server through its Unix socket, as a
 * server on the same machine should. Then, on each backend but PGlite, the HTTP loads of
 * bench/http.ts: searches of a 10k space and batched adds, 64 connections each.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { loadConfig } from '../src/config.js';
import { openEngine, type MemspaceEngine } from '../src/memspace.js';
import { annVectorQuery, type SqlQuery } from '../src/store/postgres/space-search.js';
import { STATE_SQL } from '../src/store/postgres/space-state.js';
import { EF_SEARCH, inSpace } from '../src/store/postgres/space-tx.js';
import { startPglite } from '../test/support/pglite.js';
import { startPostgres } from '../test/support/postgres-server.js';
import { summarize, type LatencyFigures } from './engine.js';
import { httpIngestLoad, httpSearchLoads, type HttpIngestFigures, type HttpSearchFigures, type HttpStorage } from './http.js';
import { clusteredVectors, queryVectors, row } from './vectors.js';

const DIM = 512;
/** Concurrent clients, each on a space of its own, for the throughput figure. */
const CLIENTS = 8;
const CLIENT_SPACE_SIZE = 1_000;

/**
 * Room for the HNSW index, as docs/postgres.md tells operators: pgvector builds fast while the
 * graph fits in `maintenance_work_mem` (64 MB by default; 100,000 vectors of 512 dimensions
 * need about 250 MB), and searches and inserts walk it fast while it fits in `shared_buffers`
 * (128 MB by default).
 */
const SERVER_SETTINGS = { maintenance_work_mem: '512MB', shared_buffers: '1GB' };

type BackendName = 'sqlite' | 'postgres 15' | 'citus (2 workers)' | 'PGlite';

/** Figures of one backend. */
export interface BackendFigures {
  backend: BackendName;
  /** Sequential single adds, each durable when it resolves. */
  singleAdd: LatencyFigures;
  /** `addMemories` of 500 at a time. */
  batchPerSec: number;
  /** At each size: vector-only and hybrid search latency (exact scans). */
  search: { memories: number; vector: LatencyFigures; hybrid: LatencyFigures }[];
  /** Vector searches per second of {@link CLIENTS} clients at once, each on its own space. */
  concurrentPerSec: number;
  /** Through the HNSW index, in a space of `memories` (full runs, PostgreSQL targets). */
  ann?: { memories: number; search: LatencyFigures; recallAt10: number; buildMs: number; indexedBatchPerSec: number };
  /** The HTTP server on this backend under 64 connections (not on PGlite). */
  http?: HttpSearchFigures & HttpIngestFigures & { databaseFloors?: DatabaseFloors };
}

/** Figures reported by {@link benchPostgres}. */
export interface PostgresBenchResult {
  date: string;
  /** 1-minute load average when the run started and ended (absent in older results). */
  loadAverage?: { start: number; end: number };
  sizes: number[];
  backends: BackendFigures[];
}

interface Target {
  name: BackendName;
  /** Starts the database; returns how to open memspace on it and how to stop it. */
  start(): Promise<Started>;
  /** Whether the HTTP loads run on it (not on PGlite: one session serves one connection at a time). */
  http: boolean;
}

/** A started database: memspace opens on it, and `storage` points `bench/http-server.ts` at it. */
interface Started {
  open(annThreshold?: number): Promise<MemspaceEngine>;
  storage: string;
  stop(): Promise<void>;
}

/** A PostgreSQL target, reached through its Unix socket when it has one (a real server on this machine; PGlite listens on TCP only). */
const postgresTarget = (name: BackendName, http: boolean, start: () => Promise<{ url: string; socketUrl?: string; stop(): Promise<void> }>): Target => ({
  name,
  http,
  async start() {
    const server = await start();
    const url = server.socketUrl ?? server.url;
    return {
      open: (annThreshold) => openEngine(loadConfig({ backend: 'postgres', pgUrl: url, pgPoolSize: CLIENTS, ...(annThreshold !== undefined && { annThreshold }) }, {})),
      storage: url,
      stop: () => server.stop(),
    };
  },
});

const TARGETS: Target[] = [
  {
    name: 'sqlite',
    http: true,
    async start() {
      const dataDir = await mkdtemp(join(tmpdir(), 'memspace-bench-pg-'));
      return {
        open: (annThreshold) => openEngine(loadConfig({ dataDir, ...(annThreshold !== undefined && { annThreshold }) }, {})),
        storage: dataDir,
        stop: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
  },
  postgresTarget('postgres 15', true, () => startPostgres({ settings: SERVER_SETTINGS })),
  postgresTarget('citus (2 workers)', true, () => startPostgres({ citusWorkers: 2, settings: SERVER_SETTINGS })),
  postgresTarget('PGlite', false, startPglite),
];

/** Runs the same adds and searches on every target, one after the other. */
export async function benchPostgres(options: { quick?: boolean; progress?: (message: string) => void } = {}): Promise<PostgresBenchResult> {
  const loadAtStart = loadavg()[0]!;
  const quick = options.quick === true;
  const sizes = quick ? [1_000] : [1_000, 10_000];
  const say = options.progress ?? (() => {});
  const backends: BackendFigures[] = [];
  for (const target of TARGETS) {
    say(`  ${target.name}...`);
    const db = await target.start();
    try {
      // The HNSW index off: every search at these sizes scans exactly, on every backend alike.
      const ms = await db.open(0);
      let figures: BackendFigures;
      try {
        figures = { ...(await measure(ms, target.name, sizes)), concurrentPerSec: await concurrent(ms, quick ? 2_000 : 5_000) };
      } finally {
        await ms.close();
      }
      if (!quick && target.name !== 'sqlite' && target.name !== 'PGlite') {
        const annMs = await db.open(10_000);
        try {
          figures.ann = await annSearch(annMs, 100_000);
        } finally {
          await annMs.close();
        }
      }
      backends.push(figures);
    } finally {
      await db.stop();
    }
    if (target.http) {
      say(`  ${target.name} over HTTP...`);
      // Each load on a fresh database: the spaces above would share its vector index.
      const search = await onFresh(target, async (storage) => {
        const loads = await httpSearchLoads(storage, { quick });
        return target.name === 'sqlite' ? loads : { ...loads, databaseFloors: await databaseFloors(storage.storage, loads.space, target.name.startsWith('citus'), quick) };
      });
      const ingest = await onFresh(target, (storage) => httpIngestLoad(storage, { quick }));
      backends[backends.length - 1]!.http = { ...search, ...ingest };
    }
  }
  return { date: new Date().toISOString(), loadAverage: { start: loadAtStart, end: loadavg()[0]! }, sizes, backends };
}

/** What PostgreSQL alone does per second on this machine, under the HTTP vector searches. */
export interface DatabaseFloors {
  /** memspace's own HNSW statement for the space, sent as the database's owner: no transaction, no role. */
  statementPerSec: number;
  /**
   * The same statement in the transaction every memspace search runs ({@link inSpace}: opened
   * read-only with the RLS role, the space and the HNSW settings and the state row, then
   * committed): three round trips, which row-level security and the snapshot require.
   */
  transactionPerSec: number;
}

/**
 * The floors under the HTTP vector searches: memspace's HNSW statement for the same space and
 * limit, alone and then in memspace's search transaction, sent from {@link CLIENTS} connections
 * for as long as a load runs (no HTTP, no engine).
 */
async function databaseFloors(url: string, space: string, citus: boolean, quick: boolean): Promise<DatabaseFloors> {
  const pool = new pg.Pool({ connectionString: url, max: CLIENTS, options: `-c hnsw.ef_search=${EF_SEARCH} -c hnsw.iterative_scan=relaxed_order` });
  // An idle connection that the server's shutdown reaches before the pool has closed it: not a failure of the load.
  pool.on('error', () => {});
  try {
    const queries = queryVectors(100, DIM, 23);
    const statement = (q: number): SqlQuery => annVectorQuery(space, row(queries, DIM, q % 100), undefined, 10, Date.now());
    const perSecond = async (run: (q: number) => Promise<unknown>): Promise<number> => {
      for (let q = 0; q < 50; q++) await run(q);
      let done = 0;
      const began = performance.now();
      const end = began + (quick ? 3_000 : 10_000);
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          for (let q = c; performance.now() < end; q += CLIENTS) {
            await run(q);
            done += 1;
          }
        }),
      );
      return (done / (performance.now() - began)) * 1000;
    };
    return {
      statementPerSec: await perSecond((q) => pool.query(statement(q))),
      transactionPerSec: await perSecond((q) => inSpace({ pool, citus }, space, (db) => db.query(statement(q)), { snapshot: true, lead: STATE_SQL })),
    };
  } finally {
    await pool.end();
  }
}

async function onFresh<T>(target: Target, run: (storage: HttpStorage) => Promise<T>): Promise<T> {
  const db = await target.start();
  try {
    return await run({ storage: db.storage, open: () => db.open() });
  } finally {
    await db.stop();
  }
}

const memoryOf = (data: Float32Array, i: number): { content: string; embedding: number[] } => ({
  content: `note ${i} about topic ${i % 97} and project ${i % 13}`,
  embedding: Array.from(row(data, DIM, i)),
});

async function fill(ms: MemspaceEngine, space: string, data: Float32Array, from: number, to: number): Promise<void> {
  for (let held = from; held < to; held += 500) {
    await ms.memories.addMany(space, Array.from({ length: Math.min(500, to - held) }, (_, j) => memoryOf(data, held + j)));
  }
}

async function measure(ms: MemspaceEngine, backend: BackendName, sizes: readonly number[]): Promise<Omit<BackendFigures, 'concurrentPerSec'>> {
  const space = 'bench';
  await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
  const total = sizes[sizes.length - 1]!;
  const data = clusteredVectors(total + 200, DIM, 42);

  const singles: number[] = [];
  for (let i = 0; i < 200; i++) {
    const began = performance.now();
    await ms.memories.add(space, memoryOf(data, total + i));
    singles.push(performance.now() - began);
  }

  let held = 0;
  let batchMs = 0;
  const search: BackendFigures['search'] = [];
  const queries = queryVectors(60, DIM, 7);
  for (const size of sizes) {
    const began = performance.now();
    await fill(ms, space, data, held, size);
    held = size;
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

/** {@link CLIENTS} clients search their own spaces back to back for `durationMs`; searches per second in all. */
async function concurrent(ms: MemspaceEngine, durationMs: number): Promise<number> {
  const data = clusteredVectors(CLIENT_SPACE_SIZE, DIM, 5);
  const queries = queryVectors(50, DIM, 9);
  const spaces = Array.from({ length: CLIENTS }, (_, i) => `client-${i}`);
  for (const space of spaces) {
    await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
    await fill(ms, space, data, 0, CLIENT_SPACE_SIZE);
  }
  let done = 0;
  const end = performance.now() + durationMs;
  const began = performance.now();
  await Promise.all(
    spaces.map(async (space, c) => {
      for (let q = c; performance.now() < end; q++) {
        await ms.search.run(space, { embedding: Array.from(row(queries, DIM, q % 50)), mode: 'vector', limit: 10 });
        done += 1;
      }
    }),
  );
  return (done / (performance.now() - began)) * 1000;
}

/** Memories added in batches of 100 to the indexed space, for the cost of keeping the index. */
const INDEXED_ADDS = 2_000;

/** Vector search through the HNSW index in one space of `n`: p50 and recall@10 against the exact answer. */
async function annSearch(ms: MemspaceEngine, n: number): Promise<NonNullable<BackendFigures['ann']>> {
  const space = 'ann';
  await ms.spaces.create({ name: space, embedder: 'none', dimension: DIM });
  await fill(ms, space, clusteredVectors(n, DIM, 13), 0, n);
  const began = performance.now();
  await ms.search.settleIndex(space);
  const buildMs = performance.now() - began;
  const queries = queryVectors(60, DIM, 17);
  const latencies: number[] = [];
  let found = 0;
  for (let q = 0; q < 60; q++) {
    const embedding = Array.from(row(queries, DIM, q));
    const start = performance.now();
    const { results } = await ms.search.run(space, { embedding, mode: 'vector', limit: 10 });
    if (q >= 10) latencies.push(performance.now() - start);
    const exact = new Set((await ms.search.run(space, { embedding, mode: 'vector', limit: 10, exact: true })).results.map((h) => h.memory.id));
    if (q >= 10) found += results.filter((h) => exact.has(h.memory.id)).length;
  }
  // Adds once the index exists: each row also goes into the dimension's HNSW graph.
  const extra = clusteredVectors(INDEXED_ADDS, DIM, 19);
  const added = performance.now();
  for (let held = 0; held < INDEXED_ADDS; held += 100) {
    await ms.memories.addMany(space, Array.from({ length: 100 }, (_, j) => memoryOf(extra, held + j)));
  }
  const indexedBatchPerSec = (INDEXED_ADDS / (performance.now() - added)) * 1000;
  return { memories: n, search: summarize(latencies), recallAt10: found / (50 * 10), buildMs, indexedBatchPerSec };
}

/** Rows of the results table (no targets: the figures side by side, ratios to the embedded backend). */
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
    { figure: `${b.backend}: vector searches/s, ${CLIENTS} clients on ${CLIENTS} spaces`, value: b.concurrentPerSec, unit: 'searches/s' },
    ...(b.ann === undefined
      ? []
      : [
          { figure: `${b.backend}: HNSW vector search p50 at ${b.ann.memories.toLocaleString('en-US')}`, value: b.ann.search.p50Ms, unit: 'ms' },
          { figure: `${b.backend}: HNSW recall@10 at ${b.ann.memories.toLocaleString('en-US')}`, value: b.ann.recallAt10, unit: '' },
          { figure: `${b.backend}: batched add (x100) with the HNSW index kept`, value: b.ann.indexedBatchPerSec, unit: 'memories/s' },
        ]),
    ...(b.http === undefined
      ? []
      : [
          { figure: `${b.backend}: HTTP vector searches/s, 64 connections (10k)`, value: b.http.vector.requestsPerSec, unit: 'requests/s' },
          { figure: `${b.backend}: HTTP vector search p99, 64 connections`, value: b.http.vector.p99Ms, unit: 'ms' },
          ...(b.http.databaseFloors === undefined
            ? []
            : [
                { figure: `${b.backend}: the HNSW statement alone, ${CLIENTS} connections (floor)`, value: b.http.databaseFloors.statementPerSec, unit: 'statements/s' },
                { figure: `${b.backend}: the search transaction alone, ${CLIENTS} connections (floor)`, value: b.http.databaseFloors.transactionPerSec, unit: 'transactions/s' },
              ]),
          { figure: `${b.backend}: HTTP hybrid searches/s, 64 connections (10k)`, value: b.http.hybrid.requestsPerSec, unit: 'requests/s' },
          { figure: `${b.backend}: HTTP batched ingest (x${b.http.batch}), 64 connections`, value: b.http.memoriesPerSec, unit: 'memories/s' },
        ]),
  ]);
}

/** The section of RESULTS.md. */
export function postgresMarkdown(res: PostgresBenchResult | { error: string } | undefined): string[] {
  if (res === undefined) return [];
  if ('error' in res) return ['## PostgreSQL backend', '', `Failed: ${res.error}`, ''];
  const f = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: 2 }));
  const main = res.backends.filter((b) => b.backend !== 'PGlite');
  const pglite = res.backends.find((b) => b.backend === 'PGlite');
  const sqlite = res.backends.find((b) => b.backend === 'sqlite');
  /** A figure with its ratio to the embedded backend's (`higher`: a rate, so the ratio is sqlite / this). */
  const withRatio = (value: number, base: number | undefined, unit: string, higher = false): string =>
    `${f(value)} ${unit}${base === undefined || value === base ? '' : ` (${f(higher ? base / value : value / base)}x)`}`;
  const header = `| Figure | ${main.map((b) => b.backend).join(' | ')} |`;
  const line = (label: string, pick: (b: BackendFigures) => string): string => `| ${label} | ${main.map(pick).join(' | ')} |`;
  return [
    '## PostgreSQL backend',
    '',
    `Measured by \`bench/postgres.ts\` (\`npm run bench:postgres\`) on ${res.date}${res.loadAverage === undefined ? '' : ` (load average ${f(res.loadAverage.start)} at start, ${f(res.loadAverage.end)} at end)`}: the same adds and searches through the public engine API on every backend, one after the other, in the same run, each database server on this machine and sharing its cores (fsync off on the servers; SQLite fsyncs). In brackets: how many times the embedded backend's time (or, for rates, how many times slower).`,
    '',
    header,
    `|---|${main.map(() => '--:').join('|')}|`,
    line('single durable add p50 (200 sequential)', (b) => withRatio(b.singleAdd.p50Ms, sqlite?.singleAdd.p50Ms, 'ms')),
    line('batched add, addMemories of 500', (b) => withRatio(b.batchPerSec, sqlite?.batchPerSec, 'memories/s', true)),
    ...res.sizes.flatMap((_, i) => [
      line(`vector search p50 at ${res.backends[0]!.search[i]!.memories.toLocaleString('en-US')} (exact)`, (b) => withRatio(b.search[i]!.vector.p50Ms, sqlite?.search[i]!.vector.p50Ms, 'ms')),
      line(`hybrid search p50 at ${res.backends[0]!.search[i]!.memories.toLocaleString('en-US')}`, (b) => withRatio(b.search[i]!.hybrid.p50Ms, sqlite?.search[i]!.hybrid.p50Ms, 'ms')),
    ]),
    line(`vector searches/s, ${CLIENTS} clients on ${CLIENTS} spaces of ${CLIENT_SPACE_SIZE.toLocaleString('en-US')}`, (b) => withRatio(b.concurrentPerSec, sqlite?.concurrentPerSec, '/s', true)),
    line('HNSW vector search p50 at 100,000 (one space)', (b) => (b.ann === undefined ? '-' : `${f(b.ann.search.p50Ms)} ms`)),
    line('HNSW recall@10 at 100,000', (b) => (b.ann === undefined ? '-' : f(b.ann.recallAt10))),
    line('HNSW index build at 100,000', (b) => (b.ann === undefined ? '-' : `${f(b.ann.buildMs / 1000)} s`)),
    line('batched add (x100) into the indexed space', (b) => (b.ann === undefined ? '-' : `${f(b.ann.indexedBatchPerSec)} memories/s`)),
    line('HTTP vector searches/s, 64 connections, 10k', (b) => (b.http === undefined ? '-' : withRatio(b.http.vector.requestsPerSec, sqlite?.http?.vector.requestsPerSec, '/s', true))),
    line('HTTP vector search p50 / p99', (b) => (b.http === undefined ? '-' : `${f(b.http.vector.p50Ms)} / ${f(b.http.vector.p99Ms)} ms`)),
    line(`floor: the same HNSW statement alone, ${CLIENTS} connections, no HTTP`, (b) =>
      b.http?.databaseFloors === undefined ? '-' : `${f(b.http.databaseFloors.statementPerSec)} /s (HTTP is ${f(b.http.vector.requestsPerSec / b.http.databaseFloors.statementPerSec)}x)`,
    ),
    line(`floor: that statement in memspace's search transaction, ${CLIENTS} connections, no HTTP`, (b) =>
      b.http?.databaseFloors === undefined ? '-' : `${f(b.http.databaseFloors.transactionPerSec)} /s (HTTP is ${f(b.http.vector.requestsPerSec / b.http.databaseFloors.transactionPerSec)}x)`,
    ),
    line('HTTP hybrid searches/s, 64 connections, 10k', (b) => (b.http === undefined ? '-' : withRatio(b.http.hybrid.requestsPerSec, sqlite?.http?.hybrid.requestsPerSec, '/s', true))),
    line('HTTP hybrid search p50 / p99', (b) => (b.http === undefined ? '-' : `${f(b.http.hybrid.p50Ms)} / ${f(b.http.hybrid.p99Ms)} ms`)),
    line('HTTP batched ingest, batches of 100, 64 connections', (b) => (b.http === undefined ? '-' : withRatio(b.http.memoriesPerSec, sqlite?.http?.memoriesPerSec, 'memories/s', true))),
    line('HTTP server process CPU per vector search', (b) => (b.http?.vector.serverCpuMsPerRequest === undefined ? '-' : `${f(b.http.vector.serverCpuMsPerRequest)} ms`)),
    '',
    'Method: one space, caller-given 512-d clustered vectors and short texts; 200 sequential single adds, then batches of 500 up to each size, then 60 searches per mode (the first 10 untimed), limit 10, with the HNSW index off (`annThreshold: 0`) so every backend scans exactly; the keyword part of each hybrid query ("topic N") matches every memory, the worst case for ranking. Then 8 clients at once, each searching its own space of 1,000 memories. On the PostgreSQL targets, a space of 100,000 searched through pgvector\'s HNSW index (default threshold), recall against the exact scan of the same space, then 2,000 more memories added to it in batches of 100. memspace reaches the real servers through their Unix sockets.',
    '',
    'HTTP rows: `memspace serve`\'s app in a child process (one search thread per CPU, default pool of 10 connections), loaded by autocannon from this process with 64 connections, each load on a fresh database: searches of a space of 10,000 memories (512-d, query given as a vector, limit 10) with its vector index settled first; the floor rows send memspace\'s own HNSW statement for that space straight to the database from 8 connections with nothing else running, first alone as the database\'s owner, then inside the transaction memspace opens for every search (read-only snapshot, RLS role, space and HNSW settings, state row, commit: three round trips); batched ingest of 100 memories a request into an empty space of a database with no vector index yet (a bulk load: once the dimension has its index every row also pays for the graph, the row above). The server, the database and the load generator share the 2 cores.',
    '',
    ...(pglite === undefined
      ? []
      : [
          `PGlite (PostgreSQL compiled to WASM, one process, reached over the wire protocol) in the same run, for the tests' fast target, not PostgreSQL's speed: single add p50 ${f(pglite.singleAdd.p50Ms)} ms, batched add ${f(pglite.batchPerSec)} memories/s, ${res.sizes
            .map((_, i) => `vector search p50 at ${pglite.search[i]!.memories.toLocaleString('en-US')} ${f(pglite.search[i]!.vector.p50Ms)} ms`)
            .join(', ')}, ${f(pglite.concurrentPerSec)} searches/s with 8 clients.`,
          '',
        ]),
  ];
}
