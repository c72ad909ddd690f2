/**
 * The ranking variants tried for issue 20 and dropped, reproducible (`npm run bench:retrieval-variants`).
 *
 * The benchmark named by `MEMSPACE_CONVERSATION_BENCHMARK` is read and stored as `memspace eval
 * --conversation-benchmark` does (src/eval/run-conversation-benchmark.ts); each question's full
 * candidate lists come from the engine's public search (vector and keyword, limit 1000, signals
 * off), turn and question vectors from the local embedder; every variant ranks offline from them,
 * scored by pooled evidence recall@10. The baseline is the engine's rule (core/ranking.ts
 * `rankHits`) and the signals its functions (core/search-signals.ts), so the baseline must match
 * the engine's hybrid search without signals: a check line says so, and nothing is written if not.
 * Writes the kept section `retrieval-variants` of bench/RESULTS.md; `--quick` runs the first
 * conversation and writes nothing.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

import type { RunNeighbors } from '../src/core/ports/space-store.js';
import { memoryDate, queryDateRange } from '../src/core/query-dates.js';
import { keywordTerms } from '../src/core/query-terms.js';
import { byScore, fuseRanks, keywordScore, normalize, rankHits } from '../src/core/ranking.js';
import { boostDates, DATE_BOOST, liftNeighbors, NEIGHBOR_SEEDS, NEIGHBOR_SHARE, neighborSeeds, type SignalledHit } from '../src/core/search-signals.js';
import type { ScoredId } from '../src/core/types.js';
import { LocalEmbedder } from '../src/embed/index.js';
import { CATEGORIES, readConversationSet, type CategoryNumber, type Conversation, type ConversationQuestion } from '../src/eval/conversation-set.js';
import { withEvalMemspace } from '../src/eval/eval-memspace.js';
import { evidenceRecall } from '../src/eval/evidence-recall.js';
import type { Memspace } from '../src/memspace.js';
import { writeKeptSection } from './kept-sections.js';
import { BENCHMARK_FILE_VARIABLE, benchmarkFile } from './retrieval.js';

/** Recall is measured at this cut-off. */
const K = 10;
/** Candidates each ranking gives hybrid fusion in the engine at limit 10 (search-plan.ts: max(4 × limit, 50)). */
const DEPTH = 50;
/** The full candidate lists: the engine's largest limit, more than a LoCoMo conversation's turns. */
const ALL = 1000;
const TOLERANCE = 0.005;
const BATCH = 200;
const NO_SIGNALS = { neighbors: false, dates: false } as const;
/** The date signal reads relative dates ("last week") against the clock, as the engine does. */
const NOW = Date.now();
/** Column weights (previous turn, next turn) of the keyword index with neighbour text; the turn itself weighs 1. */
const CONTEXT_WEIGHTS = [[0, 0], [0.3, 0.3], [0.5, 0.5]] as const;
const AUXILIARY = '(?:did|does|do|is|are|was|were|has|have|had|would|will|can|could|should|might|may)';
/** "When did", "What kind of … does", "How many": the opening a question shares with every other. */
const QUESTION_OPENING = new RegExp(`^\\s*(?:what|when|where|who|whom|whose|which|why|how)(?:\\s+(?:kind|type|sort|many|much|long|often|far|old)(?:\\s+of)?)?(?:\\s+${AUXILIARY}(?=\\s))?\\s+`, 'i');
const FINAL_MARK = /[\s?]+$/;
/** The forms of a question embedded for the vector ranking (an empty result falls back to the question). */
const QUERY_TEXTS = {
  'as is': (q: string) => q,
  'without the final "?"': (q: string) => q.replace(FINAL_MARK, '') || q,
  'without the question opening': (q: string) => q.replace(QUESTION_OPENING, '').replace(FINAL_MARK, '') || q,
};
type QueryText = keyof typeof QUERY_TEXTS;

/** A conversation as stored, by memory id. */
interface Turns {
  diaId: Map<string, string>;
  content: Map<string, string>;
  session: Map<string, number>;
  /** core/query-dates.ts `memoryDate`: the session's date. */
  date: Map<string, number>;
  /** The turns before and after in its session, which is its run: what the engine's `runNeighbors` reads. */
  neighbors: Map<string, RunNeighbors>;
  /** Local embedder, unit length. */
  vectors: Map<string, Float32Array>;
}

/** One question with everything the variants rank from. */
interface Question {
  turns: Turns;
  text: string;
  category: CategoryNumber;
  evidence: string[];
  /** The engine's vector search: every turn, exact cosine, best first. */
  vector: ScoredId[];
  /** The engine's keyword search, raw BM25 (`k / (1 − k)` of its `scores.keyword`), best first. */
  keyword: ScoredId[];
  /** The engine's hybrid top 10 without the signals and with them (its defaults). */
  engine: { plain: ScoredId[]; signals: ScoredId[] };
  queryVectors: Partial<Record<QueryText, Float32Array>>;
  /** Raw BM25 of the keyword index with neighbour text, one list per {@link CONTEXT_WEIGHTS}. */
  contextKeyword: ScoredId[][];
}

type Rank = (q: Question) => readonly ScoredId[];
type Variant = { label: string; rank: Rank };
/** Pooled recall@10 over all questions and by category (null for a category without questions). */
type Figures = { all: number; byCategory: (number | null)[] };

async function collect(conversations: readonly Conversation[], progress: (line: string) => void): Promise<Question[]> {
  return withEvalMemspace({ env: {} }, 'memspace-variants-', async (ms) => {
    const questions: Question[] = [];
    for (const [index, c] of conversations.entries()) {
      const space = `variants-${index}-${c.id.replace(/[^A-Za-z0-9_.-]+/g, '-')}`.slice(0, 64);
      await ms.spaces.create({ name: space, description: `ranking variants: sample ${c.id}` });
      const turns = await store(ms, space, c);
      for (const q of c.questions) questions.push(await ask(ms, space, turns, q));
      progress(`retrieval-variants: ${c.id}, ${c.memories.length} turns, ${c.questions.length} questions (${index + 1}/${conversations.length})`);
    }
    return questions;
  });
}

/** Adds the turns as the benchmark protocol does, and notes what the signals read of each. */
async function store(ms: Memspace, space: string, c: Conversation): Promise<Turns> {
  const ids: string[] = [];
  for (let start = 0; start < c.memories.length; start += BATCH) {
    const batch = c.memories.slice(start, start + BATCH);
    const added = await ms.memories.addMany(space, batch.map(({ content, runId, metadata }) => ({ content, runId, metadata })));
    ids.push(...added.map((m) => m.id));
  }
  const turns: Turns = { diaId: new Map(), content: new Map(), session: new Map(), date: new Map(), neighbors: new Map(), vectors: new Map() };
  const lastOfRun = new Map<string, string>();
  c.memories.forEach((m, i) => {
    const id = ids[i]!;
    turns.diaId.set(id, m.diaId);
    turns.content.set(id, m.content);
    turns.session.set(id, m.metadata.session);
    turns.date.set(id, memoryDate({ metadata: m.metadata, createdAt: 0 }));
    const before = lastOfRun.get(m.runId) ?? null;
    turns.neighbors.set(id, { id, before, after: null });
    if (before !== null) turns.neighbors.get(before)!.after = id;
    lastOfRun.set(m.runId, id);
  });
  return turns;
}

async function ask(ms: Memspace, space: string, turns: Turns, q: ConversationQuestion): Promise<Question> {
  const search = async (mode: string, limit: number, extra: object): Promise<{ id: string; score: number; vector?: number; keyword?: number }[]> =>
    (await ms.search.run(space, { query: q.question, mode, limit, ...extra })).results.map((h) => ({ id: h.memory.id, score: h.score, ...h.scores }));
  const vector = (await search('vector', ALL, { ...NO_SIGNALS, exact: true })).map((h) => ({ id: h.id, score: h.vector ?? h.score }));
  const keyword = (await search('keyword', ALL, NO_SIGNALS)).map((h) => ({ id: h.id, score: (h.keyword ?? h.score) / (1 - (h.keyword ?? h.score)) }));
  const engine = { plain: await search('hybrid', K, NO_SIGNALS), signals: await search('hybrid', K, {}) };
  return { turns, text: q.question, category: q.category, evidence: q.evidence, vector, keyword, engine, queryVectors: {}, contextKeyword: [] };
}

/** The turn vectors and the vectors of each form of each question, from the local embedder. */
async function embed(questions: Question[]): Promise<void> {
  const embedder = new LocalEmbedder();
  try {
    for (const turns of new Set(questions.map((q) => q.turns))) {
      const ids = [...turns.content.keys()];
      const vectors = await embedder.embed(ids.map((id) => turns.content.get(id)!));
      ids.forEach((id, i) => turns.vectors.set(id, normalize(vectors[i]!)));
    }
    for (const [form, rewrite] of Object.entries(QUERY_TEXTS) as [QueryText, (q: string) => string][]) {
      const vectors = await embedder.embed(questions.map((q) => rewrite(q.text)));
      questions.forEach((q, i) => (q.queryVectors[form] = normalize(vectors[i]!)));
    }
  } finally {
    await embedder.close();
  }
}

/** Each turn indexed with its neighbours' text (without their speaker) in columns of their own, weighted as {@link CONTEXT_WEIGHTS}. */
function contextKeyword(questions: Question[]): void {
  const text = (turns: Turns, id: string | null): string => (id === null ? '' : turns.content.get(id)!.replace(/^.*?: /s, ''));
  for (const turns of new Set(questions.map((q) => q.turns))) {
    const db = new Database(':memory:');
    try {
      db.exec(`CREATE VIRTUAL TABLE f USING fts5(id UNINDEXED, content, prev, next, tokenize = 'porter unicode61 remove_diacritics 2')`);
      const insert = db.prepare('INSERT INTO f VALUES (?, ?, ?, ?)');
      db.transaction(() => {
        for (const [id, content] of turns.content) insert.run(id, content, text(turns, turns.neighbors.get(id)!.before), text(turns, turns.neighbors.get(id)!.after));
      })();
      const searches = CONTEXT_WEIGHTS.map(([prev, next]) => {
        const rank = `bm25(f, 0, 1.0, ${prev}, ${next})`;
        const columns = prev + next > 0 ? '{content prev next}' : '{content}';
        const statement = db.prepare(`SELECT id, -${rank} AS score FROM f WHERE f MATCH ? ORDER BY ${rank} LIMIT ${ALL}`);
        return (terms: string): ScoredId[] => statement.all(`${columns}: (${terms})`) as ScoredId[];
      });
      for (const q of questions.filter((x) => x.turns === turns)) {
        const terms = keywordTerms(q.text).map((w) => `"${w}"`).join(' OR ');
        q.contextKeyword = searches.map((search) => (terms === '' ? [] : search(terms)));
      }
    } finally {
      db.close();
    }
  }
}

/** The engine's hybrid rule (core/ranking.ts) over the top `depth` of each list; exact cosines for the union. */
function hybrid(q: Question, o: { vector?: ScoredId[]; keyword?: ScoredId[]; weight?: number; depth?: number } = {}): SignalledHit[] {
  const vector = o.vector ?? q.vector;
  const depth = o.depth ?? DEPTH;
  const cosines = new Map(vector.map((h) => [h.id, h.score]));
  return rankHits(vector.slice(0, depth), (o.keyword ?? q.keyword).slice(0, depth), cosines, { mode: 'hybrid', fusion: 'weighted', vectorWeight: o.weight ?? 0.5, limit: depth });
}

/** The signals as the engine adds them (dates, then neighbours); `share`/`seeds` other than the engine's take the inline copy below. */
function signals(q: Question, hits: SignalledHit[], o: { dates?: boolean; neighbors?: boolean; share?: number; seeds?: number } = {}): SignalledHit[] {
  let out = hits;
  const range = o.dates === false ? undefined : queryDateRange(q.text, NOW);
  if (range !== undefined) out = boostDates(out, range, (id) => q.turns.date.get(id));
  if (o.neighbors === false) return out;
  if (o.share === undefined && o.seeds === undefined) return liftNeighbors(out, neighborSeeds(out).map((id) => q.turns.neighbors.get(id)!));
  return liftNeighborsWith(q, out, o.share ?? NEIGHBOR_SHARE, o.seeds ?? NEIGHBOR_SEEDS);
}

/** core/search-signals.ts `neighborSeeds` + `liftNeighbors` with the share and the number of seeds as parameters, for the sweep. */
function liftNeighborsWith(q: Question, hits: readonly SignalledHit[], share: number, seeds: number): SignalledHit[] {
  const byId = new Map(hits.map((h) => [h.id, h]));
  for (const seed of hits.slice(0, seeds).filter((h) => h.score > 0)) {
    const { before, after } = q.turns.neighbors.get(seed.id)!;
    const lent = share * seed.score;
    for (const other of [before, after]) {
      if (other === null) continue;
      const current = byId.get(other);
      if (current === undefined || current.score < lent) byId.set(other, { ...(current ?? { id: other }), score: lent, neighbor: lent });
    }
  }
  return [...byId.values()].sort(byScore);
}

/** Weighted fusion over the top 50 of each list of per-query normalised cosines (each candidate's, by the vector list's normaliser) and keyword
 * scores `s / (1 + s)`; a candidate the keyword list lacks gets 0 from it, −1 under z-scores. */
function normalisedFusion(q: Question, weight: number, norm: 'max' | 'minmax' | 'z'): ScoredId[] {
  const normaliser = (values: number[]): ((x: number) => number) => {
    const max = Math.max(...values, 1e-9);
    const min = Math.min(...values);
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(values.length, 1)) || 1;
    return norm === 'max' ? (x) => x / max : norm === 'minmax' ? (x) => (x - min) / (max - min || 1) : (x) => (x - mean) / sd;
  };
  const vector = q.vector.slice(0, DEPTH);
  const keyword = new Map(q.keyword.slice(0, DEPTH).map((h) => [h.id, keywordScore(h.score)]));
  const cosine = new Map(q.vector.map((h) => [h.id, h.score]));
  const nv = normaliser(vector.map((h) => h.score));
  const nk = normaliser([...keyword.values()]);
  const ids = new Set([...vector.map((h) => h.id), ...keyword.keys()]);
  const missing = norm === 'z' ? -1 : 0;
  return [...ids].map((id) => ({ id, score: weight * nv(cosine.get(id) ?? 0) + (1 - weight) * (keyword.has(id) ? nk(keyword.get(id)!) : missing) })).sort(byScore);
}

/** Every turn ranked by its vector's dot product with `vector` (both unit length: the cosine). */
function byDot(q: Question, vector: Float32Array): ScoredId[] {
  return [...q.turns.vectors].map(([id, v]) => ({ id, score: dot(vector, v) })).sort(byScore);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Greedy reselection of the top 10 from the best `pool`: each pick maximises `value(candidate, chosen)`. */
function reselect(hits: readonly ScoredId[], pool: number, value: (hit: ScoredId, chosen: readonly ScoredId[]) => number): ScoredId[] {
  const rest = hits.slice(0, pool);
  const chosen: ScoredId[] = [];
  while (chosen.length < K && rest.length > 0) {
    const values = rest.map((hit) => value(hit, chosen));
    chosen.push(rest.splice(values.indexOf(Math.max(...values)), 1)[0]!);
  }
  return chosen;
}

/** Maximal marginal relevance: λ·score − (1 − λ)·the highest turn-vector similarity to a hit already chosen. */
function mmr(q: Question, hits: readonly ScoredId[], lambda: number): ScoredId[] {
  const vec = (id: string): Float32Array => q.turns.vectors.get(id)!;
  return reselect(hits, 30, (h, chosen) => lambda * h.score - (1 - lambda) * Math.max(0, ...chosen.map((c) => dot(vec(h.id), vec(c.id)))));
}

/** Score − λ·the hits already chosen from the same session. */
function sessionDiversity(q: Question, hits: readonly ScoredId[], lambda: number): ScoredId[] {
  const session = (id: string): number | undefined => q.turns.session.get(id);
  return reselect(hits, 40, (h, chosen) => h.score - lambda * chosen.filter((c) => session(c.id) === session(h.id)).length);
}

/** Rocchio on the vector side: the query vector plus β·the mean vector of the top `n` baseline hits, unit length, then the baseline fusion. */
function rocchio(q: Question, beta: number, n: number): ScoredId[] {
  const moved = Float32Array.from(q.queryVectors['as is']!);
  const seeds = hybrid(q).slice(0, n);
  for (const seed of seeds) q.turns.vectors.get(seed.id)!.forEach((x, i) => (moved[i] = moved[i]! + (beta / seeds.length) * x));
  return hybrid(q, { vector: byDot(q, normalize(moved)) });
}

const BASELINE = 'baseline: hybrid, 0.5·cos + 0.5·s/(1+s) over the top 50 of each list, no signals';
/** The engine's defaults: hybrid with both signals. */
const withSignals: Rank = (q) => signals(q, hybrid(q));
const BOTH_SIGNALS = `signals: both (the engine's default: date +${DATE_BOOST}, ${NEIGHBOR_SEEDS} seeds, share ${NEIGHBOR_SHARE})`;

function variants(): Variant[] {
  const rows: Variant[] = [
    { label: BASELINE, rank: (q) => hybrid(q) },
    { label: 'vector only (the engine)', rank: (q) => q.vector },
    { label: 'keyword only (the engine)', rank: (q) => q.keyword },
  ];
  for (const w of [0.3, 0.4, 0.6]) rows.push({ label: `fusion: weighted, vector weight ${w}`, rank: (q) => hybrid(q, { weight: w }) });
  for (const [norm, name] of [['max', 'max-normalised'], ['minmax', 'min-max'], ['z', 'z-score']] as const) for (const w of [0.3, 0.5]) rows.push({ label: `fusion: ${name}, vector weight ${w}`, rank: (q) => normalisedFusion(q, w, norm) });
  for (const k of [10, 60]) for (const w of [0.3, 0.5]) rows.push({ label: `fusion: RRF k=${k}, vector weight ${w}`, rank: (q) => fuseRanks([{ hits: q.vector.slice(0, DEPTH), weight: w }, { hits: q.keyword.slice(0, DEPTH), weight: 1 - w }], k) });
  rows.push({ label: `depth: every candidate (${ALL}) instead of 50`, rank: (q) => hybrid(q, { depth: ALL }) });
  rows.push({ label: `depth: every candidate (${ALL}), with both signals`, rank: (q) => signals(q, hybrid(q, { depth: ALL })) });
  for (const form of Object.keys(QUERY_TEXTS) as QueryText[]) rows.push({ label: `query text ${form}: vector only (local embedder)`, rank: (q) => byDot(q, q.queryVectors[form]!) });
  for (const form of Object.keys(QUERY_TEXTS) as QueryText[]) rows.push({ label: `query text ${form}: hybrid`, rank: (q) => hybrid(q, { vector: byDot(q, q.queryVectors[form]!) }) });
  return [...rows, ...signalVariants(), ...rerankVariants()];
}

function signalVariants(): Variant[] {
  const rows: Variant[] = [
    { label: 'signals: neighbours only', rank: (q) => signals(q, hybrid(q), { dates: false }) },
    { label: 'signals: dates only', rank: (q) => signals(q, hybrid(q), { neighbors: false }) },
    { label: BOTH_SIGNALS, rank: withSignals },
  ];
  for (const share of [0.8, 0.9, 0.95]) for (const seeds of [3, 5, 10]) rows.push({ label: `signals: both, neighbour share ${share}, ${seeds} seeds`, rank: (q) => signals(q, hybrid(q), { share, seeds }) });
  return rows;
}

function rerankVariants(): Variant[] {
  const rows: Variant[] = [];
  for (const lambda of [0.8, 0.9, 0.95]) rows.push({ label: `both signals, then MMR λ=${lambda} (top 30)`, rank: (q) => mmr(q, withSignals(q), lambda) });
  for (const lambda of [0.01, 0.03]) rows.push({ label: `both signals, then session diversity λ=${lambda} (top 40)`, rank: (q) => sessionDiversity(q, withSignals(q), lambda) });
  for (const beta of [0.3, 0.6, 1.0]) for (const n of [3, 5]) rows.push({ label: `Rocchio β=${beta} on the top ${n}, then hybrid`, rank: (q) => rocchio(q, beta, n) });
  CONTEXT_WEIGHTS.forEach(([prev, next], i) =>
    rows.push({ label: `keyword index with neighbour text, weights prev ${prev} / next ${next}: hybrid + both signals`, rank: (q) => signals(q, hybrid(q, { keyword: q.contextKeyword[i]! })) }),
  );
  return rows;
}

function score(questions: readonly Question[], rank: Rank): Figures {
  const ranked = questions.map((q) => ({
    ranked: rank(q).slice(0, K).map((h) => q.turns.diaId.get(h.id) ?? h.id),
    relevant: new Map(q.evidence.map((e) => [e, 1])),
    category: q.category,
  }));
  const recall = evidenceRecall(ranked, [K]);
  return { all: recall.all[K]!, byCategory: Object.values(CATEGORIES).map((name) => recall.byCategory[name]?.[K] ?? null) };
}

type Report = { markdown: string; ok: boolean };

async function run(file: string, quick: boolean, progress: (line: string) => void): Promise<Report> {
  const started = performance.now();
  const date = new Date().toISOString();
  const loadStart = loadavg()[0] ?? Number.NaN;
  const bytes = await readFile(file);
  const set = await readConversationSet(file);
  const conversations = quick ? set.conversations.filter((c) => c.questions.length > 0).slice(0, 1) : set.conversations;
  const questions = await collect(conversations, progress);
  progress('retrieval-variants: embedding turns and questions with the local embedder...');
  await embed(questions);
  contextKeyword(questions);
  progress('retrieval-variants: ranking...');
  const rows = variants().map((v) => ({ label: v.label, ...score(questions, v.rank) }));
  const baseline = rows[0]!;
  const engine = score(questions, (q) => q.engine.plain);
  const engineSignals = score(questions, (q) => q.engine.signals);
  const gap = Math.abs(engine.all - baseline.all);
  const ok = gap <= TOLERANCE;
  const f = (x: number | null): string => (x === null ? '-' : x.toFixed(3));
  const delta = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
  const check = `Check: the engine's \`hybrid, no neighbors or dates\` search finds ${f(engine.all)} at recall@10, the offline baseline ${f(baseline.all)}: |Δ| ${gap.toFixed(4)}, ${ok ? `within ±${TOLERANCE}, ok` : `beyond ±${TOLERANCE}, FAILED`}. The engine's \`hybrid\` (defaults) finds ${f(engineSignals.all)}, the offline \`signals: both\` row ${f(rows.find((r) => r.label === BOTH_SIGNALS)!.all)}.`;
  const memories = conversations.reduce((n, c) => n + c.memories.length, 0);
  const evidence = questions.reduce((n, q) => n + q.evidence.length, 0);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const method = [
    `Measured by \`bench/retrieval-variants.ts\` (\`npm run bench:retrieval-variants\`${quick ? ', `--quick`' : ''}) on ${date}, in ${Math.round((performance.now() - started) / 1000)} s, on ${cpu}, ${availableParallelism()} CPUs, Node ${process.version}; load average ${loadStart.toFixed(2)} at the start, ${(loadavg()[0] ?? Number.NaN).toFixed(2)} at the end.`,
    `Data: \`${basename(file)}\` (SHA-256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}…, given by \`${BENCHMARK_FILE_VARIABLE}\`), ${conversations.length} conversations, ${memories} turns, ${questions.length} questions of categories 1-4 with ${evidence} evidence turns, stored as \`memspace eval --conversation-benchmark\` stores them (one space per conversation on the embedded backend, one memory per turn, run id \`session-<N>\`, metadata \`{diaId, session, date}\`).`,
    `For each question the engine's vector search (exact cosines) and keyword search (BM25) gave every candidate, limit ${ALL}, without signals; the local embedder gave the turn vectors and the vectors of each form of the question; every row ranks offline from those and reports **pooled evidence recall@${K}** (evidence turns found in the top ${K} over all evidence turns), overall and by category.`,
    `The baseline is the engine's weighted fusion (core/ranking.ts \`rankHits\`) over the top ${DEPTH} of each list; "signals" are core/search-signals.ts's date boost and run-neighbour lift, with its functions, applied to that list as the engine applies them (the share and seeds sweep uses an inline copy taking them as parameters).`,
    `MMR and session diversity reselect the top ${K} from the top 30 (MMR, similarity = turn-vector dot product) or 40 of the list with both signals; Rocchio moves the question's vector by β times the mean vector of the baseline's top n before the baseline fusion; the neighbour-text rows rank the keyword side with an in-memory FTS5 table holding each turn with the text of the turns before and after it, queried with core/query-terms.ts's \`keywordTerms\` (weights 0 / 0: the turn's words alone, yet not the engine's keyword ranking, as FTS5's BM25 takes a row's length over all its columns, the neighbours' included).`,
    'Δ is against the baseline; rows with signals compare with `signals: both`.',
  ].join(' ');
  const table = [
    `| Variant | R@${K} | ${Object.values(CATEGORIES).join(' | ')} | Δ vs baseline |`,
    `|---|--:|${Object.values(CATEGORIES).map(() => '--:|').join('')}--:|`,
    ...rows.map((r, i) => `| ${r.label} | ${f(r.all)} | ${r.byCategory.map(f).join(' | ')} | ${i === 0 ? '—' : delta(r.all - baseline.all)} |`),
  ];
  const markdown = ['## Ranking variants tried for issue 20', '', method, '', check, '', ...table, ''].join('\n');
  return { markdown, ok };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const progress = (line: string): void => console.error(line);
  let file: string;
  try {
    file = benchmarkFile();
  } catch (error) {
    progress((error as Error).message);
    process.exit(2);
  }
  const quick = process.argv.includes('--quick');
  const report = await run(file, quick, progress);
  console.log(report.markdown);
  if (!report.ok) {
    process.exitCode = 1;
    progress('retrieval-variants: the offline baseline does not reproduce the engine; bench/RESULTS.md left as it was');
  } else if (!quick) {
    await writeKeptSection(join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), 'retrieval-variants', report.markdown);
    progress('retrieval-variants: wrote the retrieval-variants section of bench/RESULTS.md');
  }
}
