import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MAX_BATCH } from '../core/schemas.js';
import type { Memspace } from '../memspace.js';
import { readConversationSet, sumSkipped, CATEGORIES, type CategoryName, type Conversation, type ConversationQuestion, type ConversationSet, type SkippedCounts } from './conversation-set.js';
import { withEvalMemspace, type EvalStorageOptions } from './eval-memspace.js';
import { evidenceRecall, meanRecallAt, type EvidenceRecall, type RankedQuestion } from './evidence-recall.js';
import { percentile } from './metrics.js';
import { checkKs, invalid, type SearchMode } from './run-eval.js';

/** Options of {@link runConversationBenchmark}. */
export interface ConversationBenchmarkOptions extends EvalStorageOptions {
  /** The benchmark, a LoCoMo-shaped JSON file (see conversation-set.ts). */
  file: string;
  /** Cut-offs of recall@k. @default [1, 5, 10] */
  ks?: readonly number[];
  /** Also run hybrid search without neighbouring turns, without dates, and without both. @default false */
  ablation?: boolean;
  /** Also run hybrid search reranked by the configured reranker (`MEMSPACE_RERANK_*`). @default false */
  rerank?: boolean;
  /** Sample ids of the conversations to run. @default every conversation of the file */
  conversations?: readonly string[];
  /** Memories per `addMany` call. @default 200 */
  batchSize?: number;
  /** Called as memories are stored and as searches run. */
  onProgress?: (phase: 'load' | 'search', done: number, total: number) => void;
  /** Clock, in milliseconds, for the timings and the search latencies. @default performance.now */
  now?: () => number;
}

/** One way of searching: a mode and the request options beyond the engine's defaults. */
export interface ConversationBenchmarkRowSpec {
  label: string;
  mode: SearchMode;
  options: Record<string, boolean>;
}

/** The figures of one way of searching. */
export interface ConversationBenchmarkRow extends ConversationBenchmarkRowSpec {
  /** Pooled evidence recall@k (the evidence turns found over all evidence turns), over all questions and by category. */
  recall: EvidenceRecall;
  /** Question-averaged recall@10 over all questions. */
  macroRecall10: number;
  /** Wall-clock time of the engine's search call, nearest-rank percentiles, in milliseconds. */
  latency: { p50: number; p95: number };
  /** For each question id, the rank (1 is the top) of each of its evidence turns, in the order listed; null when it did not come back. */
  evidenceRanks: Record<string, (number | null)[]>;
}

/** Questions or evidence turns: over all questions and by category. */
export type CategoryCounts = Record<'all' | CategoryName, number>;

/** What {@link runConversationBenchmark} measured. */
export interface ConversationBenchmarkResult {
  file: string;
  ks: number[];
  /** Results asked of every search: the largest k, and at least 10 for the question-averaged recall@10. */
  limit: number;
  counts: {
    conversations: number;
    /** Turns stored, one memory each. */
    memories: number;
    questions: CategoryCounts;
    evidence: CategoryCounts;
    /** What the questions of the conversations run left out. */
    skipped: SkippedCounts;
  };
  rows: ConversationBenchmarkRow[];
  /** Searches run: one per question and row, after one untimed per question that puts its vector in the embedder's cache. */
  searches: number;
  /** Wall-clock time of embedding and storing every turn, and of all searches, in milliseconds. */
  timings: { loadMs: number; searchMs: number };
}

/** The engine's modes, each with its defaults. */
const MODE_ROWS: readonly ConversationBenchmarkRowSpec[] = [
  { label: 'vector', mode: 'vector', options: {} },
  { label: 'keyword', mode: 'keyword', options: {} },
  { label: 'hybrid', mode: 'hybrid', options: {} },
];
/** Hybrid search without the two context signals, one at a time and together. */
const ABLATION_ROWS: readonly ConversationBenchmarkRowSpec[] = [
  { label: 'hybrid, no neighbors', mode: 'hybrid', options: { neighbors: false } },
  { label: 'hybrid, no dates', mode: 'hybrid', options: { dates: false } },
  { label: 'hybrid, no neighbors or dates', mode: 'hybrid', options: { neighbors: false, dates: false } },
];
const RERANK_ROW: ConversationBenchmarkRowSpec = { label: 'hybrid + rerank', mode: 'hybrid', options: { rerank: true } };
const DEFAULT_KS = [1, 5, 10] as const;
const DEFAULT_BATCH = 200;
/** The cut-off of the question-averaged recall, reported whatever the `ks`. */
const MACRO_K = 10;

/** A conversation loaded into its space: dia ids by the ids the engine gave their memories. */
interface LoadedConversation {
  conversation: Conversation;
  space: string;
  diaIdOf: Map<string, string>;
}

/**
 * Measures evidence recall on a conversation benchmark: one space per conversation, one memory
 * per turn (`"<speaker>: <text>"`, run id `session-<N>`, metadata `{diaId, session, date}`) added
 * in dia id order, then every question of categories 1-4 searched in its conversation's space in
 * each way of searching, with the question as the query. The file and the options are checked
 * before anything is opened, so a bad file fails fast with `VALIDATION_FAILED`; a search the
 * engine refuses (a reranked one without a reranker configured) fails the run with its error.
 * The spaces (`convbench-<run>-<sample>`) are deleted at the end, failed or not, so a data
 * directory or a PostgreSQL database that outlives the run is left as it was.
 */
export async function runConversationBenchmark(options: ConversationBenchmarkOptions): Promise<ConversationBenchmarkResult> {
  const ks = checkKs(options.ks ?? DEFAULT_KS);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) throw invalid('batchSize', `an integer from 1 to ${MAX_BATCH}`);
  const conversations = pick(await readConversationSet(options.file), options.conversations);
  const specs = [...MODE_ROWS, ...(options.ablation === true ? ABLATION_ROWS : []), ...(options.rerank === true ? [RERANK_ROW] : [])];
  const limit = Math.max(...ks, MACRO_K);
  const now = options.now ?? (() => performance.now());
  const runId = randomBytes(3).toString('hex');
  const questions = conversations.reduce((sum, c) => sum + c.questions.length, 0);

  return withEvalMemspace(options, 'memspace-convbench-', async (ms) => {
    const created: string[] = [];
    try {
      let started = now();
      const turns = conversations.reduce((sum, c) => sum + c.memories.length, 0);
      let added = 0;
      const stored = (batch: number): void => options.onProgress?.('load', (added += batch), turns);
      const loaded: LoadedConversation[] = [];
      for (const conversation of conversations) {
        const space = spaceName(runId, conversation.id, created);
        await ms.spaces.create({ name: space, description: `conversation benchmark: sample ${conversation.id}` });
        created.push(space);
        loaded.push(await load(ms, conversation, space, batchSize, stored));
      }
      const loadMs = now() - started;

      started = now();
      const rows: ConversationBenchmarkRow[] = [];
      const searches = (specs.length + 1) * questions;
      let done = 0;
      const searched = (): void => options.onProgress?.('search', ++done, searches);
      await embedQuestions(ms, loaded, searched);
      for (const spec of specs) rows.push(await measure(ms, loaded, spec, { limit, ks, now, searched }));
      const searchMs = now() - started;
      return { file: options.file, ks, limit, counts: counts(conversations), rows, searches, timings: { loadMs, searchMs } };
    } finally {
      for (const space of created) await ms.spaces.delete(space);
    }
  });
}

/** The conversations named, in the file's order; every one when none are named. */
function pick(set: ConversationSet, ids: readonly string[] | undefined): Conversation[] {
  if (ids === undefined) return set.conversations;
  if (ids.length === 0) throw invalid('conversations', 'name at least one conversation');
  const known = set.conversations.map((c) => c.id);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) throw invalid('conversations', `no sample ${unknown.join(', ')} in the file, which holds ${known.join(', ')}`);
  const picked = set.conversations.filter((c) => ids.includes(c.id));
  if (picked.every((c) => c.questions.length === 0)) throw invalid('conversations', 'the conversations named hold no question to measure');
  return picked;
}

/**
 * `convbench-<run>-<sample id>`, the sample id cut to what space names allow (64 characters of
 * A-Z, a-z, 0-9, `_`, `.`, `-`), and numbered when two sample ids come out the same (names
 * compare without case).
 */
function spaceName(runId: string, sampleId: string, taken: readonly string[]): string {
  const base = `convbench-${runId}-${sampleId.replace(/[^A-Za-z0-9_.-]+/g, '-')}`.slice(0, 64);
  const used = new Set(taken.map((name) => name.toLowerCase()));
  let name = base;
  for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base.slice(0, 64 - String(n).length - 1)}-${n}`;
  return name;
}

/** Adds the conversation's turns to its space in order, in batches, telling `stored` the size of each batch once stored. */
async function load(ms: Memspace, conversation: Conversation, space: string, batchSize: number, stored: (batch: number) => void): Promise<LoadedConversation> {
  const loaded: LoadedConversation = { conversation, space, diaIdOf: new Map() };
  for (let start = 0; start < conversation.memories.length; start += batchSize) {
    const batch = conversation.memories.slice(start, start + batchSize);
    const added = await ms.memories.addMany(space, batch.map(({ content, runId, metadata }) => ({ content, runId, metadata })));
    added.forEach((memory, i) => loaded.diaIdOf.set(memory.id, batch[i]!.diaId));
    stored(batch.length);
  }
  return loaded;
}

/**
 * Searches every question once, untimed, so that the embedder's cache holds every question's
 * vector before any search is timed: otherwise the first row to embed a question would pay for
 * the model and the rows after it would not, and latencies would compare the model with the cache.
 */
async function embedQuestions(ms: Memspace, loaded: readonly LoadedConversation[], searched: () => void): Promise<void> {
  for (const { conversation, space } of loaded) {
    for (const q of conversation.questions) {
      await ms.search.run(space, { query: q.question, mode: 'vector', limit: 1 });
      searched();
    }
  }
}

/** How {@link measure} searches, times and reports. */
interface Measurement {
  limit: number;
  ks: readonly number[];
  now: () => number;
  /** Called after each search. */
  searched: () => void;
}

/** Asks every question of every conversation in one way of searching, and scores the rankings. */
async function measure(ms: Memspace, loaded: readonly LoadedConversation[], spec: ConversationBenchmarkRowSpec, m: Measurement): Promise<ConversationBenchmarkRow> {
  const ranked: RankedQuestion[] = [];
  const latencies: number[] = [];
  const evidenceRanks: Record<string, (number | null)[]> = {};
  for (const { conversation, space, diaIdOf } of loaded) {
    for (const q of conversation.questions) {
      const started = m.now();
      const { results } = await ms.search.run(space, { query: q.question, mode: spec.mode, limit: m.limit, ...spec.options });
      latencies.push(m.now() - started);
      // The space holds this conversation's turns only; a hit the map did not know would keep its memory id and count as no evidence.
      const diaIds = results.map((hit) => diaIdOf.get(hit.memory.id) ?? hit.memory.id);
      ranked.push({ ranked: diaIds, relevant: new Map(q.evidence.map((e) => [e, 1])), category: q.category });
      evidenceRanks[q.id] = q.evidence.map((e) => (diaIds.includes(e) ? diaIds.indexOf(e) + 1 : null));
      m.searched();
    }
  }
  return {
    ...spec,
    recall: evidenceRecall(ranked, m.ks),
    macroRecall10: meanRecallAt(ranked, MACRO_K),
    latency: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) },
    evidenceRanks,
  };
}

/** Conversations, turns, questions and evidence turns measured, and what was skipped. */
function counts(conversations: readonly Conversation[]): ConversationBenchmarkResult['counts'] {
  const questions = conversations.flatMap((c) => c.questions);
  const byCategory = (weigh: (q: ConversationQuestion) => number): CategoryCounts => {
    const out = { all: 0 } as CategoryCounts;
    for (const name of Object.values(CATEGORIES)) out[name] = 0;
    for (const q of questions) {
      out.all += weigh(q);
      out[CATEGORIES[q.category]] += weigh(q);
    }
    return out;
  };
  return {
    conversations: conversations.length,
    memories: conversations.reduce((sum, c) => sum + c.memories.length, 0),
    questions: byCategory(() => 1),
    evidence: byCategory((q) => q.evidence.length),
    skipped: sumSkipped(conversations),
  };
}
