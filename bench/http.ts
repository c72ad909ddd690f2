/**
 * HTTP throughput: the API server under 64 concurrent connections, driven by autocannon.
 *
 * A 10k-memory space (512-d, `embedder: "none"`, caller-provided vectors) is prepared in a
 * temporary directory; the server then runs in a child process (`bench/http-server.ts`, the
 * app of `memspace serve` without request logs) so that the load generator, in this process,
 * never shares its event loop. Four loads, each after a short warm-up: `GET /v1/health` (the
 * floor of Fastify on this machine), hybrid searches with text and a provided vector,
 * vector-only searches, and single durable adds (sync full) with provided vectors. Search and
 * add bodies rotate among prepared ones. Each load opens its connections with cheap requests
 * first (see {@link load}). Any connection error, timeout or non-2xx response fails the
 * benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

import { loadConfig } from '../src/config.js';
import { openEngine, type MemspaceEngine } from '../src/memspace.js';
import { Corpus, DIMENSION, summarize } from './engine.js';

/** Figures of one autocannon load, over its timed window. */
export interface HttpLoadFigures {
  /** `METHOD path` that was loaded. */
  route: string;
  /** Responses completed in the timed window per second. */
  requestsPerSec: number;
  /** Nearest-rank percentiles of autocannon's per-response latencies in the window, in ms. */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Responses completed in the timed window. */
  requests: number;
  durationSec: number;
  /** Over the whole run (ramp and warm-up included): connection errors, timeouts, non-2xx responses. Always 0 when reported. */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Mean request body in bytes (0 for GET). */
  bodyBytes: number;
  /** Server CPU time (user + system, all its threads) per response, in ms. */
  serverCpuMsPerRequest: number | undefined;
  /** Server CPU time over wall time: 1 is one core busy all along. */
  serverCpuCores: number | undefined;
  /** Share of the window the server's event loop was busy (0 to 1). */
  serverLoopUtilization: number | undefined;
  /** CPU time of this process (autocannon, the client) over wall time. */
  clientCpuCores: number;
  /** autocannon's own summary of the whole run (the health ramp and warm-up included; whole ms). */
  wholeRun: { requests: number; durationSec: number; p50Ms: number; p99Ms: number };
}

/** Figures reported by {@link benchHttp}. */
export interface HttpBenchResult {
  quick: boolean;
  connections: number;
  /** Seconds of each timed load, and of the untimed warm-up before it. */
  durationSec: number;
  warmUpSec: number;
  /** Memories in the space when the loads start. */
  memories: number;
  /** Memories in the space after the add load (the searches ran before it). */
  memoriesAfter: number;
  dimension: number;
  /** Distinct request bodies each load rotates among. */
  bodies: number;
  searchLimit: number;
  autocannonVersion: string;
  /** Search threads of the server the main figures come from: `memspace serve`'s default, the number of CPUs. */
  workers: number;
  health: HttpLoadFigures;
  hybrid: HttpLoadFigures;
  vector: HttpLoadFigures;
  add: HttpLoadFigures;
  /** The same searches, earlier in the same run, on a server with `workers: 1` (every search on the thread serving HTTP). */
  oneThread: { health: HttpLoadFigures; hybrid: HttpLoadFigures; vector: HttpLoadFigures };
  /** The parts of a request measured alone, in this process, on the same data and bodies. */
  inProcess: InProcessFigures;
}

/** Costs of the parts of a request without HTTP, sequential calls, mean ms per call. */
export interface InProcessFigures {
  /** `service.search` with the hybrid bodies (parsed beforehand). */
  hybridSearchMeanMs: number;
  /** `service.search` with the vector-only bodies. */
  vectorSearchMeanMs: number;
  /** `service.addMemory` with the add bodies, sync full, on the space as the HTTP adds left it. */
  addMeanMs: number;
  /** `keys.authenticate`: SHA-256 of the key and its look-up in the catalogue. */
  authenticateMeanMs: number;
  /** `JSON.parse` of one search body (about 10 KB, 512 numbers). */
  jsonParseMeanMs: number;
}

/** Options of {@link benchHttp}. */
export interface HttpBenchOptions {
  /** Shorter loads (3 s instead of 10 s), same space and connections. */
  quick: boolean;
}

const MEMORIES = 10_000;
const CONNECTIONS = 64;
const BODIES = 100;
const SEARCH_LIMIT = 10;
const SPACE = 'http-bench';
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SERVER_SCRIPT = join(BENCH_DIR, 'http-server.ts');

/** Runs the HTTP benchmark in a temporary data directory, removed at the end. */
export async function benchHttp(options: HttpBenchOptions): Promise<HttpBenchResult> {
  const durationSec = options.quick ? 3 : 10;
  const warmUpSec = options.quick ? 1 : 2;
  const root = await mkdtemp(join(tmpdir(), 'memspace-http-'));
  const corpus = new Corpus(0x4777);
  let server: ServerProcess | undefined;
  try {
    const dataDir = join(root, 'data');
    const searches = corpus.queries(BODIES);
    const hybridBodies = searches.map((q) => JSON.stringify({ query: q.query, embedding: q.embedding, mode: 'hybrid', limit: SEARCH_LIMIT }));
    const vectorBodies = searches.map((q) => JSON.stringify({ embedding: q.embedding, mode: 'vector', limit: SEARCH_LIMIT }));
    const addBodies = corpus.memories(BODIES).map((m) => JSON.stringify(m));
    const { key, ...before } = await prepare(dataDir, corpus, hybridBodies, vectorBodies);

    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const searchPath = `/v1/spaces/${SPACE}/search`;
    const addPath = `/v1/spaces/${SPACE}/memories`;
    const plan = { connections: CONNECTIONS, durationSec, warmUpSec };
    const searchLoads = async (s: ServerProcess): Promise<HttpBenchResult['oneThread']> => {
      await check(s.url, 'GET', '/v1/health', headers, undefined, 200);
      await check(s.url, 'POST', searchPath, headers, hybridBodies[0], 200, (body) => hasResults(body));
      await check(s.url, 'POST', searchPath, headers, vectorBodies[0], 200, (body) => hasResults(body));
      return {
        health: await load(s, plan, { method: 'GET', path: '/v1/health', headers, bodies: [] }),
        hybrid: await load(s, plan, { method: 'POST', path: searchPath, headers, bodies: hybridBodies }),
        vector: await load(s, plan, { method: 'POST', path: searchPath, headers, bodies: vectorBodies }),
      };
    };
    server = await ServerProcess.start(dataDir, 1);
    const oneThread = await searchLoads(server);
    await server.stop();
    const workers = availableParallelism();
    server = await ServerProcess.start(dataDir, workers);
    const { health, hybrid, vector } = await searchLoads(server);
    await check(server.url, 'POST', addPath, headers, addBodies[0], 201);
    // Adds last: they grow the space the searches ran on.
    const add = await load(server, plan, { method: 'POST', path: addPath, headers, bodies: addBodies });
    const memoriesAfter = await countMemories(server.url, headers);
    await server.stop();
    server = undefined;
    const addMeanMs = await inProcessAdds(dataDir, addBodies);

    return {
      quick: options.quick,
      connections: CONNECTIONS,
      durationSec,
      warmUpSec,
      memories: MEMORIES,
      memoriesAfter,
      dimension: DIMENSION,
      bodies: BODIES,
      searchLimit: SEARCH_LIMIT,
      autocannonVersion: autocannonVersion(),
      workers,
      oneThread,
      health,
      hybrid,
      vector,
      add,
      inProcess: { ...before, addMeanMs },
    };
  } finally {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  }
}

// ---- one backend, for the PostgreSQL comparison ---------------------------------------------

/** Memories in each batch of the ingest load (the workload). */
const BATCH = 100;

/** Search loads of {@link httpSearchLoads}. */
export interface HttpSearchFigures {
  /** The searched space. */
  space: string;
  /** Memories in it. */
  memories: number;
  vector: HttpLoadFigures;
  hybrid: HttpLoadFigures;
}

/** The ingest load of {@link httpIngestLoad}. */
export interface HttpIngestFigures {
  /** `POST .../memories/batch`, each request carrying {@link HttpIngestFigures.batch} memories. */
  batchAdd: HttpLoadFigures;
  batch: number;
  /** `batchAdd.requestsPerSec` times `batch`. */
  memoriesPerSec: number;
}

/** How the loads reach a backend: a data directory or a PostgreSQL URL, and how to open memspace on it. */
export interface HttpStorage {
  storage: string;
  open(): Promise<MemspaceEngine>;
}

/**
 * The vector-only and hybrid searches of the main benchmark on any backend, with the same
 * space, bodies and 64 connections. The space is prepared (filled, its vector index settled, a
 * root key made) through `open`, then served by a server with one search thread per CPU, as
 * `memspace serve` runs.
 */
export async function httpSearchLoads(target: HttpStorage, options: HttpBenchOptions): Promise<HttpSearchFigures> {
  const corpus = new Corpus(0x4777);
  const searches = corpus.queries(BODIES);
  const vectorBodies = searches.map((q) => JSON.stringify({ embedding: q.embedding, mode: 'vector', limit: SEARCH_LIMIT }));
  const hybridBodies = searches.map((q) => JSON.stringify({ query: q.query, embedding: q.embedding, mode: 'hybrid', limit: SEARCH_LIMIT }));
  const key = await prepareSpace(target, async (ms) => {
    for (let held = 0; held < MEMORIES; held += 1_000) await ms.memories.addMany(SPACE, corpus.memories(1_000));
    await ms.search.settleIndex(SPACE);
  });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const path = `/v1/spaces/${SPACE}/search`;
  const server = await ServerProcess.start(target.storage, availableParallelism());
  try {
    await check(server.url, 'POST', path, headers, vectorBodies[0], 200, (body) => hasResults(body));
    const plan = loadPlan(options);
    return {
      space: SPACE,
      memories: MEMORIES,
      vector: await load(server, plan, { method: 'POST', path, headers, bodies: vectorBodies }),
      hybrid: await load(server, plan, { method: 'POST', path, headers, bodies: hybridBodies }),
    };
  } finally {
    await server.stop();
  }
}

/**
 * Batches of {@link BATCH} memories from 64 connections into one empty space of a fresh backend,
 * as when a deployment loads its data: no vector index exists yet (one would make every insert
 * pay for its graph; bench/postgres.ts measures that apart).
 */
export async function httpIngestLoad(target: HttpStorage, options: HttpBenchOptions): Promise<HttpIngestFigures> {
  const corpus = new Corpus(0x4778);
  const bodies = Array.from({ length: 20 }, () => JSON.stringify({ memories: corpus.memories(BATCH) }));
  const key = await prepareSpace(target, async () => {});
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const path = `/v1/spaces/${SPACE}/memories/batch`;
  const server = await ServerProcess.start(target.storage, availableParallelism());
  try {
    await check(server.url, 'POST', path, headers, bodies[0], 201);
    const batchAdd = await load(server, loadPlan(options), { method: 'POST', path, headers, bodies });
    return { batchAdd, batch: BATCH, memoriesPerSec: batchAdd.requestsPerSec * BATCH };
  } finally {
    await server.stop();
  }
}

/** Creates the benchmark's space on `target`, lets `fill` fill it, and returns a new root key. */
async function prepareSpace(target: HttpStorage, fill: (ms: MemspaceEngine) => Promise<void>): Promise<string> {
  const ms = await target.open();
  try {
    await ms.spaces.create({ name: SPACE, embedder: 'none', dimension: DIMENSION });
    await fill(ms);
    const key = await ms.keys.ensureRootKey();
    if (key === undefined) throw new Error('the storage already had API keys');
    return key;
  } finally {
    await ms.close();
  }
}

function loadPlan(options: HttpBenchOptions): LoadPlan {
  return { connections: CONNECTIONS, durationSec: options.quick ? 3 : 10, warmUpSec: options.quick ? 1 : 2 };
}

// ---- preparation ------------------------------------------------------------------------

/**
 * Creates the space with its 10k memories and the root key; then, before the server has the
 * directory, times the parts of a search request alone. Returns the key and those figures.
 */
async function prepare(
  dataDir: string,
  corpus: Corpus,
  hybridBodies: readonly string[],
  vectorBodies: readonly string[],
): Promise<{ key: string } & Omit<InProcessFigures, 'addMeanMs'>> {
  await mkdir(dataDir, { recursive: true });
  const ms = await openEngine(loadConfig({ dataDir }, {}));
  try {
    await ms.spaces.create({ name: SPACE, embedder: 'none', dimension: DIMENSION });
    for (let held = 0; held < MEMORIES; held += 5_000) {
      await ms.memories.addMany(SPACE, corpus.memories(Math.min(5_000, MEMORIES - held)));
    }
    const key = await ms.keys.ensureRootKey();
    if (key === undefined) throw new Error('a fresh data directory already had API keys');

    const authenticateMeanMs = await meanMs(2_000, 200, () => ms.keys.authenticate(key));
    let i = 0;
    const jsonParseMeanMs = await meanMs(2_000, 200, () => JSON.parse(hybridBodies[i++ % hybridBodies.length]!) as unknown);
    const search = async (bodies: readonly string[]): Promise<number> => {
      const parsed = bodies.map((b) => JSON.parse(b) as unknown);
      let n = 0;
      return meanMs(parsed.length, 20, () => ms.search.run(SPACE, parsed[n++ % parsed.length]));
    };
    return { key, authenticateMeanMs, jsonParseMeanMs, hybridSearchMeanMs: await search(hybridBodies), vectorSearchMeanMs: await search(vectorBodies) };
  } finally {
    await ms.close();
  }
}

/** Mean ms of sequential single adds in this process, on the space as the HTTP adds left it. */
async function inProcessAdds(dataDir: string, addBodies: readonly string[]): Promise<number> {
  const ms = await openEngine(loadConfig({ dataDir }, {}));
  try {
    const parsed = addBodies.map((b) => JSON.parse(b) as unknown);
    let n = 0;
    return await meanMs(300, 30, () => ms.memories.add(SPACE, parsed[n++ % parsed.length], { actor: 'bench', requestId: 'bench' }));
  } finally {
    await ms.close();
  }
}

/** Mean wall time of `count` sequential calls after `warmUp` untimed ones, in ms. */
async function meanMs(count: number, warmUp: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < warmUp; i++) await fn();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await fn();
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return summarize(latencies).meanMs;
}

/** One request with fetch; throws unless the status is `status` and `ok` accepts the body. */
async function check(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
  status: number,
  ok: (body: unknown) => boolean = () => true,
): Promise<unknown> {
  const response = await fetch(`${url}${path}`, { method, headers: body === undefined ? { authorization: headers['authorization']! } : headers, ...(body !== undefined && { body }) });
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (response.status !== status || !ok(parsed)) {
    throw new Error(`${method} ${path} answered ${response.status} (expected ${status}): ${text.slice(0, 300)}`);
  }
  return parsed;
}

function hasResults(body: unknown): boolean {
  const results = (body as { results?: unknown } | undefined)?.results;
  return Array.isArray(results) && results.length > 0;
}

async function countMemories(url: string, headers: Record<string, string>): Promise<number> {
  const space = (await check(url, 'GET', `/v1/spaces/${SPACE}`, headers, undefined, 200)) as Record<string, unknown>;
  const count = space['memoryCount'] ?? (space['stats'] as Record<string, unknown> | undefined)?.['memories'];
  return typeof count === 'number' ? count : Number.NaN;
}

// ---- one load ---------------------------------------------------------------------------

interface LoadSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** Bodies to rotate among, one per request in turn across all connections; empty for none. */
  bodies: readonly string[];
}

interface LoadPlan {
  connections: number;
  durationSec: number;
  warmUpSec: number;
}

/** Longest the connections may take to open before the benchmark gives up. */
const RAMP_LIMIT_SEC = 30;

/**
 * One autocannon run in three phases, on the same connections throughout:
 *
 * 1. Ramp: every connection sends `GET /v1/health` until each has had an answer. Node (libuv)
 *    accepts one new connection per turn of a busy event loop, so 64 connections opened at once
 *    against requests of several ms each would take many seconds to all be served, and the
 *    first request on the last ones would wait that long: the load would not be 64 connections
 *    and the tail would be the accept queue's. Cheap requests keep the turns short.
 * 2. Warm-up: the real requests, untimed.
 * 3. The timed window: every response completed in it counts, with the latency autocannon
 *    measured for it (from writing the request to reading the whole response).
 *
 * Fails when any response of any phase is not a 2xx, or on any connection error or timeout.
 */
async function load(server: ServerProcess, plan: LoadPlan, spec: LoadSpec): Promise<HttpLoadFigures> {
  const route = `${spec.method} ${spec.path}`;
  const authOnly = { authorization: spec.headers['authorization']! };
  let heavy = false;
  let next = 0;
  // A fresh headers object each time: autocannon writes Content-Length into the one it gets.
  const setupRequest = (request: AutocannonRequest): AutocannonRequest =>
    !heavy
      ? { ...request, method: 'GET', path: '/v1/health', headers: { ...authOnly }, body: undefined }
      : spec.bodies.length === 0
        ? { ...request, method: spec.method, path: spec.path, headers: { ...authOnly }, body: undefined }
        : { ...request, method: spec.method, path: spec.path, headers: { ...spec.headers }, body: spec.bodies[next++ % spec.bodies.length]! };
  const instance = autocannon({
    url: server.url,
    title: route,
    connections: plan.connections,
    pipelining: 1,
    // An upper bound; the run is stopped when the timed window ends.
    duration: RAMP_LIMIT_SEC + plan.warmUpSec + plan.durationSec + 5,
    timeout: 30,
    requests: [{ setupRequest }],
  });

  const served = new Set<object>();
  const latencies: number[] = [];
  let windowNon2xx = 0;
  let phase: 'ramp' | 'warm-up' | 'timed' | 'done' = 'ramp';
  let windowStart = 0;
  let windowEnd = 0;
  let clientBefore: NodeJS.CpuUsage | undefined;
  let clientCpu: NodeJS.CpuUsage | undefined;
  let statsBefore: Promise<ServerStats | undefined> | undefined;
  let statsAfter: Promise<ServerStats | undefined> | undefined;
  let failure: string | undefined;

  const endWindow = (): void => {
    windowEnd = performance.now();
    phase = 'done';
    clientCpu = process.cpuUsage(clientBefore);
    statsAfter = server.stats();
    instance.stop();
  };
  const startWindow = (): void => {
    phase = 'timed';
    windowStart = performance.now();
    clientBefore = process.cpuUsage();
    statsBefore = server.stats();
    setTimeout(endWindow, plan.durationSec * 1000);
  };
  const rampLimit = setTimeout(() => {
    failure = `only ${served.size} of ${plan.connections} connections were served within ${RAMP_LIMIT_SEC} s`;
    phase = 'done';
    instance.stop();
  }, RAMP_LIMIT_SEC * 1000);

  instance.on('response', (client: object, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (phase === 'ramp') {
      served.add(client);
      if (served.size === plan.connections) {
        clearTimeout(rampLimit);
        heavy = true;
        phase = 'warm-up';
        setTimeout(startWindow, plan.warmUpSec * 1000);
      }
    } else if (phase === 'timed') {
      latencies.push(responseTimeMs);
      if (statusCode < 200 || statusCode >= 300) windowNon2xx++;
    }
  });
  const result = await instance;
  clearTimeout(rampLimit);
  if (failure !== undefined) throw new Error(`${route}: ${failure}`);

  const problems = result.errors + result.timeouts + result.non2xx + result.mismatches + windowNon2xx;
  if (problems > 0 || latencies.length === 0) {
    const codes = Object.entries(result.statusCodeStats)
      .map(([code, { count }]) => `${code}: ${count}`)
      .join(', ');
    throw new Error(
      `${route}: ${result.errors} connection errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses, ${result.mismatches} mismatches in ${result.requests.total} requests (status codes ${codes || 'none'}); ${latencies.length} responses in the timed window`,
    );
  }

  const windowSec = (windowEnd - windowStart) / 1000;
  const [before, after] = await Promise.all([statsBefore, statsAfter]);
  const server_ = before !== undefined && after !== undefined ? serverFigures(before, after) : undefined;
  const latency = summarize(latencies);
  return {
    route,
    requestsPerSec: latencies.length / windowSec,
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    meanMs: latency.meanMs,
    maxMs: latency.maxMs,
    requests: latencies.length,
    durationSec: windowSec,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    bodyBytes: spec.bodies.length === 0 ? 0 : Math.round(spec.bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / spec.bodies.length),
    serverCpuMsPerRequest: server_ === undefined ? undefined : server_.cpuMsPerSec / (latencies.length / windowSec),
    serverCpuCores: server_?.cpuCores,
    serverLoopUtilization: server_?.loopUtilization,
    clientCpuCores: clientCpu === undefined ? Number.NaN : (clientCpu.user + clientCpu.system) / 1e6 / windowSec,
    wholeRun: { requests: result.requests.total, durationSec: result.duration, p50Ms: result.latency.p50, p99Ms: result.latency.p99 },
  };
}

/** The server's CPU and event-loop use between two of its answers, over its own clock. */
export function serverFigures(before: ServerStats, after: ServerStats): { cpuCores: number; cpuMsPerSec: number; loopUtilization: number } {
  const elapsedMs = after.atMs - before.atMs;
  const cpuMs = (after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs) / 1000;
  const active = after.loopActiveMs - before.loopActiveMs;
  const idle = after.loopIdleMs - before.loopIdleMs;
  return { cpuCores: cpuMs / elapsedMs, cpuMsPerSec: (cpuMs / elapsedMs) * 1000, loopUtilization: active / (active + idle) };
}

// ---- the server process -----------------------------------------------------------------

export interface ServerStats {
  /** The server's monotonic clock when it answered, in ms. */
  atMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  loopActiveMs: number;
  loopIdleMs: number;
}

/** `bench/http-server.ts` in a child process, and its line protocol on stdin and stdout. */
export class ServerProcess {
  private readonly waiting: ((message: Record<string, unknown> | undefined) => void)[] = [];
  private readonly exited: Promise<void>;
  private closed = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    /** Where it serves gRPC, when started with `grpc`. */
    readonly grpcAddress: string | undefined,
    messages: AsyncIterator<string>,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void (async () => {
      for (;;) {
        const { value, done } = await messages.next();
        if (done) break;
        this.waiting.shift()?.(JSON.parse(value) as Record<string, unknown>);
      }
      this.closed = true;
      for (const resolve of this.waiting.splice(0)) resolve(undefined);
    })();
  }

  /** Starts the server on `storage`: a data directory or a PostgreSQL URL; with `grpc`, serving gRPC too. */
  static async start(storage: string, workers: number, options: { grpc?: boolean } = {}): Promise<ServerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER_SCRIPT, storage, '0', String(workers), ...(options.grpc === true ? ['grpc'] : [])], {
      cwd: dirname(BENCH_DIR),
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const exit = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`the server exited (${code ?? signal}) before listening`))));
    const first = await Promise.race([lines.next(), exit]);
    if (first.done) throw new Error('the server closed its output before listening');
    const hello = JSON.parse(first.value) as { url?: unknown; grpc?: unknown };
    if (typeof hello.url !== 'string') throw new Error(`the server said ${first.value}`);
    exit.catch(() => {});
    return new ServerProcess(child, hello.url, typeof hello.grpc === 'string' ? hello.grpc : undefined, lines);
  }

  /** CPU and event-loop counters of the server so far; undefined if it stopped answering. */
  async stats(): Promise<ServerStats | undefined> {
    if (this.closed) return undefined;
    const answer = new Promise<Record<string, unknown> | undefined>((resolve) => this.waiting.push(resolve));
    this.child.stdin!.write('stats\n');
    const message = await answer;
    return message !== undefined && typeof message['cpuUserUs'] === 'number' ? (message as unknown as ServerStats) : undefined;
  }

  /** Closes its stdin (it closes the app and memspace, then exits); kills it after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

// ---- autocannon (CommonJS, no bundled types) --------------------------------------------

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | undefined;
  /** Called before each request is written; returns the request to write. */
  setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
}

interface AutocannonOptions {
  url: string;
  title?: string;
  connections: number;
  pipelining: number;
  /** Seconds. */
  duration: number;
  /** Seconds before a request counts as timed out. */
  timeout: number;
  requests: AutocannonRequest[];
}

/** Percentiles of an HdrHistogram, in whole units (ms for latency). */
interface AutocannonHistogram {
  mean: number;
  max: number;
  p50: number;
  p99: number;
}

interface AutocannonResult {
  /** Seconds. */
  duration: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: AutocannonHistogram;
  /** Requests per one-second sample; `total` is every completed request. */
  requests: AutocannonHistogram & { total: number };
}

/** A running benchmark: a promise of its result, events, and `stop`. */
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', listener: (client: object, statusCode: number, bytes: number, responseTimeMs: number) => void): this;
  stop(): void;
}

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (options: AutocannonOptions) => AutocannonInstance;

function autocannonVersion(): string {
  return (require('autocannon/package.json') as { version: string }).version;
}

// Run directly (not imported by the bench runner): print the JSON and write it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchHttp({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(result, null, 2));
  await mkdir('bench/out', { recursive: true });
  await writeFile('bench/out/http.json', `${JSON.stringify(result, null, 2)}\n`);
}
