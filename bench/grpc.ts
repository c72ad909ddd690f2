/**
 * gRPC beside REST (`npm run bench:grpc`): the same server process (`bench/http-server.ts`
 * with `grpc`, the app and the gRPC front end of `memspace serve` over one memspace), the same
 * space, the same bodies, the same client loop in this process, so the ratio is the protocol.
 *
 * - Single durable adds and vector-only searches at 10k memories (512-d, caller-given vectors),
 *   64 calls in flight: REST over 64 keep-alive HTTP/1.1 connections, gRPC over one HTTP/2
 *   channel (as a grpc-js client has by default). Each load runs twice, REST and gRPC
 *   alternating (R G G R), after an untimed warm-up; the figures are the two runs together.
 * - The gRPC adds once more over 8 channels (connections), taken in turn: one channel puts every
 *   call on one TCP connection, which is where gRPC's tail latency comes from here.
 * - Ingest of 20,000 memories into an empty space: one `AddStream` against one client posting
 *   `/memories/batch` requests of 250 one after the other (what fits the 4 MiB body limit).
 * - Change-feed latency: one writer adds memories one at a time over REST while a gRPC `Watch`
 *   and an SSE stream follow the space; for each event, the time from sending the add to
 *   receiving the event, on each stream.
 */
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Client, type ClientWritableStream, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';

import { loadConfig } from '../src/config.js';
import { memspaceServices } from '../src/wire/proto.js';
import { openEngine } from '../src/memspace.js';
import { Corpus, DIMENSION, type LatencyFigures, summarize } from './engine.js';
import { ServerProcess, serverFigures } from './http.js';

/** One protocol under one load. */
export interface ProtocolLoad {
  perSec: number;
  latency: LatencyFigures;
  /** Server CPU time per call, in ms (both runs). */
  serverCpuMsPerCall: number | undefined;
  /** CPU time of this process (the client) over wall time. */
  clientCpuCores: number;
}

/** REST and gRPC under the same load. */
export interface ProtocolPair {
  rest: ProtocolLoad;
  grpc: ProtocolLoad;
}

/** Figures reported by {@link benchGrpc}. */
export interface GrpcBenchResult {
  quick: boolean;
  concurrency: number;
  /** Seconds of each timed run (two per protocol and load), and of the warm-up before each. */
  durationSec: number;
  warmUpSec: number;
  memories: number;
  dimension: number;
  workers: number;
  vectorSearch: ProtocolPair;
  singleAdd: ProtocolPair;
  /** gRPC single adds again, the calls spread over several channels (connections). */
  singleAddSpread: ProtocolLoad & { channels: number };
  ingest: { memories: number; batch: number; restBatchesPerSec: number; addStreamPerSec: number };
  watch: { events: number; grpc: LatencyFigures; sse: LatencyFigures };
  /** 1-minute load average of the machine when the benchmark started and ended. */
  loadAverage: { start: number; end: number };
}

const MEMORIES = 10_000;
const CONCURRENCY = 64;
const SPACE = 'grpc-bench';
const SEARCH_LIMIT = 10;
const INGEST = 20_000;
/** Channels of the second gRPC add load. */
const SPREAD_CHANNELS = 8;
/** Memories per REST batch: 250 of 512 numbers is about 2.6 MB of JSON, under the 4 MiB body limit. */
const INGEST_BATCH = 250;

type Call = () => Promise<void>;

/** Runs the benchmark in a temporary data directory, removed at the end. */
export async function benchGrpc(options: { quick: boolean; progress?: (line: string) => void }): Promise<GrpcBenchResult> {
  const say = options.progress ?? (() => {});
  const durationSec = options.quick ? 3 : 10;
  const warmUpSec = options.quick ? 1 : 2;
  const loadStart = loadavg()[0]!;
  const root = await mkdtemp(join(tmpdir(), 'memspace-grpc-bench-'));
  let server: ServerProcess | undefined;
  try {
    const corpus = new Corpus(0x6790);
    const dataDir = join(root, 'data');
    say(`gRPC vs REST: preparing ${MEMORIES.toLocaleString('en-US')} memories...`);
    const key = await prepare(dataDir, corpus);
    const workers = availableParallelism();
    server = await ServerProcess.start(dataDir, workers, { grpc: true });
    const rest = new RestClient(server.url, key);
    const grpc = new GrpcClient(server.grpcAddress!, key);
    try {
      const queries = corpus.queries(100);
      const adds = corpus.memories(100);
      const run = (calls: { rest: Call; grpc: Call }): Promise<ProtocolPair> => alternate(server!, calls, { concurrency: CONCURRENCY, durationSec, warmUpSec });
      let q = 0;
      say('gRPC vs REST: vector searches at 10k, 64 in flight...');
      const vectorSearch = await run({
        rest: () => rest.post(`/v1/spaces/${SPACE}/search`, { embedding: queries[q++ % queries.length]!.embedding, mode: 'vector', limit: SEARCH_LIMIT }, 200),
        grpc: () => grpc.unary('Search', { space: SPACE, embedding: queries[q++ % queries.length]!.embedding, mode: 'vector', limit: SEARCH_LIMIT }),
      });
      let a = 0;
      say('gRPC vs REST: single durable adds, 64 in flight...');
      const singleAdd = await run({
        rest: () => rest.post(`/v1/spaces/${SPACE}/memories`, adds[a++ % adds.length], 201),
        grpc: () => grpc.unary('Add', { space: SPACE, ...adds[a++ % adds.length]! }),
      });
      // One channel carries every call on one TCP connection; a client may open several.
      const spread = new GrpcClient(server.grpcAddress!, key, SPREAD_CHANNELS);
      let b = 0;
      say(`gRPC: single durable adds over ${SPREAD_CHANNELS} channels...`);
      const runs: LoopRun[] = [];
      for (let i = 0; i < 2; i++) runs.push(await closedLoop(server, () => spread.unary('Add', { space: SPACE, ...adds[b++ % adds.length]! }), { concurrency: CONCURRENCY, durationSec, warmUpSec }));
      spread.close();
      const singleAddSpread = { channels: SPREAD_CHANNELS, ...combine(runs) };
      say(`gRPC vs REST: ingest of ${INGEST.toLocaleString('en-US')} memories, AddStream and batches of ${INGEST_BATCH}...`);
      const ingest = await ingestLoads(rest, grpc, corpus);
      say('gRPC vs REST: change-feed latency, Watch and SSE on the same writes...');
      const watch = await watchLatency(server.url, rest, grpc, corpus, options.quick ? 200 : 1_000);
      const loadAverage = { start: loadStart, end: loadavg()[0]! };
      return { quick: options.quick, concurrency: CONCURRENCY, durationSec, warmUpSec, memories: MEMORIES, dimension: DIMENSION, workers, vectorSearch, singleAdd, singleAddSpread, ingest, watch, loadAverage };
    } finally {
      rest.close();
      grpc.close();
    }
  } finally {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** The 10k-memory space with its vector index built, and a root key. */
async function prepare(dataDir: string, corpus: Corpus): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  const ms = await openEngine(loadConfig({ dataDir }, {}));
  try {
    await ms.spaces.create({ name: SPACE, embedder: 'none', dimension: DIMENSION });
    for (let held = 0; held < MEMORIES; held += 1_000) await ms.memories.addMany(SPACE, corpus.memories(1_000));
    await ms.search.settleIndex(SPACE);
    const key = await ms.keys.ensureRootKey();
    if (key === undefined) throw new Error('a fresh data directory already had API keys');
    return key;
  } finally {
    await ms.close();
  }
}

// ---- closed loops -------------------------------------------------------------------------

/** Each protocol twice, alternating (REST, gRPC, gRPC, REST), so drift in the machine falls on both. */
async function alternate(server: ServerProcess, calls: { rest: Call; grpc: Call }, plan: LoopPlan): Promise<ProtocolPair> {
  const runs: { rest: LoopRun[]; grpc: LoopRun[] } = { rest: [], grpc: [] };
  for (const protocol of ['rest', 'grpc', 'grpc', 'rest'] as const) runs[protocol].push(await closedLoop(server, calls[protocol], plan));
  return { rest: combine(runs.rest), grpc: combine(runs.grpc) };
}

interface LoopPlan {
  concurrency: number;
  durationSec: number;
  warmUpSec: number;
}

interface LoopRun {
  latencies: number[];
  seconds: number;
  serverCpuMs: number | undefined;
  clientCpuMs: number;
}

/**
 * `concurrency` callers, each calling again as soon as its call returns, for the warm-up and
 * then the timed window; calls that end in the window count. Any failure fails the benchmark.
 */
async function closedLoop(server: ServerProcess, call: Call, plan: LoopPlan): Promise<LoopRun> {
  const latencies: number[] = [];
  let timing = false;
  let stop = false;
  const callers = Array.from({ length: plan.concurrency }, async () => {
    while (!stop) {
      const start = performance.now();
      await call();
      if (timing && !stop) latencies.push(performance.now() - start);
    }
  });
  await Promise.race([sleep(plan.warmUpSec * 1000), Promise.all(callers)]);
  const before = await server.stats();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  timing = true;
  await Promise.race([sleep(plan.durationSec * 1000), Promise.all(callers)]);
  stop = true;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const after = await server.stats();
  await Promise.all(callers);
  const serverCpuMs = before !== undefined && after !== undefined ? serverFigures(before, after).cpuMsPerSec * seconds : undefined;
  return { latencies, seconds, serverCpuMs, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}

function combine(runs: readonly LoopRun[]): ProtocolLoad {
  const latencies = runs.flatMap((r) => r.latencies);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const serverCpuMs = runs.every((r) => r.serverCpuMs !== undefined) ? runs.reduce((s, r) => s + r.serverCpuMs!, 0) : undefined;
  return {
    perSec: latencies.length / seconds,
    latency: summarize(latencies),
    serverCpuMsPerCall: serverCpuMs === undefined ? undefined : serverCpuMs / latencies.length,
    clientCpuCores: runs.reduce((s, r) => s + r.clientCpuMs, 0) / 1000 / seconds,
  };
}

// ---- ingest and the change feed -------------------------------------------------------------

async function ingestLoads(rest: RestClient, grpc: GrpcClient, corpus: Corpus): Promise<GrpcBenchResult['ingest']> {
  const memories = corpus.memories(INGEST);
  await rest.post('/v1/spaces', { name: 'ingest-rest', embedder: 'none', dimension: DIMENSION }, 201);
  await rest.post('/v1/spaces', { name: 'ingest-grpc', embedder: 'none', dimension: DIMENSION }, 201);
  let start = performance.now();
  for (let i = 0; i < memories.length; i += INGEST_BATCH) await rest.post('/v1/spaces/ingest-rest/memories/batch', { memories: memories.slice(i, i + INGEST_BATCH) }, 201);
  const restBatchesPerSec = memories.length / ((performance.now() - start) / 1000);
  start = performance.now();
  const summary = await grpc.addStream('ingest-grpc', memories);
  const addStreamPerSec = memories.length / ((performance.now() - start) / 1000);
  if (summary.added !== memories.length) throw new Error(`AddStream added ${summary.added} of ${memories.length}`);
  return { memories: memories.length, batch: INGEST_BATCH, restBatchesPerSec, addStreamPerSec };
}

/** Sequential REST adds, each followed by the gRPC Watch and the SSE stream of the space. */
async function watchLatency(url: string, rest: RestClient, grpc: GrpcClient, corpus: Corpus, events: number): Promise<GrpcBenchResult['watch']> {
  await rest.post('/v1/spaces', { name: 'watched', embedder: 'none', dimension: DIMENSION }, 201);
  const arrivals = { grpc: new Map<string, number>(), sse: new Map<string, number>() };
  const watch = grpc.watch('watched', (id) => arrivals.grpc.set(id, performance.now()));
  const sse = new AbortController();
  const sseDone = followSse(`${url}/v1/spaces/watched/events`, rest.key, sse.signal, (id) => arrivals.sse.set(id, performance.now()));
  try {
    await sleep(300); // both streams open and caught up
    const sent = new Map<string, number>();
    for (const memory of corpus.memories(events)) {
      const start = performance.now();
      const id = await rest.postForId('/v1/spaces/watched/memories', memory);
      sent.set(id, start);
      while (!arrivals.grpc.has(id) || !arrivals.sse.has(id)) await sleep(0.2);
    }
    const latency = (seen: Map<string, number>): LatencyFigures => summarize([...sent].map(([id, at]) => seen.get(id)! - at));
    return { events, grpc: latency(arrivals.grpc), sse: latency(arrivals.sse) };
  } finally {
    watch.cancel();
    sse.abort();
    await sseDone.catch(() => undefined);
  }
}

async function followSse(url: string, key: string, signal: AbortSignal, onEvent: (id: string) => void): Promise<void> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal });
  if (response.status !== 200) throw new Error(`SSE answered ${response.status}`);
  let buffer = '';
  for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
      buffer = buffer.slice(end + 2);
      if (data !== undefined) onEvent((JSON.parse(data) as { id: string }).id);
    }
  }
}

// ---- the two clients ------------------------------------------------------------------------

/** REST over keep-alive HTTP/1.1 connections, one per call in flight. */
class RestClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  constructor(
    private readonly base: string,
    readonly key: string,
  ) {}

  async post(path: string, body: unknown, expected: number): Promise<void> {
    await this.send(path, body, expected);
  }

  async postForId(path: string, body: unknown): Promise<string> {
    return (JSON.parse(await this.send(path, body, 201)) as { id: string }).id;
  }

  private send(path: string, body: unknown, expected: number): Promise<string> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(`${this.base}${path}`, { method: 'POST', agent: this.agent, headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => (res.statusCode === expected ? resolve(text) : reject(new Error(`POST ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`))));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** gRPC over one channel, as a grpc-js client has by default, or over several taken in turn. */
class GrpcClient {
  readonly memories: Client;
  private readonly channels: Client[];
  private next = 0;
  private readonly events: Client;
  private readonly metadata = new Metadata();

  constructor(address: string, key: string, channels = 1) {
    const services = memspaceServices();
    // A local subchannel pool gives each client a connection of its own.
    this.channels = Array.from({ length: channels }, () => new services.Memories(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
    this.memories = this.channels[0]!;
    this.events = new services.Events(address, credentials.createInsecure());
    this.metadata.set('authorization', `Bearer ${key}`);
  }

  /** A unary call of Memories, on the next channel. */
  unary(method: string, message: unknown): Promise<void> {
    const client = this.channels[this.next++ % this.channels.length]!;
    return new Promise((resolve, reject) => {
      (client as unknown as Record<string, (m: unknown, md: Metadata, cb: (e: ServiceError | null) => void) => void>)[method]!(message, this.metadata, (error) => (error === null ? resolve() : reject(error)));
    });
  }

  async addStream(space: string, memories: readonly object[]): Promise<{ added: number }> {
    let stream!: ClientWritableStream<unknown>;
    const done = new Promise<{ added: number }>((resolve, reject) => {
      stream = (this.memories as unknown as { AddStream(md: Metadata, cb: (e: ServiceError | null, r: { added: number }) => void): ClientWritableStream<unknown> }).AddStream(this.metadata, (error, summary) =>
        error === null ? resolve(summary) : reject(error),
      );
    });
    for (const memory of memories) if (!stream.write({ space, ...memory })) await once(stream, 'drain');
    stream.end();
    return done;
  }

  watch(space: string, onEvent: (id: string) => void): { cancel(): void } {
    const stream = (this.events as unknown as { Watch(r: unknown, md: Metadata): NodeJS.EventEmitter & { cancel(): void } }).Watch({ space, after: 0 }, this.metadata);
    stream.on('data', (event: { id: string }) => onEvent(event.id));
    stream.on('error', () => undefined); // the cancel at the end
    return stream;
  }

  close(): void {
    for (const client of this.channels) client.close();
    this.events.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- report -------------------------------------------------------------------------------

type Report = GrpcBenchResult | { error: string } | undefined;

/** The figures for the results table. */
export function grpcRows(res: Report): { figure: string; value: number | undefined; unit: string; error?: string }[] {
  if (res === undefined) return [];
  if ('error' in res) return [{ figure: 'gRPC benchmark', value: undefined, unit: '', error: res.error }];
  return [
    { figure: 'gRPC single add p50, 64 in flight', value: res.singleAdd.grpc.latency.p50Ms, unit: 'ms' },
    { figure: 'gRPC adds/s, 64 in flight', value: res.singleAdd.grpc.perSec, unit: 'adds/s' },
    { figure: 'gRPC vector search p50 at 10k, 64 in flight', value: res.vectorSearch.grpc.latency.p50Ms, unit: 'ms' },
    { figure: 'gRPC vector searches/s at 10k, 64 in flight', value: res.vectorSearch.grpc.perSec, unit: 'searches/s' },
    { figure: `gRPC AddStream ingest of ${res.ingest.memories.toLocaleString('en-US')}`, value: res.ingest.addStreamPerSec, unit: 'memories/s' },
    { figure: 'gRPC Watch latency p99 (add sent to event received)', value: res.watch.grpc.p99Ms, unit: 'ms' },
  ];
}

/** The section of RESULTS.md: each figure beside REST's, with their ratio. */
export function grpcMarkdown(res: Report, date?: string): string[] {
  if (res === undefined) return [];
  if ('error' in res) return ['## gRPC beside REST', '', `Failed: ${res.error}`, ''];
  const f = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: 2 }));
  const row = (label: string, grpc: number, rest: number, unit: string): string => `| ${label} | ${f(grpc)} ${unit} | ${f(rest)} ${unit} | ${f(grpc / rest)} |`;
  const pair = (label: string, p: ProtocolPair, unit: string): string[] => [
    row(`${label}: calls/s`, p.grpc.perSec, p.rest.perSec, unit),
    row(`${label}: p50`, p.grpc.latency.p50Ms, p.rest.latency.p50Ms, 'ms'),
    row(`${label}: p99`, p.grpc.latency.p99Ms, p.rest.latency.p99Ms, 'ms'),
    row(`${label}: server CPU per call`, p.grpc.serverCpuMsPerCall ?? Number.NaN, p.rest.serverCpuMsPerCall ?? Number.NaN, 'ms'),
    row(`${label}: client CPU (cores)`, p.grpc.clientCpuCores, p.rest.clientCpuCores, ''),
  ];
  return [
    '## gRPC beside REST',
    '',
    `Measured by \`bench/grpc.ts\` (\`npm run bench:grpc\`)${date === undefined ? '' : ` on ${date}`}: one server process serving both protocols over one memspace (${res.workers} search threads), the same space of ${res.memories.toLocaleString('en-US')} memories (${res.dimension}-d, caller-given vectors, HNSW index built), the same bodies and the same client loop; ${res.concurrency} calls in flight, REST over ${res.concurrency} keep-alive HTTP/1.1 connections and gRPC over one HTTP/2 channel. Each load ran ${res.durationSec} s twice per protocol (REST, gRPC, gRPC, REST) after ${res.warmUpSec} s of warm-up. The client and the server share this machine's cores; load average ${f(res.loadAverage.start)} at the start, ${f(res.loadAverage.end)} at the end.`,
    '',
    '| Figure | gRPC | REST | gRPC / REST |',
    '|---|--:|--:|--:|',
    ...pair('vector search at 10k', res.vectorSearch, '/s'),
    ...pair('single durable add', res.singleAdd, '/s'),
    row(`single durable add over ${res.singleAddSpread.channels} gRPC channels: calls/s`, res.singleAddSpread.perSec, res.singleAdd.rest.perSec, '/s'),
    row(`single durable add over ${res.singleAddSpread.channels} gRPC channels: p50`, res.singleAddSpread.latency.p50Ms, res.singleAdd.rest.latency.p50Ms, 'ms'),
    row(`single durable add over ${res.singleAddSpread.channels} gRPC channels: p99`, res.singleAddSpread.latency.p99Ms, res.singleAdd.rest.latency.p99Ms, 'ms'),
    row(`ingest of ${res.ingest.memories.toLocaleString('en-US')}: one AddStream vs batches of ${res.ingest.batch} one after the other`, res.ingest.addStreamPerSec, res.ingest.restBatchesPerSec, 'memories/s'),
    row(`change feed, add sent to event received, p50 (Watch vs SSE, ${res.watch.events} sequential adds)`, res.watch.grpc.p50Ms, res.watch.sse.p50Ms, 'ms'),
    row('change feed, add sent to event received, p99', res.watch.grpc.p99Ms, res.watch.sse.p99Ms, 'ms'),
    '',
    `The ${res.singleAddSpread.channels}-channel rows are gRPC adds run after the others (twice, same length), the calls taken in turn by ${res.singleAddSpread.channels} channels (connections); their REST column repeats the REST adds above. On one channel every call shares one TCP connection, and the add p99 is the price of it: spread over several, the tail is close to REST's. A client with many concurrent writers should open a few channels. The server spends about as much CPU per call on either protocol; the client and the server share two cores here, so the grpc-js client's CPU is taken from the server's.`,
    '',
  ];
}
