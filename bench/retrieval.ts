/**
 * Retrieval on a conversation benchmark (issue 20, `npm run bench:retrieval`), in one run on one
 * machine:
 *
 * 1. Evidence recall on a LoCoMo-shaped conversation benchmark, the file named by
 *    `MEMSPACE_CONVERSATION_BENCHMARK` (this repository ships none: LoCoMo is CC BY-NC), with
 *    `runConversationBenchmark` (src/eval/run-conversation-benchmark.ts) on the embedded backend
 *    with its defaults: vector, keyword and hybrid search, and hybrid search without the
 *    neighbour and date signals, one at a time and together.
 * 2. What those signals cost: hybrid search latency in a 10,000-memory space with the signals
 *    (the defaults) and without them, the two interleaved query by query in the same run.
 *
 * Each part reports an error of its own instead of failing the other. Run directly, it writes its
 * figures as the kept section `retrieval` of bench/RESULTS.md (bench/kept-sections.ts), which
 * `bench/run.ts` leaves as it is.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

import { loadConfig } from '../src/config.js';
import { CATEGORIES } from '../src/eval/conversation-set.js';
import { percentile } from '../src/eval/metrics.js';
import { runConversationBenchmark, type ConversationBenchmarkResult, type ConversationBenchmarkRow } from '../src/eval/run-conversation-benchmark.js';
import { openEngine } from '../src/memspace.js';
import { Corpus, DIMENSION } from './engine.js';
import { startPostgres } from '../test/support/postgres-server.js';
import { writeKeptSection } from './kept-sections.js';
import { loadSentence, partRunner, type Part, type PartsSummary } from './parts.js';


/** The environment variable naming the benchmark file. */
export const BENCHMARK_FILE_VARIABLE = 'MEMSPACE_CONVERSATION_BENCHMARK';

/** The conversation benchmark's figures, without the rank of each evidence turn, and which file it ran on. */
export interface ConversationFigures extends Omit<ConversationBenchmarkResult, 'file' | 'rows'> {
  /** The file's name (not its path, which is the user's) and the start of its SHA-256, to tell runs on the same data. */
  data: { name: string; sha256: string; bytes: number };
  rows: Omit<ConversationBenchmarkRow, 'evidenceRanks'>[];
}

/** Latency of one way of searching, in milliseconds, nearest-rank. */
export interface LatencyFigures {
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
}

/** Hybrid search with and without the signals, side by side. */
export interface SignalLatencyFigures {
  memories: number;
  /** Consecutive memories sharing a run id, so that every memory has run neighbours. */
  runLength: number;
  queries: number;
  warmUp: number;
  limit: number;
  /** The engine's defaults: neighbours and dates on. */
  withSignals: LatencyFigures;
  /** `{neighbors: false, dates: false}`. */
  withoutSignals: LatencyFigures;
}

/** Figures reported by {@link benchConversationRetrieval}. */
export interface RetrievalBenchResult extends PartsSummary {
  quick: boolean;
  conversations: Part<ConversationFigures>;
  /** The same benchmark, ablation included, on a real PostgreSQL 15 server (pgvector). */
  postgres: Part<ConversationFigures>;
  latency: Part<SignalLatencyFigures>;
}

const LATENCY_MEMORIES = 10_000;
const RUN_LENGTH = 20;
const SEARCH_LIMIT = 10;
const WITHOUT_SIGNALS = { neighbors: false, dates: false } as const;

/** The benchmark file named by {@link BENCHMARK_FILE_VARIABLE}; throws, saying what to set, when it is unset. */
export function benchmarkFile(env: NodeJS.ProcessEnv = process.env): string {
  const file = env[BENCHMARK_FILE_VARIABLE];
  if (file === undefined || file.trim() === '') {
    throw new Error(
      `${BENCHMARK_FILE_VARIABLE} is not set: set it to the path of a LoCoMo-shaped conversation benchmark (a JSON array of {sample_id, conversation, qa}, e.g. data/locomo10.json of https://github.com/snap-research/LoCoMo); the repository ships none`,
    );
  }
  return file;
}

/** Runs both parts; `quick` times fewer searches in the latency part (the conversation benchmark is always whole). */
export async function benchConversationRetrieval(options: { quick?: boolean; progress?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): Promise<RetrievalBenchResult> {
  const quick = options.quick === true;
  const progress = options.progress;
  const file = benchmarkFile(options.env);
  const { run: part, summary } = partRunner('retrieval', progress);
  const conversations = await part(`the conversation benchmark ${basename(file)}, every mode and the ablation`, () => benchConversations(file, progress));
  const postgres = await part(`the conversation benchmark ${basename(file)} on PostgreSQL 15`, () => benchConversationsOnPostgres(file, progress));
  const latency = await part(`hybrid search with and without the signals at ${LATENCY_MEMORIES.toLocaleString('en-US')} memories`, () => benchSignalLatency(quick ? { queries: 100, warmUp: 20 } : { queries: 300, warmUp: 50 }));
  return {
    quick,
    ...summary(),
    conversations,
    postgres,
    latency,
  };
}

/** The benchmark on a throwaway PostgreSQL 15 server (test/support/postgres-server.ts), every mode and the ablation. */
async function benchConversationsOnPostgres(file: string, progress: ((line: string) => void) | undefined): Promise<ConversationFigures> {
  const server = await startPostgres({});
  try {
    return await benchConversations(file, progress, { MEMSPACE_BACKEND: 'postgres', MEMSPACE_PG_URL: server.url });
  } finally {
    await server.stop();
  }
}

/** The benchmark on the backend `env` names (the embedded one with its defaults when empty), whatever the shell's MEMSPACE_* variables say. */
async function benchConversations(file: string, progress: ((line: string) => void) | undefined, env: NodeJS.ProcessEnv = {}): Promise<ConversationFigures> {
  const bytes = await readFile(file);
  let phase = '';
  const result = await runConversationBenchmark({
    file,
    ablation: true,
    env,
    onProgress: (next, done, total) => {
      if (next !== phase || done === total) progress?.(`retrieval: ${next === 'load' ? 'storing turns' : 'searching'} ${done}/${total}`);
      phase = next;
    },
  });
  const { file: _path, rows, ...rest } = result;
  return {
    ...rest,
    data: { name: basename(file), sha256: createHash('sha256').update(bytes).digest('hex').slice(0, 12), bytes: bytes.length },
    rows: rows.map(({ evidenceRanks: _ranks, ...row }) => row),
  };
}

/**
 * Hybrid search in a space of generated memories with caller-given vectors (the data and queries
 * of bench/engine.ts's search figures, seed and all), each run of {@link RUN_LENGTH} consecutive
 * memories sharing a run id so the neighbour signal has neighbours to look up. The vector index
 * is settled first. Each query is asked with and without the signals, in alternating order, so
 * drift on the machine touches both alike.
 */
async function benchSignalLatency(plan: { queries: number; warmUp: number }): Promise<SignalLatencyFigures> {
  const root = await mkdtemp(join(tmpdir(), 'memspace-bench-retrieval-'));
  const ms = await openEngine(loadConfig({ dataDir: root }, {}));
  const space = 'signals';
  try {
    await ms.spaces.create({ name: space, embedder: 'none', dimension: DIMENSION });
    const corpus = new Corpus(0xbe7c);
    for (let held = 0; held < LATENCY_MEMORIES; held += 5_000) {
      const batch = corpus.memories(5_000).map((m, i) => ({ ...m, runId: `run-${Math.floor((held + i) / RUN_LENGTH)}` }));
      await ms.memories.addMany(space, batch);
    }
    await ms.search.settleIndex(space);
    const queries = corpus.queries(plan.warmUp + plan.queries);
    const variants = [{}, WITHOUT_SIGNALS] as const;
    const latencies: [number[], number[]] = [[], []];
    for (const [i, q] of queries.entries()) {
      for (const v of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const started = performance.now();
        await ms.search.run(space, { ...q, mode: 'hybrid', limit: SEARCH_LIMIT, ...variants[v] });
        if (i >= plan.warmUp) latencies[v as 0 | 1].push(performance.now() - started);
      }
    }
    return { memories: LATENCY_MEMORIES, runLength: RUN_LENGTH, queries: plan.queries, warmUp: plan.warmUp, limit: SEARCH_LIMIT, withSignals: figures(latencies[0]), withoutSignals: figures(latencies[1]) };
  } finally {
    await ms.close();
    await rm(root, { recursive: true, force: true });
  }
}

function figures(latencies: readonly number[]): LatencyFigures {
  return { p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95), meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length };
}

type Report = RetrievalBenchResult | { error: string };

/** The section of RESULTS.md. */
export function retrievalMarkdown(res: Report): string[] {
  const title = '## Retrieval on a conversation benchmark';
  if ('error' in res) return [title, '', `Failed: ${res.error}`, ''];
  const f = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const lines: string[] = [
    title,
    '',
    `Measured by \`bench/retrieval.ts\` (\`npm run bench:retrieval\`${res.quick ? ', `--quick`' : ''}) on ${res.date}, in ${n(res.durationSec)} s. ${loadSentence(res)}`,
    '',
    ...conversationSection(res.conversations, f, n),
    ...postgresSection(res.postgres, f),
    ...latencySection(res.latency, f),
  ];
  return lines;
}

function conversationSection(part: Part<ConversationFigures>, f: (x: number | null | undefined, digits?: number) => string, n: (x: number) => string): string[] {
  const title = '### Evidence recall';
  if ('error' in part) return [title, '', `Failed: ${part.error}`, ''];
  const { counts: c, data, ks } = part;
  const top = ks.at(-1)!;
  const categories = Object.values(CATEGORIES);
  const q = c.questions;
  return [
    title,
    '',
    `\`${data.name}\` (${n(data.bytes)} bytes, SHA-256 ${data.sha256}…), given by \`${BENCHMARK_FILE_VARIABLE}\`: ${c.conversations} conversations, ${n(c.memories)} turns, ${q.all} questions (${categories.map((name) => `${q[name]} ${name}`).join(', ')}) with ${c.evidence.all} evidence turns; skipped ${c.skipped.adversarial} adversarial questions, ${c.skipped.noEvidence} left without evidence, ${c.skipped.malformedEvidence} malformed evidence ids and ${c.skipped.unknownEvidence} naming no turn. One space per conversation on the embedded backend with the default local embedder, one memory per turn (\`"<speaker>: <text>"\`, run id \`session-<N>\`, metadata \`{diaId, session, date}\` with the session's date), added in dia id order; each question of categories 1-4 searched in its conversation's space, limit ${part.limit} (\`runConversationBenchmark\`, src/eval/run-conversation-benchmark.ts). **Recall@k is pooled**: the evidence turns found in the top k over all evidence turns of the group, so a question with four evidence turns weighs four times one with one; by category at @${top}. Macro: recall@10 averaged over questions. Latency: the engine's search call, after one untimed search per question that puts its vector in the embedder's cache.`,
    '',
    ...recallTable(part, f),
  ];
}

/** Recall per mode, overall at each k and by category at the largest, with latency. */
function recallTable(part: ConversationFigures, f: (x: number | null | undefined, digits?: number) => string): string[] {
  const { ks } = part;
  const top = ks.at(-1)!;
  const categories = Object.values(CATEGORIES);
  return [
    `| Search | ${ks.map((k) => `R@${k}`).join(' | ')} | ${categories.map((name) => `${name} @${top}`).join(' | ')} | macro R@10 | p50 ms | p95 ms |`,
    `|---|${[...ks, ...categories].map(() => '--:').join('|')}|--:|--:|--:|`,
    ...part.rows.map((r) => `| ${r.label} | ${ks.map((k) => f(r.recall.all[k])).join(' | ')} | ${categories.map((name) => f(r.recall.byCategory[name]?.[top])).join(' | ')} | ${f(r.macroRecall10)} | ${f(r.latency.p50, 1)} | ${f(r.latency.p95, 1)} |`),
    '',
  ];
}

function postgresSection(part: Part<ConversationFigures>, f: (x: number | null | undefined, digits?: number) => string): string[] {
  const title = '### The same benchmark on PostgreSQL 15';
  if ('error' in part) return [title, '', `Failed: ${part.error}`, ''];
  return [
    title,
    '',
    `The same file and protocol on a throwaway PostgreSQL 15 server with pgvector (\`MEMSPACE_BACKEND=postgres\`): the same embedder and vectors, keyword ranking by \`ts_rank\` over an English \`tsvector\` instead of FTS5's BM25, so only the keyword and hybrid rows differ from the embedded ones. Latency includes the round trips to the server on this machine; the ablation rows show what the signals cost there (the neighbour lookup is one more statement per search).`,
    '',
    ...recallTable(part, f),
  ];
}

function latencySection(part: Part<SignalLatencyFigures>, f: (x: number | null | undefined, digits?: number) => string): string[] {
  const title = '### What the signals cost: hybrid search at 10,000 memories';
  if ('error' in part) return [title, '', `Failed: ${part.error}`, ''];
  const { withSignals: on, withoutSignals: off } = part;
  const ratio = (a: number, b: number): string => (b > 0 ? `${f(a / b, 2)}x` : '-');
  return [
    title,
    '',
    `The data and queries of the engine's search figures (\`Corpus\` of bench/engine.ts, same seed): ${part.memories.toLocaleString('en-US')} generated memories with caller-given 512-d vectors (no model time), here with every ${part.runLength} consecutive memories sharing a run id so each has run neighbours; the vector index settled first. ${part.queries} timed hybrid searches (limit ${part.limit}) after ${part.warmUp} warm-up ones, each query asked with the defaults (neighbours and dates on) and with \`{neighbors: false, dates: false}\`, in alternating order. The generated queries name no date, so the date signal only looks for one; the neighbour signal looks up and lifts the run neighbours of the best hits on every search.`,
    '',
    '| Hybrid search | signals on (defaults) | signals off | on / off |',
    '|---|--:|--:|--:|',
    `| p50 | ${f(on.p50Ms, 2)} ms | ${f(off.p50Ms, 2)} ms | ${ratio(on.p50Ms, off.p50Ms)} |`,
    `| p95 | ${f(on.p95Ms, 2)} ms | ${f(off.p95Ms, 2)} ms | ${ratio(on.p95Ms, off.p95Ms)} |`,
    `| mean | ${f(on.meanMs, 2)} ms | ${f(off.meanMs, 2)} ms | ${ratio(on.meanMs, off.meanMs)} |`,
    '',
  ];
}


/** Runs the benchmark and, unless `quick`, writes its section of bench/RESULTS.md; returns the section. */
export async function recordRetrieval(options: { quick: boolean; progress: (line: string) => void }): Promise<string> {
  const result = await benchConversationRetrieval(options);
  const section = retrievalMarkdown(result).join('\n');
  if (!result.quick) {
    await writeKeptSection(join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), 'retrieval', section);
    options.progress('wrote the retrieval section of bench/RESULTS.md');
  }
  return section;
}

/**
 * Runs a benchmark over the conversation benchmark when `moduleUrl` is the script Node started:
 * without the file named it exits 2 saying what to set; else it prints the section `record` wrote.
 */
export async function runWithBenchmarkFile(moduleUrl: string, record: (progress: (line: string) => void) => Promise<string>): Promise<void> {
  if (process.argv[1] === undefined || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  const progress = (line: string): void => console.error(line);
  try {
    benchmarkFile();
  } catch (error) {
    progress((error as Error).message);
    process.exit(2);
  }
  console.log(await record(progress));
}

await runWithBenchmarkFile(import.meta.url, (progress) => recordRetrieval({ quick: process.argv.includes('--quick'), progress }));
