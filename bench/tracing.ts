/**
 * What tracing costs (`node --import tsx bench/tracing.ts [--quick]`, about a minute): single
 * adds and hybrid searches through the HTTP app (`app.inject`: Fastify's hooks, the engine, the
 * store) with tracing off and on, in turns (off, on, off, ...) so that other load on the machine
 * falls on both alike. On, spans go as in production: a batch processor and the OTLP/HTTP
 * exporter, to a sink in a child process that reads and drops them. Vectors are given by the
 * caller (embedder `none`), so no model's time hides the overhead, and writes are fsynced as
 * `sync: normal` does, for the same reason. Writes the `tracing` section of bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { NO_TRACER, type Tracer } from '../src/core/ports/tracer.js';
import { openEngine } from '../src/memspace.js';
import { buildApp } from '../src/server/app.js';
import { configuredTracer } from '../src/telemetry/otel-setup.js';
import { Corpus, DIMENSION, type LatencyFigures, summarize } from './engine.js';
import { writeKeptSection } from './kept-sections.js';

type Mode = 'off' | 'on';

/** Figures of one mode. */
interface ModeFigures {
  add: LatencyFigures;
  search: LatencyFigures;
  /** Adds and searches (one of each is two requests) per second of wall time. */
  requestsPerSec: number;
  /** Process CPU per request (user + system), ms: steadier than wall time on a shared machine. */
  cpuMsPerRequest: number;
}

/** What {@link benchTracing} reports. */
export interface TracingBenchResult {
  quick: boolean;
  preload: number;
  rounds: number;
  pairsPerRound: number;
  off: ModeFigures;
  on: ModeFigures;
  /** Spans the sink received, per request, when on. */
  spansPerRequest: number;
  loadAverage: { start: number; end: number };
  date: string;
}

/** A sink for OTLP/HTTP in a child process: reads each export, counts its spans, answers 200. */
const SINK = `
let spans = 0;
const server = require('node:http').createServer((req, res) => {
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (c) => (text += c));
  req.on('end', () => { spans += text.split('"spanId"').length - 1; res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => { console.log(spans); process.exit(0); });
`;

/** What a worker measured in one round. */
interface RoundSamples {
  add: number[];
  search: number[];
  wallMs: number;
  cpuMs: number;
  requests: number;
}

/**
 * Runs the benchmark: each mode in a process of its own (a process with tracing off never loads
 * OpenTelemetry, and its async-context machinery would tax the other mode), rounds in turns.
 */
export async function benchTracing(options: { quick?: boolean; progress?: (line: string) => void } = {}): Promise<TracingBenchResult> {
  const quick = options.quick === true;
  const progress = options.progress ?? (() => undefined);
  const [preload, rounds, pairsPerRound] = quick ? [500, 4, 100] : [2_000, 6, 150];
  const loadStart = loadavg()[0] ?? Number.NaN;
  const sink = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sinkLines = lineReader(sink.stdout);
  const endpoint = `http://127.0.0.1:${await sinkLines.next()}`;
  const workers = { off: worker('off', endpoint, preload), on: worker('on', endpoint, preload) };
  progress(`preloading ${preload} memories in each mode...`);
  await Promise.all([workers.off.ready, workers.on.ready]);
  const samples: Record<Mode, RoundSamples> = { off: emptySamples(), on: emptySamples() };
  for (let round = 0; round < rounds; round++) {
    for (const mode of (round % 2 === 0 ? ['off', 'on'] : ['on', 'off']) as Mode[]) {
      const got = await workers[mode].round(pairsPerRound);
      const into = samples[mode];
      into.add.push(...got.add);
      into.search.push(...got.search);
      into.wallMs += got.wallMs;
      into.cpuMs += got.cpuMs;
      into.requests += got.requests;
    }
    progress(`round ${round + 1}/${rounds}`);
  }
  await Promise.all([workers.off.close(), workers.on.close()]);
  sink.kill('SIGTERM');
  const spans = Number(await sinkLines.next());
  const figures = (mode: Mode): ModeFigures => ({
    add: summarize(samples[mode].add),
    search: summarize(samples[mode].search),
    requestsPerSec: (samples[mode].requests / samples[mode].wallMs) * 1000,
    cpuMsPerRequest: samples[mode].cpuMs / samples[mode].requests,
  });
  return {
    quick,
    preload,
    rounds,
    pairsPerRound,
    off: figures('off'),
    on: figures('on'),
    // The preload's batch requests (and space creation) sent spans too.
    spansPerRequest: spans / (samples.on.requests + preload / 100 + 1),
    loadAverage: { start: loadStart, end: loadavg()[0] ?? Number.NaN },
    date: new Date().toISOString(),
  };
}

function emptySamples(): RoundSamples {
  return { add: [], search: [], wallMs: 0, cpuMs: 0, requests: 0 };
}

/** Lines of a stream, one at a time. */
function lineReader(stream: NodeJS.ReadableStream): { next(): Promise<string> } {
  const lines: string[] = [];
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts.filter((l) => l !== ''));
  });
  return {
    async next() {
      while (lines.length === 0) await once(stream, 'data');
      return lines.shift()!;
    },
  };
}

/** A worker process of one mode: preloads its space, then runs rounds when asked. */
function worker(mode: Mode, endpoint: string, preload: number): { ready: Promise<void>; round(pairs: number): Promise<RoundSamples>; close(): Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', mode, endpoint, String(preload)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reply = async <T>(): Promise<T> => ((await once(child, 'message')) as [T])[0];
  return {
    ready: reply<string>().then(() => undefined),
    async round(pairs) {
      child.send({ pairs });
      return reply<RoundSamples>();
    },
    async close() {
      child.send({ close: true });
      await once(child, 'exit');
    },
  };
}

/** The worker's side: one memspace and its HTTP app with tracing `mode`, answering the parent's rounds. */
async function runWorker(mode: Mode, endpoint: string, preload: number): Promise<void> {
  const tracer = mode === 'on' ? configuredTracer(loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }), ['otlp']) : NO_TRACER;
  const app = await open(tracer);
  const corpus = new Corpus(11);
  const data = corpus.memories(preload);
  for (let at = 0; at < preload; at += 100) await app.request('/v1/spaces/bench/memories/batch', { memories: data.slice(at, at + 100) });
  process.send!('ready');
  process.on('message', (message: { pairs?: number; close?: boolean }) => {
    if (message.close === true) {
      void app.close().then(() => process.disconnect());
      return;
    }
    void round(app, corpus, message.pairs!).then((samples) => process.send!(samples));
  });
}

async function round(app: Awaited<ReturnType<typeof open>>, corpus: Corpus, pairs: number): Promise<RoundSamples> {
  const samples = emptySamples();
  const adds = corpus.memories(pairs);
  const queries = corpus.queries(pairs);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < pairs; i++) {
    let t = performance.now();
    await app.request('/v1/spaces/bench/memories', adds[i]!);
    samples.add.push(performance.now() - t);
    t = performance.now();
    await app.request('/v1/spaces/bench/search', { ...queries[i]!, limit: 10 });
    samples.search.push(performance.now() - t);
  }
  samples.wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  samples.cpuMs = (used.user + used.system) / 1000;
  samples.requests = 2 * pairs;
  return samples;
}

/** A memspace with one 512-d space and its HTTP app, tracing with `tracer` (shut down with it). */
async function open(tracer: Tracer): Promise<{ request(url: string, body: unknown): Promise<void>; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'memspace-bench-tracing-'));
  const ms = await openEngine(loadConfig({ dataDir, sync: 'normal', workers: 1, idleTimeoutMs: 0, annThreshold: 0 }, {}), { tracer });
  await ms.spaces.create({ name: 'bench', embedder: 'none', dimension: DIMENSION });
  const app = await buildApp({ memspace: ms, auth: false });
  return {
    async request(url, body) {
      const r = await app.inject({ method: 'POST', url, payload: body as Record<string, unknown> });
      if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
    },
    async close() {
      await app.close();
      await ms.close();
      await tracer.shutdown(); // a tracer given to openEngine is the caller's to stop: sends what it holds
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The `tracing` section of RESULTS.md. */
export function tracingMarkdown(r: TracingBenchResult): string {
  const f = (n: number, digits = 2): string => n.toFixed(digits);
  const ratio = (on: number, off: number): string => `${f(on / off, 3)}×`;
  const row = (label: string, off: number, on: number, digits = 2): string => `| ${label} | ${f(off, digits)} | ${f(on, digits)} | ${ratio(on, off)} |`;
  return [
    '## Tracing: what it costs',
    '',
    `Generated by \`node --import tsx bench/tracing.ts${r.quick ? ' --quick' : ''}\` on ${r.date.slice(0, 10)} (load average ${f(r.loadAverage.start)} → ${f(r.loadAverage.end)}).`,
    `Single adds and hybrid searches (512-d vectors given by the caller, so no model time hides the cost) through the HTTP app (\`app.inject\`), in a space preloaded with ${r.preload} memories, ` +
      `${r.rounds} rounds of ${r.pairsPerRound} add + search pairs with tracing off and on in turns. On: every span exported over OTLP/HTTP (JSON) by a batch processor to a sink in another process, ` +
      `about ${f(r.spansPerRequest, 1)} spans per request (the request, the access checks, the engine operation, its storage calls; no key look-up, as the app runs without authentication). Writes with \`sync: normal\`.`,
    '',
    '| Figure | Off | On | On / off |',
    '| --- | ---: | ---: | ---: |',
    row('requests/s (adds and searches, one at a time)', r.off.requestsPerSec, r.on.requestsPerSec, 0),
    row('process CPU per request, ms', r.off.cpuMsPerRequest, r.on.cpuMsPerRequest, 3),
    row('single add p50, ms', r.off.add.p50Ms, r.on.add.p50Ms, 3),
    row('single add p99, ms', r.off.add.p99Ms, r.on.add.p99Ms, 3),
    row('hybrid search p50, ms', r.off.search.p50Ms, r.on.search.p50Ms, 3),
    row('hybrid search p99, ms', r.off.search.p99Ms, r.on.search.p99Ms, 3),
    '',
    'Process CPU per request is the steadier figure: latencies and rates move with whatever else the machine runs (see the load average above), and each mode runs in a process of its own, in turns. ' +
      'Off, no OpenTelemetry module is loaded and nothing is wrapped: the only cost is one check per HTTP request and gRPC call (test/telemetry/serve-otlp.test.ts checks that nothing is loaded).',
  ].join('\n');
}

const at = process.argv.indexOf('--worker');
if (at > 0) {
  await runWorker(process.argv[at + 1] as Mode, process.argv[at + 2]!, Number(process.argv[at + 3]));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchTracing({ quick: process.argv.includes('--quick'), progress: (line) => process.stderr.write(`${line}\n`) });
  const section = tracingMarkdown(result);
  process.stdout.write(`${section}\n`);
  if (!result.quick) await writeKeptSection(join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), 'tracing', section);
}
