/**
 * The benchmark runner (`npm run bench`, i.e. `node --import tsx bench/run.ts [--quick]`):
 * runs the embedder, engine, floor, HTTP, search-at-scale and HNSW-library benchmarks, prints a
 * table of every figure next to its target, writes `bench/out/results.json`, and regenerates
 * `bench/RESULTS.md` (about 55 minutes; `--no-million` skips the 1M-memory space).
 *
 * `--quick` runs smaller sizes and fewer repetitions (about 6 minutes here) and writes
 * `bench/out/results-quick.json` and `bench/out/RESULTS-quick.md` instead, so a smoke run never
 * replaces the recorded full results. `--render` rewrites RESULTS.md from `bench/out/results.json`.
 * `--only lifecycle` (`npm run bench:lifecycle`, about 25 minutes) runs the many-spaces benchmark
 * alone and merges its figures into the saved run; `--only postgres` (`npm run bench:postgres`)
 * does the same for the PostgreSQL (PGlite) figures, `--only encryption` (`npm run bench:encryption`)
 * for a plain and an encrypted space side by side, `--only grpc` (`npm run bench:grpc`) for
 * gRPC beside REST, and `--only consolidation` (`npm run bench:consolidation`, about 10 minutes)
 * for consolidation's rules, retrieval with repeats, pass throughput and adds during a pass.
 * A full run ends with the conversation benchmark of bench/retrieval.ts and the feedback
 * simulation of bench/feedback.ts when `MEMSPACE_CONVERSATION_BENCHMARK` names its file
 * (`npm run bench:retrieval` and `npm run bench:feedback` run them alone).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { benchEmbedder, type EmbedderBenchResult } from './embedder.js';
import { benchEngine, type EngineBenchResult, type SearchFigures } from './engine.js';
import { benchFloors, type FloorsResult } from './floors.js';
import { benchHttp, type HttpBenchResult } from './http.js';
import { annLibrariesTable, benchAnnLibraries, type AnnLibrariesResult } from './ann-libraries.js';
import { benchScale, type ScaleResult } from './scale.js';
import { scaleMarkdown, scaleRows, scaleWhyMissed } from './scale-report.js';
import { benchLifecycle, type LifecycleResult } from './lifecycle.js';
import { lifecycleMarkdown, lifecycleRows } from './lifecycle-report.js';
import { benchPostgres, postgresMarkdown, postgresRows, type PostgresBenchResult } from './postgres.js';
import { benchGrpc, grpcMarkdown, grpcRows, type GrpcBenchResult } from './grpc.js';
import { benchEncryption, encryptionMarkdown, encryptionRows, type EncryptionBenchResult } from './encryption.js';
import { benchConsolidation, consolidationMarkdown, consolidationRows, type ConsolidationBenchResult } from './consolidation.js';
import { keptSections } from './kept-sections.js';
import { recordFeedback } from './feedback.js';
import { BENCHMARK_FILE_VARIABLE, recordRetrieval } from './retrieval.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const OUT_DIR = join(BENCH_DIR, 'out');

/** A target from the issue, on the 2-core reference machine. */
interface Target {
  /** `min`: the figure must be at least `value`; `max`: at most. */
  kind: 'min' | 'max';
  value: number;
}

/** One line of the results table. */
interface Row {
  figure: string;
  value: number | undefined;
  unit: string;
  target?: Target;
  /** Why the figure is missing, when its benchmark failed. */
  error?: string;
}

interface Machine {
  cpu: string;
  cores: number;
  availableParallelism: number;
  ramGiB: number;
  node: string;
  os: string;
  sqlite: string | undefined;
}

interface RunResults {
  date: string;
  command: string;
  quick: boolean;
  durationSec: number;
  machine: Machine;
  /** 1-minute load average when the run started and ended: other work on the machine skews figures. */
  loadAverage: { start: number; end: number };
  embedder: EmbedderBenchResult | { error: string };
  engine: EngineBenchResult | { error: string };
  floors: FloorsResult | { error: string };
  http: HttpBenchResult | { error: string };
  scale: ScaleResult | { error: string };
  annLibraries: AnnLibrariesResult | { error: string };
  /** Many spaces on one machine; absent in results saved before it existed. */
  lifecycle?: LifecycleResult | { error: string };
  /** Add and search on PostgreSQL (PGlite) beside the embedded backend; absent in older results. */
  postgres?: PostgresBenchResult | { error: string };
  /** gRPC beside REST on one server; absent in older results. */
  grpc?: (GrpcBenchResult & { date: string }) | { error: string };
  /** A plain and an encrypted space side by side; absent in older results. */
  encryption?: EncryptionBenchResult | { error: string };
  /** Consolidation's rules, retrieval with repeats, pass throughput, adds during a pass; absent in older results. */
  consolidation?: ConsolidationBenchResult | { error: string };
  rows: Row[];
}

const quick = process.argv.includes('--quick');
// `--render` rewrites RESULTS.md from the last full run's bench/out/results.json (after a change to the report's wording; no figure changes).
if (process.argv.includes('--render')) {
  const saved = JSON.parse(await readFile(join(OUT_DIR, 'results.json'), 'utf8')) as RunResults;
  saved.rows = [...rows(saved.embedder, saved.engine, saved.floors, saved.http), ...scaleRows(saved.scale), ...lifecycleRows(saved.lifecycle), ...postgresRows(saved.postgres), ...grpcRows(saved.grpc), ...encryptionRows(saved.encryption), ...consolidationRows(saved.consolidation)];
  await writeReport(join(BENCH_DIR, 'RESULTS.md'), markdown(saved));
  progress('rewrote bench/RESULTS.md from bench/out/results.json');
  process.exit(0);
}
// `--only lifecycle|postgres|grpc` runs that benchmark alone and merges it into the saved full run.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
if (only === 'lifecycle' || only === 'postgres' || only === 'grpc' || only === 'encryption' || only === 'consolidation') {
  const file = join(OUT_DIR, quick ? 'results-quick.json' : 'results.json');
  const saved = JSON.parse(await readFile(file, 'utf8')) as RunResults;
  let part: { error: string } | object;
  if (only === 'lifecycle') part = saved.lifecycle = await attempt(() => benchLifecycle({ quick, progress }));
  else if (only === 'postgres') part = saved.postgres = await attempt(() => benchPostgres({ quick, progress }));
  else if (only === 'encryption') part = saved.encryption = await attempt(() => benchEncryption({ quick, progress }));
  else if (only === 'consolidation') part = saved.consolidation = await attempt(() => benchConsolidation({ quick, progress }));
  else part = saved.grpc = await attempt(async () => ({ ...(await benchGrpc({ quick, progress })), date: new Date().toISOString() }));
  saved.rows = [...rows(saved.embedder, saved.engine, saved.floors, saved.http), ...scaleRows(saved.scale), ...lifecycleRows(saved.lifecycle), ...postgresRows(saved.postgres), ...grpcRows(saved.grpc), ...encryptionRows(saved.encryption), ...consolidationRows(saved.consolidation)];
  const partRows = { lifecycle: () => lifecycleRows(saved.lifecycle), postgres: () => postgresRows(saved.postgres), grpc: () => grpcRows(saved.grpc), encryption: () => encryptionRows(saved.encryption), consolidation: () => consolidationRows(saved.consolidation) };
  console.log(formatTable(partRows[only]()));
  await writeFile(file, `${JSON.stringify(saved, null, 2)}\n`);
  await writeReport(quick ? join(OUT_DIR, 'RESULTS-quick.md') : join(BENCH_DIR, 'RESULTS.md'), markdown(saved));
  progress(`merged the ${only} figures into ${relative(process.cwd(), file)} and rewrote the report`);
  process.exit('error' in part ? 1 : 0);
}
const startedAt = new Date();
const loadStart = os.loadavg()[0] ?? Number.NaN;
const clock = process.hrtime.bigint();

progress(`embedder benchmark${quick ? ' (quick)' : ''}: real model, worker pool...`);
const embedder = await attempt(() => (quick ? benchEmbedder({ throughputSentences: 640, latencyCalls: 50 }) : benchEmbedder()));
progress('engine benchmark: adds, searches, cold opens...');
const engine = await attempt(() => benchEngine({ quick }));
progress('floors: bare commits, raw SQLite inserts, raw scans...');
const floors = await attempt(() => benchFloors({ quick }));
progress(`HTTP benchmark: server in a child process, autocannon, 64 connections, ${quick ? '3' : '10'} s per load...`);
const http = await attempt(() => benchHttp({ quick }));
progress(`search at scale: memspace, raw libraries, flat scan, mem0, LangGraph, LanceDB, one child process each${quick ? ' (quick: 2k real, 20k clustered, 100 tenants)' : ''}...`);
const scale = await attempt(() => benchScale({ quick, million: !process.argv.includes('--no-million') }));
progress(`HNSW libraries: usearch (f32, f16, i8) and hnswlib-node at ef 32/64/128 on ${quick ? '10k' : '100k'} clustered vectors...`);
const annLibraries = await attempt(() => benchAnnLibraries({ n: quick ? 10_000 : 100_000, queries: quick ? 50 : 200 }));
progress(`many spaces: start with ${quick ? '1k and 5k' : '1k, 10k and 100k'} spaces on disk, cold opens, RSS per space, sweeps, eviction churn...`);
const lifecycle = await attempt(() => benchLifecycle({ quick, progress }));
progress('PostgreSQL backend: real PostgreSQL 15, Citus and PGlite beside the embedded one: adds and searches...');
const postgres = await attempt(() => benchPostgres({ quick, progress }));
progress('gRPC beside REST: one server, both protocols, the same loads...');
const grpc = await attempt(async () => ({ ...(await benchGrpc({ quick, progress })), date: new Date().toISOString() }));
progress('encryption at rest: a plain and an encrypted space, adds and searches turn about...');
const encryption = await attempt(() => benchEncryption({ quick, progress }));
progress(`consolidation: the rules on labelled pairs, retrieval with repeats, one pass at ${quick ? '10k' : '10k and 100k'}, adds during a pass...`);
const consolidation = await attempt(() => benchConsolidation({ quick, progress }));

const results: RunResults = {
  date: startedAt.toISOString(),
  command: commandLine(),
  quick,
  durationSec: Number(process.hrtime.bigint() - clock) / 1e9,
  machine: machine('error' in engine ? undefined : engine.sqliteVersion),
  loadAverage: { start: loadStart, end: os.loadavg()[0] ?? Number.NaN },
  embedder,
  engine,
  floors,
  http,
  scale,
  annLibraries,
  lifecycle,
  postgres,
  grpc,
  encryption,
  consolidation,
  rows: [...rows(embedder, engine, floors, http), ...scaleRows(scale), ...lifecycleRows(lifecycle), ...postgresRows(postgres), ...grpcRows(grpc), ...encryptionRows(encryption), ...consolidationRows(consolidation)],
};

console.log(formatTable(results.rows));
console.log(`\n${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}; load average ${results.loadAverage.start.toFixed(2)} -> ${results.loadAverage.end.toFixed(2)}; ${results.durationSec.toFixed(0)} s`);

await mkdir(OUT_DIR, { recursive: true });
const resultsFile = join(OUT_DIR, quick ? 'results-quick.json' : 'results.json'); // a quick run never replaces the full run's figures
await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
const markdownFile = quick ? join(OUT_DIR, 'RESULTS-quick.md') : join(BENCH_DIR, 'RESULTS.md');
await writeReport(markdownFile, markdown(results));
progress(`wrote ${relative(process.cwd(), resultsFile)} and ${relative(process.cwd(), markdownFile)}`);
if ('error' in embedder || 'error' in engine || 'error' in http || 'error' in scale) process.exitCode = 1;
// The conversation benchmark needs a file this repository does not ship (bench/retrieval.ts): it,
// and the feedback simulation over it (bench/feedback.ts), run when one is named.
if (quick) progress('retrieval and feedback: left to npm run bench:retrieval and bench:feedback');
else if (process.env[BENCHMARK_FILE_VARIABLE]) {
  await recordRetrieval({ quick, progress });
  await recordFeedback({ progress });
} else progress(`retrieval and feedback: skipped, ${BENCHMARK_FILE_VARIABLE} is not set (npm run bench:retrieval and bench:feedback run them alone)`);

// ---- figures ----------------------------------------------------------------------------

function rows(embedder: RunResults['embedder'], engine: RunResults['engine'], floors: RunResults['floors'], http: RunResults['http']): Row[] {
  const h = 'error' in http ? undefined : http;
  const httpError = 'error' in http ? http.error : undefined;
  const f = 'error' in floors ? undefined : floors;
  const floorError = 'error' in floors ? floors.error : undefined;
  const e = 'error' in embedder ? undefined : embedder;
  const g = 'error' in engine ? undefined : engine;
  const embedError = 'error' in embedder ? embedder.error : undefined;
  const engineError = 'error' in engine ? engine.error : undefined;
  const at = (memories: number): SearchFigures | undefined => g?.search.sizes.find((s) => s.memories === memories);
  const r = (figure: string, value: number | undefined, unit: string, target?: Target, error?: string): Row => ({
    figure,
    value,
    unit,
    ...(target && { target }),
    ...(value === undefined && error !== undefined && { error }),
  });
  return [
    // With targets, in the order of the issue.
    r('embedding throughput, calls of 64, all cores', e?.sentencesPerSecBatch64, 'sentences/s', { kind: 'min', value: 100 }, embedError),
    r('batched add (addMemories x1,000, sync full)', g?.add.batchFull.perSec, 'memories/s', { kind: 'min', value: 20_000 }, engineError),
    r('single durable add p50 (sync full)', g?.add.singleFull.p50Ms, 'ms', { kind: 'max', value: 1 }, engineError),
    r('hybrid search p50 at 10k', at(10_000)?.hybrid.p50Ms, 'ms', { kind: 'max', value: 5 }, engineError),
    r('cold open + first hybrid search p50 (10k)', g?.coldOpen.firstSearch.p50Ms, 'ms', { kind: 'max', value: 50 }, engineError),
    r('HTTP hybrid searches/s, 64 connections (10k)', h?.hybrid.requestsPerSec, 'requests/s', { kind: 'min', value: 1_500 }, httpError),
    r('HTTP hybrid search p99, 64 connections', h?.hybrid.p99Ms, 'ms', { kind: 'max', value: 100 }, httpError),
    r('HTTP vector-only searches/s, 64 connections (query as vector)', h?.vector.requestsPerSec, 'requests/s', { kind: 'min', value: 4_000 }, httpError),
    r('HTTP vector-only search p99, 64 connections', h?.vector.p99Ms, 'ms', { kind: 'max', value: 50 }, httpError),
    r(`HTTP hybrid searches/s, workers ${h?.workers ?? 'N'} / workers 1`, h && h.hybrid.requestsPerSec / h.oneThread.hybrid.requestsPerSec, 'x', { kind: 'min', value: 1.7 }, httpError),
    r('HTTP server CPU per hybrid search', h?.hybrid.serverCpuMsPerRequest, 'ms', { kind: 'max', value: 2 }, httpError),
    r('HTTP single adds/s, 64 connections (sync full)', h?.add.requestsPerSec, 'requests/s', { kind: 'min', value: 3_000 }, httpError),
    r('HTTP single add p99, 64 connections', h?.add.p99Ms, 'ms', { kind: 'max', value: 50 }, httpError),
    // Context, no target.
    r('embed one sentence p50', e?.singleSentenceP50Ms, 'ms', undefined, embedError),
    r('embed one sentence p99', e?.singleSentenceP99Ms, 'ms', undefined, embedError),
    r('model load (first embed call)', e?.loadMs, 'ms', undefined, embedError),
    r('single durable add p99 (sync full)', g?.add.singleFull.p99Ms, 'ms', undefined, engineError),
    r('single durable adds, sequential (sync full)', g?.add.singleFull.perSec, 'adds/s', undefined, engineError),
    r('single add p50 (sync normal)', g?.add.singleNormal.p50Ms, 'ms', undefined, engineError),
    r('single add p99 (sync normal)', g?.add.singleNormal.p99Ms, 'ms', undefined, engineError),
    r('one addMemories call of 1,000, p50 (sync full)', g?.add.batchFull.batch.p50Ms, 'ms', undefined, engineError),
    r('hybrid search p99 at 10k', at(10_000)?.hybrid.p99Ms, 'ms', undefined, engineError),
    r('vector-only search p50 at 10k', at(10_000)?.vector.p50Ms, 'ms', undefined, engineError),
    r('keyword-only search p50 at 10k', at(10_000)?.keyword.p50Ms, 'ms', undefined, engineError),
    r('hybrid search p50 at 1k', at(1_000)?.hybrid.p50Ms, 'ms', undefined, engineError),
    r('hybrid search p99 at 1k', at(1_000)?.hybrid.p99Ms, 'ms', undefined, engineError),
    r('vector-only search p50 at 1k', at(1_000)?.vector.p50Ms, 'ms', undefined, engineError),
    r('keyword-only search p50 at 1k', at(1_000)?.keyword.p50Ms, 'ms', undefined, engineError),
    r('cold open + first hybrid search, max (10k)', g?.coldOpen.firstSearch.maxMs, 'ms', undefined, engineError),
    r('new openMemspace + first hybrid search (10k)', g?.coldOpen.reopenMemspaceFirstSearchMs, 'ms', undefined, engineError),
    // Floors: the same work without the engine, measured in this run.
    r('floor: bare one-row commit p50 (WAL, sync full)', f?.fsyncCommitP50Ms, 'ms', undefined, floorError),
    r('floor: raw SQLite insert of one memory p50 (our schema, sync full)', f?.schemaSingleInsertP50Ms, 'ms', undefined, floorError),
    r('floor: raw SQLite inserts, 1,000 per transaction (our schema)', f?.schemaBatchPerSec, 'memories/s', undefined, floorError),
    r('floor: SIMD scan of 10k x 512 vectors p50', f?.kernelScan10kP50Ms, 'ms', undefined, floorError),
    r('floor: int8 SIMD scan of 10k x 512 vectors p50', f?.int8Scan10kP50Ms, 'ms', undefined, floorError),
    r('floor: plain JavaScript scan of 10k x 512 vectors p50', f?.jsScan10kP50Ms, 'ms', undefined, floorError),
    // HTTP, 64 connections; the server's CPU per request, and the parts of a request measured alone.
    r('HTTP hybrid search p50, 64 connections', h?.hybrid.p50Ms, 'ms', undefined, httpError),
    r('HTTP vector-only search p50, 64 connections', h?.vector.p50Ms, 'ms', undefined, httpError),
    r('HTTP single add p50, 64 connections', h?.add.p50Ms, 'ms', undefined, httpError),
    r('HTTP GET /v1/health requests/s, 64 connections (floor)', h?.health.requestsPerSec, 'requests/s', undefined, httpError),
    r('HTTP GET /v1/health p50, 64 connections', h?.health.p50Ms, 'ms', undefined, httpError),
    r('HTTP GET /v1/health p99, 64 connections', h?.health.p99Ms, 'ms', undefined, httpError),
    r('HTTP hybrid searches/s, workers 1 (searches on the HTTP thread)', h?.oneThread.hybrid.requestsPerSec, 'requests/s', undefined, httpError),
    r('HTTP hybrid search p99, workers 1', h?.oneThread.hybrid.p99Ms, 'ms', undefined, httpError),
    r('HTTP vector-only searches/s, workers 1', h?.oneThread.vector.requestsPerSec, 'requests/s', undefined, httpError),
    r('HTTP GET /v1/health requests/s, workers 1', h?.oneThread.health.requestsPerSec, 'requests/s', undefined, httpError),
    r('HTTP server CPU per hybrid search, workers 1', h?.oneThread.hybrid.serverCpuMsPerRequest, 'ms', undefined, httpError),
    r('HTTP server CPU per vector-only search, workers 1', h?.oneThread.vector.serverCpuMsPerRequest, 'ms', undefined, httpError),
    r('HTTP server cores busy during hybrid searches (all threads)', h?.hybrid.serverCpuCores, 'cores', undefined, httpError),
    r('HTTP client (autocannon) cores busy during hybrid searches', h?.hybrid.clientCpuCores, 'cores', undefined, httpError),
    r('HTTP server CPU per vector-only search', h?.vector.serverCpuMsPerRequest, 'ms', undefined, httpError),
    r('HTTP server CPU per add', h?.add.serverCpuMsPerRequest, 'ms', undefined, httpError),
    r('HTTP server CPU per health request', h?.health.serverCpuMsPerRequest, 'ms', undefined, httpError),
    r('in-process: hybrid search, same space and queries, mean', h?.inProcess.hybridSearchMeanMs, 'ms', undefined, httpError),
    r('in-process: vector-only search, same space and queries, mean', h?.inProcess.vectorSearchMeanMs, 'ms', undefined, httpError),
    r('in-process: durable single add, same space, mean', h?.inProcess.addMeanMs, 'ms', undefined, httpError),
    r('in-process: API key check (SHA-256 + catalogue look-up), mean', h?.inProcess.authenticateMeanMs, 'ms', undefined, httpError),
    r('in-process: JSON.parse of one search body, mean', h?.inProcess.jsonParseMeanMs, 'ms', undefined, httpError),
  ];
}

function verdict(row: Row): string {
  if (row.target === undefined) return '';
  if (row.value === undefined) return 'not measured';
  const { kind, value: target } = row.target;
  const v = row.value;
  if (kind === 'min') {
    const ratio = v / target;
    return ratio >= 1 ? `met (${ratio.toFixed(1)}x the target)` : `missed by ${((1 - ratio) * 100).toFixed(0)}% (${ratio.toFixed(2)}x the target)`;
  }
  return v <= target
    ? `met (${(target / v).toFixed(1)}x under)`
    : `missed by ${formatNumber(v - target)} ${row.unit} (${(v / target).toFixed(1)}x the target)`;
}

function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatValue(row: Row): string {
  return row.value === undefined ? 'error' : `${formatNumber(row.value)} ${row.unit}`;
}

function formatTarget(row: Row): string {
  if (row.target === undefined) return '';
  return `${row.target.kind === 'min' ? '>=' : '<='} ${formatNumber(row.target.value)} ${row.unit}`;
}

// ---- output -----------------------------------------------------------------------------

/** Writes a report, keeping the comparison section `bench/compare.ts` wrote into the file before. */
async function writeReport(file: string, text: string): Promise<void> {
  const kept = keptSections(await readFile(file, 'utf8').catch(() => ''));
  await writeFile(file, [text.trimEnd(), ...kept].join('\n\n') + '\n');
}

function formatTable(all: readonly Row[]): string {
  const header = ['figure', 'measured', 'target', 'verdict'];
  const lines = all.map((row) => [row.figure, formatValue(row), formatTarget(row), verdict(row)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(line)].join('\n');
}

function markdown(res: RunResults): string {
  const m = res.machine;
  const targeted = res.rows.filter((row) => row.target !== undefined);
  const others = res.rows.filter((row) => row.target === undefined);
  const errors = [res.embedder, res.engine, res.floors, res.http, res.scale].flatMap((part) => ('error' in part ? [part.error] : []));
  const engine = 'error' in res.engine ? undefined : res.engine;
  const http = 'error' in res.http ? undefined : res.http;
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    '# Benchmark results',
    '',
    `Generated by \`bench/run.ts\`${res.quick ? ' with `--quick` (fewer repetitions; indicative only)' : ''}; do not edit by hand. Regenerate with \`node --import tsx bench/run.ts\`.`,
    '',
    `- Date: ${res.date}`,
    `- Command: \`${res.command}\``,
    `- Machine: ${m.cpu}, ${m.cores} cores (available parallelism ${m.availableParallelism}), ${m.ramGiB.toFixed(1)} GiB RAM`,
    `- Software: Node ${m.node}, ${m.os}${m.sqlite === undefined ? '' : `, SQLite ${m.sqlite}`}`,
    `- Load average (1 min) at start and end: ${res.loadAverage.start.toFixed(2)}, ${res.loadAverage.end.toFixed(2)}. The benchmark itself accounts for about 1 (2 while embedding); more means other work shared the CPUs.`,
    `- Duration: ${res.durationSec.toFixed(0)} s`,
    '',
    '## Targets',
    '',
    'Targets from the issue, for this 2-core machine.',
    '',
    '| Figure | Measured | Target | Verdict |',
    '|---|--:|--:|---|',
    ...targeted.map((row) => `| ${cell(row.figure)} | ${formatValue(row)} | ${formatTarget(row)} | ${verdict(row)} |`),
    '',
    '## Other figures',
    '',
    '| Figure | Measured |',
    '|---|--:|',
    ...others.map((row) => `| ${cell(row.figure)} | ${formatValue(row)} |`),
    '',
    ...(errors.length > 0 ? ['## Errors', '', ...errors.map((e) => `- ${cell(e)}`), ''] : []),
    ...scaleMarkdown(res.scale),
    ...annLibrariesMarkdown(res.annLibraries),
    ...lifecycleMarkdown(res.lifecycle),
    ...postgresMarkdown(res.postgres),
    ...grpcMarkdown(res.grpc, res.grpc !== undefined && 'date' in res.grpc ? res.grpc.date : undefined),
    ...encryptionMarkdown(res.encryption),
    ...consolidationMarkdown(res.consolidation),
    ...scaleWhyMissed(res.scale),
    ...whyMissed(res),
    '## Method',
    '',
    '- Embedder (`bench/embedder.ts`): the default local model (Universal Sentence Encoder lite, 512 dims, TensorFlow.js on WASM) in a pool of one worker thread per CPU, without the vector cache; distinct generated sentences, sequential calls of 64; then sequential calls of one sentence.',
    `- Engine (\`bench/engine.ts\`): the public \`MemoryService\` API on the embedded SQLite backend (WAL), validation included, in a temporary directory under \`os.tmpdir()\` (removed afterwards). Spaces use \`embedder: "none"\` and caller-provided 512-d vectors, so no model time is included anywhere in the engine figures.`,
    `- Adds: ${engine === undefined ? '' : `${engine.add.singleFull.count.toLocaleString('en-US')} `}sequential \`addMemory\` calls after a warm-up, each durable when it resolves (sync \`full\` fsyncs every commit; \`normal\` survives kill -9 but not power loss); batched adds are \`addMemories\` calls of ${engine === undefined ? '1,000' : engine.add.batchFull.batchSize.toLocaleString('en-US')} (one transaction each), ${engine === undefined ? '' : `${engine.add.batchFull.total.toLocaleString('en-US')} in all, `}after one untimed batch.`,
    `- Data: memory-like sentences generated from word lists (50 topics, people, verbs, adjectives, times; 8-25 words), vectors from 50 gaussian clusters on the unit sphere (offset 0.8 of the centre's length, then normalised). Queries are generated questions or keyword pairs about one topic (questions contain common words such as "the", as real ones do) with a vector near that topic's cluster.`,
    `- Search: ${engine === undefined ? '' : `${engine.search.queries} timed queries per mode after ${engine.search.warmUp} warm-up queries, `}limit ${engine?.search.limit ?? 10}, in one space at 1,000 and then 10,000 memories. Hybrid scores the union of both candidate lists by 0.5 x cosine + 0.5 x BM25-derived score.`,
    '- Floors (`bench/floors.ts`): the same work without the engine, in the same run: a one-row commit into a bare table, plain SQL inserts of one memory (row, FTS5, history, change event) on the production schema and pragmas, and the vector scans alone (f32 SIMD, int8 SIMD, plain JavaScript).',
    '- Exact vector search: below 2,048 vectors one f32 SIMD scan; from there an int8 SIMD scan gives each row an approximate score with a proven error bound, and every row whose upper bound reaches the k-th best lower bound is rescored exactly, so results equal an exact scan.',
    `- Cold open: \`registry.closeSpace\`, then one hybrid search with a given vector (opening the database and loading the vector index are inside the timing), repeated ${engine?.coldOpen.firstSearch.count ?? ''} times; the OS page cache is warm. "New openMemspace" closes everything and opens memspace again on the same directory in the same process.`,
    `- HTTP (\`bench/http.ts\`): a space of ${(http?.memories ?? 10_000).toLocaleString('en-US')} memories as above, served by \`buildApp\` (authentication on, the root key as \`Authorization: Bearer\`, no rate limit, no request logs: \`memspace serve\` logs every request) in a child process (\`bench/http-server.ts\`), so the load generator, autocannon ${http?.autocannonVersion ?? ''} in the bench process, never shares its event loop; the two processes share the machine's cores. Each load uses ${http?.connections ?? 64} keep-alive connections, one request in flight on each: the connections first send \`GET /v1/health\` until every one has been answered (Node accepts one new connection per turn of a busy event loop, so opening 64 at once against slow requests would take seconds to reach 64 and put the accept queue in the tail), then ${http?.warmUpSec ?? 2} s of the real requests untimed, then a timed window of ${http?.durationSec ?? 10} s: requests/s are the responses completed in the window, p50/p99 nearest-rank over autocannon's latency of each of them (request written to response read). Bodies rotate among ${http?.bodies ?? 100} prepared ones: hybrid searches (generated question, 512-d vector, limit ${http?.searchLimit ?? 10}), the same vectors alone, and new memories with their vectors (sync full, each acknowledged after its fsync); adds run last, growing the space to ${http === undefined ? 'about 11k' : http.memoriesAfter.toLocaleString('en-US')}. Bodies are about ${http === undefined ? '11' : (http.hybrid.bodyBytes / 1000).toFixed(1)} KB, vectors as JSON numbers at full precision. Any connection error, timeout or non-2xx response fails the benchmark. Server CPU is the child's user + system time over the window (all its threads); the in-process figures time the same calls without HTTP in the bench process, sequentially, on the same data.`,
    '- Latencies are wall-clock (`process.hrtime.bigint`), percentiles nearest-rank.',
    '',
  ].join('\n');
}

function annLibrariesMarkdown(res: AnnLibrariesResult | { error: string }): string[] {
  if ('error' in res) return ['### HNSW libraries compared', '', `Failed: ${res.error}`, ''];
  return [
    '### HNSW libraries compared (the choice of usearch)',
    '',
    `Raw libraries on ${res.n.toLocaleString('en-US')} clustered ${res.dim}-d unit vectors (inner product), M = ${res.m}, efConstruction = ${res.efConstruction}, ${res.queries} queries, k = ${res.k}, search on one thread (\`bench/ann-libraries.ts\`). The real-embedding comparison at 10k is in the first table above.`,
    '',
    annLibrariesTable(res),
    '',
    'memspace uses usearch with f16 storage and ef = 64: per query it is as fast as hnswlib-node at equal recall here, it builds on every core (hnswlib-node has no threaded add in Node), its file is half the size, it deletes for real, and it opens a saved index memory-mapped (`view`) in milliseconds instead of reading it whole, which is what makes a cold open cheap. i8 storage loses recall with inner product and is not used. Searches through a mapped file cost a little more than through a loaded one (compare the view rows).',
    '',
  ];
}

/** For each missed target, why, in figures from this run. */
function whyMissed(res: RunResults): string[] {
  const value = (figure: string): number | undefined => res.rows.find((row) => row.figure.startsWith(figure))?.value;
  const missed = (figure: string): boolean => {
    const row = res.rows.find((r) => r.figure.startsWith(figure));
    return row?.target !== undefined && row.value !== undefined && !verdict(row).startsWith('met');
  };
  const n = (x: number | undefined): string => formatNumber(x);
  const lines: string[] = [];
  if (missed('embedding throughput')) {
    lines.push(
      `- **Embedding throughput.** The model itself is the limit: one sentence takes ${n(value('embed one sentence p50'))} ms in one worker, and TensorFlow.js runs its WebAssembly backend single-threaded in Node, so the pool of one worker per core is all the parallelism there is. Closing the gap needs a faster runtime for the same model (e.g. ONNX Runtime) or a smaller model; the content-hash cache makes repeated texts free.`,
    );
  }
  if (missed('batched add')) {
    lines.push(
      `- **Batched add.** Plain SQL inserts on the same schema reach ${n(value('floor: raw SQLite inserts'))} memories/s on this disk: the FTS5 index (one statement per batch), the history row and the change-feed event are written in the transaction that acknowledges the batch. The engine, at ${n((value('batched add') ?? Number.NaN) / (value('floor: raw SQLite inserts') ?? Number.NaN))} of that rate, adds validation, ids, vector normalisation and the audit entry on top, then the WAL checkpoint after the acknowledgement. 20,000/s would need the keyword index and history written after the acknowledgement, which would make them lag the memories they describe.`,
    );
  }
  if (missed('single durable add')) {
    lines.push(
      `- **Single durable add.** A bare one-row commit with fsync costs ${n(value('floor: bare one-row commit'))} ms here and one memory on our schema (row, FTS5, history, change event) ${n(value('floor: raw SQLite insert of one memory'))} ms; the rest is the engine. With sync normal the add takes ${n(value('single add p50 (sync normal)'))} ms.`,
    );
  }
  if (missed('hybrid search p50 at 10k')) {
    lines.push(
      `- **Hybrid search at 10k.** Exact vector search reads the int8 copy of the vectors (5 MB at 10k, ${n(value('floor: int8 SIMD scan'))} ms) and rescores the rows its error bound cannot rule out; BM25 over the matches adds ${n(value('keyword-only search p50 at 10k'))} ms. A space of exactly 10,000 memories sits at the HNSW threshold: its index is built in the background while this benchmark runs, so most of these searches are still exact scans; once it is built, vector search at 10k takes about 1.2 ms (the search-at-scale table).`,
    );
  }
  if (missed('cold open')) {
    lines.push(`- **Cold open.** Loading the vector snapshot of 10k vectors (20 MB) dominates; the first search then costs as much as a warm one. At 10k the space is also at the HNSW threshold, so opening it starts a worker that checks the index file, which competes for the two cores (the worker thread alone takes tens of ms to start).`);
  }
  const http = 'error' in res.http ? undefined : res.http;
  if (http !== undefined) lines.push(...httpWhyMissed(http, missed, value, n));
  return lines.length === 0 ? [] : ['## Why targets are missed', '', ...lines, ''];
}

/** Why the HTTP targets are missed, from the figures of this run. */
function httpWhyMissed(
  h: HttpBenchResult,
  missed: (figure: string) => boolean,
  value: (figure: string) => number | undefined,
  n: (x: number | undefined) => string,
): string[] {
  const lines: string[] = [];
  const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(x * 100).toFixed(0)}%`);
  const perCore = (ms: number | undefined): number | undefined => (ms === undefined || ms <= 0 ? undefined : 1000 / ms);
  const { hybrid, vector, add, health, inProcess: p } = h;
  const cores = (ms: number | undefined): number | undefined => (ms === undefined || ms <= 0 ? undefined : (1000 / ms) * h.workers);
  if (missed('HTTP hybrid searches/s') || missed('HTTP vector-only searches/s') || missed('HTTP hybrid searches/s, workers') || missed('HTTP server CPU per hybrid')) {
    const one = h.oneThread;
    lines.push(
      `- **HTTP searches/s.** The server answers HTTP and writes on one thread and runs searches on ${h.workers} search threads (\`workers\`, the number of CPUs): ${n(hybrid.requestsPerSec)} hybrid searches/s against ${n(one.hybrid.requestsPerSec)}/s with \`workers: 1\` in the same run (${n(hybrid.requestsPerSec / one.hybrid.requestsPerSec)}x), using ${n(hybrid.serverCpuCores)} of the machine's cores while autocannon, the client, used ${n(hybrid.clientCpuCores)}. ` +
        `Each hybrid search cost the server ${n(hybrid.serverCpuMsPerRequest)} ms of CPU, all threads included (${n(one.hybrid.serverCpuMsPerRequest)} ms with one thread), so the cores the client leaves top out near ${n(cores(hybrid.serverCpuMsPerRequest))}/s; 1,500/s on ${h.workers} cores means ${n((1000 * h.workers) / 1500)} ms per search, all included. ` +
        `In-process the search itself takes ${n(p.hybridSearchMeanMs)} ms on the same space and queries, of which the keyword half (hybrid minus vector-only) ${n(p.hybridSearchMeanMs - p.vectorSearchMeanMs)} ms: BM25 in SQLite's FTS5 scores every memory that matches any word of the question before it can keep the best 50, the floor this design cannot go under. ` +
        `An HTTP request without work (GET /v1/health) costs ${n(health.serverCpuMsPerRequest)} ms and reaches ${n(health.requestsPerSec)}/s with the same client on the same cores: vector-only searches, at ${n(vector.requestsPerSec)}/s (${n(vector.serverCpuMsPerRequest)} ms each), would need to cost less than ${n((1000 * h.workers) / 4000)} ms each, all included, for 4,000/s here.`,
    );
  }
  const queueMs = (rps: number): number => (h.connections / rps) * 1000;
  if (missed('HTTP hybrid search p99') || missed('HTTP single add p99')) {
    lines.push(
      `- **HTTP p99 at ${h.connections} connections.** The latency is the queue: ${h.connections} requests are in flight at once, so each waits for those ahead of it and the mean is about connections / throughput (Little's law): ${h.connections} / ${n(hybrid.requestsPerSec)} per s = ${n(queueMs(hybrid.requestsPerSec))} ms for hybrid searches (measured mean ${n(hybrid.meanMs)} ms), ${h.connections} / ${n(add.requestsPerSec)} per s = ${n(queueMs(add.requestsPerSec))} ms for adds (measured ${n(add.meanMs)} ms). ` +
        `A p99 of 50 ms with ${h.connections} connections needs at least ${n((h.connections / 0.05))} requests/s even with perfectly even service times; the health route, at ${n(health.requestsPerSec)}/s, has p99 ${n(health.p99Ms)} ms.`,
    );
  }
  if (missed('HTTP single adds/s')) {
    lines.push(
      `- **HTTP adds/s.** Adds arriving together are group-committed (one transaction and one fsync for the group, each acknowledged after it), so the commit is not the bound: the thread that serves HTTP and writes was busy ${pct(add.serverLoopUtilization)} of the window, and each add cost it ${n(add.serverCpuMsPerRequest)} ms of CPU (HTTP, validation, the row with its keyword index, history, change event and audit entry), which tops out near ${n(perCore(add.serverCpuMsPerRequest))}/s. ` +
        `Writes stay on that one thread by design (their order per space, quotas checked in the transaction, the change feed); 3,000/s needs ${n(1000 / 3000)} ms per add, all included. In-process, one durable add takes ${n(p.addMeanMs)} ms when they come one at a time.`,
    );
  }
  return lines;
}

// ---- helpers ----------------------------------------------------------------------------

async function attempt<T>(fn: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await fn();
  } catch (error) {
    console.error(error);
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

function machine(sqlite: string | undefined): Machine {
  const list = os.cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    availableParallelism: os.availableParallelism(),
    ramGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()} (${os.version()})`,
    sqlite,
  };
}

function commandLine(): string {
  const script = process.argv[1] === undefined ? 'bench/run.ts' : relative(process.cwd(), process.argv[1]);
  return ['node', ...process.execArgv, script, ...process.argv.slice(2)].join(' ');
}

function progress(message: string): void {
  console.error(`[bench] ${message}`);
}
